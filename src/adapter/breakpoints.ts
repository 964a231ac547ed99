// Source, function, instruction and data breakpoints, diffed by spec (unchanged ones stay
// in gdb), every requested breakpoint answered in order, with gdb's reason when refused.
// Boot-phase aware: before the kernel runs from its final mapping (and always under KVM)
// software breakpoints would be overwritten or cannot be written, so hardware ones are used,
// within the target's hardware slot budget.
import type { DebugProtocol } from '@vscode/debugprotocol';
import { mi, type MiCommand } from '../mi/commands';
import type { MiConnection } from '../mi/connection';
import type { MiTuple } from '../mi/records';
import { errorText } from './errors';
import type { HardwareSlots } from './hardwareSlots';
import type { SourceMapper } from './sourceMap';

export const HARDWARE_MODE = 'hardware';

/** gdb's words for a location that is not in the symbols it has. */
const NOT_FOUND = /not defined|No symbol table is loaded|No source file named/;

export interface BreakpointPolicy {
  /** Every breakpoint in hardware (hardwareBreakpoints.require, or KVM). */
  alwaysHardware: boolean;
  slots: HardwareSlots;
  /** Launched paused at reset: the kernel is not running from its final mapping yet. */
  booting: boolean;
}

type Kind = 'source' | 'function' | 'instruction' | 'data';

interface Spec {
  kind: Kind;
  location: string;
  condition?: string | undefined;
  hitCondition?: string | undefined;
  logMessage?: string | undefined;
  mode?: string | undefined;
  access?: DebugProtocol.DataBreakpointAccessType | undefined;
  source?: DebugProtocol.Source;
}

interface Installed {
  spec: Spec;
  key: string;
  id: number;
  gdbNumber: string | undefined;
  ignoreCount: number;
  /** Holds a hardware slot (breakpoint or watchpoint). */
  hardware: boolean;
  /** In hardware only because the kernel was still booting. */
  hardwareForBoot: boolean;
  /** Refused only for lack of a hardware slot: tried again when slots may have freed. */
  waitingForSlot: boolean;
  response: DebugProtocol.Breakpoint;
}

export class BreakpointService {
  private nextId = 1;
  private readonly sets = new Map<string, Installed[]>();
  /** =breakpoint-modified records of breakpoints placed since checkPlacedLocations last ran. */
  private readonly placedSinceCheck: MiTuple[] = [];
  private bootPhase: boolean;

  constructor(
    private readonly mi: MiConnection,
    private readonly sources: SourceMapper,
    private readonly policy: BreakpointPolicy,
  ) {
    this.bootPhase = policy.booting;
  }

  get inBootPhase(): boolean {
    return this.bootPhase;
  }

  setSourceBreakpoints(file: string, requested: readonly DebugProtocol.SourceBreakpoint[]): Promise<DebugProtocol.Breakpoint[]> {
    const debuggerPath = this.sources.toDebugger(file);
    const source = { path: file, name: file.split('/').pop() ?? file };
    return this.replace(
      `source:${file}`,
      requested.map((bp) => ({
        kind: 'source',
        location: `${debuggerPath}:${bp.line}`,
        condition: bp.condition,
        hitCondition: bp.hitCondition,
        logMessage: bp.logMessage,
        mode: bp.mode,
        source,
      })),
    );
  }

  setFunctionBreakpoints(requested: readonly DebugProtocol.FunctionBreakpoint[]): Promise<DebugProtocol.Breakpoint[]> {
    return this.replace(
      'function',
      requested.map((bp) => ({ kind: 'function', location: bp.name, condition: bp.condition, hitCondition: bp.hitCondition })),
    );
  }

  setInstructionBreakpoints(requested: readonly DebugProtocol.InstructionBreakpoint[]): Promise<DebugProtocol.Breakpoint[]> {
    return this.replace(
      'instruction',
      requested.map((bp) => ({
        kind: 'instruction',
        location: `*${addressPlusOffset(bp.instructionReference, bp.offset ?? 0)}`,
        condition: bp.condition,
        hitCondition: bp.hitCondition,
        mode: bp.mode,
      })),
    );
  }

  /** gdb's numbers of the user's breakpoints (the rest of gdb's are the adapter's own). */
  get userGdbNumbers(): Set<string> {
    return new Set(this.all().flatMap((bp) => (bp.gdbNumber === undefined ? [] : [bp.gdbNumber])));
  }

