// Snapshots saved along a replay (adapter/replaySnapshots.ts), against QEMU 7.2's HMP answers
// as recorded here: `info snapshots` during an aarch64 replay, savevm and delvm (silent on
// success, an error line otherwise).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { REPLAY_SNAPSHOT_SPACING, ReplaySnapshots } from '../../src/adapter/replaySnapshots';
import type { QmpClient } from '../../src/qemu/qmp';

const INFO_SNAPSHOTS = [
  'List of snapshots present on all disks:',
  'ID        TAG               VM SIZE                DATE     VM CLOCK     ICOUNT',
  '1         init             27.1 MiB 2026-12-03 13:29:44 00:00:00.000          0',
  '2         kq-replay-1014520546  53.9 MiB 2026-12-03 13:31:35 00:02:09.858 1014520546',
  '3         other            53.9 MiB 2026-12-03 13:31:35 00:02:09.858 1014520562',
].join('\r\n');

function harness(limit: number, answers: Record<string, string> = {}) {
  const sent: string[] = [];
  const printed: string[] = [];
  const qmp = {
    humanMonitorCommand: async (line: string) => {
      sent.push(line);
      if (line === 'info snapshots') return INFO_SNAPSHOTS;
      return answers[line.split(' ')[0]!] ?? '';
    },
  } as unknown as QmpClient;
  const snapshots = new ReplaySnapshots(
    () => qmp,
    { limit, disk: '/nonexistent/boot.rr.snapshots.qcow2' },
    (text) => printed.push(text),
  );
  return { snapshots, sent, printed };
}

const after = (base: bigint, steps: bigint) => String(base + steps * REPLAY_SNAPSHOT_SPACING);

test('a stop far from the snapshots before it saves one there, named by its instruction count; a near one saves nothing', async () => {
  const { snapshots, sent, printed } = harness(8);
  await snapshots.atStop('1014520600'); // just after the recording's own kq-replay snapshot
  assert.deepEqual(sent, ['info snapshots']);
  const far = after(1014520546n, 2n);
  await snapshots.atStop(far);
  assert.deepEqual(sent.slice(1), [`savevm kq-replay-${far}`]);
  assert.match(
    printed.join(''),
    new RegExp(`saved a replay snapshot at instruction ${far} in \\d+\\.\\d s, .* not from instruction 1014520546 \\(2 of at most 8`),
  );
  // Between the two, close to neither: a stop there saves one more.
  await snapshots.atStop(after(1014520546n, 1n));
  assert.equal(sent.length, 3);
  // Right after the newest: nothing.
  await snapshots.atStop(String(BigInt(far) + 1000n));
  assert.equal(sent.length, 3);
});

test('over the limit, the snapshot whose loss leaves the shortest stretch goes, never the one just saved', async () => {
  const { snapshots, sent, printed } = harness(2);
  const first = after(1014520546n, 1n); // 1 spacing after the existing one
  const far = after(1014520546n, 10n);
  await snapshots.atStop(first);
  await snapshots.atStop(far);
  // kq-replay-1014520546 and `first` are one spacing apart: dropping `first` leaves 0 → 1014520546 → far.
  assert.deepEqual(sent.slice(1), [`savevm kq-replay-${first}`, `savevm kq-replay-${far}`, `delvm kq-replay-${first}`]);
  assert.match(printed.at(-1)!, new RegExp(`2 of at most 2; the one at ${first} went`));
});

test("a refused savevm is said once, with QEMU's words, and no more saves are tried; limit 0 saves none", async () => {
  const { snapshots, sent, printed } = harness(8, {
    savevm: 'Error: Record/replay does not allow making snapshot right now. Try once more later.',
  });
  await snapshots.atStop(after(1014520546n, 3n));
  await snapshots.atStop(after(1014520546n, 6n));
  assert.equal(sent.filter((line) => line.startsWith('savevm')).length, 1);
  assert.equal(printed.length, 1);
  assert.match(printed[0]!, /could not save a replay snapshot \(savevm: Record\/replay does not allow making snapshot right now/);

  const off = harness(0);
  await off.snapshots.atStop(after(0n, 100n));
  assert.deepEqual(off.sent, []);
});

test('a snapshot beyond the stop (from an earlier, longer replay) is weighed by the stretch before it', async () => {
  const { snapshots, sent } = harness(2);
  const late = after(1014520546n, 40n);
  const early = after(1014520546n, 2n);
  await snapshots.atStop(late); // [existing, late]
  await snapshots.atStop(early); // [existing, early, late]: dropping existing leaves 0 → early, the shortest
  assert.deepEqual(sent.slice(1), [`savevm kq-replay-${late}`, `savevm kq-replay-${early}`, 'delvm kq-replay-1014520546']);
});
