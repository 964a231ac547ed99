// The boot phase of a session and the internal breakpoints that end it. Until start_kernel the
// kernel runs from its early mapping, where software breakpoints cannot be placed: a temporary
// hardware breakpoint on start_kernel ends the phase (shown with stopAtEntry, or run on to the
// function stopAtEntry names), then breakpoints move to software and module loads are watched
// (a breakpoint where the kernel starts a freshly loaded module).
import type { EventEmitter } from 'node:events';
import { mi } from '../mi/commands';
import type { MiConnection } from '../mi/connection';
import { disablePatchableEntryLocations, type BreakpointService } from './breakpoints';
import { errorText } from './errors';
import type { KaslrDetector, KaslrOffset } from './kernel/kaslr';
import { bootWithKaslr, type KaslrBootRun } from './kernel/kaslrBoot';
import type { KernelExceptions } from './kernel/kernelExceptions';
import { MODULE_LOAD_HOOK, type ModuleTracker } from './kernel/modules';
import type { RunControlEvents } from './runEvents';
import type { StopInfo } from './stopReasons';

export const ENTRY_FUNCTION = 'start_kernel';

/** What the boot phase asks of the run control. */
export interface BootRun extends Pick<EventEmitter<RunControlEvents>, 'emit'> {
  readonly currentThreadId: number;
  continue(): Promise<void>;
  haltSilently(): Promise<boolean>;
  resumeAfterSilentHalt(): Promise<void>;
}

export class BootPhase {
  private entryBreakpoint: string | undefined;
  private stopAtEntry = true;
  private moduleHook: string | undefined;
  /** stopAtEntry named a function: after start_kernel the kernel runs on to it (a temporary breakpoint). */
  entryFunction: string | undefined;
  private runToBreakpoint: string | undefined;
  /** Internal breakpoints being inserted; every resume waits for them. */
  arming: Promise<void> = Promise.resolve();

  constructor(
    private readonly mi: MiConnection,
    private readonly run: BootRun,
    private readonly breakpoints: BreakpointService,
    private readonly modules?: ModuleTracker,
    private readonly exceptions?: KernelExceptions,
  ) {}

  /** A temporary hardware breakpoint on start_kernel (not mapped yet: software fails) ends the boot phase; shown with stopAtEntry. */
  async armEntry(stopAtEntry: boolean): Promise<void> {
    this.stopAtEntry = stopAtEntry;
    try {
      const result = await this.mi.send(mi.breakInsert({ location: ENTRY_FUNCTION, hardware: true, temporary: true }));
      const bkpt = result.results.tuple('bkpt');
      await disablePatchableEntryLocations(this.mi, bkpt);
      this.entryBreakpoint = bkpt.str('number');
    } catch (error) {
      this.run.emit('output', `Could not break at ${ENTRY_FUNCTION} (${errorText(error)}); running without an entry stop.\n`);
      await this.finished();
    }
  }

  /**
   * The VM was reset (restart): the boot phase again. Breakpoints go back to hardware and
   * the internal ones come out (under KVM software ones would be overwritten as the kernel is
   * loaded again); they return after start_kernel, as at launch.
   */
  async rebooted(stopAtEntry: boolean, kaslr?: { detector: KaslrDetector; program: string }): Promise<void> {
    this.run.emit('breakpointsChanged', await this.breakpoints.enterBootPhase());
    this.runToBreakpoint = undefined;
    this.entryBreakpoint = undefined;
    const internal = [this.moduleHook, ...((await this.exceptions?.disarm()) ?? [])].filter(
      (number): number is string => number !== undefined,
    );
    if (internal.length > 0) await this.mi.send(mi.breakDelete(internal)).catch(() => undefined);
    this.moduleHook = undefined;
    if (kaslr) return this.bootWithKaslr(kaslr.detector, kaslr.program, stopAtEntry);
    return this.runToEntry(stopAtEntry);
  }

  /** The target's state was replaced (a VM snapshot loaded): the kernel is past its boot phase. */
  stateReplaced(): Promise<void> {
    this.entryBreakpoint = undefined;
    return this.finished();
  }

  async runToEntry(stopAtEntry: boolean): Promise<void> {
    await this.armEntry(stopAtEntry);
    await this.run.continue();
  }

  /** A randomized kernel: the boot finds its offset on the way (kernel/kaslrBoot.ts). */
  async bootWithKaslr(kaslr: KaslrDetector, program: string, stopAtEntry: boolean): Promise<void> {
    this.stopAtEntry = stopAtEntry;
    const run: KaslrBootRun = {
      isClosed: () => this.mi.isClosed,
      continue: () => this.run.continue(),
      haltSilently: () => this.run.haltSilently(),
      resumeAfterSilentHalt: () => this.run.resumeAfterSilentHalt(),
      output: (text) => this.run.emit('output', text),
      rebased: (found) => this.afterRebase(found),
    };
    await bootWithKaslr(run, kaslr, program);
  }

