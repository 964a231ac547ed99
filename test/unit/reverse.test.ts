// ReverseExecution on scripted gdb and QMP answers: which MI commands Step Back and Reverse
// Continue send, how a reverse stop is described (previous hit, start of the recording, the last
// write of a watched value), and the refusal outside a replay.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MiCommand } from '../../src/mi/commands';
import type { MiConnection } from '../../src/mi/connection';
import { parseMiLine } from '../../src/mi/parser';
import type { QmpClient } from '../../src/qemu/qmp';
import { recordingFiles, type RecordReplaySetup } from '../../src/qemu/recordReplay';
import type { BreakpointService } from '../../src/adapter/breakpoints';
import { ReverseExecution } from '../../src/adapter/reverse';
import { runOnPastStop } from '../../src/adapter/recordingEnd';
import type { RunControl } from '../../src/adapter/runControl';
import { mapStop, type StopInfo } from '../../src/adapter/stopReasons';

const machine = {
  arch: 'x86_64' as const,
  kernel: { path: '/k', size: 1, mtimeMs: 1, sha256: 'a' },
  initrd: undefined,
  machine: undefined,
  cpu: undefined,
  memoryMiB: 512,
  smp: 1,
  commandLine: '',
};
// No snapshots along the replay here: replaySnapshots.test.ts has them.
const replaying: RecordReplaySetup = { mode: 'replay', files: recordingFiles('/r/boot.rr'), machine, snapshotLimit: 0 };

function stopOf(line: string): StopInfo {
  const record = parseMiLine(line);
  assert.ok(record.type === 'exec');
  return mapStop(record.results, false);
}

/** A session with scripted answers: jiffies reads come from `values` in order. */
function harness(setup: RecordReplaySetup | undefined, values: string[] = [], watched: string[] = []) {
  const sent: string[] = [];
  const printed: string[] = [];
  const swallowed: Array<(stop: StopInfo) => void> = [];
  const mi = {
    send: async (command: MiCommand) => {
      sent.push(command.text);
      // gdb's table: 2 is the user's breakpoint, 7 the adapter's own (the module-load hook, say), 9 a watchpoint.
      const table =
        '^done,BreakpointTable={nr_rows="3",body=[bkpt={number="2",type="breakpoint",enabled="y"},bkpt={number="7",type="breakpoint",enabled="y"},bkpt={number="9",type="hw ' +
        'watchpoint",enabled="y"}]}';
      const line =
        command.text === '-break-list'
          ? table
          : command.text.startsWith('-data-evaluate')
            ? `^done,value="${values.shift() ?? '?'}"`
            : '^done';
      const record = parseMiLine(line);
      assert.ok(record.type === 'result');
      return { results: record.results };
    },
  } as unknown as MiConnection;
  const run = {
    currentThreadId: 1,
    resume: async (command: MiCommand) => {
      sent.push(command.text);
      // The silent step's stop arrives as gdb's next *stopped.
      const take = swallowed.shift();
      if (take)
        setImmediate(() =>
          take(
            stopOf('*stopped,reason="end-stepping-range",frame={addr="0xffffffff81158e58",func="tick_do_update_jiffies64"},thread-id="1"'),
          ),
        );
    },
    swallowNextStop: () => {
      let resolve: (stop: StopInfo) => void = () => undefined;
      const stopped = new Promise<StopInfo>((done) => (resolve = done));
      swallowed.push(resolve);
      return { stopped, cancel: () => undefined };
    },
  } as unknown as RunControl;
  const breakpoints = { watchedExpressions: watched, userGdbNumbers: new Set(['2']) } as unknown as BreakpointService;
  const qmp = {
    execute: async (command: string, args?: Record<string, unknown>) => {
      sent.push(`qmp ${command}${args ? ` ${JSON.stringify(args)}` : ''}`);
      return { mode: 'play', icount: 1572650341 };
    },
  } as unknown as QmpClient;
  const reverse = new ReverseExecution(
    mi,
    breakpoints,
    run,
    setup,
    () => qmp,
    (text) => printed.push(text),
  );
  return { reverse, sent, printed };
}

