// gdb's scheduler-locking decides whether a resume of one thread lets the others run; QEMU's
// stub honours it per vCPU (vCont with one thread's action). Switched only when it changes.
import { mi } from '../mi/commands';
import type { MiConnection } from '../mi/connection';

export class SchedulerLock {
  private locked = false;

  constructor(private readonly connection: MiConnection) {}

  /** On: only the resumed vCPU runs (a single-thread continue or step); off: all of them. */
  async set(on: boolean): Promise<void> {
    if (on === this.locked) return;
    await this.connection.send(mi.gdbSet('scheduler-locking', on ? 'on' : 'off'));
    this.locked = on;
  }
}
