// The random DAP requests of randomRequests.stress.ts: each one a valid shape built from what
// the session has shown so far (threads, frames, variable references, data ids, addresses,
// source lines), in proportions like a user's (mostly reads, some run control, a rare restart).
// What is sent is random; that each answer is a success or a named error is the test's part.
import type { DebugProtocol } from '@vscode/debugprotocol';
import { KERNEL_REQUEST } from '../../src/adapter/kernelProtocol';
import { KERNEL_EXCEPTION_FILTERS } from '../../src/adapter/kernel/kernelExceptions';
import { SNAPSHOT_REQUEST } from '../../src/adapter/snapshotProtocol';

export interface SourceLine {
  path: string;
  line: number;
}

/** What the session has answered so far: the material of the next requests. */
export class SessionView {
  running = false;
  threadIds: number[] = [1];
  frameIds: number[] = [];
  instructionReferences: string[] = [];
  sourceReferences: number[] = [];
  variablesReferences: number[] = [];
  /** Leaf variables: their container, name and the value shown (written back unchanged). */
  leaves: Array<{ container: number; name: string; value: string }> = [];
  dataIds: string[] = [];
  /** Lines near a few functions' entries (resolveLocation), once the first stop is there. */
  sourceLines: SourceLine[] = [];

  /** Learns from a successful response what later requests may refer to. */
  learn(command: string, body: unknown): void {
    const record = (body ?? {}) as Record<string, unknown>;
    if (command === 'threads') {
      const ids = ((record.threads as DebugProtocol.Thread[] | undefined) ?? []).map((thread) => thread.id);
      if (ids.length) this.threadIds = ids;
    } else if (command === 'stackTrace') {
      for (const frame of (record.stackFrames as DebugProtocol.StackFrame[] | undefined) ?? []) {
        remember(this.frameIds, frame.id);
        if (frame.instructionPointerReference) remember(this.instructionReferences, frame.instructionPointerReference);
        if (frame.source?.sourceReference) remember(this.sourceReferences, frame.source.sourceReference);
      }
    } else if (command === 'scopes') {
      for (const scope of (record.scopes as DebugProtocol.Scope[] | undefined) ?? [])
        remember(this.variablesReferences, scope.variablesReference);
    } else if (command === 'variables') {
      for (const variable of (record.variables as DebugProtocol.Variable[] | undefined) ?? []) {
        if (variable.variablesReference > 0) remember(this.variablesReferences, variable.variablesReference);
        if (variable.memoryReference) remember(this.instructionReferences, variable.memoryReference);
      }
    } else if (command === 'dataBreakpointInfo' && typeof record.dataId === 'string') {
      remember(this.dataIds, record.dataId);
    }
  }

  /** Leaf values to write back unchanged (setVariable), learned from variables answers. */
  learnLeaves(container: number, body: unknown): void {
    for (const variable of ((body as { variables?: DebugProtocol.Variable[] }).variables ?? []).slice(0, 8)) {
      if (variable.variablesReference === 0 && /^-?\d+$/.test(variable.value)) {
        this.leaves.push({ container, name: variable.name, value: variable.value });
        if (this.leaves.length > 32) this.leaves.shift();
      }
    }
  }

  /** A run invalidates frames and variable references (they stay in the mix: stale ones must be named errors). */
  ran(): void {
    this.frameIds = this.frameIds.slice(-8);
    this.variablesReferences = this.variablesReferences.slice(-8);
    this.leaves = [];
  }
}

function remember<T>(list: T[], value: T): void {
  if (!list.includes(value)) list.push(value);
  if (list.length > 64) list.shift();
}

export type Random = () => number;

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

function some<T>(random: Random, items: readonly T[], most: number): T[] {
  return items.filter(() => random() < most / Math.max(items.length, 1));
}

