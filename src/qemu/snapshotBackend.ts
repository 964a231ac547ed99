// Where a session's VM snapshots are made: QMP's snapshot jobs (a QEMU kernel-qemu started,
// or an attach through a QMP socket) or HMP's savevm/loadvm/delvm (an attach through a
// `-monitor unix:` socket, seed 000). One shape for the Snapshots requests either way.
import type { HumanMonitor } from './monitor';
import type { QmpClient } from './qmp';
import {
  deleteSnapshot,
  loadSnapshot,
  parseQemuImgSnapshotList,
  queryNodes,
  saveSnapshot,
  snapshotLayout,
  type SnapshotLayout,
} from './vmSnapshots';

export interface SnapshotBackend {
  layout(): Promise<SnapshotLayout>;
  save(layout: SnapshotLayout, name: string): Promise<void>;
  load(layout: SnapshotLayout, name: string): Promise<void>;
  remove(layout: SnapshotLayout, name: string): Promise<void>;
  /** QMP, for what only it can do (attaching a state disk). */
  readonly qmp: QmpClient | undefined;
}

export function qmpSnapshots(qmp: QmpClient): SnapshotBackend {
  return {
    qmp,
    layout: async () => snapshotLayout(await queryNodes(qmp)),
    save: (layout, name) => saveSnapshot(qmp, layout, name),
    load: (layout, name) => loadSnapshot(qmp, layout, name),
    remove: (layout, name) => deleteSnapshot(qmp, layout, name),
  };
}

/** HMP answers a successful savevm/loadvm/delvm with nothing; anything else is QEMU's error. */
async function quiet(monitor: HumanMonitor, line: string): Promise<void> {
  const answer = await monitor.command(line);
  if (answer.trim() !== '') throw new Error(answer.trim().replace(/^Error: /, ''));
}

/**
 * HMP decides the disks itself (every writable one that can take snapshots), so the layout
 * is one node standing for them, with `info snapshots`'s list.
 */
export function hmpSnapshots(monitor: HumanMonitor): SnapshotBackend {
  return {
    qmp: undefined,
    layout: async () => {
      const snapshots = parseQemuImgSnapshotList(await monitor.command('info snapshots'));
      const node = { node: 'hmp', device: undefined, file: "the VM's writable qcow2 disks", format: 'qcow2', readOnly: false, snapshots };
      return { vmstate: node, devices: [node], unsaved: [] };
    },
    save: (_layout, name) => quiet(monitor, `savevm ${name}`),
    load: (_layout, name) => quiet(monitor, `loadvm ${name}`),
    remove: (_layout, name) => quiet(monitor, `delvm ${name}`),
  };
}
