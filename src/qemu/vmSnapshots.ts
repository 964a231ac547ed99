// VM snapshots in QEMU's own terms: what a snapshot is, how `qemu-img snapshot -l` and
// QMP describe them, which block nodes can hold them, and the QMP snapshot jobs
// (snapshot-save / snapshot-load / snapshot-delete). No DAP, no gdb, no vscode.
import type { EventWait, QmpEvent } from './qmp';

export interface VmSnapshot {
  /** QEMU's numeric id ("1", "2", ...); the name is what users and commands use. */
  id: string;
  name: string;
  /** Bytes of saved VM state (RAM, devices); 0 for a disk-only snapshot (`qemu-img snapshot -c`). */
  vmStateSize: number;
  /** When it was taken, ms since the epoch. */
  date: number;
  /** Guest clock when it was taken, in ns. */
  vmClockNs: number;
}

/** The node name of the state disk: a qcow2 file attached with -blockdev and no guest device. */
export const STATE_DISK_NODE = 'kq-state';

const SIZE_UNITS: Readonly<Record<string, number>> = {
  B: 1,
  KiB: 2 ** 10,
  MiB: 2 ** 20,
  GiB: 2 ** 30,
  TiB: 2 ** 40,
  PiB: 2 ** 50,
  EiB: 2 ** 60,
};

// ID, TAG (may hold spaces and overflow its column), VM SIZE ("80.3 MiB"), DATE (local time), VM CLOCK, ICOUNT (optional).
const SNAPSHOT_ROW =
  /^(\S+)\s+(.*?)\s+(\d+(?:\.\d+)?) (B|KiB|MiB|GiB|TiB|PiB|EiB)\s+(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})\s+(\d+):(\d{2}):(\d{2})\.(\d{3})(?:\s+\S+)?\s*$/;

/**
 * Parses `qemu-img snapshot -l` output. Sizes there are rounded ("80.3 MiB") and dates are
 * local time with one-second precision: good enough for a list, exact values come from QMP.
 */
export function parseQemuImgSnapshotList(output: string): VmSnapshot[] {
  const snapshots: VmSnapshot[] = [];
  for (const line of output.split('\n')) {
    const match = SNAPSHOT_ROW.exec(line.replace(/\r$/, ''));
    if (!match) continue;
    const [, id, name, size, unit, year, month, day, hours, minutes, seconds, clockH, clockM, clockS, clockMs] = match;
    snapshots.push({
      id: id!,
      name: name!,
      vmStateSize: Math.round(Number(size) * SIZE_UNITS[unit!]!),
      date: new Date(Number(year), Number(month) - 1, Number(day), Number(hours), Number(minutes), Number(seconds)).getTime(),
      vmClockNs: ((Number(clockH) * 60 + Number(clockM)) * 60 + Number(clockS)) * 1e9 + Number(clockMs) * 1e6,
    });
  }
  return snapshots;
}

/** QMP's SnapshotInfo (query-block / query-named-block-nodes image.snapshots[]). */
export interface QmpSnapshotInfo {
  id: string;
  name: string;
  'vm-state-size': number;
  'date-sec': number;
  'date-nsec': number;
  'vm-clock-sec': number;
  'vm-clock-nsec': number;
}

export function fromQmpSnapshot(info: QmpSnapshotInfo): VmSnapshot {
  return {
    id: info.id,
    name: info.name,
    vmStateSize: info['vm-state-size'],
    date: info['date-sec'] * 1000 + Math.floor(info['date-nsec'] / 1e6),
    vmClockNs: info['vm-clock-sec'] * 1e9 + info['vm-clock-nsec'],
  };
}

