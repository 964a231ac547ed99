// Hex display of gdb's decimal integers: two's complement in the type's width, like p/x.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hexValue } from '../../src/adapter/valueFormat';

test('integers become hex; negative ones in their type width; anything else stays', () => {
  assert.equal(hexValue('1', 'pid_t'), '0x1');
  assert.equal(hexValue('4096', 'unsigned long'), '0x1000');
  assert.equal(hexValue('-100', 'int'), '0xffffff9c');
  assert.equal(hexValue('-1', 'long'), '0xffffffffffffffff');
  assert.equal(hexValue('-2', 'const short'), '0xfffe');
  assert.equal(hexValue('18446744073709551615', 'unsigned long'), '0xffffffffffffffff');
  assert.equal(hexValue('-5', 'struct weird'), '-5', 'a width it does not know: left as gdb said');
  for (const other of ['"swapper/0"', "119 'w'", '0xffff888003a00000', '{...}', 'Cannot access memory at address 0x0', 'CPUs 0-1'])
    assert.equal(hexValue(other, 'int'), other);
});
