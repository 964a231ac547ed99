// One builder per MI command. Each command names the result classes it may end with,
// so the connection can reject a surprise instead of the caller guessing.
import type { ResultClass } from './records';

export interface MiCommand {
  /** The command without its token, e.g. `-exec-continue`. */
  readonly text: string;
  readonly expect: readonly ResultClass[];
  /**
   * What gdb prints on its log stream while it runs this command (its errors and warnings) is
   * part of the answer (MiResult.transcript), not unsolicited output: for the user's commands.
   */
  readonly ownsLog?: true;
  /** Sent inside a window where gdb refuses writes and calls (evaluationPolicy.ts): it reads only. */
  readonly readOnly?: true;
  /** Only reads the target (the adapter's own Python readers): its answer holds while the kernel stays stopped. */
  readonly stopStable?: true;
}

const DONE: readonly ResultClass[] = ['done'];
const RUNNING: readonly ResultClass[] = ['running'];

/**
 * Quotes a parameter as an MI c-string, so spaces and quotes stay one argument. gdb's MI reads
 * `\\` and `\"` but turns any other escape into the bare letter (`\t` -> `t`): a tab goes as is.
 * A newline cannot be sent at all (it ends the command); configCheck refuses it in paths.
 */
export function quote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`;
}

/** An MI command is one line: a newline in it would make gdb run a second command of the sender's choosing. */
/** One argument for a gdb CLI command that splits its arguments like a shell (buildargv): spaces, quotes and backslashes stay literal. */
export function cliArgument(text: string): string {
  return `"${text.replace(/[\\"]/g, '\\$&')}"`;
}

function command(text: string, expect: readonly ResultClass[] = DONE, traits: Pick<MiCommand, 'ownsLog'> = {}): MiCommand {
  if (/[\r\n]/.test(text)) throw new RangeError(`An MI command must be one line: ${JSON.stringify(text.slice(0, 80))}`);
  return { text, expect, ...traits };
}

/** Numbers spliced into a command (thread ids, frame levels, counts) are integers, never text that adds options. */
function int(value: number): number {
  if (!Number.isSafeInteger(value)) throw new RangeError(`Expected an integer, not ${JSON.stringify(value)}`);
  return value;
}

/** `--thread N --frame M` context options; gdb takes them on most data commands. */
export interface FrameContext {
  threadId: number;
  frameLevel?: number;
}

function contextOptions(context: FrameContext | undefined): string {
  if (!context) return '';
  const frame = context.frameLevel === undefined ? '' : ` --frame ${int(context.frameLevel)}`;
  return ` --thread ${int(context.threadId)}${frame}`;
}

