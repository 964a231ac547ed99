// Run control: continue, step, pause and what a stop means. Stops the user did not ask
// to see (the boot-phase entry breakpoint when stopAtEntry is off, logpoints) are
// handled here and never reach VS Code.
import { EventEmitter } from 'node:events';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { mi, type MiCommand } from '../mi/commands';
import type { MiConnection } from '../mi/connection';
import type { AsyncRecord } from '../mi/records';
import { disablePatchableEntryLocations, type BreakpointService } from './breakpoints';
import type { KaslrDetector, KaslrOffset } from './kernel/kaslr';
import { bootWithKaslr, type KaslrBootRun } from './kernel/kaslrBoot';
import { MODULE_LOAD_HOOK, type LoadedModule, type ModuleTracker } from './kernel/modules';
import type { KernelExceptions } from './kernel/kernelExceptions';
import { errors, errorText } from './errors';
import { formatLogMessage } from './logpointMessage';
import { InterruptedStep, type LineStep } from './kernel/interruptedStep';
import { SchedulerLock } from './schedulerLock';
import { SilentStop } from './silentStop';
import { lineStepOf, STEP_COMMANDS, type StepKind } from './stepCommands';
import { StepOverGuard } from './stepOverGuard';
import { mapStop, type StopInfo } from './stopReasons';

export const ENTRY_FUNCTION = 'start_kernel';

export interface RunControlEvents {
  stopped: [StopInfo];
  /** byUs: the adapter resumed it; otherwise gdb did (e.g. `continue` typed in the Debug Console). */
  resumed: [byUs: boolean];
  output: [text: string];
  /** Breakpoints whose placement changed (boot-time hardware ones became software). */
  breakpointsChanged: [DebugProtocol.Breakpoint[]];
  /** The guest loaded a module (symbols added when its .ko was found). */
  moduleLoaded: [LoadedModule];
  /** gdb says the target is gone (remote closed, exited). */
  targetExited: [reason: string];
  /** The kernel reached start_kernel and runs from its final mapping. */
  bootFinished: [];
}

export type { StepKind } from './stepCommands';

/** What a forward resume is, for the guards that run before it. */
export type ForwardRun = 'continue' | 'step';

export class RunControl extends EventEmitter<RunControlEvents> {
  private running = false;
  private pauseRequested = false;
  /** When the pause still waiting for its stop was sent (hangWatch.ts: a stopped QEMU never stops). */
  private pauseSentAt: number | undefined;
  private entryBreakpoint: string | undefined;
  private stopAtEntry = true;
  private lastThreadId = 1;
  /** Takes the next *stopped in silence (see swallowNextStop). */
  private readonly silent = new SilentStop();

