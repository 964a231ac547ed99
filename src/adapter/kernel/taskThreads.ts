// Every task that is not running as a thread of its own (launch key `threads: "tasks"`), with
// its kernel stack unwound from the context the kernel saved when it switched out: x86_64's
// thread.sp (an inactive_task_frame: callee-saved registers and the return address into
// __schedule), arm64's thread.cpu_context (x19-x28, fp, sp, pc).
//
// gdb has no threads for them, so their stacks come from gdb's own unwinder: a small Python
// frame unwinder (taskUnwinder.ts) that, while switched on for one task, says that the vCPU's
// innermost frame was "called" from that saved context. gdb then unwinds the task's frames
// with DWARF as it does any other (source lines, locals, frame-by-frame evaluation), as the
// frames of vCPU 1 from the one at the task's saved pc on. Every command that names a task
// thread (`--thread 8388609`) is sent as vCPU 1 between switching the unwinder on and off, in
// one tick, so no other command sees it. Nothing is written to the guest: the unwinder only
// tells gdb where registers were saved.
import { mi, type MiCommand } from '../../mi/commands';
import type { MiResult, MiSendHook } from '../../mi/connection';
import { kernelErrors } from './kernelErrors';
import type { GuestArch } from '../../arch';
import type { ThreadsMode } from '../launchArgs';
import { hex, type KernelReader, littleEndian64, unsigned64 } from './kernelReader';
import { TASK_UNWINDER_PYTHON } from './taskUnwinder';

/** Task threads are numbered above any pid (PID_MAX_LIMIT is 4M): id = base + pid. */
export const TASK_THREAD_BASE = 1 << 23;
/** The gdb thread whose innermost frame the task's frames are hung below. */
const CARRIER_THREAD = 1;

export function isTaskThread(threadId: number): boolean {
  return threadId >= TASK_THREAD_BASE;
}

/** Tasks listed at most (the walk is also cycle-safe). */
const MAX_TASK_THREADS = 10_000;

interface TaskFields {
  tasks: bigint;
  pid: bigint;
  onCpu: bigint;
  comm: bigint;
  commLength: number;
  /** The span read per task. */
  start: bigint;
  length: number;
}

export interface TaskThread {
  id: number;
  name: string;
}

export class TaskThreads {
  /** Task thread id -> task_struct address, from the last thread list. */
  private addresses = new Map<number, bigint>();
  private fields: Promise<TaskFields> | undefined;
  private unwinder: Promise<void> | undefined;
  /** The carrier vCPU's frames at the last task stack read are levels 0..carrier (the same for every task at one stop). */
  private carrier = 0;

  constructor(
    private readonly reader: KernelReader,
    private readonly arch: GuestArch,
    readonly mode: ThreadsMode,
  ) {}

  /**
   * Puts the task routing in front of `inner` (the stop cache): a command for a task thread
   * goes to gdb as the carrier vCPU's, inside the unwinder's on/off.
   */
  routeThrough(inner: MiSendHook | undefined): MiSendHook {
    return (command, toGdb) => {
      const next = (toSend: MiCommand) => (inner ? inner(toSend, toGdb) : toGdb(toSend));
      const thread = /--thread (\d+)/.exec(command.text);
      if (!thread || !isTaskThread(Number(thread[1]))) return next(command);
      return this.asTask(command, Number(thread[1]), next);
    };
  }

  /**
   * Every task not on a CPU, by pid: names only (stacks are read when one is expanded). One
   * read per task: the span of task_struct that holds on_cpu, tasks.next, pid and comm.
   */
  async threads(): Promise<TaskThread[]> {
    if (this.mode !== 'tasks') return [];
    const fields = await (this.fields ??= this.readFields());
    const head = unsigned64(await this.reader.value('(unsigned long)&init_task.tasks'));
    const threads: TaskThread[] = [];
    const addresses = new Map<number, bigint>();
    const seen = new Set<bigint>();
    let node = littleEndian64(await this.reader.bytes(head, 8));
    while (node !== head && node !== 0n && !seen.has(node) && seen.size < MAX_TASK_THREADS) {
      seen.add(node);
      const task = BigInt.asUintN(64, node - fields.tasks);
      const span = await this.reader.bytes(task + fields.start, fields.length);
      const at = (offset: bigint) => Number(offset - fields.start);
      const view = new DataView(span.buffer, span.byteOffset, span.byteLength);
      const pid = view.getInt32(at(fields.pid), true);
      const onCpu = view.getInt32(at(fields.onCpu), true);
      const commBytes = span.subarray(at(fields.comm), at(fields.comm) + fields.commLength);
      const end = commBytes.indexOf(0);
      node = littleEndian64(span, at(fields.tasks));
      if (onCpu !== 0 || pid <= 0) continue; // a running task is its vCPU's thread
      addresses.set(TASK_THREAD_BASE + pid, task);
      threads.push({
        id: TASK_THREAD_BASE + pid,
        name: `pid ${pid} · ${Buffer.from(commBytes.subarray(0, end < 0 ? commBytes.length : end)).toString('latin1')}`,
      });
    }
    this.addresses = addresses;
    return threads;
  }

