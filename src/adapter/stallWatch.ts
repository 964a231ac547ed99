// Watches a QEMU that should be busy (replaying towards a reverse step's target) and says when it
// stopped making progress: its CPU time (Linux /proc) has not moved for a while. QEMU 7.2's
// record/replay deadlocks now and then in a reverse run (main loop and vCPU thread both waiting on
// locks, 0% CPU: seen in the adapter tests); without this the session would wait forever.
import { readFileSync } from 'node:fs';

const CHECK_MS = 5_000;
const STALLED_CHECKS = 6;

/** utime + stime of a process in clock ticks, or undefined when it cannot be read (gone, not Linux). */
export function cpuTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}

export class StallWatch {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    /** The watched process, or how to find it (it can change: a recording replaced by its replay). */
    private readonly pid: number | undefined | (() => number | undefined),
    private readonly read: (pid: number) => number | undefined = cpuTicks,
    private readonly checkMs = CHECK_MS,
  ) {}

  /** Calls `stalled` once when the process has used no CPU for STALLED_CHECKS checks in a row. */
  start(stalled: (seconds: number) => void): void {
    this.stop();
    const pid = typeof this.pid === 'function' ? this.pid() : this.pid;
    if (pid === undefined) return;
    let last = this.read(pid);
    let still = 0;
    this.timer = setInterval(() => {
      const now = this.read(pid);
      still = now !== undefined && now === last ? still + 1 : 0;
      last = now;
      if (still >= STALLED_CHECKS) {
        this.stop();
        stalled((STALLED_CHECKS * this.checkMs) / 1000);
      }
    }, this.checkMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
