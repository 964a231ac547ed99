// gdb continues or steps from a breakpoint by stepping the stopped vCPU over it first. Now and
// then that step is lost (seen in CI on both arches, QEMU 7.2 and gdb 13, never on demand; a
// Step Over from vfs_read once in ~50 in the snapshot stress): gdb reports the same breakpoint
// again, hit count one higher, and the kernel has run nothing. The guard notes the stopped
// vCPU's registers before a continue or step from a breakpoint; when the next stop is the same
// breakpoint on the same vCPU with every register as it was, no instruction ran, and the
// resume is run once more instead of showing a stop that never happened (or a Step Over that
// did not move).
//
// A step cannot meet its own breakpoint again on the same stack. A continue can, with every
// register alike: busybox ash reads a typed line a byte at a time, each read(0, &c, 1) entering
// vfs_read from the same stack with the same arguments (the snapshot stress met one in ~200
// cycles). What tells them apart is the stack below sp: the calls made between two real hits
// (the read itself, the echo's write) leave their locals there, and a lost step leaves it as it
// was. So a continue also notes those bytes, and only a stop that left both alike is retried.
import { mi } from '../mi/commands';
import type { MiConnection } from '../mi/connection';
import type { StopInfo } from './stopReasons';

/** How much of the stack below sp a continue compares: the dead frames of the calls just made. */
const DEAD_STACK_BYTES = 512;

export type GuardedRun = 'continue' | 'step';

interface Armed {
  threadId: number;
  pc: string;
  breakpointNumber: string;
  registers: string;
  /** For a continue: the bytes below sp. */
  deadStack?: string;
}

/** The stop's registers as gdb prints them (hex, every register the stub has). */
async function registersAt(connection: MiConnection, threadId: number): Promise<string> {
  const result = await connection.send(mi.listRegisterValues({ threadId, frameLevel: 0 }));
  return result.results
    .tuples('register-values')
    .map((register) => `${register.str('number')}=${register.optStr('value') ?? '?'}`)
    .join(' ');
}

async function deadStackAt(connection: MiConnection, threadId: number): Promise<string> {
  const result = await connection.send(mi.readMemoryBytes(`$sp - ${DEAD_STACK_BYTES}`, DEAD_STACK_BYTES, 0, { threadId, frameLevel: 0 }));
  return result.results
    .tuples('memory')
    .map((block) => block.str('contents'))
    .join('');
}

export class StepOverGuard {
  private armed: Armed | undefined;
  /** One retry per continue: a second lost step in a row is shown as it is. */
  private retried = false;

  constructor(private readonly connection: MiConnection) {}

  /** Before a forward continue or step: note where the last stop was, when it was at a breakpoint. */
  async beforeContinue(lastStop: StopInfo | undefined, retry = false, run: GuardedRun = 'continue'): Promise<void> {
    this.armed = undefined;
    this.retried = retry;
    const pc = lastStop?.frame?.optStr('addr');
    if (lastStop?.reason !== 'breakpoint' || lastStop.threadId === undefined || lastStop.breakpointNumber === undefined || pc === undefined)
      return;
    const { threadId, breakpointNumber } = lastStop;
    // Both reads go to gdb at once: one round trip before the resume, not two.
    const [registers, deadStack] = await Promise.all([
      registersAt(this.connection, threadId).catch(() => undefined),
      run === 'continue' ? deadStackAt(this.connection, threadId).catch(() => undefined) : undefined,
    ]);
    if (registers === undefined) return;
    if (run === 'step') this.armed = { threadId, pc, breakpointNumber, registers };
    // Unreadable, a continue's second hit could not be told from a lost step: it is shown.
    else if (deadStack !== undefined) this.armed = { threadId, pc, breakpointNumber, registers, deadStack };
  }

  /** Whether `stop` is the armed breakpoint again with nothing run: the step over it was lost. */
  async isLostStepOver(stop: StopInfo): Promise<boolean> {
    const armed = this.armed;
    this.armed = undefined;
    if (!armed || this.retried || stop.reason !== 'breakpoint') return false;
    if (stop.threadId !== armed.threadId || stop.breakpointNumber !== armed.breakpointNumber || stop.frame?.optStr('addr') !== armed.pc)
      return false;
    const registers = await registersAt(this.connection, armed.threadId).catch(() => undefined);
    if (registers !== armed.registers) return false;
    if (armed.deadStack === undefined) return true;
    const deadStack = await deadStackAt(this.connection, armed.threadId).catch(() => undefined);
    return deadStack === armed.deadStack;
  }

  /** A resume that is not watched (reverse execution) ends the watch. Any other resume ends it at its stop. */
  disarm(): void {
    this.armed = undefined;
  }
}
