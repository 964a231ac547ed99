// The three ways each scenario runs: a raw gdb/MI script, kernel-qemu's adapter over DAP,
// and cdt-gdb-adapter over DAP, behind one interface so every scenario does the same steps (raw: rawTool.ts, cdt: cdtTool.ts)
// on each. Only the clock-started parts are timed; getting into position is not.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { now, peakRssMiB, removeDir, ROOT, tempDir, within, type BenchKernel } from './common';

export type ToolName = 'raw' | 'kq' | 'cdt';

/** Where the step, expand and data scenarios stop: the first user-space file opens. */
export const STOP_FUNCTION = 'do_sys_openat2';
export const ENTRY_FUNCTION = 'start_kernel';
/** The big struct of the expand scenario and the member expanded below it. */
export const BIG_STRUCT = 'init_task';
export const NESTED_MEMBER = 'se';

export const STOP_TIMEOUT_MS = 60_000;

export interface LaunchOptions {
  /** gdb's index cache directory (kernel-qemu: KERNEL_QEMU_CACHE root holding gdb-index/). */
  cacheRoot: string;
  /** Attach a qcow2 state disk so the session can save VM snapshots. */
  snapshots?: boolean;
  /** kernel-qemu: its gdb/MI traffic as output events (for profiling; slows it down a little). */
  trace?: boolean;
  /** vCPUs (1 unless said). */
  smp?: number;
}

export interface ExpandTimes {
  evaluate: number;
  children: number;
  nested: number;
  childCount: number;
  nestedCount: number;
}

export interface ToolSession {
  /** Function of the top frame at the last stop. */
  readonly func: string | undefined;
  /** function:line of the last stop (to check that every tool stepped the same lines). */
  readonly location: string;
  /** Untimed: a software breakpoint in STOP_FUNCTION, run to it, and the stop shown. */
  continueToStopFunction(): Promise<void>;
  /** Timed: next -> stopped -> threads -> stackTrace -> scopes -> variables of the top frame. */
  stepCycle(): Promise<number>;
  expand(): Promise<ExpandTimes>;
  registers(): Promise<number>;
  readMemory4k(): Promise<number>;
  disassemble50(): Promise<number>;
  /** undefined: the tool cannot do it. */
  snapshot?(name: string): Promise<{ save: number; load: number }>;
  /** Timed: DAP restart -> the stop at start_kernel shown (kernel-qemu only). */
  restart?(): Promise<number>;
  /** Editing and deeper expansion still work (kernel-qemu only): a description of what was checked. */
  checkEditing?(): Promise<string>;
  /** Peak RSS of the adapter process, MiB. */
  adapterPeakRssMiB(): number | undefined;
  close(): Promise<void>;
}

export interface Tool {
  name: ToolName;
  label: string;
  /** Why cold and warm are the same for this tool, when they are. */
  warmNote?: string;
  launch(options: LaunchOptions): Promise<{ ms: number; session: ToolSession }>;
}

const KQ_ADAPTER = path.join(ROOT, 'dist/adapter.js');

export async function startDapClient(
  executable: string,
  debugType: string,
  env: NodeJS.ProcessEnv,
): Promise<{ client: DebugClient; pid: number | undefined }> {
  if (!existsSync(executable)) throw new Error(`${executable} is missing`);
  const client = new DebugClient('node', executable, debugType, { stdio: ['pipe', 'pipe', 'pipe'], env }, false);
  client.defaultTimeout = STOP_TIMEOUT_MS;
  await client.start();
  const pid = (client as unknown as { _adapterProcess?: { pid?: number } })._adapterProcess?.pid;
  // The adapter process is up and has answered: what follows is the session, as in VS Code.
  await client.initializeRequest({
    adapterID: debugType,
    pathFormat: 'path',
    linesStartAt1: true,
    columnsStartAt1: true,
    supportsMemoryReferences: true,
  });
  return { client, pid };
}

export function stoppedEvent(client: DebugClient, what: string): Promise<DebugProtocol.StoppedEvent> {
  return within(STOP_TIMEOUT_MS, what, client.waitForEvent('stopped', STOP_TIMEOUT_MS) as Promise<DebugProtocol.StoppedEvent>);
}

export abstract class DapSession implements ToolSession {
  func: string | undefined;
  location = '';
  protected frame: DebugProtocol.StackFrame | undefined;
  protected scopes: DebugProtocol.Scope[] = [];
  private memoryReference: string | undefined;

  constructor(
    protected readonly client: DebugClient,
    protected readonly kernel: BenchKernel,
    private readonly pid: number | undefined,
    protected threadId: number,
  ) {}

  protected abstract readonly tool: ToolName;
  protected abstract setStopBreakpoint(): Promise<void>;
  abstract registers(): Promise<number>;
  abstract close(): Promise<void>;