  /** Offsets in task_struct, once per session (the layout does not move). */
  private async readFields(): Promise<TaskFields> {
    const offset = (member: string) => this.reader.value(`(unsigned long)&((struct task_struct *)0)->${member}`).then(unsigned64);
    const [tasks, pid, onCpu, comm, commLength] = await Promise.all([
      offset('tasks'),
      offset('pid'),
      offset('on_cpu'),
      offset('comm'),
      this.reader.value('sizeof(((struct task_struct *)0)->comm)').then(Number),
    ]);
    const start = [tasks, pid, onCpu, comm].reduce((low, value) => (value < low ? value : low));
    const end = [tasks + 8n, pid + 4n, onCpu + 4n, comm + BigInt(commLength)].reduce((high, value) => (value > high ? value : high));
    return { tasks, pid, onCpu, comm, commLength, start, length: Number(end - start) };
  }

  private async asTask(command: MiCommand, threadId: number, next: (command: MiCommand) => Promise<MiResult>): Promise<MiResult> {
    const task = this.addresses.get(threadId);
    if (task === undefined) throw kernelErrors.taskGone(threadId);
    if (/^-exec-(continue|interrupt)\b/.test(command.text)) return next(this.asCarrier(command));
    if (/^-exec-/.test(command.text)) throw kernelErrors.taskNotRunning(threadId - TASK_THREAD_BASE);
    await this.loadUnwinder(next);
    if (!/^-stack-list-frames\b/.test(command.text)) return (await this.switchedTo(task, command, next)).answer;
    // The task's frames start where its saved pc is. Without that frame gdb did not use the
    // unwinder (its answer is the carrier vCPU's own stack): asked once more, then refused.
    for (let attempt = 1; ; attempt++) {
      const { answer, taskPc } = await this.switchedTo(task, command, next, true);
      // Level 0 is the carrier's even when it is paused at that very pc (in __schedule after a switch).
      const start = answer.results
        .tuples('stack')
        .find((frame) => frame.int('level') > 0 && frame.optStr('addr') !== undefined && unsigned64(frame.str('addr')) === taskPc);
      if (start) {
        this.carrier = start.int('level') - 1;
        return answer;
      }
      if (attempt === 2) {
        const unwinder = await next(mi.consoleCommand('python kernel_qemu_task_events()')).then(
          (result) => result.console.trim(),
          () => 'no answer',
        );
        throw kernelErrors.taskUnwindFailed(threadId - TASK_THREAD_BASE, hex(taskPc ?? 0n), unwinder);
      }
    }
  }

  /** `command` as the carrier vCPU's with the unwinder on for `task`, in one tick: nothing else the adapter sends can run meanwhile. */
  private async switchedTo(
    task: bigint,
    command: MiCommand,
    next: (command: MiCommand) => Promise<MiResult>,
    withPc = false,
  ): Promise<{ answer: MiResult; taskPc?: bigint }> {
    const on = next(mi.consoleCommand(`python kernel_qemu_task_on_${this.arch}(${hex(task)})`));
    const answer = next(this.asCarrier(command));
    const taskPc = withPc ? next(mi.evaluate('$_kernel_qemu_task_pc')) : undefined;
    const off = next(mi.consoleCommand('python kernel_qemu_task_off()'));
    answer.catch(() => undefined);
    taskPc?.catch(() => undefined);
    await Promise.all([on, off]);
    return { answer: await answer, taskPc: taskPc && unsigned64((await taskPc).results.str('value')) };
  }

  /** Whether a frame of a task thread's gdb stack is the task's, not the carrier vCPU's. */
  isTaskFrame(level: number): boolean {
    return level > this.carrier;
  }

  private asCarrier(command: MiCommand): MiCommand {
    return { ...command, text: command.text.replace(/--thread \d+/, `--thread ${CARRIER_THREAD}`) };
  }

  private loadUnwinder(next: (command: MiCommand) => Promise<MiResult>): Promise<void> {
    this.unwinder ??= next(mi.consoleCommand(`python exec(${JSON.stringify(TASK_UNWINDER_PYTHON)})`)).then(
      () => undefined,
      (error: unknown) => {
        this.unwinder = undefined;
        throw kernelErrors.taskStacksNeedPython(error instanceof Error ? error.message : String(error));
      },
    );
    return this.unwinder;
  }
}
