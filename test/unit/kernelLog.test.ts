// The oops link finder on panic-trace lines (the grammars themselves: grammars.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findOopsLocations } from '../../src/extension/oopsLocations';

test('oops frames and kernel addresses in a terminal line become links', () => {
  assert.deepEqual(findOopsLocations('[    5.105420]  panic+0x118/0x2ed'), [{ startIndex: 16, length: 17, location: 'panic+0x118/0x2ed' }]);
  assert.deepEqual(
    findOopsLocations('RIP=ffffffff8134a350').map((link) => link.location),
    ['0xffffffff8134a350'],
  );
  assert.deepEqual(findOopsLocations('no links here 0x1234'), []);
});
