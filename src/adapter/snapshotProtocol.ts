// The DAP custom requests and event of VM snapshots: names and shapes shared by the adapter
// (src/adapter/snapshots.ts) and the Snapshots view (src/extension/views/snapshots.ts). Pure.

export const SNAPSHOT_REQUEST = {
  /** () -> SnapshotListBody */
  list: 'kernelQemu.snapshots.list',
  /** SaveArgs -> SnapshotOperationBody */
  save: 'kernelQemu.snapshots.save',
  /** LoadArgs -> SnapshotOperationBody */
  load: 'kernelQemu.snapshots.load',
  /** DeleteArgs -> SnapshotOperationBody */
  delete: 'kernelQemu.snapshots.delete',
  /** () -> { path, created }: attach a qcow2 state disk so an initrd-only VM can save snapshots. */
  attachStateDisk: 'kernelQemu.snapshots.attachStateDisk',
} as const;

/** Sent after a snapshot was saved, loaded or deleted, or a state disk attached; its body is a SnapshotListBody. */
export const SNAPSHOTS_CHANGED_EVENT = 'kernelQemu.snapshotsChanged';

export interface SnapshotEntry {
  name: string;
  id: string;
  /** When it was taken, ms since the epoch. */
  date: number;
  /** Guest clock when it was taken, ns. */
  vmClockNs: number;
  /** Bytes of VM state; 0 for a disk-only snapshot, which cannot be loaded into a running VM. */
  vmStateSize: number;
}

export interface SnapshotListBody {
  snapshots: SnapshotEntry[];
  /** The image that holds the VM state of snapshots, when there is one. */
  image: string | undefined;
  /** False when no disk can hold a VM snapshot: attach a state disk, or convert the rootfs to qcow2. */
  canSave: boolean;
  /** Writable disks that cannot take snapshots (raw): not part of any snapshot. */
  unsavedDisks: string[];
  /** The state disk in use, or where one would be created. */
  stateDisk: { attached: boolean; path: string | undefined };
  /** The snapshot this VM came from (launched from, or last loaded). */
  origin: string | undefined;
  /** A name for a new snapshot, from where the kernel is stopped. */
  suggestedName: string;
  running: boolean;
}

export interface SaveArgs {
  name: string;
  /** Replace a snapshot of that name (otherwise saving over one is an error). */
  overwrite?: boolean;
}

export interface LoadArgs {
  name: string;
  /** Run on after loading; default: run on when the kernel was running, stop when it was stopped. */
  resume?: boolean;
}

export interface DeleteArgs {
  name: string;
  /** Delete even the snapshot the VM came from. */
  force?: boolean;
}

export interface SnapshotOperationBody {
  /** How long QEMU's part took (the snapshot job), in ms. */
  qemuMs: number;
  /** The whole request, gdb re-sync included, in ms. */
  totalMs: number;
}