  /**
   * Internal breakpoints of a running kernel: where it starts a freshly loaded module, and the
   * kernel exception filters (attach arms them directly).
   */
  async armModuleHook(): Promise<void> {
    for (const warning of (await this.exceptions?.arm()) ?? []) this.run.emit('output', warning);
    if (!this.modules || this.moduleHook !== undefined) return;
    try {
      const bkpt = (await this.mi.send(mi.breakInsert({ location: MODULE_LOAD_HOOK }))).results.tuple('bkpt');
      // On arm64 the hook's first location is before do_init_module's DWARF start, where `mod` is unknown.
      await disablePatchableEntryLocations(this.mi, bkpt);
      this.moduleHook = bkpt.str('number');
    } catch (error) {
      this.run.emit('output', `Module symbols will not load automatically: no breakpoint on ${MODULE_LOAD_HOOK} (${errorText(error)}).\n`);
    }
  }

  /** True when `stop` is one of the boot phase's breakpoints, handled here (shown, or run on from). */
  async handles(stop: StopInfo): Promise<boolean> {
    if (
      this.entryBreakpoint !== undefined &&
      (stop.breakpointNumber === this.entryBreakpoint || stop.frame?.optStr('func') === ENTRY_FUNCTION)
    ) {
      await this.atEntry(stop, this.entryBreakpoint);
      return true;
    }
    if (this.runToBreakpoint !== undefined && stop.breakpointNumber === this.runToBreakpoint) {
      this.runToBreakpoint = undefined;
      this.run.emit('stopped', { ...stop, reason: 'entry', description: `Stopped at ${this.entryFunction} (stopAtEntry)` });
      return true;
    }
    if (this.moduleHook !== undefined && stop.breakpointNumber === this.moduleHook && this.modules) {
      const module = await this.modules
        .onModuleLoad(stop.threadId ?? this.run.currentThreadId)
        .catch((error: unknown) => ({ name: '?', problem: errorText(error) }));
      await this.breakpoints.checkPlacedLocations();
      this.run.emit('moduleLoaded', module);
      await this.continueOrSay('Could not continue after loading module symbols');
      return true;
    }
    return false;
  }

  /** At start_kernel, whether gdb reported our entry breakpoint or a user's at the same place. */
  private async atEntry(stop: StopInfo, entryBreakpoint: string): Promise<void> {
    const entryWasReported = stop.breakpointNumber === entryBreakpoint;
    if (!entryWasReported) await this.mi.send(mi.breakDelete([entryBreakpoint])).catch(() => undefined);
    this.entryBreakpoint = undefined;
    await this.finished();
    if (!entryWasReported) this.breakpoints.noteHit(stop.breakpointNumber);
    if (entryWasReported && this.stopAtEntry && this.entryFunction && (await this.armRunTo(this.entryFunction))) {
      return this.continueOrSay('Could not continue');
    }
    if (!entryWasReported || this.stopAtEntry) this.run.emit('stopped', entryWasReported ? { ...stop, reason: 'entry' } : stop);
    else await this.continueOrSay('Could not continue');
  }

  private continueOrSay(failure: string): Promise<void> {
    return this.run.continue().catch((error: unknown) => void this.run.emit('output', `${failure}: ${errorText(error)}\n`));
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
      this.run.emit('output', `stopAtEntry: cannot run to "${name}" (${errorText(error)}); stopped at ${ENTRY_FUNCTION} instead.\n`);
      return false;
    }
  }

  /** The kernel runs from its final mapping: breakpoints move to software, and module loads are watched. */
  private async finished(): Promise<void> {
    this.run.emit('bootFinished');
    this.run.emit('breakpointsChanged', await this.breakpoints.leaveBootPhase());
    this.armAfterThisStop();
  }

  /**
   * The internal breakpoints go in once the stop at hand has been reported (gdb answers
   * VS Code's reads of it first: ~20 ms sooner on screen); a continue or step waits for them.
   */
  private armAfterThisStop(): void {
    this.arming = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.armModuleHook())
      .catch((error: unknown) => {
        this.run.emit('output', `Internal breakpoints not set: ${errorText(error)}\n`);
      });
  }

  private async afterRebase(found: KaslrOffset): Promise<void> {
    if (found.beforeStartKernel) return this.runToEntry(this.stopAtEntry);
    await this.finished();
    if (!this.stopAtEntry) return this.run.continue();
    if (this.entryFunction && (await this.armRunTo(this.entryFunction))) return this.run.continue();
    this.run.emit('stopped', {
      reason: 'entry',
      description: 'KASLR offset found; symbols rebased',
      threadId: this.run.currentThreadId,
      breakpointNumber: undefined,
      frame: undefined,
    });
  }
}
