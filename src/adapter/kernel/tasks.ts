// Which task each vCPU runs, and the task list, read from the kernel's own data with plain
// gdb expressions (no helper scripts needed): the per-CPU current pointer and init_task.tasks.
import { mi } from '../../mi/commands';
import type { MiConnection } from '../../mi/connection';
import type { GuestArch } from '../../arch';
import {
  type CurrentTask,
  type CurrentTaskQuery,
  currentTasksCall,
  type TaskPointerPlaces,
  currentTasksCommand,
  defineCurrentTasks,
  parseCurrentTasks,
} from './currentTasks';
import { type KernelLayout, perCpuAddress } from './kernelLayout';

export interface TaskInfo {
  pid: number;
  comm: string;
  state: string;
  address: string;
}

const MAX_TASKS = 4096;
const KERNEL_SPACE = 0xffff000000000000n;

/** Where a task_struct keeps what a thread's name shows. */
interface TaskLayout {
  pid: number;
  comm: number;
  commLength: number;
}

/** A vCPU's question waiting for the batch of its tick; 'unavailable': ask it the MI way. */
interface PendingQuery {
  query: CurrentTaskQuery;
  resolve: (task: CurrentTask | undefined | 'unavailable') => void;
}

export class TaskInspector {
  private layout: Promise<TaskLayout | undefined> | undefined;

  constructor(
    private readonly mi: MiConnection,
    private readonly arch: GuestArch,
    private readonly kernelLayout: () => Promise<KernelLayout>,
  ) {}

  /** The task a vCPU runs (QEMU numbers gdb threads from 1 for CPU 0), or undefined before per-CPU data exists. */
  async current(cpu: number, threadId: number): Promise<{ pid: number; comm: string } | undefined> {
    const layout = await this.taskLayout();
    if (!layout) return undefined;
    const places = await this.pointerPlaces();
    if (!places.register && !places.perCpu) return undefined;
    if (this.python !== false) {
      const batched = await this.batched({ threadId, cpu }, places, layout);
      if (batched !== 'unavailable') return batched;
    }
    if (places.register) {
      const floor = places.register.floor;
      const fromRegister = await this.taskFields(places.register.name, layout, threadId, (pointer) => pointer >= floor);
      if (fromRegister) return fromRegister;
    }
    if (!places.perCpu) return undefined;
    const kernel = await this.kernelLayout();
    return this.taskFields(`*(unsigned long *)${perCpuAddress(kernel, places.perCpu.variable, cpu)}`, layout, threadId);
  }

  /**
   * Where a vCPU's task pointer is. arm64 keeps `current` in SP_EL0 while in the kernel
   * (from the first instruction of __primary_switched, earlier than any per-CPU data); at EL0
   * it is the user stack pointer, so only a kernel address counts; then the per-CPU pointer.
   */
  private async pointerPlaces(): Promise<TaskPointerPlaces> {
    const kernel = await this.kernelLayout();
    return {
      ...(this.arch === 'aarch64' ? { register: { name: '$SP_EL0', floor: KERNEL_SPACE } } : {}),
      ...(kernel.currentTask ? { perCpu: { variable: kernel.currentTask, zeroBased: kernel.perCpuZeroBased } } : {}),
    };
  }

  /** Questions asked in the same tick go to gdb together (every vCPU of a stop: one command). */
  private batch: PendingQuery[] | undefined;
  /** gdb runs the Python reader (undefined: not known yet). */
  private python: boolean | undefined;
  private pythonDefined: Promise<boolean> | undefined;

  private batched(
    query: CurrentTaskQuery,
    places: TaskPointerPlaces,
    layout: TaskLayout,
  ): Promise<CurrentTask | undefined | 'unavailable'> {
    return new Promise((resolve) => {
      if (!this.batch) {
        const batch: PendingQuery[] = (this.batch = []);
        queueMicrotask(() => {
          this.batch = undefined;
          void this.sendBatch(batch, places, layout);
        });
      }
      this.batch.push({ query, resolve });
    });
  }

  private async sendBatch(batch: readonly PendingQuery[], places: TaskPointerPlaces, layout: TaskLayout): Promise<void> {
    // In thread order, so the same vCPUs make the same command text (the stop cache answers the repeat).
    const ordered = [...new Map(batch.map((item) => [item.query.threadId, item.query])).values()].sort((a, b) => a.threadId - b.threadId);
    let tasks: Array<CurrentTask | undefined> | undefined;
    const only = ordered.length === 1 && !places.register ? ordered[0] : undefined;
    if (only && places.perCpu) tasks = [await this.readOne(only.cpu, places.perCpu.variable, layout)];
    else if (await this.definePython()) {
      const answer = await this.mi.send(currentTasksCommand(currentTasksCall(ordered, places, layout))).catch(() => undefined);
      tasks = answer ? parseCurrentTasks(answer.console, ordered.length) : undefined;
    }
    const byThread = new Map(ordered.map((query, index) => [query.threadId, tasks?.[index]]));
    for (const { query, resolve } of batch) resolve(tasks ? byThread.get(query.threadId) : 'unavailable');
  }

