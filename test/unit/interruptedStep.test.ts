// A line step that an interrupt took into the exception vectors (src/adapter/kernel/interruptedStep.ts),
// on gdb's answers recorded from a Step Over in do_sys_openat2 on an arm64 guest with interrupts
// taken while stepping (as a replay takes them): the stop at vectors+0x280, ELR_EL1 and sp there.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InterruptedStep } from '../../src/adapter/kernel/interruptedStep';
import type { MiCommand } from '../../src/mi/commands';
import { mi } from '../../src/mi/commands';
import { parseMiLine } from '../../src/mi/parser';
import type { ResultRecord } from '../../src/mi/records';
import type { StopInfo } from '../../src/adapter/stopReasons';
import { gdbAnswering } from './scriptedGdb';

function stopOf(line: string): StopInfo {
  const results = (parseMiLine(line) as unknown as { results: ResultRecord['results'] }).results;
  const bkptno = results.optStr('bkptno');
  return {
    reason: bkptno === undefined ? 'step' : 'breakpoint',
    gdbReason: results.str('reason'),
    threadId: Number(results.str('thread-id')),
    breakpointNumber: bkptno,
    frame: results.tuple('frame'),
  };
}

const IN_VECTORS = stopOf(
  '*stopped,reason="end-stepping-range",frame={addr="0xffff800008010a80",func="vectors",args=[],file="arch/arm64/kernel/entry.S",line="517"},thread-id="1",stopped-threads="all"',
);
const NEXT_LINE = stopOf(
  '*stopped,reason="end-stepping-range",frame={addr="0xffff80000839ddb4",func="do_sys_openat2",args=[],file="fs/open.c",line="1307"},thread-id="1",stopped-threads="all"',
);
const RETURNED = stopOf(
  '*stopped,reason="breakpoint-hit",disp="del",bkptno="5",frame={addr="0xffff80000839ddb0",func="do_sys_openat2",args=[],file="fs/open.c",line="1306"},thread-id="1",stopped-threads="all"',
);
// gdb prints the unsigned longs in decimal.
const VECTOR_ANSWERS = [
  '^done,value="18446603336355481600"',
  '^done,value="18446603336359206320"',
  '^done,value="18446603336355462096"',
  '^done,bkpt={number="5",type="breakpoint",disp="del",enabled="y",addr="0xffff80000839ddb0",func="do_sys_openat2",thread-groups=["i1"],cond="$sp ' +
    '== 0xffff80000800bbd0",times="0"}',
];

function stepping(answers: string[]) {
  const gdb = gdbAnswering(answers);
  const resumed: string[] = [];
  const interrupts = new InterruptedStep(gdb.connection, (command: MiCommand) => {
    resumed.push(command.text);
    return Promise.resolve();
  });
  interrupts.watch({ command: mi.execNext, singleThread: false });
  return { gdb, resumed, interrupts };
}

test('a Step Over stopped at an exception vector runs the interrupt to its return, for that stack, and steps on from there', async () => {
  const { gdb, resumed, interrupts } = stepping([...VECTOR_ANSWERS]);
  assert.equal(await interrupts.carriesOn(IN_VECTORS), true, 'the stop in vectors was shown');
  assert.deepEqual(gdb.sent, [
    '-data-evaluate-expression --thread 1 --frame 0 "(unsigned long)(&vectors)"',
    '-data-evaluate-expression --thread 1 --frame 0 "(unsigned long)($ELR_EL1)"',
    '-data-evaluate-expression --thread 1 --frame 0 "(unsigned long)($sp)"',
    '-break-insert -t -c "$sp == 0xffff80000800bbd0" -- "*0xffff80000839ddb0"',
  ]);
  assert.deepEqual(resumed, ['-exec-continue']);
  assert.equal(await interrupts.carriesOn(RETURNED), true, 'the return from the interrupt was shown');
  assert.deepEqual(resumed, ['-exec-continue', '-exec-next --thread 1']);
  assert.equal(await interrupts.carriesOn(NEXT_LINE), false, 'the step did not end at the next line');
});