  /** What the data breakpoints gdb has in watch (reverse.ts reads their values around a Reverse Continue). */
  get watchedExpressions(): string[] {
    return this.all()
      .filter((bp) => bp.spec.kind === 'data' && bp.gdbNumber !== undefined)
      .map((bp) => bp.spec.location);
  }

  setDataBreakpoints(requested: readonly DebugProtocol.DataBreakpoint[]): Promise<DebugProtocol.Breakpoint[]> {
    return this.replace(
      'data',
      requested.map((bp) => ({
        kind: 'data',
        location: bp.dataId,
        condition: bp.condition,
        hitCondition: bp.hitCondition,
        access: bp.accessType ?? 'write',
      })),
    );
  }

  /**
   * A logpoint shares its address with a real breakpoint: gdb reports one stop with one
   * number. gdb counts a hit on every breakpoint whose condition held, so a hit count that
   * moved past what we have seen means a real breakpoint wants this stop too.
   */
  async realBreakpointAlsoHit(): Promise<boolean> {
    const table = (await this.mi.send(mi.breakList())).results.tuple('BreakpointTable').tuples('body');
    const ours = new Map(
      this.all()
        .filter((bp) => bp.gdbNumber !== undefined)
        .map((bp) => [bp.gdbNumber!, bp]),
    );
    let hit = false;
    for (const row of table) {
      const number = row.str('number');
      const times = row.optInt('times') ?? 0;
      const bp = ours.get(number);
      // gdb counts hits it ignores for a hit condition too; those do not stop.
      const stops = times > (this.seenHits.get(number) ?? 0) && times > (bp?.ignoreCount ?? 0);
      if (stops && !bp?.spec.logMessage) hit = true;
      this.seenHits.set(number, times);
    }
    return hit;
  }

  /** A reported stop on breakpoint N is one hit we have seen. */
  noteHit(gdbNumber: string | undefined): void {
    if (gdbNumber !== undefined) this.seenHits.set(gdbNumber, (this.seenHits.get(gdbNumber) ?? 0) + 1);
  }

  private readonly seenHits = new Map<string, number>();

  /** Log messages of logpoints placed at `address` (they share a stop gdb reported for another breakpoint). */
  logMessagesAt(address: string | undefined): string[] {
    const at = parseAddress(address);
    if (at === undefined) return [];
    return this.all()
      .filter((bp) => bp.spec.logMessage && bp.gdbNumber !== undefined && parseAddress(bp.response.instructionReference) === at)
      .map((bp) => bp.spec.logMessage!);
  }

  /** The log message of a logpoint, by gdb breakpoint number. */
  logMessageFor(gdbNumber: string | undefined): string | undefined {
    if (gdbNumber === undefined) return undefined;
    return this.all().find((bp) => bp.gdbNumber === gdbNumber)?.spec.logMessage;
  }

  /** The kernel boots again (restart): software breakpoints become hardware ones until it runs from its final mapping. */
  async enterBootPhase(): Promise<DebugProtocol.Breakpoint[]> {
    if (this.bootPhase || !this.policy.booting) return [];
    this.bootPhase = true;
    const changed: DebugProtocol.Breakpoint[] = [];
    for (const bp of this.all()) {
      if (bp.hardware || bp.spec.kind === 'data' || bp.gdbNumber === undefined) continue;
      await this.remove(bp);
      await this.insert(bp);
      changed.push(bp.response);
    }
    return changed;
  }

  /** The kernel now runs from its final mapping: boot-time hardware breakpoints become software ones. */
  async leaveBootPhase(): Promise<DebugProtocol.Breakpoint[]> {
    if (!this.bootPhase) return [];
    this.bootPhase = false;
    const changed: DebugProtocol.Breakpoint[] = [];
    for (const bp of this.all()) {
      if (!bp.hardwareForBoot && !bp.waitingForSlot) continue;
      await this.remove(bp);
      await this.insert(bp);
      changed.push(bp.response);
    }
    return changed;
  }

  private all(): Installed[] {
    return [...this.sets.values()].flat();
  }

