// A session's private runtime directory (os.tmpdir()/kernel-qemu-XXXXXX, mode 0700) holds the
// gdb stub's and QMP's unix sockets. A session removes its own when it ends; an adapter that
// is SIGKILLed cannot (its QEMU and gdb die by PDEATHSIG, the directory stays), so every new
// one first sweeps those whose owner is gone. The owner is recorded as pid + start time, so
// a recycled pid does not keep a dead session's directory alive.
import { chmodSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const RUNTIME_DIR_PREFIX = 'kernel-qemu-';
const RUNTIME_DIR_NAME = /^kernel-qemu-[A-Za-z0-9]{6}$/;
const OWNER_FILE = 'owner';
/** A directory with no owner file (an older adapter's, or one being created) is left alone this long. */
const OWNERLESS_GRACE_MS = 10 * 60_000;

/** Creates a fresh private runtime directory owned by this process, after sweeping stale ones. */
export function createRuntimeDir(base = os.tmpdir()): string {
  sweepStaleRuntimeDirs(base);
  const dir = mkdtempSync(path.join(base, RUNTIME_DIR_PREFIX)); // mkdtemp: mode 0700
  writeFileSync(path.join(dir, OWNER_FILE), `${ownerStamp(process.pid)}\n`, { mode: 0o600 });
  return dir;
}

/**
 * Unix sockets in the directory become 0600 (QEMU makes them with the umask's mode): only the
 * user connects, even if the directory were opened up.
 */
export function protectSockets(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isSocket()) chmodSync(path.join(dir, entry.name), 0o600);
  }
}

/** Removes this user's runtime directories whose owning process is gone; returns what it removed. */
export function sweepStaleRuntimeDirs(base = os.tmpdir(), now = Date.now()): string[] {
  const removed: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(base);
  } catch {
    return removed;
  }
  const uid = process.getuid?.();
  for (const name of entries) {
    if (!RUNTIME_DIR_NAME.test(name)) continue;
    const dir = path.join(base, name);
    try {
      const info = lstatSync(dir);
      // Only real directories of this user: never follow a link someone else put in a shared /tmp.
      if (!info.isDirectory() || (uid !== undefined && info.uid !== uid)) continue;
      if (!isStale(dir, info.mtimeMs, now)) continue;
      rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      // raced with its owner removing it, or not ours to remove
    }
  }
  return removed;
}

function isStale(dir: string, mtimeMs: number, now: number): boolean {
  let stamp: string;
  try {
    stamp = readFileSync(path.join(dir, OWNER_FILE), 'utf8').trim();
  } catch {
    return now - mtimeMs > OWNERLESS_GRACE_MS && !hasListeningSocket(dir);
  }
  const pid = Number(stamp.split(' ')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return true;
  return ownerStamp(pid) !== stamp;
}

/** "pid starttime" (starttime from /proc, so a reused pid differs); "pid" alone where /proc is missing; "" when the process is gone. */
function ownerStamp(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z') return '';
    return `${pid} ${fields[19]}`; // field 22 of stat: start time in clock ticks since boot
  } catch {
    if (process.platform === 'linux') return '';
  }
  try {
    process.kill(pid, 0);
    return `${pid}`;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? `${pid}` : '';
  }
}

/** Whether a live process listens on one of the directory's sockets (/proc/net/unix lists bound paths). */
function hasListeningSocket(dir: string): boolean {
  let table: string;
  try {
    table = readFileSync('/proc/net/unix', 'utf8');
  } catch {
    return true; // cannot tell: keep it
  }
  for (const entry of readdirSync(dir)) {
    const socket = path.join(dir, entry);
    try {
      if (statSync(socket).isSocket() && table.includes(` ${socket}\n`)) return true;
    } catch {
      // gone meanwhile
    }
  }
  return false;
}
