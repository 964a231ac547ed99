// A line step that an interrupt or exception took into the kernel's entry code. gdb steps a
// line one instruction at a time; when the vCPU takes an interrupt meanwhile (always possible in
// a replay, where QEMU cannot mask interrupts while stepping, and with any fault on a line), the
// next instruction is the first of the exception vector, which gdb cannot unwind: it stops there,
// and Step Over shows `vectors` instead of the next line. The kernel returns from the interrupt
// to the instruction it interrupted, with the stack pointer it had; a temporary breakpoint there,
// for that stack (that task, on whichever vCPU it resumes), runs the interrupt through, and the
// step goes on from where it was.
import { mi, type MiCommand } from '../../mi/commands';
import type { MiConnection } from '../../mi/connection';
import type { StopInfo } from '../stopReasons';
import { hex, unsigned64 } from './kernelReader';

export type StepCommand = (threadId: number) => MiCommand;

/** A line step in flight (Step Over or Step Into), to be taken up again after an interrupt. */
export interface LineStep {
  command: StepCommand;
  singleThread: boolean;
  /** The stepped vCPU's pc when the step began, when known. */
  from?: string;
}

interface Interrupted {
  pc: string;
  sp: string;
}

/** x86_64 IDT entries that push an error code: the interrupted RIP is one slot further up. */
const X86_ERROR_CODE_ENTRIES = new Set([
  'asm_exc_double_fault',
  'asm_exc_invalid_tss',
  'asm_exc_segment_not_present',
  'asm_exc_stack_segment',
  'asm_exc_general_protection',
  'asm_exc_page_fault',
  'asm_exc_alignment_check',
  'asm_exc_control_protection',
]);

async function readAddress(connection: MiConnection, threadId: number, expression: string): Promise<string> {
  const result = await connection.send(mi.evaluate(`(unsigned long)(${expression})`, { threadId, frameLevel: 0 }));
  return hex(unsigned64(result.results.str('value')));
}

/**
 * Where the interrupt at this stop will return, when the stop is at an exception entry's first
 * instruction. arm64: ELR_EL1 holds the interrupted pc, and sp is still the interrupted one (an
 * EL1h exception keeps SP_EL1). x86_64: the CPU pushed the interrupted RIP (and its RSP, three
 * slots above) on the stack.
 */
async function interruptedAt(connection: MiConnection, stop: StopInfo): Promise<Interrupted | undefined> {
  const name = stop.frame?.optStr('func');
  const threadId = stop.threadId;
  if (name === undefined || threadId === undefined) return undefined;
  const read = (expression: string) => readAddress(connection, threadId, expression);
  if (name === 'vectors') {
    // Past a vector's first instruction the entry code has moved sp already.
    const pc = stop.frame?.optStr('addr');
    if (pc === undefined || (BigInt(pc) - BigInt(await read('&vectors'))) % 0x80n !== 0n) return undefined;
    return { pc: await read('$ELR_EL1'), sp: await read('$sp') };
  }
  if (!/^(asm_(exc|sysvec|common_interrupt)|irq_entries_start|spurious_entries_start)/.test(name)) return undefined;
  const slot = X86_ERROR_CODE_ENTRIES.has(name) ? '$rsp + 8' : '$rsp';
  return { pc: await read(`*(unsigned long *)(${slot})`), sp: await read(`*(unsigned long *)(${slot} + 24)`) };
}

export class InterruptedStep {
  private lineStep: LineStep | undefined;
  /** The temporary breakpoint where the interrupt returns, while the interrupt runs. */
  private returnBreakpoint: string | undefined;
  private interrupted: Interrupted | undefined;

  constructor(
    private readonly connection: MiConnection,
    /** Sends a command that resumes the target, marking it running. */
    private readonly resume: (command: MiCommand) => Promise<void>,
  ) {}

  /** The next resume is this line step (undefined: anything else, which is never taken up again). */
  watch(lineStep: LineStep | undefined): void {
    this.lineStep = lineStep;
    this.returnBreakpoint = undefined;
    this.interrupted = undefined;
  }

  /** A stop was shown: the step ended there (in the interrupt, when a breakpoint or a pause stopped it: its return breakpoint goes). */
  stepEnded(): void {
    const waitingFor = this.returnBreakpoint;
    this.lineStep = undefined;
    this.returnBreakpoint = undefined;
    if (waitingFor !== undefined) void this.connection.send(mi.breakDelete([waitingFor])).catch(() => undefined);
  }

  /**
   * True when `stop` is not the step's end but an interrupt in its way (run through now), or the
   * interrupt's return (the step goes on). Other stops while the interrupt runs are the run
   * control's (a logpoint runs on; a breakpoint shown ends the step: stepEnded).
   */
  async carriesOn(stop: StopInfo): Promise<boolean> {
    const lineStep = this.lineStep;
    if (!lineStep) return false;
    if (this.returnBreakpoint !== undefined) {
      if (stop.threadId === undefined || !(await this.isReturn(stop, stop.threadId, lineStep))) return false;
      if (stop.breakpointNumber !== this.returnBreakpoint)
        await this.connection.send(mi.breakDelete([this.returnBreakpoint])).catch(() => undefined);
      this.returnBreakpoint = undefined;
      await this.resume(lineStep.command(stop.threadId));
      return true;
    }
    if (stop.gdbReason !== 'end-stepping-range') return false;
    const interrupted = await interruptedAt(this.connection, stop).catch(() => undefined);
    if (!interrupted) return false;
    const inserted = await this.connection
      .send(mi.breakInsert({ location: `*${interrupted.pc}`, temporary: true, condition: `$sp == ${interrupted.sp}` }))
      .catch(() => undefined);
    if (!inserted) return false;
    this.returnBreakpoint = inserted.results.tuple('bkpt').str('number');
    this.interrupted = interrupted;
    await this.resume(lineStep.singleThread && stop.threadId !== undefined ? mi.execContinueThread(stop.threadId) : mi.execContinue());
    return true;
  }

  /**
   * Whether `stop` is the interrupt's return. An interrupt taken before the step's first
   * instruction returns to where the step began: from a breakpoint, gdb then reports the user's
   * breakpoint there (the lower number) rather than ours; the same stack tells it from another
   * task reaching that breakpoint. Elsewhere a user's breakpoint at the interrupted instruction
   * is one the step would have stopped at anyway: shown.
   */
  private async isReturn(stop: StopInfo, threadId: number, lineStep: LineStep): Promise<boolean> {
    if (stop.reason !== 'breakpoint') return false;
    if (stop.breakpointNumber === this.returnBreakpoint) return true;
    const interrupted = this.interrupted;
    const pc = stop.frame?.optStr('addr');
    if (interrupted === undefined || pc === undefined || BigInt(pc) !== BigInt(interrupted.pc) || lineStep.from === undefined) return false;
    if (BigInt(lineStep.from) !== BigInt(pc)) return false;
    const sp = await readAddress(this.connection, threadId, '$sp').catch(() => undefined);
    return sp !== undefined && BigInt(sp) === BigInt(interrupted.sp);
  }
}
