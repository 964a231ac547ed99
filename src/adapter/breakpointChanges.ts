// Breakpoint changes while the kernel runs, and the resumes that wait for them. gdb changes
// breakpoints only while the target is stopped: a change halts it silently, applies, resumes.
import type { RunControl } from './runControl';

export class BreakpointChanges {
  private readonly inProgress = new Set<Promise<unknown>>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly runControl: () => RunControl) {}

  /**
   * A breakpoint change, which a resume waits for: VS Code sends setFunctionBreakpoints and,
   * when F5 follows quickly, continue without waiting for the answer. Had continue run first,
   * gdb would get -break-insert while the target runs and refuse it (an unverified breakpoint
   * that never hits; seen in test/ui).
   */
  change<T>(work: () => Promise<T>): Promise<T> {
    // One at a time: two halting a running kernel at once would both interrupt it, and one stop comes.
    const change = this.queue.then(() => this.interrupting(work));
    this.queue = change.catch(() => undefined);
    this.inProgress.add(change);
    const settled = () => this.inProgress.delete(change);
    change.then(settled, settled);
    return change;
  }

  /** Resolves when every change sent so far is applied or refused. */
  async done(): Promise<void> {
    await Promise.allSettled([...this.inProgress]);
  }

  private async interrupting<T>(work: () => Promise<T>): Promise<T> {
    const run = this.runControl();
    // Stopped without VS Code seeing a stop, changed, resumed: to the user the kernel never paused.
    const wasRunning = await run.haltSilently();
    try {
      return await work();
    } finally {
      if (wasRunning) await run.resumeAfterSilentHalt().catch(() => undefined);
    }
  }
}
