// The lost step-over guard (src/adapter/stepOverGuard.ts) on gdb's own answers: the registers
// of a stop, as -data-list-register-values prints them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMiLine } from '../../src/mi/parser';
import type { ResultRecord } from '../../src/mi/records';
import { StepOverGuard } from '../../src/adapter/stepOverGuard';
import type { StopInfo } from '../../src/adapter/stopReasons';
import { gdbAnswering } from './scriptedGdb';

const AT_INIT =
  '^done,register-values=[{number="0",value="0xffffffffc0206000"},{number="7",value="0xffffc90000813e48"},{number="16",value="0xffffffffc0206000"},{number="17",value="0x246"}]';
const RAN =
  '^done,register-values=[{number="0",value="0x0"},{number="7",value="0xffffc90000813e48"},{number="16",value="0xffffffffc0206000"},{number="17",value="0x202"}]';

// The 512 bytes below sp, as gdb answers -data-read-memory-bytes (shortened): the dead frames of the
// calls made before the stop. A real second hit of vfs_read from ash's byte-at-a-time reads has the
// same registers, but the read and the echo's write in between left other locals there.
const stackBelow = (contents: string) =>
  `^done,memory=[{begin="0xffffc900001d7c38",offset="0x0",end="0xffffc900001d7e38",contents="${contents}"}]`;
const DEAD_STACK = stackBelow('00c0a5030088ffff6b00000000000000');
const DEAD_STACK_AFTER_READ = stackBelow('00c0a5030088ffff7100000000000000');

function breakpointStop(pc: string, breakpointNumber = '1', threadId = 1): StopInfo {
  const record = parseMiLine(
    `*stopped,reason="breakpoint-hit",disp="keep",bkptno="${breakpointNumber}",frame={addr="${pc}` +
      `",func="michael_mic_init"},thread-id="${threadId}"`,
  );
  const results = (record as { results: ResultRecord['results'] }).results;
  return { reason: 'breakpoint', threadId, breakpointNumber, frame: results.tuple('frame') };
}

test('a continue that meets the same breakpoint with registers and the stack below sp unchanged lost its step; retried once', async () => {
  const gdb = gdbAnswering([AT_INIT, DEAD_STACK, AT_INIT, DEAD_STACK, AT_INIT, DEAD_STACK]);
  const guard = new StepOverGuard(gdb.connection);
  await guard.beforeContinue(breakpointStop('0xffffffffc0206000'));
  assert.deepEqual(gdb.sent, [
    '-data-list-register-values --thread 1 --frame 0 --skip-unavailable x',
    '-data-read-memory-bytes --thread 1 --frame 0 "$sp - 512" 512',
  ]);
  assert.equal(await guard.isLostStepOver(breakpointStop('0xffffffffc0206000')), true);
  // The retry is not watched: a second such stop is shown.
  await guard.beforeContinue(breakpointStop('0xffffffffc0206000'), true);
  assert.equal(await guard.isLostStepOver(breakpointStop('0xffffffffc0206000')), false);
});

test("a continue's real second hit with every register alike (ash reading a line a byte at a time) is shown", async () => {
  const gdb = gdbAnswering([AT_INIT, DEAD_STACK, AT_INIT, DEAD_STACK_AFTER_READ]);
  const guard = new StepOverGuard(gdb.connection);
  await guard.beforeContinue(breakpointStop('0xffffffffc0206000'));
  assert.equal(await guard.isLostStepOver(breakpointStop('0xffffffffc0206000')), false);
});

test('a step that meets its breakpoint again with every register unchanged lost its step (the stack is not read)', async () => {
  const gdb = gdbAnswering([AT_INIT, AT_INIT]);
  const guard = new StepOverGuard(gdb.connection);
  await guard.beforeContinue(breakpointStop('0xffffffffc0206000'), false, 'step');
  assert.equal(await guard.isLostStepOver(breakpointStop('0xffffffffc0206000')), true);
  assert.equal(gdb.sent.filter((text) => text.startsWith('-data-read-memory-bytes')).length, 0);
});

test('a continue from a breakpoint whose stack cannot be read is not watched: a second hit is shown', async () => {
  const gdb = gdbAnswering([AT_INIT, '^error,msg="Cannot access memory at address 0xffffc900001d7c38"']);
  const guard = new StepOverGuard(gdb.connection);
  await guard.beforeContinue(breakpointStop('0xffffffffc0206000'));
  assert.equal(await guard.isLostStepOver(breakpointStop('0xffffffffc0206000')), false);
  assert.equal(gdb.sent.length, 2, 'nothing read at the stop');
});

test('a real second hit (registers changed), another breakpoint, pc or vCPU, or a step is a stop to show', async () => {
  const ran = gdbAnswering([AT_INIT, DEAD_STACK, RAN]);
  const guard = new StepOverGuard(ran.connection);
  await guard.beforeContinue(breakpointStop('0xffffffffc0206000'));
  assert.equal(await guard.isLostStepOver(breakpointStop('0xffffffffc0206000')), false);

  for (const next of [breakpointStop('0xffffffffc0201140', '2'), breakpointStop('0xffffffffc0206000', '1', 2)]) {
    const gdb = gdbAnswering([AT_INIT, DEAD_STACK]);
    const other = new StepOverGuard(gdb.connection);
    await other.beforeContinue(breakpointStop('0xffffffffc0206000'));
    assert.equal(await other.isLostStepOver(next), false);
    assert.equal(gdb.sent.length, 2, 'nothing read for a stop elsewhere');
  }

  const stepped = gdbAnswering([AT_INIT, DEAD_STACK]);
  const afterStep = new StepOverGuard(stepped.connection);
  await afterStep.beforeContinue(breakpointStop('0xffffffffc0206000'));
  afterStep.disarm();
  assert.equal(await afterStep.isLostStepOver(breakpointStop('0xffffffffc0206000')), false);
});

test('a continue from a stop that was not at a breakpoint reads nothing', async () => {
  const gdb = gdbAnswering([]);
  const guard = new StepOverGuard(gdb.connection);
  await guard.beforeContinue({ reason: 'pause', threadId: 1, breakpointNumber: undefined, frame: undefined });
  await guard.beforeContinue(undefined);
  assert.deepEqual(gdb.sent, []);
  assert.equal(await guard.isLostStepOver(breakpointStop('0xffffffffc0206000')), false);
});
