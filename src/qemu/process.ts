// A running QEMU: started paused from an argv array, ready once QMP answers, its serial
// console streamed out, and torn down (QMP quit, then the process tree) however the session ends.
import { ManagedProcess } from '../process/managedProcess';
import { watchForStopped } from '../process/processState';
import { buildQemuArgs, type QemuPlan } from './args';
import { QmpClient } from './qmp';
import { SerialPipe } from './serialPipe';

const READY_TIMEOUT_MS = 15_000;
/** A QEMU stopped (SIGSTOP, Ctrl+Z) this long before QMP answers is given up on: it answers nothing until resumed. */
const STOPPED_GIVE_UP_MS = 2_000;

export class QemuInstance {
  private constructor(
    readonly process: ManagedProcess,
    readonly qmp: QmpClient,
    readonly argv: readonly string[],
    private readonly serial: SerialPipe | undefined,
  ) {}

  /** `serialPipe`: where the console's FIFOs go (the session's private directory); QEMU's stdio if they cannot be made. */
  static async start(qemuPath: string, plan: QemuPlan, cwd: string | undefined, serialPipe?: string): Promise<QemuInstance> {
    const serial = serialPipe ? SerialPipe.create(serialPipe) : undefined;
    const argv = buildQemuArgs({ ...plan, ...(serial ? { serialPipe: serial.basePath } : {}) });
    const process = ManagedProcess.start('QEMU', qemuPath, argv, { cwd });
    const stall = process.pid === undefined ? undefined : watchForStopped(process.pid, STOPPED_GIVE_UP_MS);
    try {
      const gaveUp = Promise.race([process.exited, ...(stall ? [stall.stopped] : [])]);
      const qmp = await QmpClient.connect(plan.qmpSocket, READY_TIMEOUT_MS, gaveUp);
      return new QemuInstance(process, qmp, argv, serial);
    } catch (error) {
      const diedOnItsOwn = process.hasExited; // after kill() it has exited too, by our hand
      await process.kill();
      serial?.close();
      const reason = diedOnItsOwn
        ? process.describeExit()
        : stall?.seen
          ? `it was stopped (pid ${process.pid}: SIGSTOP, or Ctrl+Z in a terminal) before its monitor (QMP) answered. Start the session again, with QEMU left running.`
          : `QMP did not answer within ${READY_TIMEOUT_MS / 1000} s (${String(error)})`;
      throw new Error(`QEMU did not start: ${reason}`);
    } finally {
      stall?.cancel();
    }
  }

  onSerialOutput(listener: (text: string) => void): void {
    this.serial?.onOutput(listener);
    this.process.onStdoutData(listener); // the console without FIFOs; otherwise anything QEMU itself prints there
  }

  sendSerialInput(text: string): void {
    if (this.process.hasExited) throw new Error('QEMU has exited');
    if (this.serial) this.serial.write(text);
    else this.process.write(text);
  }

  /** `graceMs`: how long QEMU may take to quit (a recording writes its log's end) before it is killed. */
  async stop(graceMs = 1000): Promise<void> {
    // QMP closed under a running QEMU: no quit can be asked, so straight to the signals.
    if (!this.process.hasExited && !this.qmp.isClosed) {
      const quit = this.qmp.execute('quit').catch(() => undefined);
      const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), graceMs).unref());
      await Promise.race([quit.then(() => this.process.exited), timer]);
    }
    await this.process.kill();
    this.qmp.close();
    this.serial?.close();
  }
}