  /** What VS Code asks after every stop. */
  async showStop(): Promise<void> {
    await this.client.threadsRequest();
    const trace = await this.client.stackTraceRequest({ threadId: this.threadId, startFrame: 0, levels: 20 });
    this.frame = trace.body.stackFrames[0];
    if (!this.frame) throw new Error(`${this.tool}: no stack frames`);
    this.func = this.frame.name.replace(/\s*\(.*$/, '');
    this.location = `${this.func}:${this.frame.line}`;
    this.scopes = (await this.client.scopesRequest({ frameId: this.frame.id })).body.scopes;
    const locals = this.scopes[0];
    if (locals) await this.client.variablesRequest({ variablesReference: locals.variablesReference });
  }

  private breakpointSet = false;

  async continueToStopFunction(): Promise<void> {
    if (!this.breakpointSet) {
      await this.setStopBreakpoint();
      this.breakpointSet = true;
    }
    const stopped = stoppedEvent(this.client, `${this.tool}: continue to ${STOP_FUNCTION}`);
    await this.client.continueRequest({ threadId: this.threadId });
    this.threadId = (await stopped).body.threadId ?? this.threadId;
    await this.showStop();
  }

  async stepCycle(): Promise<number> {
    const started = now();
    const stopped = stoppedEvent(this.client, `${this.tool}: next`);
    await this.client.nextRequest({ threadId: this.threadId });
    this.threadId = (await stopped).body.threadId ?? this.threadId;
    await this.showStop();
    return now() - started;
  }

  async expand(): Promise<ExpandTimes> {
    let started = now();
    const evaluated = await this.client.evaluateRequest({ expression: BIG_STRUCT, frameId: this.frame!.id, context: 'watch' });
    const evaluate = now() - started;
    started = now();
    const children = (await this.client.variablesRequest({ variablesReference: evaluated.body.variablesReference })).body.variables;
    const childrenMs = now() - started;
    const member = children.find((child) => child.name === NESTED_MEMBER);
    if (!member?.variablesReference)
      throw new Error(`${this.tool}: ${BIG_STRUCT} has no expandable '${NESTED_MEMBER}' (${children.length} children)`);
    started = now();
    const nested = (await this.client.variablesRequest({ variablesReference: member.variablesReference })).body.variables;
    return { evaluate, children: childrenMs, nested: now() - started, childCount: children.length, nestedCount: nested.length };
  }

  protected async initTaskReference(): Promise<string> {
    if (!this.memoryReference) {
      const result = await this.client.evaluateRequest({ expression: `&${BIG_STRUCT}`, frameId: this.frame!.id, context: 'watch' });
      this.memoryReference = result.body.memoryReference ?? /^(?:\([^)]*\)\s*)?(0x[0-9a-f]+)/i.exec(result.body.result)?.[1];
      if (!this.memoryReference) throw new Error(`${this.tool}: no address for &${BIG_STRUCT}: ${result.body.result}`);
    }
    return this.memoryReference;
  }

  async readMemory4k(): Promise<number> {
    const memoryReference = await this.initTaskReference();
    const started = now();
    const response = await this.client.customRequest('readMemory', { memoryReference, offset: 0, count: 4096 });
    const elapsed = now() - started;
    const data = Buffer.from((response.body as DebugProtocol.ReadMemoryResponse['body'])?.data ?? '', 'base64');
    if (data.length !== 4096) throw new Error(`${this.tool}: readMemory returned ${data.length} bytes`);
    return elapsed;
  }

  async disassemble50(): Promise<number> {
    const pc = this.frame!.instructionPointerReference;
    if (!pc) throw new Error(`${this.tool}: the top frame has no instructionPointerReference`);
    const started = now();
    const response = await this.client.customRequest('disassemble', {
      memoryReference: pc,
      instructionOffset: 0,
      instructionCount: 50,
      resolveSymbols: true,
    });
    const elapsed = now() - started;
    const instructions = (response.body as DebugProtocol.DisassembleResponse['body'])?.instructions ?? [];
    if (instructions.length !== 50) throw new Error(`${this.tool}: disassemble returned ${instructions.length} instructions`);
    return elapsed;
  }

  adapterPeakRssMiB(): number | undefined {
    return peakRssMiB(this.pid);
  }
}

// ---------------------------------------------------------------------------- kernel-qemu

export function kernelQemuTool(kernel: BenchKernel): Tool {
  return {
    name: 'kq',
    label: 'kernel-qemu',
    async launch(options) {
      const runtimeDir = tempDir('kq');
      const { client, pid } = await startDapClient(KQ_ADAPTER, 'kernel-qemu', { ...process.env, KERNEL_QEMU_CACHE: options.cacheRoot });
      try {
        const started = now();
        const stopped = stoppedEvent(client, 'kernel-qemu: launch to start_kernel');
        const configured = client.waitForEvent('initialized', STOP_TIMEOUT_MS).then(() => client.configurationDoneRequest());
        await client.launchRequest({
          type: 'kernel-qemu',
          request: 'launch',
          name: 'bench',
          arch: kernel.arch,
          program: kernel.vmlinux,
          kernel: kernel.kernel,
          initrd: kernel.initrd,
          accel: 'tcg',
          gdbPath: kernel.gdb,
          qemuPath: kernel.qemu,
          ...(options.snapshots ? { stateDisk: path.join(runtimeDir, 'state.qcow2') } : {}),
          ...(options.trace ? { trace: true } : {}),
          ...(options.smp ? { smp: options.smp } : {}),
        } as DebugProtocol.LaunchRequestArguments);
        await configured;
        const stop = await stopped;
        const ms = now() - started;
        const session = new KernelQemuSession(client, kernel, pid, stop.body.threadId ?? 1, runtimeDir);
        await session.showStop();
        if (session.func !== ENTRY_FUNCTION) throw new Error(`kernel-qemu: stopped in ${session.func}, not ${ENTRY_FUNCTION}`);
        return { ms, session };
      } catch (error) {
        await client.stop().catch(() => undefined);
        removeDir(runtimeDir);
        throw error;
      }
    },
  };
}

