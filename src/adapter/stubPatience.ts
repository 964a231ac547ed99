// While QEMU is stopped (SIGSTOP, Ctrl+Z), gdb is told to wait for its stub instead of timing
// out: with gdb's 2 s `remotetimeout` it resends the packet, and once QEMU runs again the extra
// answers desynchronise it ("Invalid hex digit 116") and the next continue stops at once with a
// SIGINT nobody sent (seen in test/adapter/toolFaults.test.ts). The requests themselves are
// bounded by hangWatch.ts; the old timeout comes back when QEMU runs. Only sent while gdb has
// nothing pending: a gdb blocked on the stub reads no command.
import { mi } from '../mi/commands';
import type { MiConnection } from '../mi/connection';
import { isStopped } from '../process/processState';

const CHECK_MS = 500;
/** Long enough for any pause of QEMU; the adapter's own requests are failed after 2 s anyway. */
const PATIENT_SECONDS = '3600';

export class StubPatience {
  private timer: NodeJS.Timeout | undefined;
  /** gdb's remotetimeout before it was raised; undefined while it is not. */
  private saved: string | undefined;
  private switching = false;

  constructor(
    private readonly mi: MiConnection,
    private readonly qemuPid: () => number | undefined,
    private readonly stopped: (pid: number) => boolean = isStopped,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.check(), CHECK_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One look (the timer's work; tests call it directly). */
  async check(): Promise<void> {
    const pid = this.qemuPid();
    if (pid === undefined || this.switching || this.mi.isClosed || this.mi.pendingForMs() !== undefined) return;
    const qemuStopped = this.stopped(pid);
    if (qemuStopped === (this.saved !== undefined)) return;
    this.switching = true;
    try {
      if (qemuStopped) {
        const shown = await this.mi.send(mi.gdbShow('remotetimeout'));
        const saved = shown.results.optStr('value') ?? '2';
        await this.mi.send(mi.gdbSet('remotetimeout', PATIENT_SECONDS));
        this.saved = saved;
      } else {
        await this.mi.send(mi.gdbSet('remotetimeout', this.saved ?? '2'));
        this.saved = undefined;
      }
    } catch {
      // gdb went away or is stopped itself: the next look tries again
    } finally {
      this.switching = false;
    }
  }
}