/** "80.3 MiB", as qemu-img prints sizes. */
export function formatSize(bytes: number): string {
  const units = Object.keys(SIZE_UNITS);
  let unit = 0;
  let value = bytes;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 100 ? 1 : 0)} ${units[unit]}`;
}

/** "00:00:04.021": the guest clock as qemu-img prints it. */
export function formatVmClock(ns: number): string {
  const totalMs = Math.floor(ns / 1e6);
  const ms = totalMs % 1000;
  const totalSeconds = Math.floor(totalMs / 1000);
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return `${pad(Math.floor(totalSeconds / 3600))}:${pad(Math.floor(totalSeconds / 60) % 60)}:${pad(totalSeconds % 60)}.${pad(ms, 3)}`;
}

/**
 * Why a snapshot name cannot be used, or undefined. QEMU looks snapshots up by id *or*
 * name, so an all-digit name could pick another snapshot by its id.
 */
export function snapshotNameProblem(name: string): string | undefined {
  if (name.trim() === '') return 'A snapshot name cannot be empty.';
  if (name !== name.trim()) return 'A snapshot name cannot start or end with a space.';
  if (/^\d+$/.test(name)) return `"${name}" is all digits, which QEMU would confuse with a snapshot id: add a letter.`;
  if (name.length > 128) return 'A snapshot name can have at most 128 characters.';
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(name)) return 'A snapshot name cannot contain control characters.';
  return undefined;
}

/** A name for a new snapshot from where the kernel stopped: "do_sys_openat2", then "do_sys_openat2-2", ... */
export function suggestSnapshotName(location: string | undefined, taken: readonly string[]): string {
  const base =
    (location ?? '')
      .replace(/[^\w.-]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 64) || 'snapshot';
  const stem = /^\d+$/.test(base) ? `s${base}` : base;
  if (!taken.includes(stem)) return stem;
  for (let n = 2; ; n++) if (!taken.includes(`${stem}-${n}`)) return `${stem}-${n}`;
}

/** A top-level block node of the running VM, as far as snapshots are concerned. */
export interface SnapshotNode {
  node: string;
  /** Guest device ("virtio0"), or undefined for the state disk (no guest device). */
  device: string | undefined;
  file: string;
  format: string;
  readOnly: boolean;
  snapshots: VmSnapshot[];
}

/** Where the snapshots of a running VM go, from its top-level block nodes. */
export interface SnapshotLayout {
  /** The node that holds the VM state: the first writable qcow2 disk, else the state disk. */
  vmstate: SnapshotNode | undefined;
  /** Every writable qcow2 node: each gets a disk snapshot of the same name. */
  devices: SnapshotNode[];
  /** Writable disks that cannot take snapshots (raw): not part of any snapshot. */
  unsaved: SnapshotNode[];
}

export function snapshotLayout(nodes: readonly SnapshotNode[]): SnapshotLayout {
  const writable = nodes.filter((node) => !node.readOnly);
  const devices = writable.filter((node) => node.format === 'qcow2');
  const disks = devices.filter((node) => node.node !== STATE_DISK_NODE);
  return {
    vmstate: disks[0] ?? devices.find((node) => node.node === STATE_DISK_NODE),
    devices,
    unsaved: writable.filter((node) => node.format !== 'qcow2'),
  };
}

interface QmpBlockInfo {
  device: string;
  inserted?: { 'node-name': string; file: string; drv: string; ro: boolean; image?: { snapshots?: QmpSnapshotInfo[] } };
}

interface QmpBlockNode {
  'node-name': string;
  file: string;
  drv: string;
  ro: boolean;
  image?: { snapshots?: QmpSnapshotInfo[] };
}

/** The part of QmpClient this module uses (so tests can script QEMU's answers). */
export interface QmpLike {
  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T>;
  /** The first matching event from now on; rejects when the connection closes (or its waits are failed). */
  awaitEvent(what: string, matches: (event: QmpEvent) => boolean): EventWait;
}

/** The guest's drives plus the state disk (which has no guest device, so query-block does not show it). */
export async function queryNodes(qmp: QmpLike): Promise<SnapshotNode[]> {
  const [blocks, named] = await Promise.all([
    qmp.execute<QmpBlockInfo[]>('query-block'),
    qmp.execute<QmpBlockNode[]>('query-named-block-nodes', { flat: true }),
  ]);
  const nodes: SnapshotNode[] = [];
  for (const block of blocks) {
    const inserted = block.inserted;
    if (!inserted) continue;
    nodes.push({
      node: inserted['node-name'],
      device: block.device,
      file: inserted.file,
      format: inserted.drv,
      readOnly: inserted.ro,
      snapshots: (inserted.image?.snapshots ?? []).map(fromQmpSnapshot),
    });
  }
  const state = named.find((node) => node['node-name'] === STATE_DISK_NODE);
  if (state) {
    nodes.push({
      node: STATE_DISK_NODE,
      device: undefined,
      file: state.file,
      format: state.drv,
      readOnly: state.ro,
      snapshots: (state.image?.snapshots ?? []).map(fromQmpSnapshot),
    });
  }
  return nodes;
}

export class QmpJobError extends Error {
  constructor(
    message: string,
    readonly job: string,
  ) {
    super(message);
    this.name = 'QmpJobError';
  }
}

let jobCounter = 0;

/**
 * Runs a QMP job command to its end: starts it, waits for its `concluded` status, reads its
 * error (query-jobs) and dismisses it. Rejects with QEMU's own message when the job failed.
 */
export async function runJob(qmp: QmpLike, command: string, args: Record<string, unknown>): Promise<void> {
  const id = `kq-${command}-${process.pid}-${++jobCounter}`;
  // Waited for before the job starts: its events may come before the command's answer.
  const concluded = qmp.awaitEvent(
    command,
    (event) => event.event === 'JOB_STATUS_CHANGE' && event.data?.id === id && event.data.status === 'concluded',
  );
  try {
    await qmp.execute(command, { 'job-id': id, ...args });
  } catch (error) {
    concluded.cancel();
    throw error;
  }
  await concluded.event;
  const jobs = await qmp.execute<Array<{ id: string; error?: string }>>('query-jobs');
  await qmp.execute('job-dismiss', { id }).catch(() => undefined);
  const error = jobs.find((job) => job.id === id)?.error;
  if (error) throw new QmpJobError(error, command);
}

export function saveSnapshot(qmp: QmpLike, layout: SnapshotLayout, tag: string): Promise<void> {
  return runJob(qmp, 'snapshot-save', { tag, vmstate: requireVmstate(layout), devices: layout.devices.map((node) => node.node) });
}

export function loadSnapshot(qmp: QmpLike, layout: SnapshotLayout, tag: string): Promise<void> {
  return runJob(qmp, 'snapshot-load', { tag, vmstate: requireVmstate(layout), devices: layout.devices.map((node) => node.node) });
}

export function deleteSnapshot(qmp: QmpLike, layout: SnapshotLayout, tag: string): Promise<void> {
  return runJob(qmp, 'snapshot-delete', { tag, devices: layout.devices.map((node) => node.node) });
}

function requireVmstate(layout: SnapshotLayout): string {
  if (!layout.vmstate) throw new Error('no block node can hold VM state');
  return layout.vmstate.node;
}