class KernelQemuSession extends DapSession {
  protected readonly tool = 'kq';

  constructor(
    client: DebugClient,
    kernel: BenchKernel,
    pid: number | undefined,
    threadId: number,
    private readonly runtimeDir: string,
  ) {
    super(client, kernel, pid, threadId);
  }

  async restart(): Promise<number> {
    const started = now();
    const stopped = stoppedEvent(this.client, 'kernel-qemu: restart to start_kernel');
    await this.client.customRequest('restart');
    this.threadId = (await stopped).body.threadId ?? 1;
    await this.showStop();
    if (this.func !== ENTRY_FUNCTION) throw new Error(`kernel-qemu: restart stopped in ${this.func}, not ${ENTRY_FUNCTION}`);
    return now() - started;
  }

  protected async setStopBreakpoint(): Promise<void> {
    const placed = (await this.client.setFunctionBreakpointsRequest({ breakpoints: [{ name: STOP_FUNCTION }] })).body.breakpoints;
    if (!placed[0]?.verified) throw new Error(`kernel-qemu: breakpoint on ${STOP_FUNCTION} refused: ${placed[0]?.message}`);
  }

  /** The Registers scope as the user opens it: the groups, then General. */
  async registers(): Promise<number> {
    const scope = this.scopes.find((candidate) => candidate.name === 'Registers');
    if (!scope) throw new Error('kernel-qemu: no Registers scope');
    const started = now();
    const groups = (await this.client.variablesRequest({ variablesReference: scope.variablesReference })).body.variables;
    const general = groups.find((group) => group.name === 'General');
    if (!general) throw new Error('kernel-qemu: no General register group');
    await this.client.variablesRequest({ variablesReference: general.variablesReference });
    return now() - started;
  }

  async snapshot(name: string): Promise<{ save: number; load: number }> {
    let started = now();
    await this.client.customRequest('kernelQemu.snapshots.save', { name });
    const save = now() - started;
    const stopped = stoppedEvent(this.client, 'kernel-qemu: stop after a snapshot load');
    started = now();
    await this.client.customRequest('kernelQemu.snapshots.load', { name });
    const load = now() - started;
    this.threadId = (await stopped).body.threadId ?? this.threadId;
    await this.showStop();
    return { save, load };
  }

  /** A member of the big struct is edited (set to its own value) and expanded two levels down. */
  async checkEditing(): Promise<string> {
    const evaluated = await this.client.evaluateRequest({ expression: BIG_STRUCT, frameId: this.frame!.id, context: 'watch' });
    const children = (await this.client.variablesRequest({ variablesReference: evaluated.body.variablesReference })).body.variables;
    const prio = children.find((child) => child.name === 'prio');
    if (!prio) throw new Error(`kernel-qemu: ${BIG_STRUCT} has no 'prio'`);
    const set = await this.client.setVariableRequest({
      variablesReference: evaluated.body.variablesReference,
      name: 'prio',
      value: prio.value,
    });
    if (set.body.value !== prio.value) throw new Error(`kernel-qemu: setVariable prio=${prio.value} answered ${set.body.value}`);
    const se = children.find((child) => child.name === NESTED_MEMBER)!;
    const seChildren = (await this.client.variablesRequest({ variablesReference: se.variablesReference })).body.variables;
    const deeper = seChildren.find((child) => child.variablesReference > 0);
    if (!deeper) throw new Error(`kernel-qemu: nothing expandable in ${BIG_STRUCT}.${NESTED_MEMBER}`);
    const grandChildren = (await this.client.variablesRequest({ variablesReference: deeper.variablesReference })).body.variables;
    if (grandChildren.length === 0) throw new Error(`kernel-qemu: ${BIG_STRUCT}.${NESTED_MEMBER}.${deeper.name} expanded to nothing`);
    return `setVariable ${BIG_STRUCT}.prio ok; ${BIG_STRUCT}.${NESTED_MEMBER}.${deeper.name} expands to ${grandChildren.length}`;
  }

  async close(): Promise<void> {
    await within(15_000, 'kernel-qemu: terminate', this.client.terminateRequest()).catch(() => undefined);
    await this.client.stop().catch(() => undefined);
    removeDir(this.runtimeDir);
  }
}
