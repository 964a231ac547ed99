// What reading the kernel's own data can run into (task threads, lists, locations, the log):
// each problem with its code and its words.
import { ErrorCode, UserError } from '../errors';

export const kernelErrors = {
  taskGone: (threadId: number) =>
    new UserError(
      ErrorCode.UnknownReference,
      `Task thread ${threadId} is not in the task list of this stop (the task may have exited): pick a thread from the Call Stack again.`,
    ),
  taskNotRunning: (pid: number) =>
    new UserError(
      ErrorCode.NotAvailableHere,
      `pid ${pid} is not running on a CPU and cannot be stepped: step a vCPU thread (CPU n), or Continue.`,
    ),
  /** `savedPc`: the pc the task saved when it switched out; `unwinder`: what the Python unwinder reported. */
  taskUnwindFailed: (pid: number, savedPc: string, unwinder: string) =>
    new UserError(
      ErrorCode.GdbCommandFailed,
      `gdb did not unwind pid ${pid} from the context it saved (pc ${savedPc}` +
        `; the unwinder: ${unwinder}): its stack came out as the vCPU's own. Select the thread ` +
        `again, or look at the task from a vCPU stop.`,
    ),
  taskStacksNeedPython: (gdbSaid: string) =>
    new UserError(ErrorCode.GdbCommandFailed, `Task stacks need gdb with Python (threads: "tasks"); gdb said: ${gdbSaid}`),
  /** `usage`: how a list hint is written. */
  notAListHint: (usage: string) => new UserError(ErrorCode.EvaluationFailed, `Not a list hint: write ${usage}.`),
  listHeadNotReadOnly: (head: string, usage: string) =>
    new UserError(ErrorCode.EvaluationFailed, `The list head ${head} must only read (no call, assignment or ++): ${usage}.`),
  listHeadType: (head: string, type: string, expected: string, usage: string) =>
    new UserError(ErrorCode.EvaluationFailed, `${head} has type ${type}, not ${expected}: ${usage}.`),
  notALocation: (location: string) =>
    new UserError(ErrorCode.BadArgument, `'${location}' is not a kernel location (func+0x1a/0x40 or an address).`),
  noPrintkRing: () =>
    new UserError(
      ErrorCode.KernelLayoutUnsupported,
      "This kernel has no lockless printk ring ('prb', Linux 5.10 and later), which dmesg reads: " +
        "use the kernel's own lx-dmesg (CONFIG_GDB_SCRIPTS=y, make scripts_gdb).",
    ),
};