test('Step Back by line and by instruction, and Reverse Continue, are gdb reverse commands on the thread', async () => {
  const { reverse, sent } = harness(replaying);
  await reverse.request('stepBack', { threadId: 2 });
  await reverse.request('stepBack', { threadId: 2, granularity: 'instruction' });
  await reverse.request('reverseContinue', { threadId: 2 });
  const resumes = sent.filter((text) => text.startsWith('-exec'));
  assert.ok(!sent.some((text) => text.includes('replay-break')), 'a replay without a known end got a replay-break');
  assert.deepEqual(resumes, ['-exec-next --thread 2 --reverse', '-exec-step-instruction --thread 2 --reverse', '-exec-continue --reverse']);
  // The adapter's own breakpoint (7) goes out before each reverse run; the user's (2) and the watchpoint stay.
  assert.deepEqual(sent.slice(0, 3), ['-break-list', '-break-disable 7', '-exec-next --thread 2 --reverse']);
  assert.equal(reverse.capabilitiesEvent()?.event, 'capabilities');
});

test('outside a replay, Step Back is refused with the way to get one, and no capability is announced', async () => {
  const recording = harness({ ...replaying, mode: 'record' });
  await assert.rejects(
    recording.reverse.request('stepBack', { threadId: 1 }),
    /launch the same configuration with "replay": "\/r\/boot\.rr"/,
  );
  assert.equal(recording.reverse.capabilitiesEvent(), undefined);
  const live = harness(undefined);
  await assert.rejects(live.reverse.request('reverseContinue', { threadId: 1 }), /needs a replay session/);
  assert.deepEqual(live.sent, []);
});

test('a reverse breakpoint stop is the previous hit, with the position in the recording', async () => {
  const { reverse, printed } = harness(replaying);
  await reverse.request('reverseContinue', { threadId: 1 });
  const stop = await reverse.describe(
    stopOf('*stopped,reason="breakpoint-hit",bkptno="2",frame={addr="0xffffffff8134a350",func="do_sys_openat2"},thread-id="1"'),
  );
  assert.equal(stop.description, 'Previous hit (instruction 1572650341 of the recording)');
  assert.deepEqual(printed, ['Replay position: instruction 1572650341 of the recording\n']);
});

test('no-history is the start of the recording', async () => {
  const { reverse } = harness(replaying);
  await reverse.request('stepBack', { threadId: 1 });
  const stop = await reverse.describe(stopOf('*stopped,reason="no-history",frame={addr="0xfff0",func="??"},thread-id="1"'));
  assert.equal(stop.description, 'Reached the start of the recording: nothing earlier was recorded');
});

test("a watched value's last write: QEMU's bare SIGTRAP after the write, one instruction back shows it with the values before and after", async () => {
  // jiffies is 101 when Reverse Continue starts, still 101 at QEMU's stop, 100 one instruction back.
  const { reverse, sent } = harness(replaying, ['101', '101', '100'], ['jiffies']);
  await reverse.request('reverseContinue', { threadId: 1 });
  const stop = await reverse.describe(
    stopOf(
      '*stopped,reason="signal-received",signal-name="SIGTRAP",signal-meaning="Trace/breakpoint ' +
        'trap",frame={addr="0xffffffff81158e5b",func="tick_do_update_jiffies64"},thread-id="1"',
    ),
  );
  assert.equal(stop.reason, 'data breakpoint');
  assert.equal(stop.description, 'jiffies was last written here: 100 → 101');
  assert.equal(stop.frame?.optStr('addr'), '0xffffffff81158e58', 'not shown at the writing instruction');
  assert.deepEqual(
    sent.filter((text) => !text.startsWith('qmp')),
    [
      '-data-evaluate-expression "jiffies"',
      '-break-list',
      '-break-disable 7',
      '-exec-continue --reverse',
      '-data-evaluate-expression "jiffies"',
      '-exec-step-instruction --thread 1 --reverse',
      '-data-evaluate-expression "jiffies"',
      '-break-enable 7',
    ],
  );
});

