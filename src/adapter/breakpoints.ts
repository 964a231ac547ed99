// Source and function breakpoints, diffed by spec (unchanged ones stay in gdb), every
// requested breakpoint answered in order, with gdb's reason when it was refused.
// Boot-phase aware: before the kernel runs from its final mapping (and always under KVM)
// software breakpoints would be overwritten or cannot be written, so hardware ones are used.
import type { DebugProtocol } from '@vscode/debugprotocol';
import { mi } from '../mi/commands';
import type { MiConnection } from '../mi/connection';
import type { MiTuple } from '../mi/records';
import { errorText } from './kernelTarget';
import type { SourceMapper } from './sourceMap';

export interface BreakpointPolicy {
  /** Every breakpoint in hardware (hardwareBreakpoints.require, or KVM). */
  alwaysHardware: boolean;
}

interface Installed {
  key: string;
  id: number;
  gdbNumber: string | undefined;
  location: string;
  condition: string | undefined;
  ignoreCount: number;
  logMessage: string | undefined;
  hardware: boolean;
  /** Inserted as hardware only because the kernel was still booting. */
  hardwareForBoot: boolean;
  response: DebugProtocol.Breakpoint;
}

export class BreakpointService {
  private nextId = 1;
  private readonly bySource = new Map<string, Installed[]>();
  private functionBreakpoints: Installed[] = [];
  private bootPhase = true;

  constructor(
    private readonly mi: MiConnection,
    private readonly sources: SourceMapper,
    private readonly policy: BreakpointPolicy,
  ) {}

  get inBootPhase(): boolean {
    return this.bootPhase;
  }

  async setSourceBreakpoints(file: string, requested: readonly DebugProtocol.SourceBreakpoint[]): Promise<DebugProtocol.Breakpoint[]> {
    const debuggerPath = this.sources.toDebugger(file);
    const specs = requested.map((bp) => ({
      location: `${debuggerPath}:${bp.line}`,
      condition: bp.condition,
      hitCondition: bp.hitCondition,
      logMessage: bp.logMessage,
      source: { path: file, name: file.split('/').pop() ?? file },
    }));
    const next = await this.reconcile(this.bySource.get(file) ?? [], specs);
    this.bySource.set(file, next);
    return next.map((bp) => bp.response);
  }

  async setFunctionBreakpoints(requested: readonly DebugProtocol.FunctionBreakpoint[]): Promise<DebugProtocol.Breakpoint[]> {
    const specs = requested.map((bp) => ({ location: bp.name, condition: bp.condition, hitCondition: bp.hitCondition, logMessage: undefined }));
    this.functionBreakpoints = await this.reconcile(this.functionBreakpoints, specs);
    return this.functionBreakpoints.map((bp) => bp.response);
  }

  /** The log message of a logpoint, by gdb breakpoint number. */
  logMessageFor(gdbNumber: string | undefined): string | undefined {
    if (gdbNumber === undefined) return undefined;
    return this.all().find((bp) => bp.gdbNumber === gdbNumber)?.logMessage;
  }

  /** The kernel now runs from its final mapping: boot-time hardware breakpoints become software ones. */
  async leaveBootPhase(): Promise<void> {
    if (!this.bootPhase) return;
    this.bootPhase = false;
    if (this.policy.alwaysHardware) return;
    for (const bp of this.all().filter((candidate) => candidate.hardwareForBoot && candidate.gdbNumber)) {
      await this.mi.send(mi.breakDelete([bp.gdbNumber!])).catch(() => undefined);
      await this.insert(bp);
    }
  }

  private all(): Installed[] {
    return [...this.functionBreakpoints, ...[...this.bySource.values()].flat()];
  }

  private async reconcile(
    current: readonly Installed[],
    specs: ReadonlyArray<{ location: string; condition?: string | undefined; hitCondition?: string | undefined; logMessage?: string | undefined; source?: DebugProtocol.Source }>,
  ): Promise<Installed[]> {
    const remaining = new Map(current.map((bp) => [bp.key, bp]));
    const next: Installed[] = [];
    for (const spec of specs) {
      const key = JSON.stringify([spec.location, spec.condition ?? '', spec.hitCondition ?? '', spec.logMessage ?? '']);
      const existing = remaining.get(key);
      if (existing) {
        remaining.delete(key);
        next.push(existing);
        continue;
      }
      const hit = parseHitCondition(spec.hitCondition);
      const bp: Installed = {
        key,
        id: this.nextId++,
        gdbNumber: undefined,
        location: spec.location,
        condition: spec.condition || undefined,
        ignoreCount: hit.ignoreCount,
        logMessage: spec.logMessage || undefined,
        hardware: false,
        hardwareForBoot: false,
        response: { id: 0, verified: false },
      };
      bp.response.id = bp.id;
      if (spec.source) bp.response.source = spec.source;
      if (hit.error) bp.response.message = hit.error;
      else await this.insert(bp);
      next.push(bp);
    }
    const stale = [...remaining.values()].map((bp) => bp.gdbNumber).filter((n): n is string => n !== undefined);
    if (stale.length > 0) await this.mi.send(mi.breakDelete(stale)).catch(() => undefined);
    return next;
  }

  private async insert(bp: Installed): Promise<void> {
    const hardware = this.policy.alwaysHardware || this.bootPhase;
    try {
      const result = await this.mi.send(
        mi.breakInsert({
          location: bp.location,
          hardware,
          ...(bp.condition ? { condition: bp.condition } : {}),
          ...(bp.ignoreCount > 0 ? { ignoreCount: bp.ignoreCount } : {}),
        }),
      );
      const info = result.results.tuple('bkpt');
      await disablePatchableEntryLocations(this.mi, info);
      bp.gdbNumber = info.str('number');
      bp.hardware = hardware;
      bp.hardwareForBoot = hardware && !this.policy.alwaysHardware;
      bp.response = { ...bp.response, ...describeLocation(info), verified: true, message: undefined };
      if (hardware) bp.response.message = this.bootPhase ? 'hardware breakpoint while the kernel boots' : 'hardware breakpoint';
    } catch (error) {
      bp.gdbNumber = undefined;
      bp.response = { ...bp.response, verified: false, message: errorText(error) };
    }
  }
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
    return address !== undefined && addresses.some((other) => other !== undefined && other > address && other - address <= PATCHABLE_ENTRY_MAX_BYTES);
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
  if (!location) return {};
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
