// Scenario 8: a guest that forks 1,000 sleeping processes, paused; list every task (pid and
// comm) and expand one sleeping task's kernel stack. kernel-qemu: the threads request with
// `threads: "tasks"` and the stackTrace of a task thread. Raw: a gdb/MI script doing the same
// reads (one read of the task_struct span per task; the same Python unwinder switched on
// around -stack-list-frames). Both against the same kind of QEMU, same kernel, same guest.
import * as path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { TASK_UNWINDER_PYTHON } from '../../src/adapter/kernel/taskUnwinder';
import { type BenchKernel, kqLaunchArguments, now, removeDir, ROOT, sleep, startQemu, tempDir, waitForPath, within } from './common';
import { miField, miQuote, RawGdb } from './rawMi';
import type { ToolName } from './tools';

export const FORKED_TASKS = 1000;
/** Types the fork loop; the marker is computed, so the echoed command line does not match it. */
const FORK_COMMAND = `i=0; while [ $i -lt ${FORKED_TASKS} ]; do sleep 100000 & i=$((i+1)); done; echo forked-$((${FORKED_TASKS}+0))-done\n`;
const FORKED = new RegExp(`forked-${FORKED_TASKS}-done`);
const READY = /kernel-qemu initramfs ready/;
const TIMEOUT_MS = 300_000;

export interface TaskMeasure {
  /** Listing every task, names only. */
  list: number;
  /** One sleeping task's stack. */
  stack: number;
  tasks: number;
  frames: number;
}

async function waitForText(chunks: string[], pattern: RegExp, what: string): Promise<void> {
  const deadline = Date.now() + TIMEOUT_MS;
  while (!pattern.test(chunks.join(''))) {
    if (Date.now() > deadline) throw new Error(`${what}: no ${pattern} within ${TIMEOUT_MS / 1000} s`);
    await sleep(100);
  }
}

