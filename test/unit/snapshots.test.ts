// VM snapshots, the parts without a VM: qemu-img's list, QMP's node and snapshot shapes,
// which node holds the VM state, the QMP job protocol, names, and QEMU's argv.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import { EventEmitter } from 'node:events';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { buildQemuArgs, type QemuPlan } from '../../src/qemu/args';
import {
  createStateDiskIfMissing,
  defaultStateDiskPath,
  snapshotStorage,
  stateDiskCandidates,
  stateDiskDirectory,
} from '../../src/qemu/qemuImg';
import { QmpClosedError, type EventWait, type QmpEvent } from '../../src/qemu/qmp';
import {
  formatSize,
  formatVmClock,
  fromQmpSnapshot,
  parseQemuImgSnapshotList,
  queryNodes,
  runJob,
  snapshotLayout,
  snapshotNameProblem,
  STATE_DISK_NODE,
  suggestSnapshotName,
  type QmpLike,
  type SnapshotNode,
} from '../../src/qemu/vmSnapshots';

// Verbatim `qemu-img snapshot -l` (QEMU 7.2): a VM snapshot, disk-only ones, a name with a
// space and one longer than its column, ICOUNT blank and set.
const QEMU_IMG_LIST = `Snapshot list:
ID        TAG               VM SIZE                DATE     VM CLOCK     ICOUNT
1         a                80.3 MiB 2026-11-22 22:40:30 00:00:04.021           
2         disk-only-snap        0 B 2026-11-22 22:43:38 00:00:00.000          0
3         with space            0 B 2026-11-22 22:43:38 00:00:00.000          0
4         a-very-long-snapshot-name-that-overflows      0 B 2026-11-22 22:43:38 00:00:00.000          0
5         boot               1.02 GiB 2026-11-23 09:05:01 101:02:03.004           
`;

describe('qemu-img snapshot -l', () => {
  test('parses every row: id, name (spaces, overflow), size, local date, VM clock', () => {
    const snapshots = parseQemuImgSnapshotList(QEMU_IMG_LIST);
    assert.deepEqual(
      snapshots.map((s) => [s.id, s.name, s.vmStateSize]),
      [
        ['1', 'a', Math.round(80.3 * 2 ** 20)],
        ['2', 'disk-only-snap', 0],
        ['3', 'with space', 0],
        ['4', 'a-very-long-snapshot-name-that-overflows', 0],
        ['5', 'boot', Math.round(1.02 * 2 ** 30)],
      ],
    );
    assert.equal(snapshots[0]!.date, new Date(2026, 10, 22, 22, 40, 30).getTime());
    assert.equal(snapshots[0]!.vmClockNs, 4_021_000_000);
    assert.equal(snapshots[4]!.vmClockNs, ((101 * 60 + 2) * 60 + 3) * 1e9 + 4e6);
  });

  test('an image without snapshots prints nothing; headers and noise are skipped', () => {
    assert.deepEqual(parseQemuImgSnapshotList(''), []);
    assert.deepEqual(
      parseQemuImgSnapshotList('Snapshot list:\nID        TAG               VM SIZE                DATE     VM CLOCK     ICOUNT\n'),
      [],
    );
    assert.equal(parseQemuImgSnapshotList(QEMU_IMG_LIST.replace(/\n/g, '\r\n')).length, 5);
  });
});

