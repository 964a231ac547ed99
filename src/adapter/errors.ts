// Error codes the adapter reports to the user. A UserError is shown as is (it names
// the problem and the fix); anything else is a bug and is reported with its stack.
import type { DebugProtocol } from '@vscode/debugprotocol';
import { MiCommandError, MiConnectionClosedError } from '../mi/connection';

export enum ErrorCode {
  ProgramMissing = 1001,
  ProgramNotElf = 1002,
  ProgramNoDebugInfo = 1003,
  ArchMismatch = 1004,
  KernelMissing = 1005,
  InitrdMissing = 1006,
  RootfsMissing = 1007,
  QemuNotFound = 1008,
  GdbNotFound = 1009,
  AccelUnusable = 1010,
  BadArgument = 1011,
  TargetUnreachable = 1012,
  QemuExited = 1013,
  GdbExited = 1014,
  GdbCommandFailed = 1015,
  NotStopped = 1016,
  UnknownReference = 1017,
  Timeout = 1018,
  DiskInUse = 1019,
  /** The kernel keeps a structure in a shape this feature does not read (kernel/kernelLayout.ts). */
  KernelLayoutUnsupported = 1020,
  /** An expression or Debug Console command gdb refused: shown where it was typed (Watch, hover, console). */
  EvaluationFailed = 1021,
  /** A request that needs a connected session came before launch/attach finished, or after the end. */
  NoSession = 1022,
  /** A failure that is kernel-qemu's own (not a refusal by gdb or QEMU, not the user's input): a bug to report. */
  Internal = 1023,
  /** gdb or QEMU is stopped (SIGSTOP, Ctrl+Z) and cannot answer a request (hangWatch.ts). */
  NotResponding = 1024,
  /** QEMU's QMP connection is gone while QEMU runs (its monitor went away): snapshots cannot be made. */
  MonitorClosed = 1025,
  /** The qcow2 rootfs fails `qemu-img check` (configCheck.ts): refused before QEMU starts. */
  RootfsDamaged = 1026,
  /**
   * A well-formed request this session or stop cannot serve: an attached VM's serial console or
   * reset, stepping a sleeping task, exception info away from an exception.
   */
  NotAvailableHere = 1027,
  // The guest (src/adapter/guestConfig.ts)
  /** A shared folder's host path does not exist or is not a folder. */
  ShareMissing = 1301,
  /** A host port asked for in 'ports' is taken on 127.0.0.1. */
  PortTaken = 1302,
  // VM snapshots (src/adapter/snapshots.ts)
  SnapshotMissing = 1101,
  SnapshotExists = 1102,
  SnapshotNoStorage = 1103,
  SnapshotBusy = 1104,
  SnapshotIsOrigin = 1105,
  SnapshotFailed = 1106,
  SnapshotUnavailable = 1107,
  // Record/replay (src/adapter/recordReplayConfig.ts, src/adapter/reverse.ts)
  RecordingMissing = 1201,
  RecordingMismatch = 1202,
  NotReplaying = 1203,
  EndOfRecording = 1204,
  ReplaySwitchFailed = 1205,
}

/**
 * Whether VS Code should show the error as a notification. A stale frame or variables reference
 * is not the user's doing: VS Code asks for the scopes of the frame it had focused before a step
 * right after the stop, then fetches the new stack and asks again. Its Variables view shows the
 * answer; a notification on every step would be noise. A failed evaluation is shown in place by
 * VS Code (a Watch line, the hover, the console); a notification would repeat it at every stop.
 */
export function showsUser(code: ErrorCode): boolean {
  return code !== ErrorCode.UnknownReference && code !== ErrorCode.EvaluationFailed;
}

export class UserError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/**
 * Message factories of the errors raised in more than one place (js-debug's errors.ts pairs
 * each code with one): one wording, one code, wherever they are thrown.
 */