  private async replace(setKey: string, specs: readonly Spec[]): Promise<DebugProtocol.Breakpoint[]> {
    const current = this.sets.get(setKey) ?? [];
    const remaining = new Map(current.map((bp) => [bp.key, bp]));
    const kept: Installed[] = [];
    const next: Installed[] = [];
    for (const spec of specs) {
      const key = JSON.stringify([
        spec.location,
        spec.condition ?? '',
        spec.hitCondition ?? '',
        spec.logMessage ?? '',
        spec.mode ?? '',
        spec.access ?? '',
      ]);
      const existing = remaining.get(key);
      if (existing) {
        remaining.delete(key);
        kept.push(existing);
        next.push(existing);
      } else {
        next.push(this.create(spec, key));
      }
    }
    // Free the slots of removed breakpoints before placing the new ones.
    for (const stale of remaining.values()) await this.remove(stale);
    for (const bp of next) {
      if (kept.includes(bp) ? bp.waitingForSlot : !bp.response.message) await this.insert(bp);
    }
    this.sets.set(setKey, next);
    return next.map((bp) => bp.response);
  }

  private create(spec: Spec, key: string): Installed {
    const id = this.nextId++;
    const hit = parseHitCondition(spec.hitCondition);
    const response: DebugProtocol.Breakpoint = { id, verified: false };
    if (spec.source) response.source = spec.source;
    if (hit.error) response.message = hit.error;
    return {
      spec,
      key,
      id,
      gdbNumber: undefined,
      ignoreCount: hit.ignoreCount,
      hardware: false,
      hardwareForBoot: false,
      waitingForSlot: false,
      response,
    };
  }

  private async remove(bp: Installed): Promise<void> {
    if (bp.gdbNumber !== undefined) await this.mi.send(mi.breakDelete([bp.gdbNumber])).catch(() => undefined);
    if (bp.hardware) this.policy.slots.release(bp.spec.kind === 'data' ? 'watchpoint' : 'breakpoint');
    bp.gdbNumber = undefined;
    bp.hardware = false;
    bp.hardwareForBoot = false;
  }

  private async insert(bp: Installed): Promise<void> {
    const { spec } = bp;
    const isData = spec.kind === 'data';
    const wantsHardware = isData || spec.mode === HARDWARE_MODE || this.policy.alwaysHardware || this.bootPhase;
    const slotKind = isData ? 'watchpoint' : 'breakpoint';
    if (wantsHardware && !this.policy.slots.take(slotKind)) {
      const canFallBack = !isData && spec.mode !== HARDWARE_MODE && !this.policy.alwaysHardware;
      bp.response = { ...bp.response, verified: false, message: this.policy.slots.exhaustedMessage(slotKind, canFallBack) };
      bp.waitingForSlot = true;
      return;
    }
    bp.waitingForSlot = false;
    try {
      const result = await this.mi.send(this.insertCommand(bp, wantsHardware));
      const info = result.results.tuple(isData ? watchResultKey(result.results) : 'bkpt');
      if (!isData) await disablePatchableEntryLocations(this.mi, info);
      bp.gdbNumber = info.str('number');
      bp.hardware = wantsHardware;
      bp.hardwareForBoot = wantsHardware && !isData && spec.mode !== HARDWARE_MODE && !this.policy.alwaysHardware;
      if (isData) await this.applyWatchOptions(bp);
      const message = isData
        ? undefined
        : wantsHardware
          ? bp.hardwareForBoot
            ? 'hardware breakpoint while the kernel boots'
            : 'hardware breakpoint'
          : undefined;
      const { message: _old, ...rest } = bp.response;
      bp.response = { ...rest, ...describeLocation(info), verified: true, ...(message ? { message } : {}) };
    } catch (error) {
      if (wantsHardware) this.policy.slots.release(slotKind);
      bp.gdbNumber = undefined;
      bp.response = { ...bp.response, verified: false, message: errorText(error) };
      if (!isData && NOT_FOUND.test(errorText(error))) await this.insertPending(bp, errorText(error));
    }
  }

  /** Not in vmlinux: maybe in a module not loaded yet. gdb keeps it pending and places it when symbols appear. */
  private async insertPending(bp: Installed, reason: string): Promise<void> {
    try {
      const result = await this.mi.send(
        mi.breakInsert({
          location: bp.spec.location,
          pending: true,
          ...(bp.spec.condition ? { condition: bp.spec.condition } : {}),
          ...(bp.ignoreCount > 0 ? { ignoreCount: bp.ignoreCount } : {}),
        }),
      );
      bp.gdbNumber = result.results.tuple('bkpt').str('number');
      bp.response = { ...bp.response, verified: false, message: `${reason} Pending: placed when a module that defines it is loaded.` };
    } catch {
      // gdb refused even a pending breakpoint: the first reason stands
    }
  }