describe('formats and names', () => {
  test('sizes and VM clocks read like qemu-img', () => {
    assert.equal(formatSize(0), '0 B');
    assert.equal(formatSize(84_185_581), '80.3 MiB');
    assert.equal(formatSize(3 * 2 ** 30), '3.0 GiB');
    assert.equal(formatSize(512 * 2 ** 20), '512 MiB');
    assert.equal(formatVmClock(4_021_422_264), '00:00:04.021');
    assert.equal(formatVmClock(((101 * 60 + 2) * 60 + 3) * 1e9), '101:02:03.000');
  });

  test('names QEMU would misread are refused with the reason', () => {
    assert.equal(snapshotNameProblem('before-oops'), undefined);
    assert.equal(snapshotNameProblem('with space'), undefined);
    assert.match(snapshotNameProblem('')!, /empty/);
    assert.match(snapshotNameProblem(' a')!, /space/);
    assert.match(snapshotNameProblem('12')!, /digits.*id/);
    assert.match(snapshotNameProblem('x'.repeat(129))!, /128/);
    assert.match(snapshotNameProblem('a\nb')!, /control/);
  });

  test('a suggested name comes from the stop location and is never taken', () => {
    assert.equal(suggestSnapshotName('do_sys_openat2', []), 'do_sys_openat2');
    assert.equal(suggestSnapshotName('do_sys_openat2', ['do_sys_openat2', 'do_sys_openat2-2']), 'do_sys_openat2-3');
    assert.equal(suggestSnapshotName(undefined, []), 'snapshot');
    assert.equal(suggestSnapshotName('operator new(unsigned long)', []), 'operator_new_unsigned_long');
    assert.equal(suggestSnapshotName('1234', []), 's1234');
  });
});

function node(name: string, format: string, extra: Partial<SnapshotNode> = {}): SnapshotNode {
  return {
    node: name,
    device: name === STATE_DISK_NODE ? undefined : 'virtio0',
    file: `/img/${name}`,
    format,
    readOnly: false,
    snapshots: [],
    ...extra,
  };
}

describe('which node holds the VM state', () => {
  test('a qcow2 rootfs holds it, and a state disk is then only another device', () => {
    const layout = snapshotLayout([node(STATE_DISK_NODE, 'qcow2'), node('#block1', 'qcow2')]);
    assert.equal(layout.vmstate?.node, '#block1');
    assert.deepEqual(
      layout.devices.map((n) => n.node),
      [STATE_DISK_NODE, '#block1'],
    );
    assert.deepEqual(layout.unsaved, []);
  });

  test('initrd only: nothing, until the state disk is there', () => {
    assert.equal(snapshotLayout([]).vmstate, undefined);
    assert.equal(snapshotLayout([node(STATE_DISK_NODE, 'qcow2')]).vmstate?.node, STATE_DISK_NODE);
  });

  test('a writable raw disk is not part of snapshots and is named; read-only disks are left alone', () => {
    const layout = snapshotLayout([node('#raw', 'raw'), node('#cd', 'raw', { readOnly: true }), node(STATE_DISK_NODE, 'qcow2')]);
    assert.equal(layout.vmstate?.node, STATE_DISK_NODE);
    assert.deepEqual(
      layout.unsaved.map((n) => n.node),
      ['#raw'],
    );
    assert.deepEqual(
      layout.devices.map((n) => n.node),
      [STATE_DISK_NODE],
    );
  });
});

/** A QMP stand-in: answers by command, emits events, can close. */
class FakeQmp extends EventEmitter implements QmpLike {
  readonly sent: Array<{ command: string; args: Record<string, unknown> | undefined }> = [];
  constructor(private readonly answer: (command: string, args: Record<string, unknown> | undefined, qmp: FakeQmp) => unknown) {
    super();
  }
  async execute<T>(command: string, args?: Record<string, unknown>): Promise<T> {
    this.sent.push({ command, args });
    return (await this.answer(command, args, this)) as T;
  }
  emitEvent(event: QmpEvent): void {
    this.emit('event', event);
  }
  awaitEvent(_what: string, matches: (event: QmpEvent) => boolean): EventWait {
    let cancel = () => undefined as void;
    const event = new Promise<QmpEvent>((resolve, reject) => {
      const onEvent = (event: QmpEvent) => {
        if (!matches(event)) return;
        cancel();
        resolve(event);
      };
      const onClose = () => {
        cancel();
        reject(new QmpClosedError('QEMU closed the QMP connection'));
      };
      cancel = () => {
        this.off('event', onEvent);
        this.off('close', onClose);
      };
      this.on('event', onEvent);
      this.on('close', onClose);
    });
    return { event, cancel };
  }
}