/** The raw script: QEMU as the adapter starts it, gdb/MI by hand. */
export async function rawTasks(kernel: BenchKernel, reps: number): Promise<TaskMeasure[]> {
  const runtimeDir = tempDir('raw-tasks');
  const qemu = startQemu(kernel, runtimeDir);
  const serial: string[] = [];
  qemu.process.stdout?.on('data', (chunk: Buffer) => serial.push(chunk.toString('latin1')));
  const gdb = RawGdb.start(kernel.gdb);
  try {
    for (const setting of ['mi-async on', 'pagination off', 'confirm off']) await gdb.send(`-gdb-set ${setting}`);
    await gdb.send(`-file-exec-and-symbols ${miQuote(kernel.vmlinux)}`);
    await waitForPath(qemu.gdbSocket);
    await gdb.send(`-target-select remote ${qemu.gdbSocket}`);
    await gdb.send('-exec-continue');
    await waitForText(serial, READY, 'raw: boot');
    qemu.process.stdin?.write(FORK_COMMAND);
    await waitForText(serial, FORKED, 'raw: fork');
    const stopped = gdb.nextStop();
    await gdb.send('-exec-interrupt');
    await within(60_000, 'raw: pause', stopped);
    const value = async (expression: string) =>
      BigInt(miField(await gdb.send(`-data-evaluate-expression ${miQuote(expression)}`), 'value')!.split(' ')[0]!);
    const offset = (member: string) => value(`(unsigned long)&((struct task_struct *)0)->${member}`);
    const [tasksAt, pidAt, onCpuAt, commAt, head] = [
      await offset('tasks'),
      await offset('pid'),
      await offset('on_cpu'),
      await offset('comm'),
      await value('(unsigned long)&init_task.tasks'),
    ];
    const start = [tasksAt, pidAt, onCpuAt, commAt].reduce((a, b) => (a < b ? a : b));
    const length = Number([tasksAt + 8n, pidAt + 4n, onCpuAt + 4n, commAt + 16n].reduce((a, b) => (a > b ? a : b)) - start);
    const read = async (address: bigint, count: number) =>
      Buffer.from(miField(await gdb.send(`-data-read-memory-bytes 0x${address.toString(16)} ${count}`), 'contents')!, 'hex');
    const measures: TaskMeasure[] = [];
    for (let rep = 0; rep < reps; rep++) {
      const listed = now();
      const sleeping: bigint[] = [];
      let node = (await read(head, 8)).readBigUInt64LE(0);
      while (node !== head) {
        const task = node - tasksAt;
        const span = await read(task + start, length);
        if (span.readInt32LE(Number(onCpuAt - start)) === 0 && span.readInt32LE(Number(pidAt - start)) > 0) sleeping.push(task);
        node = span.readBigUInt64LE(Number(tasksAt - start));
      }
      const list = now() - listed;
      const task = sleeping[sleeping.length - 1 - rep]!;
      const stacked = now();
      if (rep === 0) await gdb.send(`-interpreter-exec console ${miQuote(`python exec(${JSON.stringify(TASK_UNWINDER_PYTHON)})`)}`);
      const [, frames] = await Promise.all([
        gdb.send(`-interpreter-exec console ${miQuote(`python kernel_qemu_task_on_${kernel.arch}(0x${task.toString(16)})`)}`),
        gdb.send('-stack-list-frames --thread 1 0 20'),
        gdb.send(`-interpreter-exec console ${miQuote('python kernel_qemu_task_off()')}`),
      ]);
      measures.push({ list, stack: now() - stacked, tasks: sleeping.length, frames: (frames.match(/frame=\{/g) ?? []).length - 1 });
    }
    return measures;
  } finally {
    await Promise.all([gdb.exit(), qemu.stop()]);
    removeDir(runtimeDir);
  }
}

/** kernel-qemu over DAP: threads: "tasks", the serial console typed through its custom request. */
export async function kernelQemuTasks(kernel: BenchKernel, reps: number): Promise<TaskMeasure[]> {
  const client = new DebugClient('node', path.join(ROOT, 'dist/adapter.js'), 'kernel-qemu', { stdio: ['pipe', 'pipe', 'pipe'] }, true);
  client.defaultTimeout = TIMEOUT_MS;
  await client.start();
  const output: string[] = [];
  client.on('output', (event: DebugProtocol.OutputEvent) => output.push(event.body.output));
  try {
    const configured = client.waitForEvent('initialized', TIMEOUT_MS).then(() => client.configurationDoneRequest());
    await client.launchRequest(kqLaunchArguments(kernel, 'bench tasks', { stopAtEntry: false, threads: 'tasks' }));
    await configured;
    await waitForText(output, READY, 'kernel-qemu: boot');
    await client.customRequest('kernelQemu.serialInput', { text: FORK_COMMAND });
    await waitForText(output, FORKED, 'kernel-qemu: fork');
    const stopped = client.waitForEvent('stopped', 60_000);
    await client.pauseRequest({ threadId: 1 });
    await stopped;
    const measures: TaskMeasure[] = [];
    for (let rep = 0; rep < reps; rep++) {
      const listed = now();
      const threads = (await client.threadsRequest()).body.threads.filter((thread) => thread.name.startsWith('pid '));
      const list = now() - listed;
      const task = threads[threads.length - 1 - rep]!;
      const stacked = now();
      const frames = (await client.stackTraceRequest({ threadId: task.id, startFrame: 0, levels: 20 })).body.stackFrames;
      measures.push({ list, stack: now() - stacked, tasks: threads.length, frames: frames.length });
    }
    return measures;
  } finally {
    await client.terminateRequest().catch(() => undefined);
    await client.stop().catch(() => undefined);
  }
}

export async function tasksScenario(
  kernel: BenchKernel,
  tools: readonly ToolName[],
  reps: number,
  add: (metric: string, tool: ToolName, value: number) => void,
  note: (key: string, text: string) => void,
): Promise<void> {
  for (const [tool, run] of [
    ['raw', rawTasks],
    ['kq', kernelQemuTasks],
  ] as const) {
    if (!tools.includes(tool)) continue;
    const measures = await run(kernel, reps);
    for (const measure of measures) {
      add('tasks.list', tool, measure.list);
      add('tasks.stack', tool, measure.stack);
    }
    note(`tasks.${tool}`, `${measures[0]?.tasks} sleeping tasks listed, ${measures[0]?.frames} frames in the expanded stack`);
  }
}
