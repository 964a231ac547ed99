// Run control: continue, step, pause and what a stop means. Stops the user did not ask
// to see (the boot-phase entry breakpoint when stopAtEntry is off, logpoints) are
// handled here and never reach VS Code.
import { EventEmitter } from 'node:events';
import { mi, type MiCommand } from '../mi/commands';
import type { MiConnection } from '../mi/connection';
import type { AsyncRecord } from '../mi/records';
import { BootPhase } from './bootPhase';
import type { BreakpointService } from './breakpoints';
import type { KaslrDetector } from './kernel/kaslr';
import type { ModuleTracker } from './kernel/modules';
import type { KernelExceptions } from './kernel/kernelExceptions';
import { errors, errorText } from './errors';
import { formatLogMessage } from './logpointMessage';
import { InterruptedStep, type LineStep } from './kernel/interruptedStep';
import { SchedulerLock } from './schedulerLock';
import { SilentStop } from './silentStop';
import { instructionStepFor, lineStepOf, STEP_COMMANDS, type StepKind } from './stepCommands';
import { StepOverGuard } from './stepOverGuard';
import type { RunControlEvents } from './runEvents';
import { mapStop, type StopInfo } from './stopReasons';

export type { StepKind } from './stepCommands';

/** How long work that halts the kernel waits for the stop of a pause already on its way. */
const PAUSE_STOP_MS = 10_000;

/** What a forward resume is, for the guards that run before it. */
export type ForwardRun = 'continue' | 'step';

export class RunControl extends EventEmitter<RunControlEvents> {
  private running = false;
  private pauseRequested = false;
  /** When the pause still waiting for its stop was sent (hangWatch.ts: a stopped QEMU never stops). */
  private pauseSentAt: number | undefined;
  private lastThreadId = 1;
  /** Takes the next *stopped in silence (see swallowNextStop). */
  private readonly silent = new SilentStop();

  /** Until start_kernel, and the internal breakpoints of a running kernel. */
  readonly boot: BootPhase;
  /** Work owed to gdb before the target runs again (see resyncBeforeNextResume). */
  private pendingResync: (() => Promise<void>) | undefined;
  /** The last *stopped, shown or not: a continue from a breakpoint is watched by the guard. */
  private lastStop: StopInfo | undefined;
  /** The last forward resume from a breakpoint, run again once when its step over the breakpoint was lost. */
  private again: { what: string; run: () => Promise<void> } | undefined;
  private readonly stepOver: StepOverGuard;
  private readonly scheduler: SchedulerLock;
  private readonly interrupts: InterruptedStep;

  constructor(
    private readonly mi: MiConnection,
    private readonly breakpoints: BreakpointService,
    modules?: ModuleTracker,
    private readonly exceptions?: KernelExceptions,
  ) {
    super();
    this.boot = new BootPhase(mi, this, breakpoints, modules, exceptions);
    this.stepOver = new StepOverGuard(mi);
    this.scheduler = new SchedulerLock(mi);
    this.interrupts = new InterruptedStep(mi, (command) => this.sendResume(command));
    this.on('stopped', () => this.interrupts.stepEnded());
    mi.on('exec', (record) => {
      this.onExec(record).catch((error: unknown) => this.stopHandlingFailed(record, error));
    });
  }

  /** A stop whose handling failed part way (a read or change refused) is still shown as gdb said: the session must not look running. */
  private stopHandlingFailed(record: AsyncRecord, error: unknown): void {
    this.emit('output', `kernel-qemu could not finish handling a stop (${errorText(error)}); it is shown as gdb reported it.\n`);
    if (record.asyncClass === 'stopped' && !this.running) this.emit('stopped', mapStop(record.results, false));
  }

  /** configurationDone came: from now on the user's requests may run the target. */
  private configured = false;

  markConfigured(): void {
    this.configured = true;
  }