const SNAPSHOT_INFO = {
  id: '1',
  name: 'a',
  'vm-state-size': 84185581,
  'date-sec': 1795387230,
  'date-nsec': 905017000,
  'vm-clock-sec': 4,
  'vm-clock-nsec': 21422264,
};

describe('QMP', () => {
  test('snapshot info converts to ms dates and ns clocks', () => {
    assert.deepEqual(fromQmpSnapshot(SNAPSHOT_INFO), {
      id: '1',
      name: 'a',
      vmStateSize: 84185581,
      date: 1795387230905,
      vmClockNs: 4021422264,
    });
  });

  test('the nodes are the guest drives (query-block) plus the device-less state disk', async () => {
    // Shapes as QEMU 7.2 answers (trimmed to the fields read).
    const qmp = new FakeQmp((command) =>
      command === 'query-block'
        ? [
            {
              device: 'virtio0',
              inserted: {
                'node-name': '#block123',
                file: '/w/rootfs.qcow2',
                drv: 'qcow2',
                ro: false,
                image: { snapshots: [SNAPSHOT_INFO] },
              },
            },
            { device: 'ide1-cd0' },
          ]
        : [
            { 'node-name': STATE_DISK_NODE, file: '/s/state.qcow2', drv: 'qcow2', ro: false, image: {} },
            { 'node-name': '#block001', file: '/s/state.qcow2', drv: 'file', ro: false },
          ],
    );
    const nodes = await queryNodes(qmp);
    assert.deepEqual(
      nodes.map((n) => [n.node, n.device, n.file, n.format, n.snapshots.map((s) => s.name)]),
      [
        ['#block123', 'virtio0', '/w/rootfs.qcow2', 'qcow2', ['a']],
        [STATE_DISK_NODE, undefined, '/s/state.qcow2', 'qcow2', []],
      ],
    );
    assert.deepEqual(qmp.sent[1], { command: 'query-named-block-nodes', args: { flat: true } });
  });

  test("a job runs to concluded, is dismissed, and its error is QEMU's message", async () => {
    const qmp = new FakeQmp((command, args, self) => {
      if (command === 'snapshot-load') {
        const id = args!['job-id'];
        setImmediate(() => {
          self.emitEvent({ event: 'JOB_STATUS_CHANGE', data: { status: 'running', id } });
          self.emitEvent({ event: 'JOB_STATUS_CHANGE', data: { status: 'concluded', id: 'someone-else' } });
          self.emitEvent({ event: 'JOB_STATUS_CHANGE', data: { status: 'concluded', id } });
        });
        return {};
      }
      if (command === 'query-jobs') {
        const id = self.sent[0]!.args!['job-id'];
        return [{ id, status: 'concluded', error: "Snapshot 'nope' does not exist in one or more devices" }];
      }
      return {};
    });
    await assert.rejects(
      runJob(qmp, 'snapshot-load', { tag: 'nope', vmstate: STATE_DISK_NODE, devices: [STATE_DISK_NODE] }),
      /Snapshot 'nope' does not exist/,
    );
    assert.deepEqual(
      qmp.sent.map((s) => s.command),
      ['snapshot-load', 'query-jobs', 'job-dismiss'],
    );
    assert.equal(qmp.listenerCount('event'), 0, 'listeners are removed');
  });

  test('a job whose QEMU exits fails instead of waiting forever', async () => {
    const qmp = new FakeQmp((command, _args, self) => {
      if (command === 'snapshot-save') setImmediate(() => self.emit('close'));
      return {};
    });
    await assert.rejects(runJob(qmp, 'snapshot-save', { tag: 'a' }), /QEMU closed the QMP connection/);
  });
});

