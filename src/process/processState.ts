// What /proc says of a process's state: for the hang watch (src/adapter/hangWatch.ts) and a QEMU stopped while it starts.
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

/** A watch for a process that stays stopped (isStopped) for `forMs`: `stopped` resolves then. */
export interface StoppedWatch {
  stopped: Promise<void>;
  readonly seen: boolean;
  cancel(): void;
}

export function watchForStopped(pid: number, forMs: number, checkMs = 250): StoppedWatch {
  let since: number | undefined;
  let seen = false;
  let timer: NodeJS.Timeout | undefined;
  const stopped = new Promise<void>((resolve) => {
    timer = setInterval(() => {
      if (!isStopped(pid)) since = undefined;
      else if ((since ??= Date.now()) + forMs <= Date.now()) {
        seen = true;
        clearInterval(timer);
        resolve();
      }
    }, checkMs);
    timer.unref();
  });
  return {
    stopped,
    get seen() {
      return seen;
    },
    cancel: () => clearInterval(timer),
  };
}