test('a single-vCPU step runs the interrupt on that vCPU alone', async () => {
  const gdb = gdbAnswering([...VECTOR_ANSWERS]);
  const resumed: string[] = [];
  const interrupts = new InterruptedStep(gdb.connection, (command) => {
    resumed.push(command.text);
    return Promise.resolve();
  });
  interrupts.watch({ command: mi.execStep, singleThread: true });
  assert.equal(await interrupts.carriesOn(IN_VECTORS), true);
  assert.equal(await interrupts.carriesOn(RETURNED), true);
  assert.deepEqual(resumed, ['-exec-continue --thread 1', '-exec-step --thread 1']);
});

test('a breakpoint shown inside the interrupt ends the step, and the return breakpoint is deleted', async () => {
  const { gdb, interrupts } = stepping([...VECTOR_ANSWERS, '^done']);
  await interrupts.carriesOn(IN_VECTORS);
  const inHandler = stopOf(
    '*stopped,reason="breakpoint-hit",disp="keep",bkptno="2",frame={addr="0xffff8000080f1234",func="tick_do_update_jiffies64"},thread-id="1"',
  );
  assert.equal(await interrupts.carriesOn(inHandler), false);
  interrupts.stepEnded();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(gdb.sent.at(-1), '-break-delete 5');
  assert.equal(await interrupts.carriesOn(RETURNED), false, 'a later hit of the deleted breakpoint was taken for the step');
});

test('an interrupt before the first instruction of a step from a breakpoint returns to that breakpoint: gdb reports it, the step goes on', async () => {
  const atUserBreakpoint = (line: string) =>
    stopOf(
      `*stopped,reason="breakpoint-hit",disp="keep",bkptno="2",frame={addr="0xffff80000839ddb0",func="do_sys_openat2",args=[],file="fs/open.c",line="${line}"},thread-id="1",stopped-threads="all"`,
    );
  const fromBreakpoint = (answers: string[]) => {
    const run = stepping([...VECTOR_ANSWERS, ...answers]);
    run.interrupts.watch({ command: mi.execNext, singleThread: false, from: '0xffff80000839ddb0' });
    return run;
  };

  const same = fromBreakpoint(['^done,value="18446603336355462096"', '^done']);
  assert.equal(await same.interrupts.carriesOn(IN_VECTORS), true);
  assert.equal(await same.interrupts.carriesOn(atUserBreakpoint('1306')), true, 'the return was shown as a second hit that ran nothing');
  assert.deepEqual(same.gdb.sent.slice(4), ['-data-evaluate-expression --thread 1 --frame 0 "(unsigned long)($sp)"', '-break-delete 5']);
  assert.deepEqual(same.resumed, ['-exec-continue', '-exec-next --thread 1']);

  const otherTask = fromBreakpoint(['^done,value="18446603336355470000"']);
  await otherTask.interrupts.carriesOn(IN_VECTORS);
  assert.equal(await otherTask.interrupts.carriesOn(atUserBreakpoint('1306')), false, 'another stack at that breakpoint is a hit');

  const fromElsewhere = stepping([...VECTOR_ANSWERS]);
  fromElsewhere.interrupts.watch({ command: mi.execNext, singleThread: false, from: '0xffff80000839dda8' });
  await fromElsewhere.interrupts.carriesOn(IN_VECTORS);
  assert.equal(await fromElsewhere.interrupts.carriesOn(atUserBreakpoint('1306')), false, 'a breakpoint mid-step is where the step stops');
  assert.equal(fromElsewhere.gdb.sent.length, 4, 'nothing read for a breakpoint the step would stop at');
});

test('past a vector slot start, a step by instruction, or a continue, the stop is shown as it is', async () => {
  const midVector = stepping(['^done,value="18446603336355481592"']);
  assert.equal(await midVector.interrupts.carriesOn(IN_VECTORS), false, 'mid-vector: sp is no longer the interrupted one');
  assert.equal(midVector.gdb.sent.length, 1);

  const notWatched = stepping([]);
  notWatched.interrupts.watch(undefined);
  assert.equal(await notWatched.interrupts.carriesOn(IN_VECTORS), false);
  assert.deepEqual(notWatched.gdb.sent, []);

  const ordinary = stepping([]);
  assert.equal(await ordinary.interrupts.carriesOn(NEXT_LINE), false);
  assert.deepEqual(ordinary.gdb.sent, [], 'a stop outside the entry code read something');
});