describe('QEMU argv and where snapshots live', () => {
  const plan: QemuPlan = {
    arch: 'x86_64',
    accel: 'tcg',
    kernel: '/k/bzImage',
    initrd: '/k/initrd',
    commandLine: 'console=ttyS0',
    memoryMiB: 512,
    smp: 1,
    gdbSocket: '/run/g.sock',
    qmpSocket: '/run/q.sock',
    extraArgs: [],
  };

  test('the state disk is a -blockdev with no guest device; -loadvm starts from a snapshot', () => {
    const args = buildQemuArgs({ ...plan, stateDisk: '/s/a,b.qcow2', loadSnapshot: 'a' });
    const blockdev = args[args.indexOf('-blockdev') + 1];
    assert.equal(blockdev, `driver=qcow2,node-name=${STATE_DISK_NODE},file.driver=file,file.filename=/s/a,,b.qcow2`);
    assert.ok(!args.includes('-device'), 'no guest device');
    assert.equal(args[args.indexOf('-loadvm') + 1], 'a');
    assert.ok(!buildQemuArgs(plan).includes('-blockdev'));
  });

  test('a qcow2 rootfs holds the snapshots; otherwise the state disk, the default one once it exists', () => {
    const base = { kernel: '/k/bzImage', initrd: '/k/initrd', stateDisk: undefined, stateDiskDirectory: '/nonexistent/dir' };
    const qcow2 = snapshotStorage({ ...base, rootfs: '/w/root.qcow2', rootfsFormat: 'qcow2' });
    assert.deepEqual([qcow2.image, qcow2.attachStateDisk], ['/w/root.qcow2', undefined]);
    const initrdOnly = snapshotStorage({ ...base, rootfs: undefined, rootfsFormat: undefined });
    assert.deepEqual([initrdOnly.image, initrdOnly.attachStateDisk], [undefined, undefined]);
    assert.equal(
      initrdOnly.proposedStateDisk,
      defaultStateDiskPath('/nonexistent/dir', { kernel: '/k/bzImage', initrd: '/k/initrd', rootfs: undefined }),
    );
    const named = snapshotStorage({ ...base, rootfs: '/w/root.ext4', rootfsFormat: 'raw', stateDisk: '/s/mine.qcow2' });
    assert.deepEqual([named.image, named.attachStateDisk, named.proposedStateDisk], ['/s/mine.qcow2', '/s/mine.qcow2', '/s/mine.qcow2']);
  });

  test('default state disks: one per kernel/initrd/rootfs, in a private state directory', () => {
    const a = defaultStateDiskPath('/d', { kernel: '/k/bzImage', initrd: '/k/initrd', rootfs: undefined });
    assert.equal(path.dirname(a), '/d');
    assert.match(path.basename(a), /^bzImage-[0-9a-f]{16}\.qcow2$/);
    assert.notEqual(a, defaultStateDiskPath('/d', { kernel: '/k/bzImage', initrd: '/k/other', rootfs: undefined }));
    assert.equal(stateDiskDirectory({ KERNEL_QEMU_STATE_DIR: '/x' }), '/x');
    assert.equal(stateDiskDirectory({ XDG_STATE_HOME: '/st' }), '/st/kernel-qemu/state-disks');
    assert.equal(stateDiskDirectory({ HOME: '/home/u' }), '/home/u/.local/state/kernel-qemu/state-disks');
  });

  test('two sessions creating the same state disk at once: one makes it, the other waits and takes it whole; the candidates beside it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kq-statedisk-'));
    try {
      const file = path.join(dir, 'sub', 'kernel-0123.qcow2');
      const made = await Promise.all([createStateDiskIfMissing('qemu-img', file), createStateDiskIfMissing('qemu-img', file)]);
      assert.deepEqual([...made].sort(), [false, true]);
      assert.match(execFileSync('qemu-img', ['info', '--', file], { encoding: 'utf8' }), /file format: qcow2/);
      assert.deepEqual(readdirSync(path.dirname(file)), ['kernel-0123.qcow2'], 'no temporary file left');
      assert.equal(await createStateDiskIfMissing('qemu-img', file), false);
      assert.deepEqual(stateDiskCandidates(file, 3), [
        file,
        path.join(dir, 'sub', 'kernel-0123-2.qcow2'),
        path.join(dir, 'sub', 'kernel-0123-3.qcow2'),
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
