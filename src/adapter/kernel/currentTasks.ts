// The task each vCPU runs, for every vCPU of a stop in one gdb command: a small Python
// function in gdb follows each vCPU's `current` pointer and reads pid and comm from one span
// of its task_struct. Sent as two MI expressions per vCPU instead, the names cost about
// 0.7 ms per vCPU at every stop (two MI round trips and six remote reads each); here the
// per-vCPU part is two remote reads. Nothing is written to the guest.
import type { MiCommand } from '../../mi/commands';
import { quote } from '../../mi/commands';

/** One vCPU's question: its gdb thread and its CPU number. */
export interface CurrentTaskQuery {
  threadId: number;
  cpu: number;
}

/** Where this kernel keeps each vCPU's task pointer, tried in this order. */
export interface TaskPointerPlaces {
  /** A register that holds it in the kernel (arm64's SP_EL0), with the lowest plausible value. */
  register?: { name: string; floor: bigint };
  /** The per-CPU variable (current_task, pcpu_hot.current_task, __entry_task); zeroBased as KernelLayout.perCpuZeroBased. */
  perCpu?: { variable: string; zeroBased: boolean };
}

/** Where a task_struct keeps what a thread's name shows. */
export interface TaskNameLayout {
  pid: number;
  comm: number;
  commLength: number;
}

export interface CurrentTask {
  pid: number;
  comm: string;
}

/**
 * Prints a JSON list with [pid, comm] or null per (thread, cpu) query. The per-CPU variable's
 * offset and __per_cpu_offset[] are read once for all vCPUs; then each vCPU costs two remote
 * reads (its pointer, then one span of its task_struct). A register is read in its vCPU's
 * thread; the selected thread is put back.
 */
export const CURRENT_TASKS_PYTHON = `
def kernel_qemu_current_tasks(queries, register, floor, variable, zero_based, pid_off, comm_off, comm_len):
    import json
    mask = 0xffffffffffffffff
    inferior = gdb.selected_inferior()
    selected = gdb.selected_thread()
    threads = dict((thread.num, thread) for thread in inferior.threads()) if register else {}
    low = min(pid_off, comm_off)
    high = max(pid_off + 4, comm_off + comm_len)
    def value(expression):
        return int(gdb.parse_and_eval(expression)) & mask
    def u64(address):
        return int.from_bytes(bytes(inferior.read_memory(address, 8)), 'little')
    def task_at(pointer):
        span = bytes(inferior.read_memory(pointer + low, high - low))
        pid = int.from_bytes(span[pid_off - low:pid_off - low + 4], 'little', signed=True)
        return [pid, span[comm_off - low:comm_off - low + comm_len].split(b'\\0')[0].decode('latin-1')]
    per_cpu = None
    if variable:
        try:
            base = value('(unsigned long)&' + variable)
            if zero_based:
                base = (base - value('(unsigned long)&__per_cpu_start')) & mask
            count = max(cpu for _, cpu in queries) + 1
            table = bytes(inferior.read_memory(value('(unsigned long)&__per_cpu_offset'), 8 * count))
            per_cpu = (base, table)
        except (gdb.error, gdb.MemoryError):
            per_cpu = None
    answers = []
    try:
        for thread_num, cpu in queries:
            answer = None
            if register and thread_num in threads:
                try:
                    threads[thread_num].switch()
                    pointer = value(register)
                    if pointer != 0 and pointer >= floor:
                        answer = task_at(pointer)
                except (gdb.error, gdb.MemoryError):
                    answer = None
            if answer is None and per_cpu is not None:
                try:
                    offset = int.from_bytes(per_cpu[1][8 * cpu:8 * cpu + 8], 'little')
                    pointer = u64((per_cpu[0] + offset) & mask)
                    if pointer != 0:
                        answer = task_at(pointer)
                except (gdb.error, gdb.MemoryError):
                    answer = None
            answers.append(answer)
    finally:
        if selected is not None and selected.is_valid() and register:
            selected.switch()
    print(json.dumps(answers))
`;

/** The command that defines the function in gdb (once per session). */
export function defineCurrentTasks(): string {
  return `python exec(${JSON.stringify(CURRENT_TASKS_PYTHON)})`;
}

/** The call for `queries`, as a CLI line; its text is the same for the same vCPUs, so the stop cache answers a repeat. */
export function currentTasksCall(queries: readonly CurrentTaskQuery[], places: TaskPointerPlaces, layout: TaskNameLayout): string {
  const list = queries.map((query) => `(${query.threadId}, ${query.cpu})`).join(', ');
  const register = places.register ? `${JSON.stringify(places.register.name)}, ${places.register.floor}` : 'None, 0';
  const perCpu = places.perCpu ? `${JSON.stringify(places.perCpu.variable)}, ${places.perCpu.zeroBased ? 'True' : 'False'}` : 'None, False';
  return `python kernel_qemu_current_tasks([${list}], ${register}, ${perCpu}, ${layout.pid}, ${layout.comm}, ${layout.commLength})`;
}

/**
 * The MI command for a line of this file's Python: it only reads (or defines the reader), so its
 * answer holds while the kernel stays stopped.
 */
export function currentTasksCommand(call: string): MiCommand {
  return { text: `-interpreter-exec console ${quote(call)}`, expect: ['done'], stopStable: true };
}

/** gdb's printed answer -> one task (or undefined) per query; undefined when it is not the list asked for. */
export function parseCurrentTasks(printed: string, count: number): Array<CurrentTask | undefined> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(printed.trim());
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== count) return undefined;
  return parsed.map((item: unknown) =>
    Array.isArray(item) && typeof item[0] === 'number' && typeof item[1] === 'string' ? { pid: item[0], comm: item[1] } : undefined,
  );
}
