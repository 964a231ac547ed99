// Processes by pid, from /proc: the descendants of a process, the session processes that
// carry a test's marker wherever they ended up (a QEMU whose parent died is reparented to
// init, out of any tree), and killing a tree.
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  comm: string;
  cmdline: string;
}

export function listProcesses(): ProcessInfo[] {
  const list: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue; // exited, waiting for its parent
      const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      list.push({ pid: Number(entry), ppid: Number(fields[1]), comm, cmdline });
    } catch {
      // exited while we looked
    }
  }
  return list;
}

/** Every live process below `root` (not `root` itself). */
export function descendants(root: number, all: readonly ProcessInfo[] = listProcesses()): ProcessInfo[] {
  const below = new Set([root]);
  const found: ProcessInfo[] = [];
  // Parents may have higher pids than children (pid reuse): iterate to a fixed point.
  for (let grew = true; grew;) {
    grew = false;
    for (const p of all) {
      if (!below.has(p.pid) && below.has(p.ppid)) {
        below.add(p.pid);
        found.push(p);
        grew = true;
      }
    }
  }
  return found;
}

/** A kernel-qemu session's processes: QEMU, gdb and virtiofsd (comm is cut at 15 characters). */
export function isSessionProcess(p: ProcessInfo): boolean {
  return /^qemu-system-/.test(p.comm) || /^gdb(-multiarch)?$/.test(p.comm) || p.comm === 'virtiofsd';
}

/** Set in code-server's environment to the test's temp dir: every process it starts inherits it. */
export const INSTANCE_VARIABLE = 'KERNEL_QEMU_UI_INSTANCE';

/**
 * Session processes anywhere on the machine that belong to the test whose temp dir is `marker`:
 * their environment holds INSTANCE_VARIABLE=marker (the adapter starts QEMU, gdb and
 * virtiofsd with the extension host's environment), or their command line names a path in the dir.
 * Unlike `descendants`, this finds a process that outlived its parent.
 */
export function markedSessionProcesses(marker: string, all: readonly ProcessInfo[] = listProcesses()): ProcessInfo[] {
  const entry = `${INSTANCE_VARIABLE}=${marker}`;
  return all.filter((p) => isSessionProcess(p) && (p.cmdline.includes(`${marker}/`) || environment(p.pid).includes(entry)));
}

function environment(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  } catch {
    return []; // gone, or not ours to read
  }
}

export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Signals `pid` and every process below it (children first found, then the root). */
export async function killTree(pid: number, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
  for (const target of [...descendants(pid).map((p) => p.pid), pid]) {
    try {
      process.kill(target, signal);
    } catch {
      // already gone
    }
  }
}

/** Waits (bounded) until none of `pids` is alive; returns those still alive. */
export async function waitGone(pids: readonly number[], withinMs: number): Promise<number[]> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const left = pids.filter(alive);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
