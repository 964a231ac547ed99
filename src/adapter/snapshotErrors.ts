// The errors of snapshot work, shared by the request handlers (snapshots.ts) and a launch that
// starts from a snapshot (snapshotStart.ts).
import { findQemuImg } from '../qemu/qemuImg';
import { QmpClosedError } from '../qemu/qmp';
import type { ResolvedLaunch } from './configCheck';
import { ErrorCode, errors, errorText, UserError } from './errors';

/** QEMU's own words, as a user error that says what was being done. */
export function snapshotFailure(what: string, error: unknown): UserError {
  if (error instanceof UserError) return error;
  if (error instanceof QmpClosedError) return errors.monitorClosed(what);
  const text = errorText(error);
  // QEMU blocks migration (and so savevm) while a 9p export is mounted, and for any vhost-user-fs device.
  const share = /VirtFS export path '([^']*)' is mounted in the guest using mount_tag '([^']*)'/.exec(text);
  if (share) {
    return new UserError(
      ErrorCode.SnapshotFailed,
      `${what} failed: QEMU cannot save a VM snapshot while the guest has the shared folder ${share[1]}` +
        ` mounted (9p tag ${share[2]}). Unmount it in the guest (umount its mount point) and save ` +
        `again, or launch without that entry in 'shares'.`,
    );
  }
  if (/non-migratable device '[^']*vhost-user-fs'/.test(text)) {
    return new UserError(
      ErrorCode.SnapshotFailed,
      `${what} failed: QEMU cannot save a VM snapshot of a VM with a virtiofs share (its ` +
        `vhost-user-fs device cannot be migrated). Launch without that entry in 'shares', or share ` +
        `over 9p ("transport": "9p", with a kernel that has 9p).`,
    );
  }
  return new UserError(ErrorCode.SnapshotFailed, `${what} failed: ${text}`);
}

export function requireQemuImg(config: ResolvedLaunch): string {
  const qemuImg = findQemuImg(config.qemuPath);
  if (!qemuImg)
    throw new UserError(ErrorCode.QemuNotFound, 'qemu-img was not found. Install it (Debian/Ubuntu: sudo apt-get install qemu-utils).');
  return qemuImg;
}