export const errors = {
  noSession: () => new UserError(ErrorCode.NoSession, 'No kernel-qemu session is running.'),
  kernelRunning: () => new UserError(ErrorCode.NotStopped, 'The kernel is running: pause it first.'),
  /** A run asked for before configurationDone: the session's first stop has not been shown. */
  starting: () =>
    new UserError(
      ErrorCode.NotStopped,
      'The session is still starting: continue, step and restart work once it has stopped for the first time (after configurationDone).',
    ),
  /** A frame or variables reference from before the target last ran. */
  staleReference: (what: 'frameId' | 'variablesReference', id: number) =>
    new UserError(ErrorCode.UnknownReference, `Unknown ${what} ${id} (the target ran since it was shown).`),
  /**
   * `stopped` (gdb or QEMU, with its pid) is stopped, so `request` (an MI or QMP command) gets no
   * answer. Through gdb, a stopped QEMU is waited for by gdb (its gdb stub answers nothing).
   */
  notResponding: (stopped: { name: string; pid: number }, request: string, via: string | undefined, waitedMs: number) =>
    new UserError(
      ErrorCode.NotResponding,
      `${stopped.name} (pid ${stopped.pid}) is stopped (SIGSTOP, or Ctrl+Z in a terminal) and ` +
        `stopped responding: ${via ? `${via} waits for it, so ` : ''}${request.trim().split(/\s/)[0]}` +
        ` got no answer in ${(waitedMs / 1000).toFixed(1)} s. Resume it (kill -CONT ${stopped.pid}` +
        `) and try again, or stop the debug session (that ends it).`,
    ),
  /** An expression, Debug Console command or list hint gdb or the adapter refused: `text` says why. */
  evaluationFailed: (text: string) => new UserError(ErrorCode.EvaluationFailed, text),
  expressionTooLong: (length: number, most: number) =>
    new UserError(
      ErrorCode.EvaluationFailed,
      `This expression is ${length} characters long; kernel-qemu sends at most ${most} to gdb (it would take seconds to read it).`,
    ),
  /** A custom request without the string argument it needs. */
  missingArgument: (request: string, argument: string) => new UserError(ErrorCode.BadArgument, `${request} needs a "${argument}" string.`),
  unknownRequest: (command: string) => new UserError(ErrorCode.BadArgument, `Unknown request '${command}'.`),
  /** `subject`: what needs the path, with its verb ("Breakpoints need"). */
  needsSourcePath: (subject: 'Breakpoints need' | 'Set Next Statement needs') =>
    new UserError(ErrorCode.BadArgument, `${subject} a source file with a path.`),
  /** A read sent for the last stop that reached gdb after the kernel ran on. */
  readAfterResume: () => new UserError(ErrorCode.UnknownReference, 'The kernel runs again: this read belonged to the last stop.'),

  // Memory
  notAnAddress: (reference: string) => new UserError(ErrorCode.BadArgument, `'${reference}' is not a memory address.`),
  outsideAddressSpace: (reference: string, offset: number) =>
    new UserError(ErrorCode.BadArgument, `Address ${reference}${offset ? ` + ${offset}` : ''} is outside the 64-bit address space.`),
  writeTooLarge: (maxBytes: number) => new UserError(ErrorCode.BadArgument, `Writes are limited to ${maxBytes} bytes per request.`),

  // Set Variable
  noMemberToSet: (name: string) => new UserError(ErrorCode.UnknownReference, `No member '${name}' to set.`),
  registerGroupEdit: () => new UserError(ErrorCode.BadArgument, 'Expand a register group to edit a register.'),
  listEntryEdit: () => new UserError(ErrorCode.BadArgument, 'A list entry is a structure: expand it to edit its members.'),
  perCpuEdit: (expression: string) =>
    new UserError(ErrorCode.BadArgument, `Set one CPU's copy: expand ${expression} and edit CPU n, or assign in the Debug Console.`),

  // Set Next Statement
  gotoOtherFunction: (currentFunction: string, line: number, lineFunction: string) =>
    new UserError(ErrorCode.BadArgument, `Set Next Statement moves the pc within ${currentFunction}; line ${line} is in ${lineFunction}.`),
  unknownGotoTarget: (targetId: number) =>
    new UserError(ErrorCode.UnknownReference, `Unknown goto target ${targetId}: ask for the line's targets again.`),

  // What an attached session or a stop does not have
  noException: () => new UserError(ErrorCode.NotAvailableHere, 'The kernel did not stop at a panic, Oops or WARN.'),
  serialAttached: () =>
    new UserError(ErrorCode.NotAvailableHere, 'The serial console belongs to the QEMU that launched it; this session is attached.'),
  restartAttached: () =>
    new UserError(
      ErrorCode.NotAvailableHere,
      'Restart resets a VM this session started; an attached VM is not ours to reset (disconnect and attach again).',
    ),
  /** `notDone`: what did not happen, as a sentence without its end ("The VM did not reset"). */
  timedOut: (notDone: string, ms: number) => new UserError(ErrorCode.Timeout, `${notDone} within ${ms / 1000} s.`),

  /** QMP closed under a QEMU that still runs: what needs it (snapshots, restart) is gone, gdb is not. */
  monitorClosed: (what: string) =>
    new UserError(
      ErrorCode.MonitorClosed,
      `${what} needs QEMU's QMP monitor, and its connection closed while QEMU still runs (the ` +
        `monitor went away): VM snapshots and Restart are unavailable in this session; ` +
        `breakpoints, stepping and the views go on through gdb. Stop the session and start it ` +
        `again to get them back.`,
    ),
};

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * What reaches a request's answer when a handler did not name its error: gdb's refusal of a
 * thread id is a stale reference (a task thread gone, a client's guess); any other refusal is
 * gdb's word under GdbCommandFailed; gdb gone is GdbExited. Anything else stays a bug (Internal).
 */
export function namedErrorOf(error: unknown): UserError | undefined {
  if (error instanceof UserError) return error;
  if (error instanceof MiConnectionClosedError) return new UserError(ErrorCode.GdbExited, `gdb is gone: ${error.message}`);
  if (!(error instanceof MiCommandError)) return undefined;
  const thread = /Invalid thread id: (\S+)/.exec(error.message);
  if (thread)
    return new UserError(
      ErrorCode.UnknownReference,
      `Unknown threadId ${thread[1]}: no vCPU or task thread has it now (the thread list changed since it was shown).`,
    );
  return new UserError(ErrorCode.GdbCommandFailed, `gdb refused ${error.command.trim().split(/\s/)[0]}: ${error.message}`);
}

/** A failed request's DAP error: its code and words, shown to the user unless showsUser says not. */
export function dapMessageOf(error: unknown): DebugProtocol.Message {
  const named = namedErrorOf(error);
  if (named) return { id: named.code, format: named.message, variables: {}, showUser: showsUser(named.code) };
  return { id: ErrorCode.Internal, format: errorText(error), variables: {}, showUser: true };
}

/** A gdb refusal (bad expression, wrong type, unreadable memory) is the user's to read under `code`; anything else stays a bug. */
export function gdbRefusalAs(code: ErrorCode): (error: unknown) => never {
  return (error) => {
    throw error instanceof MiCommandError ? new UserError(code, error.message) : error;
  };
}
