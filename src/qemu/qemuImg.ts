// qemu-img, run from an argv array (no shell): snapshots stored in an image while no VM
// has it open, the small qcow2 state disk, raw -> qcow2 conversion to a *new* file.
// Also where a launch configuration's snapshots live (its qcow2 rootfs or its state disk).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { findExecutable } from '../process/which';
import { parseQemuImgSnapshotList, type VmSnapshot } from './vmSnapshots';

const QEMU_IMG_TIMEOUT_MS = 60_000;

/** qemu-img next to the configured QEMU binary when it is there (same build), else on PATH. */
export function findQemuImg(qemuPath?: string): string | undefined {
  if (qemuPath && qemuPath.includes('/')) {
    const sibling = path.join(path.dirname(qemuPath), 'qemu-img');
    if (findExecutable(sibling)) return sibling;
  }
  return findExecutable('qemu-img');
}

export class QemuImgError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QemuImgError';
  }
}

/** Runs qemu-img; rejects with its own error text (the last stderr line). */
export function runQemuImg(qemuImg: string, args: readonly string[], timeoutMs = QEMU_IMG_TIMEOUT_MS): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(qemuImg, [...args], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      const text = stderr.trim().split('\n').pop() || error.message;
      reject(new QemuImgError(text.replace(/^qemu-img: /, '')));
    });
  });
}

/**
 * Snapshots stored in a disk image. `-U` (force share) reads it even while a QEMU has it
 * open, so the list never waits for or disturbs a running session.
 */
export async function listImageSnapshots(qemuImg: string, image: string): Promise<VmSnapshot[]> {
  return parseQemuImgSnapshotList(await runQemuImg(qemuImg, ['snapshot', '-l', '-U', '--', image]));
}

/** Deletes a snapshot from an image no QEMU has open (qemu-img takes the image's write lock). */
export async function deleteImageSnapshot(qemuImg: string, image: string, name: string): Promise<void> {
  await runQemuImg(qemuImg, ['snapshot', '-d', name, '--', image]);
}

/** Creates a small qcow2 file (and its private directory) to hold VM state for snapshots. */
export async function createStateDisk(qemuImg: string, file: string): Promise<void> {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  await createStateDiskIn(qemuImg, file);
}

/**
 * Creates the state disk only when no file has the name yet; false when it existed. Two
 * sessions attaching at once: the name is claimed with O_EXCL (an empty file), the disk is made
 * beside it and renamed over the claim, so the other never truncates it nor opens it half made
 * (it waits for the claim to be filled).
 */
export async function createStateDiskIfMissing(qemuImg: string, file: string): Promise<boolean> {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    await (await open(file, 'wx', 0o600)).close();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    if (await untilFilled(file)) return false;
    rmSync(file, { force: true }); // a claim whose adapter died before filling it
    return createStateDiskIfMissing(qemuImg, file);
  }
  const made = `${file}.${process.pid}.tmp`;
  try {
    await createStateDiskIn(qemuImg, made);
    renameSync(made, file);
  } catch (error) {
    rmSync(made, { force: true });
    rmSync(file, { force: true }); // not left as an empty claim the next attach would wait on
    throw error;
  }
  return true;
}

/** Waits (bounded: qemu-img create takes ~20 ms) while `file` is an empty claim of another session; false when it stays empty. */
async function untilFilled(file: string, withinMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  const empty = () => existsSync(file) && statSync(file).size === 0;
  while (Date.now() < deadline && empty()) await new Promise((resolve) => setTimeout(resolve, 20));
  return !empty();
}

/**
 * Where a session's state disk may go: the configuration's own, else (another running session
 * holds it) one beside it per concurrent session: NAME-2.qcow2, NAME-3.qcow2, …
 */
export function stateDiskCandidates(file: string, count = 8): string[] {
  const base = file.replace(/\.qcow2$/, '');
  return [file, ...Array.from({ length: count - 1 }, (_, index) => `${base}-${index + 2}.qcow2`)];
}

async function createStateDiskIn(qemuImg: string, file: string): Promise<void> {
  // The virtual size does not bound the VM state qcow2 stores after the disk's end.
  await runQemuImg(qemuImg, ['create', '-q', '-f', 'qcow2', '--', file, '1M']);
}

/**
 * Converts a raw image into a new qcow2 file; the source is only read. `-U` reads it even when
 * a session has it open (the copy is then what is on the disk at that moment).
 */
export async function convertToQcow2(qemuImg: string, source: string, target: string): Promise<void> {
  if (existsSync(target)) throw new QemuImgError(`${target} already exists`);
  await runQemuImg(qemuImg, ['convert', '-U', '-f', 'raw', '-O', 'qcow2', '--', source, target], 30 * 60_000);
}

/** What `qemu-img check` says of a qcow2 image: fine (leaks included), or why it must not be booted. */
export type ImageCheck = { ok: true; note?: string } | { ok: false; problem: string };

