// Error codes the adapter reports to the user. A UserError is shown as is (it names
// the problem and the fix); anything else is a bug and is reported with its stack.
import { MiCommandError } from '../mi/connection';

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
  // VM snapshots (src/adapter/snapshots.ts)
  SnapshotMissing = 1101,
  SnapshotExists = 1102,
  SnapshotNoStorage = 1103,
  SnapshotBusy = 1104,
  SnapshotIsOrigin = 1105,
  SnapshotFailed = 1106,
  SnapshotUnavailable = 1107,
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

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A gdb refusal (bad expression, wrong type, unreadable memory) is the user's to read under `code`; anything else stays a bug. */
export function gdbRefusalAs(code: ErrorCode): (error: unknown) => never {
  return (error) => {
    throw error instanceof MiCommandError ? new UserError(code, error.message) : error;
  };
}
