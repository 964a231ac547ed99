// What /proc says of a process's state, for the hang watch (src/adapter/hangWatch.ts).
import { readFileSync } from 'node:fs';

/** Whether the process is stopped by a signal or a tracer (/proc state T or t); false when gone or unreadable. */
export function isStopped(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'T' || state === 't';
  } catch {
    return false;
  }
}