export const mi = {
  gdbSet: (variable: string, value: string) => command(`-gdb-set ${variable} ${value}`),
  gdbExit: () => command('-gdb-exit', ['exit']),
  fileExecAndSymbols: (path: string) => command(`-file-exec-and-symbols ${quote(path)}`),
  // gdb hands the target string to its CLI unparsed: quoting it would make the quotes part of the path.
  targetSelectRemote: (target: string) => command(`-target-select remote ${target}`, ['connected', 'done']),
  targetDisconnect: () => command('-target-disconnect'),
  /** A CLI command; one typed by the user may resume the target (`continue`). */
  consoleCommand: (text: string, expect: readonly ResultClass[] = DONE) => command(`-interpreter-exec console ${quote(text)}`, expect),
  /** A CLI command the user typed: it may resume the target, and its errors and warnings are its own output. */
  userCommand: (text: string) => command(`-interpreter-exec console ${quote(text)}`, ['done', 'running'], { ownsLog: true }),
  /** Whether `word` is a gdb command (gdb's own lookup, abbreviations and aliases included): ^done or ^error. */
  helpFor: (word: string) => command(`-interpreter-exec console ${quote(`help ${word}`)}`, DONE, { ownsLog: true }),
  /** gdb's completions of a Debug Console line. */
  complete: (text: string) => command(`-complete ${quote(text)}`),
  gdbShow: (variable: string) => command(`-gdb-show ${variable}`),
  /** Source path mapping; gdb splits its arguments like a shell (gdb_buildargv), so each is quoted for that. */
  setSubstitutePath: (from: string, to: string) =>
    command(`-interpreter-exec console ${quote(`set substitute-path ${cliArgument(from)} ${cliArgument(to)}`)}`),
  /** Raw text typed by the user that is already an MI command. */
  raw: (text: string) => command(text, ['done', 'running', 'connected', 'exit']),

  breakInsert: (options: BreakInsertOptions) => {
    const parts = ['-break-insert'];
    if (options.temporary) parts.push('-t');
    if (options.hardware) parts.push('-h');
    if (options.pending) parts.push('-f');
    if (options.condition) parts.push('-c', quote(options.condition));
    if (options.ignoreCount !== undefined && options.ignoreCount > 0) parts.push('-i', String(int(options.ignoreCount)));
    if (options.threadId !== undefined) parts.push('-p', String(int(options.threadId)));
    parts.push('--', quote(options.location));
    return command(parts.join(' '));
  },
  breakList: () => command('-break-list'),
  breakDisable: (numbers: readonly string[]) => command(`-break-disable ${numbers.join(' ')}`),
  breakEnable: (numbers: readonly string[]) => command(`-break-enable ${numbers.join(' ')}`),
  breakDelete: (numbers: readonly string[]) => command(`-break-delete ${numbers.join(' ')}`),
  breakCondition: (number: string, condition: string) =>
    command(`-break-condition ${number} ${condition ? quote(condition) : ''}`.trimEnd()),
  breakAfter: (number: string, count: number) => command(`-break-after ${number} ${int(count)}`),
  breakWatch: (expression: string, access: 'write' | 'read' | 'readWrite') => {
    const flag = access === 'read' ? ' -r' : access === 'readWrite' ? ' -a' : '';
    return command(`-break-watch${flag} ${quote(expression)}`);
  },

  execContinue: () => command('-exec-continue', RUNNING),
  /** With scheduler-locking on, only this thread runs. */
  execContinueThread: (threadId: number) => command(`-exec-continue --thread ${int(threadId)}`, RUNNING),
  execInterrupt: () => command('-exec-interrupt'),
  execNext: (threadId: number) => command(`-exec-next --thread ${int(threadId)}`, RUNNING),
  execStep: (threadId: number) => command(`-exec-step --thread ${int(threadId)}`, RUNNING),
  execFinish: (threadId: number, frameLevel = 0) => command(`-exec-finish --thread ${int(threadId)} --frame ${int(frameLevel)}`, RUNNING),
  execNextInstruction: (threadId: number) => command(`-exec-next-instruction --thread ${int(threadId)}`, RUNNING),
  execStepInstruction: (threadId: number) => command(`-exec-step-instruction --thread ${int(threadId)}`, RUNNING),
  // Reverse execution (a replaying QEMU): MI's global --thread comes before the command's own --reverse.
  execReverseNext: (threadId: number) => command(`-exec-next --thread ${int(threadId)} --reverse`, RUNNING),
  execReverseStepInstruction: (threadId: number) => command(`-exec-step-instruction --thread ${int(threadId)} --reverse`, RUNNING),
  execReverseContinue: () => command('-exec-continue --reverse', RUNNING),

  threadInfo: () => command('-thread-info'),
  threadSelect: (threadId: number) => command(`-thread-select ${int(threadId)}`),
  stackListFrames: (threadId: number, low?: number, high?: number) =>
    command(`-stack-list-frames --thread ${int(threadId)}${low !== undefined && high !== undefined ? ` ${int(low)} ${int(high)}` : ''}`),
  stackInfoDepth: (threadId: number, maxDepth: number) => command(`-stack-info-depth --thread ${int(threadId)} ${int(maxDepth)}`),
  stackListVariables: (context: FrameContext) => command(`-stack-list-variables${contextOptions(context)} --simple-values`),

  varCreate: (expression: string, context?: FrameContext) => command(`-var-create${contextOptions(context)} - * ${quote(expression)}`),
  varListChildren: (name: string) => command(`-var-list-children --simple-values ${quote(name)}`),
  varDelete: (name: string) => command(`-var-delete ${quote(name)}`),
  varAssign: (name: string, value: string) => command(`-var-assign ${quote(name)} ${quote(value)}`),
  varInfoPathExpression: (name: string) => command(`-var-info-path-expression ${quote(name)}`),

  evaluate: (expression: string, context?: FrameContext) =>
    command(`-data-evaluate-expression${contextOptions(context)} ${quote(expression)}`),
  listRegisterNames: () => command('-data-list-register-names'),
  listRegisterValues: (context: FrameContext, format: 'x' | 'N' = 'x', registers: readonly number[] = []) =>
    command(
      `-data-list-register-values${contextOptions(context)} --skip-unavailable ${format}` +
        (registers.length ? ' ' + registers.join(' ') : ''),
    ),
  /** `address` may be an expression; with `context` it is evaluated in that thread and frame ($sp, say). */
  readMemoryBytes: (address: string, count: number, offset = 0, context?: FrameContext) =>
    command(`-data-read-memory-bytes${contextOptions(context)}${offset ? ` -o ${offset}` : ''} ${quote(address)} ${count}`),
  writeMemoryBytes: (address: string, hexBytes: string) => command(`-data-write-memory-bytes ${quote(address)} ${hexBytes}`),
  /** The whole function that holds `location` (a name or an address), instructions only. */
  disassembleFunction: (location: string) => command(`-data-disassemble -a ${quote(location)} -- 0`),
  disassemble: (startAddress: string, endAddress: string, mode: 0 | 2 | 4 | 5 = 5) =>
    command(`-data-disassemble -s ${startAddress} -e ${endAddress} -- ${mode}`),
} as const;

export interface BreakInsertOptions {
  location: string;
  condition?: string;
  ignoreCount?: number;
  hardware?: boolean;
  temporary?: boolean;
  pending?: boolean;
  threadId?: number;
}