  /** =breakpoint-modified: a pending breakpoint found its place (module symbols arrived). */
  onModified(bkpt: MiTuple): DebugProtocol.Breakpoint | undefined {
    const number = bkpt.optStr('number');
    const bp = this.all().find((candidate) => candidate.gdbNumber === number);
    if (!bp || bp.response.verified || bkpt.optStr('pending') !== undefined) return undefined;
    const { message: _old, ...rest } = bp.response;
    bp.response = { ...rest, ...describeLocation(bkpt), verified: true };
    this.placedSinceCheck.push(bkpt);
    return bp.response;
  }

  /**
   * Breakpoints placed in a module that just loaded get the same location check as those
   * inserted directly; run control awaits this before it lets the module's code run.
   */
  async checkPlacedLocations(): Promise<void> {
    const placed = this.placedSinceCheck.splice(0);
    for (const bkpt of placed) await disablePatchableEntryLocations(this.mi, bkpt).catch(() => undefined);
  }

  private insertCommand(bp: Installed, hardware: boolean): MiCommand {
    const { spec } = bp;
    if (spec.kind === 'data') return mi.breakWatch(spec.location, spec.access ?? 'write');
    return mi.breakInsert({
      location: spec.location,
      hardware,
      ...(spec.condition ? { condition: spec.condition } : {}),
      ...(bp.ignoreCount > 0 ? { ignoreCount: bp.ignoreCount } : {}),
    });
  }

  /** -break-watch takes no condition or ignore count: set them afterwards. */
  private async applyWatchOptions(bp: Installed): Promise<void> {
    if (bp.spec.condition) await this.mi.send(mi.breakCondition(bp.gdbNumber!, bp.spec.condition));
    if (bp.ignoreCount > 0) await this.mi.send(mi.breakAfter(bp.gdbNumber!, bp.ignoreCount));
  }
}

function watchResultKey(results: MiTuple): string {
  return ['wpt', 'hw-wpt', 'hw-awpt', 'hw-rwpt'].find((key) => results.has(key)) ?? 'wpt';
}

function addressPlusOffset(reference: string, offset: number): string {
  return `0x${(BigInt(reference) + BigInt(offset)).toString(16)}`;
}

/**
 * arm64 kernels built with ftrace's patchable function entry have NOPs between the ELF
 * symbol and the DWARF start of each function, so gdb makes two locations a few bytes
 * apart. Stopping at the first shows the previous function's line and no locals: keep
 * only the later location of such a pair.
 */
export async function disablePatchableEntryLocations(connection: MiConnection, bkpt: MiTuple): Promise<void> {
  const locations = bkpt.tuples('locations');
  const addresses = locations.map((location) => parseAddress(location.optStr('addr')));
  const shadowed = locations.filter((_location, index) => {
    const address = addresses[index];
    return (
      address !== undefined &&
      addresses.some((other) => other !== undefined && other > address && other - address <= PATCHABLE_ENTRY_MAX_BYTES)
    );
  });
  if (shadowed.length > 0) await connection.send(mi.breakDisable(shadowed.map((location) => location.str('number'))));
}

const PATCHABLE_ENTRY_MAX_BYTES = 16n;

function parseAddress(text: string | undefined): bigint | undefined {
  return text && /^0x[0-9a-f]+$/i.test(text) ? BigInt(text) : undefined;
}

function describeLocation(bkpt: MiTuple): Partial<DebugProtocol.Breakpoint> {
  const locations = bkpt.tuples('locations');
  const location = bkpt.optStr('line') ? bkpt : (locations[locations.length - 1] ?? bkpt);
  const line = location.optInt('line');
  const address = location.optStr('addr');
  return {
    ...(line !== undefined ? { line } : {}),
    ...(address && address.startsWith('0x') ? { instructionReference: address } : {}),
  };
}

/** VS Code's hit condition: "N" or ">= N" stops from the Nth hit on. */
export function parseHitCondition(text: string | undefined): { ignoreCount: number; error?: string } {
  if (text === undefined || text.trim() === '') return { ignoreCount: 0 };
  const match = /^\s*(?:>=?|==?)?\s*(\d+)\s*$/.exec(text);
  if (!match) return { ignoreCount: 0, error: `Hit condition "${text}" is not a number: use N to stop from the Nth hit on.` };
  return { ignoreCount: Math.max(0, Number(match[1]) - 1) };
}