  private moduleHook: string | undefined;
  /** stopAtEntry named a function: after start_kernel the kernel runs on to it (a temporary breakpoint). */
  entryFunction: string | undefined;
  private runToBreakpoint: string | undefined;

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
    private readonly modules?: ModuleTracker,
    private readonly exceptions?: KernelExceptions,
  ) {
    super();
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

  /** A temporary hardware breakpoint on start_kernel (not mapped yet: software fails) ends the boot phase; shown with stopAtEntry. */
  async armEntry(stopAtEntry: boolean): Promise<void> {
    this.stopAtEntry = stopAtEntry;
    try {
      const result = await this.mi.send(mi.breakInsert({ location: ENTRY_FUNCTION, hardware: true, temporary: true }));
      const bkpt = result.results.tuple('bkpt');
      await disablePatchableEntryLocations(this.mi, bkpt);
      this.entryBreakpoint = bkpt.str('number');
    } catch (error) {
      this.emit('output', `Could not break at ${ENTRY_FUNCTION} (${errorText(error)}); running without an entry stop.\n`);
      await this.bootFinished();
    }
  }

  /**
   * The VM was reset (restart): the boot phase again. Breakpoints go back to hardware and
   * the internal ones come out (under KVM software ones would be overwritten as the kernel is
   * loaded again); they return after start_kernel, as at launch.
   */
  async rebooted(stopAtEntry: boolean, kaslr?: { detector: KaslrDetector; program: string }): Promise<void> {
    this.emit('breakpointsChanged', await this.breakpoints.enterBootPhase());
    this.runToBreakpoint = undefined;
    this.entryBreakpoint = undefined;
    this.silentlyHalted = false;
    const internal = [this.moduleHook, ...((await this.exceptions?.disarm()) ?? [])].filter(
      (number): number is string => number !== undefined,
    );
    if (internal.length > 0) await this.mi.send(mi.breakDelete(internal)).catch(() => undefined);
    this.moduleHook = undefined;
    if (kaslr) return this.bootWithKaslr(kaslr.detector, kaslr.program, stopAtEntry);
    return this.runToEntry(stopAtEntry);
  }

  /** A temporary breakpoint on the function stopAtEntry named; false (and said why) when gdb has no such function. */
  private async armRunTo(name: string): Promise<boolean> {
    try {
      const result = await this.mi.send(mi.breakInsert({ location: name, temporary: true }));
      const bkpt = result.results.tuple('bkpt');
      await disablePatchableEntryLocations(this.mi, bkpt);
      this.runToBreakpoint = bkpt.str('number');
      return true;
    } catch (error) {
      this.emit('output', `stopAtEntry: cannot run to "${name}" (${errorText(error)}); stopped at ${ENTRY_FUNCTION} instead.\n`);
      return false;
    }
  }

  /** The kernel runs from its final mapping: breakpoints move to software, and module loads are watched. */
  private async bootFinished(): Promise<void> {
    this.emit('bootFinished');
    this.emit('breakpointsChanged', await this.breakpoints.leaveBootPhase());
    this.armAfterThisStop();
  }

  /** Internal breakpoints being inserted; every resume waits for them. */
  private arming: Promise<void> = Promise.resolve();

  /**
   * The internal breakpoints go in once the stop at hand has been reported (gdb answers
   * VS Code's reads of it first: ~20 ms sooner on screen); a continue or step waits for them.
   */
  private armAfterThisStop(): void {
    this.arming = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.armModuleHook())
      .catch((error: unknown) => {
        this.emit('output', `Internal breakpoints not set: ${errorText(error)}\n`);
      });
  }

  /**
   * Internal breakpoints of a running kernel: where it starts a freshly loaded module, and the
   * kernel exception filters (attach arms them directly).
   */
  async armModuleHook(): Promise<void> {
    for (const warning of (await this.exceptions?.arm()) ?? []) this.emit('output', warning);
    if (!this.modules || this.moduleHook !== undefined) return;
    try {
      const bkpt = (await this.mi.send(mi.breakInsert({ location: MODULE_LOAD_HOOK }))).results.tuple('bkpt');
      // On arm64 the hook's first location is before do_init_module's DWARF start, where `mod` is unknown.
      await disablePatchableEntryLocations(this.mi, bkpt);
      this.moduleHook = bkpt.str('number');
    } catch (error) {
      this.emit('output', `Module symbols will not load automatically: no breakpoint on ${MODULE_LOAD_HOOK} (${errorText(error)}).\n`);
    }
  }

  async runToEntry(stopAtEntry: boolean): Promise<void> {
    await this.armEntry(stopAtEntry);
    await this.continue();
  }

  /** A randomized kernel: the boot finds its offset on the way (kernel/kaslrBoot.ts). */
  async bootWithKaslr(kaslr: KaslrDetector, program: string, stopAtEntry: boolean): Promise<void> {
    this.stopAtEntry = stopAtEntry;
    const run: KaslrBootRun = {
      isClosed: () => this.mi.isClosed,
      continue: () => this.continue(),
      haltSilently: () => this.haltSilently(),
      resumeAfterSilentHalt: () => this.resumeAfterSilentHalt(),
      output: (text) => this.emit('output', text),
      rebased: (found) => this.afterRebase(found),
    };
    await bootWithKaslr(run, kaslr, program);
  }

  private async afterRebase(found: KaslrOffset): Promise<void> {
    if (found.beforeStartKernel) return this.runToEntry(this.stopAtEntry);
    await this.bootFinished();
    if (!this.stopAtEntry) return this.continue();
    if (this.entryFunction && (await this.armRunTo(this.entryFunction))) return this.continue();
    this.emit('stopped', {
      reason: 'entry',
      description: 'KASLR offset found; symbols rebased',
      threadId: this.lastThreadId,
      breakpointNumber: undefined,
      frame: undefined,
    });
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
      await this.arming;
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
    await this.forwardStep(STEP_COMMANDS[kind](threadId), singleThread, false, lineStepOf(kind, singleThread, from));
  }

  /** A step from a breakpoint is watched as a continue is: gdb steps over the breakpoint first, and that step can be lost too. */
  private forwardStep(command: MiCommand, singleThread: boolean, afterLostStepOver: boolean, lineStep?: LineStep): Promise<void> {
    return this.oneResumeAtATime(async () => {
      if (this.running) throw errors.kernelRunning();
      await this.arming;
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
      await this.arming;
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
      await new Promise((resolve) => this.once('stopped', resolve));
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
    this.entryBreakpoint = undefined;
    this.lastStop = undefined;
    await this.bootFinished();
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

    if (
      this.entryBreakpoint !== undefined &&
      (stop.breakpointNumber === this.entryBreakpoint || stop.frame?.optStr('func') === ENTRY_FUNCTION)
    ) {
      // At start_kernel, whether gdb reported our entry breakpoint or a user's at the same place.
      const entryWasReported = stop.breakpointNumber === this.entryBreakpoint;
      if (!entryWasReported) await this.mi.send(mi.breakDelete([this.entryBreakpoint])).catch(() => undefined);
      this.entryBreakpoint = undefined;
      await this.bootFinished();
      if (!entryWasReported) this.breakpoints.noteHit(stop.breakpointNumber);
      if (entryWasReported && this.stopAtEntry && this.entryFunction && (await this.armRunTo(this.entryFunction))) {
        await this.continue().catch((error: unknown) => this.emit('output', `Could not continue: ${errorText(error)}\n`));
        return;
      }
      if (!entryWasReported || this.stopAtEntry) this.emit('stopped', entryWasReported ? { ...stop, reason: 'entry' } : stop);
      else await this.continue().catch((error: unknown) => this.emit('output', `Could not continue: ${errorText(error)}\n`));
      return;
    }
    if (this.runToBreakpoint !== undefined && stop.breakpointNumber === this.runToBreakpoint) {
      this.runToBreakpoint = undefined;
      this.emit('stopped', { ...stop, reason: 'entry', description: `Stopped at ${this.entryFunction} (stopAtEntry)` });
      return;
    }
    if (this.moduleHook !== undefined && stop.breakpointNumber === this.moduleHook && this.modules) {
      const module = await this.modules
        .onModuleLoad(stop.threadId ?? this.lastThreadId)
        .catch((error: unknown) => ({ name: '?', problem: errorText(error) }));
      await this.breakpoints.checkPlacedLocations();
      this.emit('moduleLoaded', module);
      await this.continue().catch((error: unknown) =>
        this.emit('output', `Could not continue after loading module symbols: ${errorText(error)}\n`),
      );
      return;
    }
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