  get isConfigured(): boolean {
    return this.configured;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** The thread of the last stop: the one VS Code shows first. */
  get currentThreadId(): number {
    return this.lastThreadId;
  }

  /**
   * The VM was reset (restart): the boot phase again (bootPhase.ts); a halt for the old run's
   * work is over.
   */
  rebooted(stopAtEntry: boolean, kaslr?: { detector: KaslrDetector; program: string }): Promise<void> {
    this.silentlyHalted = false;
    return this.boot.rebooted(stopAtEntry, kaslr);
  }

  private forwardGuard: ((run: ForwardRun) => Promise<void>) | undefined;

  /** Runs before every forward continue or step; its refusal fails the run (a replay at the end of its recording: recordingEnd.ts). */
  guardForwardRuns(guard: (run: ForwardRun) => Promise<void>): void {
    this.forwardGuard = guard;
  }

  /** Every vCPU runs, or with `onlyThread` that one alone (the others stay stopped). */
  continue(onlyThread?: number, afterLostStepOver = false): Promise<void> {
    return this.oneResumeAtATime(async () => {
      if (this.running) return; // another resume went first: it runs, as asked
      await this.boot.arming;
      await this.settleResync();
      await this.forwardGuard?.('continue');
      await this.scheduler.set(onlyThread !== undefined);
      await this.stepOver.beforeContinue(this.lastStop, afterLostStepOver);
      this.again = { what: 'continuing', run: () => this.continue(onlyThread, true) };
      await this.sendResume(onlyThread === undefined ? mi.execContinue() : mi.execContinueThread(onlyThread));
    });
  }

  /** Resumes go to gdb one by one, each deciding in its turn (a second at once is refused by gdb). */
  private resumes: Promise<void> = Promise.resolve();

  private oneResumeAtATime(work: () => Promise<void>): Promise<void> {
    const turn = this.resumes.then(work);
    this.resumes = turn.catch(() => undefined);
    return turn;
  }

  async step(kind: StepKind, threadId: number, singleThread = false): Promise<void> {
    await this.forwardGuard?.('step');
    const from = this.lastStop?.threadId === threadId ? this.lastStop.frame?.optStr('addr') : undefined;
    try {
      await this.forwardStep(STEP_COMMANDS[kind](threadId), singleThread, false, lineStepOf(kind, singleThread, from));
    } catch (error) {
      // No line information here (assembly, or no symbol at all): one instruction, as gdb's nexti/stepi.
      const instead = instructionStepFor(kind, errorText(error));
      if (!instead) throw error;
      this.emit(
        'output',
        `No line information at ${from ?? 'this address'}: ${kind === 'next' ? 'Step Over' : 'Step Into'} went one instruction.\n`,
      );
      await this.forwardStep(STEP_COMMANDS[instead](threadId), singleThread, false);
    }
  }

  /** A step from a breakpoint is watched as a continue is: gdb steps over the breakpoint first, and that step can be lost too. */
  private forwardStep(command: MiCommand, singleThread: boolean, afterLostStepOver: boolean, lineStep?: LineStep): Promise<void> {
    return this.oneResumeAtATime(async () => {
      if (this.running) throw errors.kernelRunning();
      await this.boot.arming;
      await this.settleResync();
      await this.scheduler.set(singleThread);
      await this.stepOver.beforeContinue(this.lastStop, afterLostStepOver, 'step');
      this.interrupts.watch(lineStep);
      this.again = { what: 'stepping again', run: () => this.forwardStep(command, singleThread, true, lineStep) };
      await this.sendResume(command);
    });
  }

  /** Runs `command`, which resumes the target (a reverse step or continue), unwatched. */
  resume(command: MiCommand, singleThread = false): Promise<void> {
    return this.oneResumeAtATime(async () => {
      if (this.running) throw errors.kernelRunning();
      await this.boot.arming;
      await this.settleResync();
      await this.scheduler.set(singleThread);
      this.stepOver.disarm();
      this.again = undefined;
      await this.sendResume(command);
    });
  }

  async pause(): Promise<void> {
    // Halted (or halting) for a breakpoint change or a snapshot: its resume shows this pause instead.
    if (this.silentlyHalted) {
      this.pauseRequested = true;
      return;
    }
    if (!this.running) return;
    this.pauseRequested = true;
    this.pauseSentAt = Date.now();
    await this.mi.send(mi.execInterrupt());
  }

  /** How long a pause has waited for its stop (gdb answers -exec-interrupt at once; the stop is QEMU's). */
  pauseWaitingMs(now = Date.now()): number | undefined {
    return this.pauseSentAt === undefined ? undefined : now - this.pauseSentAt;
  }

  /** The pause was reported as stuck: stop timing it (its stop, when it comes, is still a pause). */
  forgetPauseWait(): void {
    this.pauseSentAt = undefined;
  }

  /** The next *stopped is not reported (silentStop.ts). */
  swallowNextStop(): { stopped: Promise<StopInfo>; cancel: () => void } {
    return this.silent.next();
  }

  /**
   * The target's state was replaced under a stopped gdb and gdb still has to be brought in
   * line before it resumes it (a VM snapshot load: see snapshots.ts). `resync` runs once,
   * before the next continue, step or Debug Console command, whichever comes first.
   */
  resyncBeforeNextResume(resync: () => Promise<void>): void {
    this.pendingResync = resync;
  }

  /** Runs the owed resync, if any (also before a Debug Console command: it may resume gdb). */
  async settleResync(): Promise<void> {
    const resync = this.pendingResync;
    this.pendingResync = undefined;
    await resync?.();
  }

  /** Between haltSilently and the resume after it: a pause then is owed a stop of its own. */
  private silentlyHalted = false;

  /** Stops a running target unseen; true when it was running (the caller ends with resumeAfterSilentHalt). */
  async haltSilently(): Promise<boolean> {
    // A resume on its way to gdb may fail (then an interrupt gets no stop); a pause on its way is shown.
    await this.resumes;
    if (!this.running) return false;
    if (this.pauseRequested) {
      await this.pauseStop();
      return false;
    }
    this.silentlyHalted = true;
    const { stopped, cancel } = this.swallowNextStop();
    await this.mi.send(mi.execInterrupt()).catch((error: unknown) => {
      this.silentlyHalted = false;
      cancel();
      throw error;
    });
    await stopped;
    return true;
  }

  /** The stop of a pause on its way, bounded: a stopped QEMU sends none (hangWatch.ts says why). */
  private pauseStop(): Promise<void> {
    let onStop: () => void = () => undefined;
    let timer: NodeJS.Timeout | undefined;
    return new Promise<void>((resolve, reject) => {
      onStop = resolve;
      this.once('stopped', onStop);
      timer = setTimeout(
        () => reject(errors.timedOut('The kernel did not stop for the pause asked for before this', PAUSE_STOP_MS)),
        PAUSE_STOP_MS,
      );
    }).finally(() => {
      clearTimeout(timer);
      this.off('stopped', onStop);
    });
  }

  /** After a silent halt's work: the kernel runs on, unless the user paused meanwhile (then that stop is shown). */
  async resumeAfterSilentHalt(): Promise<void> {
    this.silentlyHalted = false;
    if (!this.pauseRequested) return this.continue();
    this.pauseRequested = false;
    this.pauseSentAt = undefined;
    this.emit('stopped', { reason: 'pause', threadId: this.lastThreadId, breakpointNumber: undefined, frame: undefined });
  }

  /**
   * The target's whole state was replaced under gdb (a VM snapshot was loaded, gdb re-read it):
   * the kernel is past its boot phase, and the new state is shown as a stop, or runs on.
   */
  async stateReplaced(show: { description: string; threadId?: number } | 'resume'): Promise<void> {
    this.silentlyHalted = false;
    this.lastStop = undefined;
    await this.boot.stateReplaced();
    if (show === 'resume') return this.continue();
    if (show.threadId !== undefined) this.lastThreadId = show.threadId;
    this.pauseRequested = false; // a pause asked for during the load: this stop answers it
    this.emit('stopped', {
      reason: 'entry',
      description: show.description,
      threadId: this.lastThreadId,
      breakpointNumber: undefined,
      frame: undefined,
    });
  }

  /** Sends a command that resumes the target: running from now, unless gdb refuses it. */
  private async sendResume(command: MiCommand): Promise<void> {
    this.running = true;
    this.silentlyHalted = false;
    this.emit('resumed', true);
    await this.mi.send(command).catch((error: unknown) => this.resumeFailed(error));
  }

  private resumeFailed(error: unknown): never {
    // gdb refused because the target runs: it does, whatever this resume wanted.
    if (/while the (selected thread|target) is running/.test(errorText(error))) throw errors.kernelRunning();
    this.running = false;
    throw error;
  }

  private async onExec(record: AsyncRecord): Promise<void> {
    if (record.asyncClass === 'running') {
      if (!this.running) {
        this.running = true;
        this.emit('resumed', false);
      }
      return;
    }
    if (record.asyncClass !== 'stopped') return;
    const reason = record.results.optStr('reason');
    if (reason === 'exited' || reason === 'exited-normally' || reason === 'exited-signalled') {
      this.running = false;
      this.emit('targetExited', `the target exited (${reason})`);
      return;
    }
    this.running = false;
    const stop = mapStop(record.results, this.pauseRequested);
    // A silent halt's stop is not the pause's: a pause asked for meanwhile is shown at its resume.
    if (!this.silent.isWaiting) {
      this.pauseRequested = false;
      this.pauseSentAt = undefined;
    }
    if (stop.threadId !== undefined) this.lastThreadId = stop.threadId;
    this.lastStop = stop;
    if (await this.stepOver.isLostStepOver(stop)) {
      const again = this.again;
      this.emit(
        'output',
        `The kernel stopped at breakpoint ${stop.breakpointNumber} again without running an ` +
          `instruction (gdb's step over it was lost); ${again?.what ?? 'continuing'}.\n`,
      );
      await (again?.run() ?? this.continue(undefined, true)).catch((error: unknown) =>
        this.emit('output', `Could not resume: ${errorText(error)}\n`),
      );
      return;
    }
    if (this.silent.claim(stop)) return;
    if (await this.interrupts.carriesOn(stop)) return;

    if (await this.boot.handles(stop)) return;
    const exception = this.exceptions?.filterOf(stop);
    if (exception && this.exceptions) {
      const { description } = await this.exceptions.describe(exception, stop.threadId ?? this.lastThreadId);
      this.emit('stopped', { ...stop, reason: 'exception', description });
      return;
    }
    const logMessage = stop.reason === 'breakpoint' ? this.breakpoints.logMessageFor(stop.breakpointNumber) : undefined;
    if (logMessage !== undefined) {
      this.emit('output', `${await formatLogMessage(this.mi, logMessage, stop.threadId ?? this.lastThreadId)}\n`);
      if (!(await this.breakpoints.realBreakpointAlsoHit().catch(() => false))) {
        await this.continue().catch((error: unknown) => this.emit('output', `Could not continue after logpoint: ${errorText(error)}\n`));
        return;
      }
    } else if (stop.reason === 'breakpoint') {
      this.breakpoints.noteHit(stop.breakpointNumber);
      for (const message of this.breakpoints.logMessagesAt(stop.frame?.optStr('addr'))) {
        this.emit('output', `${await formatLogMessage(this.mi, message, stop.threadId ?? this.lastThreadId)}\n`);
      }
    }
    this.emit('stopped', stop);
  }
}
