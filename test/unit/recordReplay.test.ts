import assert from 'node:assert/strict';
import { test } from 'node:test';
import { INITIAL_RR_SNAPSHOT, recordingFiles, recordReplayArgs, RR_DRIVE_ID } from '../../src/qemu/recordReplay';
import { machineMismatches, MANIFEST_VERSION, parseManifest, type RecordedMachine } from '../../src/qemu/recordingManifest';
import { mapStop } from '../../src/adapter/stopReasons';
import { parseMiLine } from '../../src/mi/parser';

test('a recording is three files side by side', () => {
  assert.deepEqual(recordingFiles('/r/boot.rr'), {
    log: '/r/boot.rr',
    snapshotDisk: '/r/boot.rr.snapshots.qcow2',
    manifest: '/r/boot.rr.manifest.json',
  });
});

test("record and replay differ only in rr=, with the init snapshot on the recording's own drive", () => {
  const files = recordingFiles('/r/boot.rr');
  const record = recordReplayArgs({ mode: 'record', files });
  const replay = recordReplayArgs({ mode: 'replay', files });
  assert.deepEqual(record, [
    '-icount',
    `shift=7,rr=record,rrfile=/r/boot.rr,rrsnapshot=${INITIAL_RR_SNAPSHOT}`,
    '-drive',
    `file=/r/boot.rr.snapshots.qcow2,format=qcow2,if=none,id=${RR_DRIVE_ID}`,
  ]);
  assert.deepEqual(
    replay.map((arg) => arg.replace('rr=replay', 'rr=record')),
    record,
  );
});

test('a comma in a recording path is doubled, so QEMU cannot read it as another option', () => {
  const [, icount, , drive] = recordReplayArgs({ mode: 'record', files: recordingFiles('/r/a,snapshot=x.rr') });
  assert.match(icount!, /rrfile=\/r\/a,,snapshot=x\.rr,rrsnapshot=init$/);
  assert.match(drive!, /^file=\/r\/a,,snapshot=x\.rr\.snapshots\.qcow2,format=qcow2/);
});

const machine: RecordedMachine = {
  arch: 'x86_64',
  kernel: { path: '/k/bzImage', size: 100, mtimeMs: 1, sha256: 'a'.repeat(64) },
  initrd: { path: '/k/initrd.gz', size: 10, mtimeMs: 1, sha256: 'b'.repeat(64) },
  machine: undefined,
  cpu: undefined,
  memoryMiB: 512,
  smp: 1,
  commandLine: 'console=ttyS0 nokaslr',
};

test('the same machine replays; a kernel copied elsewhere with the same contents too', () => {
  assert.deepEqual(machineMismatches(machine, machine), []);
  assert.deepEqual(machineMismatches(machine, { ...machine, kernel: { ...machine.kernel, path: '/elsewhere/bzImage', mtimeMs: 99 } }), []);
});

test('each difference is named with both values', () => {
  const problems = machineMismatches(machine, {
    ...machine,
    kernel: { ...machine.kernel, sha256: 'c'.repeat(64), size: 101 },
    initrd: undefined,
    memoryMiB: 256,
    smp: 2,
    commandLine: 'console=ttyS0',
  });
  assert.deepEqual(problems, [
    `kernel: recorded /k/bzImage (100 bytes, sha256 aaaaaaaaaaaa…), this configuration ` +
      `/k/bzImage (101 bytes, sha256 cccccccccccc…): the file changed since it was recorded`,
    'initrd: recorded /k/initrd.gz, this configuration none',
    'memory (MiB): recorded 512, this configuration 256',
    'smp: recorded 1, this configuration 2',
    'kernel command line: recorded "console=ttyS0 nokaslr", this configuration "console=ttyS0"',
  ]);
});

/** The problem parseManifest names (it returns a string for a broken manifest). */
function problemOf(result: ReturnType<typeof parseManifest>): string {
  return typeof result === 'string' ? result : 'parsed';
}

test('a manifest is read back, and a broken one says what is wrong', () => {
  const text = JSON.stringify({ version: MANIFEST_VERSION, recordedAt: '2026-12-02T00:00:00Z', qemu: 'qemu-system-x86_64', ...machine });
  const parsed = parseManifest(text);
  assert.ok(typeof parsed !== 'string', typeof parsed === 'string' ? parsed : '');
  assert.deepEqual(machineMismatches(parsed, machine), []);
  assert.match(problemOf(parseManifest('{')), /not JSON/);
  assert.match(problemOf(parseManifest(JSON.stringify({ version: 99 }))), /version 99/);
  assert.match(
    problemOf(
      parseManifest(JSON.stringify({ version: MANIFEST_VERSION, arch: 'x86_64', commandLine: '', recordedAt: '', memoryMiB: 1, smp: 1 })),
    ),
    /no "kernel"/,
  );
});

test("a watchpoint stop carries gdb's old and new values, and the start of a recording its own reason", () => {
  const watch = parseMiLine(
    '*stopped,reason="watchpoint-trigger",wpt={number="3",exp="jiffies"},value={old="4294894013",new="4294894014"},frame={addr="0xffffffff81123456",func="tick_do_update_jiffies64"},thread-id="1",stopped-threads="all"',
  );
  assert.ok(watch.type === 'exec');
  const stop = mapStop(watch.results, false);
  assert.equal(stop.reason, 'data breakpoint');
  assert.deepEqual(stop.watch, { expression: 'jiffies', oldValue: '4294894013', newValue: '4294894014' });
  assert.equal(stop.description, 'jiffies: 4294894013 → 4294894014');
  const start = parseMiLine('*stopped,reason="no-history",frame={addr="0xfff0",func="??"},thread-id="1",stopped-threads="all"');
  assert.ok(start.type === 'exec');
  assert.equal(mapStop(start.results, false).gdbReason, 'no-history');
});

test('a recorded or replayed console is written only: a file chardev on the FIFO, no input side', async () => {
  const { buildQemuArgs } = await import('../../src/qemu/args');
  const plan = {
    arch: 'x86_64' as const,
    accel: 'tcg' as const,
    kernel: '/k',
    commandLine: '',
    memoryMiB: 512,
    smp: 1,
    gdbSocket: '/r/g',
    qmpSocket: '/r/q',
    serialPipe: '/r/serial',
    extraArgs: [],
  };
  assert.ok(buildQemuArgs(plan).includes('pipe,id=console,path=/r/serial'));
  const args = buildQemuArgs({ ...plan, serialOutputOnly: true });
  assert.ok(args.includes('file,id=console,path=/r/serial.out'), args.join(' '));
  assert.ok(!args.some((arg) => arg.startsWith('pipe,')));
});
