// Says when a snapshot save failed because the disk holding the VM state is full: QEMU 7.2 only
// says "Error while writing VM state: Input/output error" (a qcow2 state disk on a full tmpfs,
// seen in test/adapter/fullDisk.test.ts), which names neither the disk nor the fix.
import { statfs } from 'node:fs/promises';
import * as path from 'node:path';
import { errorText, type UserError } from './errors';
import { snapshotErrors } from './snapshotErrors';

const MIB = 1024 * 1024;
/** When the guest's RAM size is unknown (an attached VM): a VM state smaller than this is rare. */
const UNKNOWN_RAM_MIB = 64;

/** The full-disk error of a failed save, or undefined when the failure was something else. */
export async function fullDiskError(
  what: string,
  image: string,
  guestMiB: number | undefined,
  error: unknown,
): Promise<UserError | undefined> {
  const text = errorText(error);
  if (!/No space left on device|Input\/output error/.test(text)) return undefined;
  let free: number;
  try {
    const fs = await statfs(path.dirname(image));
    free = Number(fs.bavail) * Number(fs.bsize);
  } catch {
    return undefined;
  }
  const ramMiB = guestMiB ?? UNKNOWN_RAM_MIB;
  if (free >= ramMiB * MIB) return undefined;
  return snapshotErrors.diskFull(what, image, free, ramMiB, text);
}
