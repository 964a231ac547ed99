// The errors of snapshot work, shared by the request handlers (snapshots.ts), the full-disk check
// (snapshotSpace.ts) and a launch that starts from a snapshot (snapshotStart.ts): each problem
// with its code and its words.
import { findQemuImg } from '../qemu/qemuImg';
import { QmpClosedError } from '../qemu/qmp';
import type { ResolvedLaunch } from './configCheck';
import { ErrorCode, errors, errorText, UserError } from './errors';
import { SNAPSHOT_REQUEST } from './snapshotProtocol';

const MIB = 1024 * 1024;

export const snapshotErrors = {
  /** A recorded or replayed session: a load would fork the recording. */
  recordingSession: (mode: 'record' | 'replay', snapshotDisk: string) =>
    new UserError(
      ErrorCode.SnapshotUnavailable,
      `This session ${mode === 'record' ? 'records' : 'replays'} a ` +
        `run: loading a VM snapshot would fork the recording, so the Snapshots view is off for it ` +
        `(the recording keeps its own snapshots in ${snapshotDisk}` +
        `). Use a session without 'record' or 'replay' for VM snapshots.`,
    ),
  noMonitor: () =>
    new UserError(
      ErrorCode.SnapshotUnavailable,
      "This session is attached to a QEMU's gdb stub only, so it has no monitor for snapshots: " +
        "add 'monitor' (its -monitor unix: or -qmp unix: socket) to the attach configuration, or " +
        'launch the kernel with kernel-qemu.',
    ),
  needsQmp: () => new UserError(ErrorCode.SnapshotUnavailable, 'This needs QMP, and the session is attached through an HMP monitor.'),
  stateDiskNeedsLaunch: () => new UserError(ErrorCode.SnapshotUnavailable, 'Only a launched session can get a state disk.'),
  busy: (doing: string) => new UserError(ErrorCode.SnapshotBusy, `QEMU is busy ${doing}: try again when that is done.`),
  /** `problem`: what snapshotNameProblem said of the name. */
  badName: (problem: string) => new UserError(ErrorCode.BadArgument, problem),
  exists: (name: string) =>
    new UserError(
      ErrorCode.SnapshotExists,
      `A snapshot named "${name}" exists already: save with overwrite to replace it, or choose another name.`,
    ),
  /** `names`: the VM's snapshots with VM state, quoted. */
  missing: (name: string, names: string[], running: boolean) =>
    new UserError(
      ErrorCode.SnapshotMissing,
      `There is no snapshot "${name}". ${names.length ? `The VM has ${names.join(', ')}.` : 'The VM has no snapshots.'}` +
        ` Nothing was changed: the kernel ${running ? 'keeps running' : 'stays where it is'}.`,
    ),
  /** `launchedFrom`: the launch configuration names it ('snapshot'), not only the last load. */
  isOrigin: (name: string, launchedFrom: boolean) =>
    new UserError(
      ErrorCode.SnapshotIsOrigin,
      launchedFrom
        ? `The session started from snapshot "${name}" and its launch configuration names it ` +
            `('snapshot'): after deleting it that configuration cannot start. Delete with force to do ` +
            `it anyway.`
        : `The VM was last loaded from snapshot "${name}": after deleting it you cannot go back there. Delete with force to do it anyway.`,
    ),
  /** `rawRootfs`: the rootfs that cannot hold snapshots (raw), or undefined when the VM has no disk. */
  noStorage: (rawRootfs: string | undefined) =>
    new UserError(
      ErrorCode.SnapshotNoStorage,
      `No disk can hold a VM snapshot: ${
        rawRootfs !== undefined ? `the rootfs ${rawRootfs} is raw, which cannot take snapshots` : 'this VM has no disk (only an initrd)'
      }. Attach a state disk for VM-state-only snapshots (${SNAPSHOT_REQUEST.attachStateDisk}` +
        `; the Snapshots view offers it)` +
        (rawRootfs !== undefined
          ? ', or convert the rootfs to a new qcow2 file (qemu-img convert -O qcow2) and use it from the next launch.'
          : '.'),
    ),
  /** `what` failed for want of room: `freeBytes` where `image` is, `ramMiB` the most a VM state takes. */
  diskFull: (what: string, image: string, freeBytes: number, ramMiB: number, qemuSaid: string) =>
    new UserError(
      ErrorCode.SnapshotFailed,
      `${what} failed: the file system holding ${image} is full (${(freeBytes / MIB).toFixed(1)} MiB ` +
        `free; the VM state of a snapshot takes up to the guest's RAM, ${ramMiB} MiB). QEMU said: ${qemuSaid}` +
        `. Free space there, or point 'stateDisk' at a file on a disk with room. The VM runs on ` +
        `and the snapshots saved before are intact.`,
    ),
  shareMounted: (what: string, hostPath: string, tag: string) =>
    new UserError(
      ErrorCode.SnapshotFailed,
      `${what} failed: QEMU cannot save a VM snapshot while the guest has the shared folder ${hostPath}` +
        ` mounted (9p tag ${tag}). Unmount it in the guest (umount its mount point) and save ` +
        `again, or launch without that entry in 'shares'.`,
    ),
  virtiofsShare: (what: string) =>
    new UserError(
      ErrorCode.SnapshotFailed,
      `${what} failed: QEMU cannot save a VM snapshot of a VM with a virtiofs share (its ` +
        `vhost-user-fs device cannot be migrated). Launch without that entry in 'shares', or share ` +
        `over 9p ("transport": "9p", with a kernel that has 9p).`,
    ),
  failed: (what: string, qemuSaid: string) => new UserError(ErrorCode.SnapshotFailed, `${what} failed: ${qemuSaid}`),
  qemuImgMissing: () =>
    new UserError(ErrorCode.QemuNotFound, 'qemu-img was not found. Install it (Debian/Ubuntu: sudo apt-get install qemu-utils).'),
};

/** QEMU's own words, as a user error that says what was being done. */
export function snapshotFailure(what: string, error: unknown): UserError {
  if (error instanceof UserError) return error;
  if (error instanceof QmpClosedError) return errors.monitorClosed(what);
  const text = errorText(error);
  // QEMU blocks migration (and so savevm) while a 9p export is mounted, and for any vhost-user-fs device.
  const share = /VirtFS export path '([^']*)' is mounted in the guest using mount_tag '([^']*)'/.exec(text);
  if (share) return snapshotErrors.shareMounted(what, share[1] ?? '', share[2] ?? '');
  if (/non-migratable device '[^']*vhost-user-fs'/.test(text)) return snapshotErrors.virtiofsShare(what);
  return snapshotErrors.failed(what, text);
}

export function requireQemuImg(config: ResolvedLaunch): string {
  const qemuImg = findQemuImg(config.qemuPath);
  if (!qemuImg) throw snapshotErrors.qemuImgMissing();
  return qemuImg;
}