  /**
   * One vCPU with no register to try (x86_64 at smp 1): one read of its task's span, the
   * pointer followed by gdb in the address expression; no Python call (~0.3 ms a stop less).
   */
  private async readOne(cpu: number, variable: string, layout: TaskLayout): Promise<CurrentTask | undefined> {
    const kernel = await this.kernelLayout();
    const low = Math.min(layout.pid, layout.comm);
    const length = Math.max(layout.pid + 4, layout.comm + layout.commLength) - low;
    const read = mi.readMemoryBytes(`*(unsigned long *)${perCpuAddress(kernel, variable, cpu)} + ${low}`, length);
    try {
      // It only reads: the stop cache answers the threads request's repeat of the prefetch.
      const blocks = (await this.mi.send({ ...read, stopStable: true })).results.tuples('memory');
      const span = Buffer.concat(blocks.map((block) => Buffer.from(block.str('contents'), 'hex')));
      if (span.length < length) return undefined;
      const comm = span.subarray(layout.comm - low, layout.comm - low + layout.commLength);
      const end = comm.indexOf(0);
      return { pid: span.readInt32LE(layout.pid - low), comm: comm.subarray(0, end < 0 ? comm.length : end).toString('latin1') };
    } catch {
      return undefined; // no task there yet (a NULL pointer before the per-CPU areas exist)
    }
  }

  /** Defines the reader in gdb once; false (for the session) where gdb has no Python. */
  private definePython(): Promise<boolean> {
    this.pythonDefined ??= this.mi.send(currentTasksCommand(defineCurrentTasks())).then(
      () => (this.python = true),
      () => (this.python = false),
    );
    return this.pythonDefined;
  }

  /**
   * pid and comm of the task at `task` (an address expression), read at their offsets: no
   * `struct task_struct` in the expressions, whose lookup costs gdb ~20 ms each time in a
   * big vmlinux, and all of it sent at once. This runs for every vCPU at every stop.
   */
  private async taskFields(
    task: string,
    layout: TaskLayout,
    threadId: number,
    plausible?: (pointer: bigint) => boolean,
  ): Promise<{ pid: number; comm: string } | undefined> {
    const context = { threadId, frameLevel: 0 };
    const read = (expression: string) =>
      this.mi.send(mi.evaluate(expression, context)).then(
        (result) => result.results.str('value'),
        () => undefined,
      );
    const [pointer, pid, comm] = await Promise.all([
      plausible ? read(`(unsigned long)(${task})`) : undefined,
      read(`*(int *)((${task}) + ${layout.pid})`),
      read(`*(char (*)[${layout.commLength}])((${task}) + ${layout.comm})`),
    ]);
    if (pid === undefined || comm === undefined) return undefined;
    if (plausible) {
      if (pointer === undefined) return undefined;
      const address = BigInt.asUintN(64, BigInt(pointer));
      if (address === 0n || !plausible(address)) return undefined;
    }
    return { pid: Number(pid), comm: parseCString(comm) };
  }

  /** Offsets of pid and comm, once per session, from init_task (the layout does not move with KASLR). */
  private taskLayout(): Promise<TaskLayout | undefined> {
    this.layout ??= Promise.all([
      this.value('(unsigned long)&init_task.pid - (unsigned long)&init_task'),
      this.value('(unsigned long)&init_task.comm - (unsigned long)&init_task'),
      this.value('sizeof(init_task.comm)'),
    ]).then(
      ([pid, comm, commLength]) => ({ pid: Number(pid), comm: Number(comm), commLength: Number(commLength) }),
      () => undefined,
    );
    return this.layout;
  }

  /** Every task, walking init_task.tasks. */
  async list(): Promise<TaskInfo[]> {
    const { taskState } = await this.kernelLayout();
    const offset = BigInt(await this.value('(unsigned long)&((struct task_struct *)0)->tasks'));
    const head = BigInt(await this.value('(unsigned long)&init_task.tasks'));
    const tasks: TaskInfo[] = [];
    let address = BigInt(await this.value('(unsigned long)&init_task'));
    for (let count = 0; count < MAX_TASKS; count++) {
      const task = `((struct task_struct *)0x${address.toString(16)})`;
      const [pid, comm, state, exitState, next] = await Promise.all([
        this.value(`${task}->pid`),
        this.value(`${task}->comm`),
        this.value(`${task}->${taskState}`),
        this.value(`${task}->exit_state`),
        this.value(`(unsigned long)${task}->tasks.next`),
      ]);
      tasks.push({
        pid: Number(pid),
        comm: parseCString(comm),
        state: stateLetter(Number(state), Number(exitState)),
        address: `0x${address.toString(16)}`,
      });
      const nextNode = BigInt(next);
      if (nextNode === head) break;
      address = nextNode - offset;
    }
    return tasks;
  }

  private async value(expression: string): Promise<string> {
    return (await this.mi.send(mi.evaluate(expression))).results.str('value');
  }
}

/** `"swapper/0\000\000..."` (gdb's print of a char array) -> `swapper/0`. */
export function parseCString(printed: string): string {
  const match = /"((?:[^"\\]|\\.)*)"/.exec(printed);
  if (!match) return printed;
  return match[1]!.replace(/\\000.*$/, '').replace(/\\(.)/g, '$1');
}

/** The letter `ps` shows for a task state. */
export function stateLetter(state: number, exitState: number): string {
  if (exitState & 0x10) return 'Z';
  if (exitState & 0x20) return 'X';
  if (state === 0) return 'R';
  if ((state & 0x402) === 0x402) return 'I';
  if (state & 0x1) return 'S';
  if (state & 0x2) return 'D';
  if (state & 0x4) return 'T';
  if (state & 0x8) return 't';
  return '?';
}
