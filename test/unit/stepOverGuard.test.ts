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

function breakpointStop(pc: string, breakpointNumber = '1', threadId = 1): StopInfo {
  const record = parseMiLine(
    `*stopped,reason="breakpoint-hit",disp="keep",bkptno="${breakpointNumber}",frame={addr="${pc}` +
      `",func="michael_mic_init"},thread-id="${threadId}"`,
  );
  const results = (record as { results: ResultRecord['results'] }).results;
  return { reason: 'breakpoint', threadId, breakpointNumber, frame: results.tuple('frame') };
}

test('the same breakpoint again with every register unchanged is a lost step-over; it is retried once', async () => {
  const gdb = gdbAnswering([AT_INIT, AT_INIT, AT_INIT]);
  const guard = new StepOverGuard(gdb.connection);
  await guard.beforeContinue(breakpointStop('0xffffffffc0206000'));
  assert.deepEqual(gdb.sent, ['-data-list-register-values --thread 1 --frame 0 --skip-unavailable x']);
  assert.equal(await guard.isLostStepOver(breakpointStop('0xffffffffc0206000')), true);
  // The retry is not watched: a second such stop is shown.
  await guard.beforeContinue(breakpointStop('0xffffffffc0206000'), true);
  assert.equal(await guard.isLostStepOver(breakpointStop('0xffffffffc0206000')), false);
});

test('a real second hit (registers changed), another breakpoint, pc or vCPU, or a step is a stop to show', async () => {
  const ran = gdbAnswering([AT_INIT, RAN]);
  const guard = new StepOverGuard(ran.connection);
  await guard.beforeContinue(breakpointStop('0xffffffffc0206000'));
  assert.equal(await guard.isLostStepOver(breakpointStop('0xffffffffc0206000')), false);

  for (const next of [breakpointStop('0xffffffffc0201140', '2'), breakpointStop('0xffffffffc0206000', '1', 2)]) {
    const gdb = gdbAnswering([AT_INIT, AT_INIT]);
    const other = new StepOverGuard(gdb.connection);
    await other.beforeContinue(breakpointStop('0xffffffffc0206000'));
    assert.equal(await other.isLostStepOver(next), false);
    assert.equal(gdb.sent.length, 1, 'no register read for a stop elsewhere');
  }

  const stepped = gdbAnswering([AT_INIT, AT_INIT]);
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