const FUNCTIONS = ['vfs_read', 'ksys_write', 'do_sys_openat2', 'kernel_clone', 'do_exit', 'schedule_timeout', 'no_such_function_xyz'];
const EXPRESSIONS = [
  'jiffies',
  'init_task.comm',
  'init_task',
  'init_task.tasks',
  'init_task.mm',
  'sizeof(struct task_struct)',
  '$pc',
  '$sp',
  'no_such_symbol_xyz',
  '1 +',
  '(char)65',
  'init_task.pid * 2',
];
const REPL = ['p jiffies', 'info threads', 'bt 3', 'p/x $pc', 'info frame', 'ptype struct list_head', 'x/4xw $sp', 'whatis init_task'];
const GRANULARITIES: ReadonlyArray<DebugProtocol.SteppingGranularity | undefined> = [undefined, 'statement', 'line', 'instruction'];

export interface MixRequest {
  command: string;
  args: unknown;
}

/** One request in the proportions of the weights below; a running guest is paused more often than it is stepped. */
export function nextRequest(random: Random, view: SessionView): MixRequest {
  const thread = (): number => (random() < 0.9 ? pick(random, view.threadIds) : 999_999);
  const frame = (): number => (view.frameIds.length && random() < 0.9 ? pick(random, view.frameIds) : 424_242);
  const reference = (): number => (view.variablesReferences.length && random() < 0.9 ? pick(random, view.variablesReferences) : 987_654);
  const address = (): string => (view.instructionReferences.length ? pick(random, view.instructionReferences) : '0xffffffff81000000');
  const choices: Array<[number, () => MixRequest]> = [
    [10, () => ({ command: 'threads', args: {} })],
    [
      12,
      () => ({
        command: 'stackTrace',
        args: { threadId: thread(), startFrame: Math.floor(random() * 3), levels: pick(random, [1, 20, 200]) },
      }),
    ],
    [8, () => ({ command: 'scopes', args: { frameId: frame() } })],
    [
      14,
      () => ({
        command: 'variables',
        args: {
          variablesReference: reference(),
          ...(random() < 0.2 ? { start: 0, count: 5 } : {}),
          ...(random() < 0.2 ? { format: { hex: true } } : {}),
        },
      }),
    ],
    [
      10,
      () => ({
        command: 'evaluate',
        args: {
          expression: pick(random, EXPRESSIONS),
          context: pick(random, ['watch', 'hover', 'clipboard']),
          ...(random() < 0.7 ? { frameId: frame() } : {}),
        },
      }),
    ],
    [4, () => ({ command: 'evaluate', args: { expression: pick(random, REPL), context: 'repl' } })],
    [
      2,
      () => ({
        command: 'completions',
        args: {
          text: pick(random, ['init_t', 'init_task.', 'jiff', 'p init_task.co']),
          column: 7,
          ...(random() < 0.5 ? { frameId: frame() } : {}),
        },
      }),
    ],
    [
      5,
      () => ({
        command: 'readMemory',
        args: { memoryReference: address(), offset: Math.floor(random() * 64) - 32, count: pick(random, [1, 16, 256, 4096]) },
      }),
    ],
    [
      4,
      () => ({
        command: 'disassemble',
        args: {
          memoryReference: address(),
          instructionOffset: Math.floor(random() * 20) - 10,
          instructionCount: pick(random, [1, 10, 50]),
          resolveSymbols: true,
        },
      }),
    ],
    [
      3,
      () => ({
        command: 'setFunctionBreakpoints',
        args: {
          breakpoints: some(random, FUNCTIONS, 1.5).map((name) => ({
            name,
            ...(random() < 0.2 ? { condition: 'jiffies % 2 == 0' } : {}),
            ...(random() < 0.1 ? { hitCondition: '3' } : {}),
          })),
        },
      }),
    ],
    [3, () => ({ command: 'setBreakpoints', args: sourceBreakpoints(random, view) })],
    [
      1,
      () => ({
        command: 'setInstructionBreakpoints',
        args: {
          breakpoints: some(random, view.instructionReferences.slice(0, 4), 1).map((instructionReference) => ({ instructionReference })),
        },
      }),
    ],
    [
      2,
      () => ({
        command: 'dataBreakpointInfo',
        args: { name: pick(random, ['jiffies', 'init_task.comm', 'no_such_symbol_xyz']), ...(random() < 0.5 ? { frameId: frame() } : {}) },
      }),
    ],
    [
      1,
      () => ({
        command: 'setDataBreakpoints',
        args: {
          breakpoints: some(random, view.dataIds, 0.7).map((dataId) => ({
            dataId,
            accessType: pick(random, ['write', 'readWrite'] as const),
          })),
        },
      }),
    ],
    [
      1,
      () => ({
        command: 'setExceptionBreakpoints',
        args: {
          filters: some(
            random,
            KERNEL_EXCEPTION_FILTERS.map(({ filter }) => filter),
            2,
          ),
        },
      }),
    ],
    [
      view.running ? 1 : 5,
      () => ({ command: 'continue', args: { threadId: thread(), ...(random() < 0.2 ? { singleThread: true } : {}) } }),
    ],
    [view.running ? 12 : 1, () => ({ command: 'pause', args: { threadId: thread() } })],
    [
      view.running ? 1 : 4,
      () => ({
        command: pick(random, ['next', 'stepIn', 'stepOut']),
        args: { threadId: thread(), granularity: pick(random, GRANULARITIES) },
      }),
    ],
    [
      1,
      () => ({
        command: 'gotoTargets',
        args: {
          ...(view.sourceLines.length ? { source: { path: pick(random, view.sourceLines).path } } : { source: {} }),
          line: view.sourceLines.length ? pick(random, view.sourceLines).line : 1,
        },
      }),
    ],
    [1, () => ({ command: 'exceptionInfo', args: { threadId: thread() } })],
    [1, () => ({ command: 'modules', args: {} })],
    [
      1,
      () => ({ command: 'source', args: { sourceReference: view.sourceReferences.length ? pick(random, view.sourceReferences) : 12_345 } }),
    ],
    [1, () => ({ command: 'setVariable', args: leafWriteBack(random, view) })],
    [1, () => ({ command: KERNEL_REQUEST.tasks, args: {} })],
    [1, () => ({ command: KERNEL_REQUEST.dmesg, args: {} })],
    [
      1,
      () => ({
        command: KERNEL_REQUEST.resolveLocation,
        args: { location: pick(random, ['vfs_read', 'do_sys_openat2+0x10', 'no_such_function_xyz']) },
      }),
    ],
    [1, () => ({ command: KERNEL_REQUEST.serialInput, args: { text: 'echo kq-stress\n' } })],
    [1, () => ({ command: SNAPSHOT_REQUEST.list, args: {} })],
  ];
  const total = choices.reduce((sum, [weight]) => sum + weight, 0);
  let roll = random() * total;
  for (const [weight, make] of choices) {
    roll -= weight;
    if (roll < 0) return make();
  }
  return choices[0]![1]();
}

function sourceBreakpoints(random: Random, view: SessionView): DebugProtocol.SetBreakpointsArguments {
  if (!view.sourceLines.length) return { source: { path: '/nonexistent.c' }, breakpoints: [] };
  const file = pick(random, view.sourceLines).path;
  const lines = view.sourceLines.filter((line) => line.path === file);
  return { source: { path: file }, breakpoints: some(random, lines, 1).map(({ line }) => ({ line: line + Math.floor(random() * 3) })) };
}

/** A leaf written back with the value it shows (or a stale reference): a write that changes nothing in the kernel. */
function leafWriteBack(random: Random, view: SessionView): DebugProtocol.SetVariableArguments {
  if (!view.leaves.length || random() < 0.1) return { variablesReference: 987_654, name: 'x', value: '0' };
  const leaf = pick(random, view.leaves);
  return { variablesReference: leaf.container, name: leaf.name, value: leaf.value };
}

/** The commands that set the guest running when they succeed. */
export const RUNS = new Set(['continue', 'next', 'stepIn', 'stepOut']);
