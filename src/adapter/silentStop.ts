// The one stop at a time that is not shown: gdb was made to stop for the adapter's own work
// (a breakpoint change, a VM snapshot, a restart) or to re-report where the target is.
import type { StopInfo } from './stopReasons';

export class SilentStop {
  private take: ((stop: StopInfo) => void) | undefined;

  /** Whether the next *stopped is to be taken in silence. */
  get isWaiting(): boolean {
    return this.take !== undefined;
  }

  /** The next stop, not reported; cancel when the stop will not come (the interrupt failed). */
  next(): { stopped: Promise<StopInfo>; cancel: () => void } {
    let cancel = () => undefined as void;
    const stopped = new Promise<StopInfo>((resolve, reject) => {
      this.take = resolve;
      cancel = () => {
        if (this.take === resolve) this.take = undefined;
        reject(new Error('no stop came'));
      };
    });
    stopped.catch(() => undefined);
    return { stopped, cancel };
  }

  /** Hands `stop` to the waiting caller; false when nobody waits (the stop is shown). */
  claim(stop: StopInfo): boolean {
    const take = this.take;
    if (!take) return false;
    this.take = undefined;
    take(stop);
    return true;
  }
}
