// A breakpoint condition gdb could not evaluate, as gdb 13 and 14 print it on the log stream.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StreamRecord } from '../../src/mi/records';
import { ConditionErrorReader } from '../../src/adapter/conditionErrors';

const log = (text: string): StreamRecord => ({ type: 'log', text });

test("gdb 13's condition error becomes the stop's description, once", () => {
  const reader = new ConditionErrorReader();
  reader.feed(log('Error in testing breakpoint condition:\n'));
  reader.feed(log('Cannot access memory at address 0x0\n'));
  reader.feed(log('1306\tfs/open.c: No such file or directory.\n'));
  assert.equal(reader.take('2'), 'condition error: Cannot access memory at address 0x0');
  assert.equal(reader.take('2'), undefined);
});

test("gdb 14's condition error names its breakpoint; a resume forgets an unreported one", () => {
  const reader = new ConditionErrorReader();
  reader.feed(log('Error in testing condition for breakpoint 3:\n'));
  reader.feed(log('No symbol "x" in current context.\n'));
  assert.equal(reader.take('4'), undefined, "another breakpoint's stop");
  reader.feed(log('Error in testing condition for breakpoint 3:\n'));
  reader.feed(log('No symbol "x" in current context.\n'));
  reader.clear();
  assert.equal(reader.take('3'), undefined);
  reader.feed({ type: 'console', text: 'Error in testing condition for breakpoint 3:\n' });
  assert.equal(reader.take('3'), undefined, 'only the log stream carries it');
});