/**
 * Checks a qcow2 image's metadata read-only (`qemu-img check` without -r never writes): QEMU
 * boots an image whose refcounts are wrong and damages it further as the guest writes. Exit
 * codes (qemu-img(1)): 0 clean, 2 corrupt, 3 leaked clusters only (harmless), 1 not checked
 * (cannot be opened; or locked by a running QEMU, which the launch reports itself), 63 no check.
 */
export function checkQcow2Image(qemuImg: string, image: string): Promise<ImageCheck> {
  return new Promise((resolve) => {
    execFile(
      qemuImg,
      ['check', '--output=json', '-f', 'qcow2', '--', image],
      { timeout: QEMU_IMG_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        const errorsSeen = stderr.split('\n').filter((line) => /^ERROR /.test(line));
        const lastLine =
          stderr
            .trim()
            .split('\n')
            .pop()
            ?.replace(/^qemu-img: /, '') ?? '';
        if (code === 0 || code === 63) return resolve({ ok: true });
        if (code === 3) return resolve({ ok: true, note: 'leaked clusters (space only; no data at risk)' });
        if (code === 1 && /lock/i.test(lastLine)) return resolve({ ok: true, note: 'in use by another process, not checked' });
        if (code === 2) {
          let corruptions = errorsSeen.length;
          try {
            corruptions = (JSON.parse(stdout) as { corruptions?: number }).corruptions ?? corruptions;
          } catch {
            // no JSON: the ERROR lines are the count
          }
          const shown = errorsSeen.slice(0, 3).map((line) => line.replace(/^ERROR /, ''));
          return resolve({
            ok: false,
            problem:
              `qemu-img check found ${corruptions} corruption${corruptions === 1 ? '' : 's'} in its ` +
              `metadata (${shown.join('; ')}${errorsSeen.length > shown.length ? '; …' : ''})`,
          });
        }
        resolve({ ok: false, problem: `qemu-img check could not read it: ${lastLine || (error?.message ?? 'no reason given')}` });
      },
    );
  });
}

/** qcow2 by its magic, anything else is attached as raw. */
export async function diskFormat(file: string): Promise<'raw' | 'qcow2'> {
  const handle = await open(file, 'r');
  try {
    const magic = Buffer.alloc(4);
    await handle.read(magic, 0, 4, 0);
    return magic.toString('latin1') === 'QFI\xfb' ? 'qcow2' : 'raw';
  } finally {
    await handle.close();
  }
}

/**
 * Private directory of state disks: $KERNEL_QEMU_STATE_DIR, else
 * $XDG_STATE_HOME/kernel-qemu/state-disks (~/.local/state/kernel-qemu/state-disks).
 */
export function stateDiskDirectory(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KERNEL_QEMU_STATE_DIR) return env.KERNEL_QEMU_STATE_DIR;
  const stateHome = env.XDG_STATE_HOME || path.join(env.HOME || os.homedir(), '.local', 'state');
  return path.join(stateHome, 'kernel-qemu', 'state-disks');
}

export interface DiskInputs {
  kernel: string;
  initrd: string | undefined;
  rootfs: string | undefined;
}

/** The state disk a configuration uses when it names none: one per (kernel, initrd, rootfs). */
export function defaultStateDiskPath(directory: string, inputs: DiskInputs): string {
  const key = createHash('sha256')
    .update(JSON.stringify([inputs.kernel, inputs.initrd ?? '', inputs.rootfs ?? '']))
    .digest('hex')
    .slice(0, 16);
  return path.join(directory, `${path.basename(inputs.kernel).replace(/[^\w.-]/g, '_')}-${key}.qcow2`);
}

export interface SnapshotStorageInputs extends DiskInputs {
  rootfsFormat: 'raw' | 'qcow2' | undefined;
  /** The configuration's `stateDisk`, resolved to an absolute path. */
  stateDisk: string | undefined;
  stateDiskDirectory: string;
}

export interface SnapshotStorage {
  /** The image that holds the VM state of snapshots (what `qemu-img snapshot -l` lists), if any. */
  image: string | undefined;
  /** The state disk to attach at launch (it exists, or the configuration names it and it is created). */
  attachStateDisk: string | undefined;
  /** Where a state disk goes when the user asks for one. */
  proposedStateDisk: string;
}

/**
 * Where a launch configuration's snapshots live: a writable qcow2 rootfs holds them; otherwise
 * a state disk does: the configured one, or the default one once it exists.
 */
export function snapshotStorage(inputs: SnapshotStorageInputs): SnapshotStorage {
  const proposed = inputs.stateDisk ?? defaultStateDiskPath(inputs.stateDiskDirectory, inputs);
  if (inputs.rootfs && inputs.rootfsFormat === 'qcow2') {
    return { image: inputs.rootfs, attachStateDisk: undefined, proposedStateDisk: proposed };
  }
  const attach = inputs.stateDisk ?? (existsSync(proposed) ? proposed : undefined);
  return { image: attach, attachStateDisk: attach, proposedStateDisk: proposed };
}