test('a QEMU whose CPU time stops moving during a reverse run is reported once; one that works is not', async () => {
  const { StallWatch } = await import('../../src/adapter/stallWatch');
  const stuck: number[] = [];
  const frozen = new StallWatch(1, () => 500, 2);
  frozen.start((seconds) => stuck.push(seconds));
  let ticks = 0;
  const busy = new StallWatch(2, () => ticks++, 2);
  const busyStalls: number[] = [];
  busy.start((seconds) => busyStalls.push(seconds));
  await new Promise((resolve) => setTimeout(resolve, 60));
  busy.stop();
  assert.deepEqual(stuck, [0.012]);
  assert.deepEqual(busyStalls, []);
});

test('in a record session with the switch, the first Step Back replays to the same position, then steps back', async () => {
  const recording = harness({ ...replaying, mode: 'record' });
  const switched: string[] = [];
  recording.reverse.useReplaySwitch(async (icount) => void switched.push(icount));
  assert.equal(recording.reverse.capabilitiesEvent()?.event, 'capabilities');
  await recording.reverse.request('stepBack', { threadId: 3 });
  assert.deepEqual(switched, ['1572650341']);
  assert.ok(recording.sent.includes('-exec-next --thread 3 --reverse'));
  // Now a replay: a second Step Back does not switch again.
  await recording.reverse.request('stepBack', { threadId: 3 });
  assert.equal(switched.length, 1);
});

test('a replay whose recording ends at a known instruction stops there forwards, and refuses to run on from it', async () => {
  const atEnd = harness({ ...replaying, manifest: { ...machine, version: 1, recordedAt: 'then', qemu: 'q', endIcount: '1572650341' } });
  const forward = await atEnd.reverse.describe(
    stopOf('*stopped,reason="signal-received",signal-name="SIGINT",frame={addr="0xffffffff8134a350",func="do_sys_openat2"},thread-id="1"'),
  );
  assert.equal(forward.description, 'Reached the end of the recording (instruction 1572650341): nothing later was recorded');
  await assert.rejects(atEnd.reverse.beforeForward('continue'), /This is the end of the recording \(instruction 1572650341\)/);
  const earlier = harness({ ...replaying, manifest: { ...machine, version: 1, recordedAt: 'then', qemu: 'q', endIcount: '2000000000' } });
  await earlier.reverse.beforeForward('continue');
  assert.deepEqual(earlier.sent, ['qmp query-replay', 'qmp replay-break {"icount":2000000000}']);
  // A step is not given the break (see recordingEnd.ts), but is refused at the end too.
  await earlier.reverse.beforeForward('step');
  assert.equal(earlier.sent.filter((text) => text.includes('replay-break')).length, 1);
  await assert.rejects(atEnd.reverse.beforeForward('step'), /This is the end of the recording/);
});

test('a paused recording runs on until QEMU has executed past its stop, then lets it quit; a silent QEMU is given up on', async () => {
  const sent: string[] = [];
  const counts = [500n, 500n, 500n, 512n];
  const moving = {
    execute: async (command: string) => {
      sent.push(command);
      return command === 'query-replay' ? { mode: 'record', icount: Number(counts.shift() ?? 512n) } : {};
    },
  } as unknown as QmpClient;
  await runOnPastStop(moving);
  assert.deepEqual(sent, ['query-replay', 'cont', 'query-replay', 'query-replay', 'query-replay']);
  const silent = { execute: () => new Promise(() => undefined) } as unknown as QmpClient;
  const started = Date.now();
  await assert.rejects(runOnPastStop(silent), /QMP did not answer within 1 s/);
  assert.ok(Date.now() - started < 3_000);
});
