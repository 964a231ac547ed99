// Which task each vCPU runs, and the task list, read from the kernel's own data with plain
// gdb expressions (no helper scripts needed): the per-CPU current pointer and init_task.tasks.
import { mi } from '../../mi/commands';
import type { MiConnection } from '../../mi/connection';
import type { GuestArch } from '../launchArgs';

export interface TaskInfo {
  pid: number;
  comm: string;
  state: string;
  address: string;
}

/** The per-CPU pointer the kernel keeps to the running task (6.1: current_task on x86, __entry_task on arm64). */
const CURRENT_POINTER: Readonly<Record<GuestArch, readonly string[]>> = {
  x86_64: ['current_task', 'pcpu_hot.current_task'],
  aarch64: ['__entry_task'],
};

const MAX_TASKS = 4096;
const KERNEL_SPACE = 0xffff000000000000n;

export class TaskInspector {
  private currentExpression: string | undefined | null = null;

  constructor(
    private readonly mi: MiConnection,
    private readonly arch: GuestArch,
  ) {}

  /** The task a vCPU runs (QEMU numbers gdb threads from 1 for CPU 0), or undefined before per-CPU data exists. */
  async current(cpu: number, threadId: number): Promise<{ pid: number; comm: string } | undefined> {
    // arm64 keeps `current` in SP_EL0 while in the kernel (from the first instruction of
    // __primary_switched, earlier than any per-CPU data); at EL0 it is the user stack pointer.
    if (this.arch === 'aarch64') {
      const fromSpEl0 = await this.taskFields('((struct task_struct *)$SP_EL0)', threadId, (pointer) => pointer >= KERNEL_SPACE);
      if (fromSpEl0) return fromSpEl0;
    }
    const pointer = await this.currentPointerExpression();
    if (!pointer) return undefined;
    return this.taskFields(`((struct task_struct *)*(unsigned long *)((char *)&${pointer} + __per_cpu_offset[${cpu}]))`, threadId);
  }

  private async taskFields(task: string, threadId: number, plausible: (pointer: bigint) => boolean = () => true): Promise<{ pid: number; comm: string } | undefined> {
    const context = { threadId, frameLevel: 0 };
    try {
      const pointer = BigInt.asUintN(64, BigInt((await this.mi.send(mi.evaluate(`(long)${task}`, context))).results.str('value')));
      if (pointer === 0n || !plausible(pointer)) return undefined;
      const [pid, comm] = await Promise.all([
        this.mi.send(mi.evaluate(`${task}->pid`, context)),
        this.mi.send(mi.evaluate(`${task}->comm`, context)),
      ]);
      return { pid: Number(pid.results.str('value')), comm: parseCString(comm.results.str('value')) };
    } catch {
      return undefined;
    }
  }

  /** Every task, walking init_task.tasks. */
  async list(): Promise<TaskInfo[]> {
    const offset = BigInt(await this.value('(unsigned long)&((struct task_struct *)0)->tasks'));
    const head = BigInt(await this.value('(unsigned long)&init_task.tasks'));
    const tasks: TaskInfo[] = [];
    let address = BigInt(await this.value('(unsigned long)&init_task'));
    for (let count = 0; count < MAX_TASKS; count++) {
      const task = `((struct task_struct *)0x${address.toString(16)})`;
      const [pid, comm, state, exitState, next] = await Promise.all([
        this.value(`${task}->pid`),
        this.value(`${task}->comm`),
        this.value(`${task}->__state`).catch(() => this.value(`${task}->state`)),
        this.value(`${task}->exit_state`),
        this.value(`(unsigned long)${task}->tasks.next`),
      ]);
      tasks.push({ pid: Number(pid), comm: parseCString(comm), state: stateLetter(Number(state), Number(exitState)), address: `0x${address.toString(16)}` });
      const nextNode = BigInt(next);
      if (nextNode === head) break;
      address = nextNode - offset;
    }
    return tasks;
  }

  private async currentPointerExpression(): Promise<string | undefined> {
    if (this.currentExpression !== null) return this.currentExpression;
    for (const candidate of CURRENT_POINTER[this.arch]) {
      try {
        await this.value(`(unsigned long)&${candidate}`);
        this.currentExpression = candidate;
        return candidate;
      } catch {
        // not in this kernel version
      }
    }
    this.currentExpression = undefined;
    return undefined;
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
