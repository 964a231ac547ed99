// The routing of task-thread commands: sent as the carrier vCPU's between the unwinder's on
// and off, in one tick; the task's frames from its saved pc on, and a stack without it
// (the unwinder unused) asked again once, then refused; stepping refused; vCPU commands untouched.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MiCommand } from '../../src/mi/commands';
import type { MiResult } from '../../src/mi/connection';
import { parseMiLine } from '../../src/mi/parser';
import type { KernelReader } from '../../src/adapter/kernel/kernelReader';
import { hex } from '../../src/adapter/kernel/kernelReader';
import { TASK_THREAD_BASE, TaskThreads } from '../../src/adapter/kernel/taskThreads';

const KTHREADD = 0xffff888003dfc800n;
const TASKS_OFFSET = 0x4e8n;
const HEAD = 0xffffffff82a0c4e8n;

/** A kernel with one task besides init_task: kthreadd (pid 2), sleeping. */
function reader(): KernelReader {
  const words = new Map<bigint, bigint>([
    [HEAD, KTHREADD + TASKS_OFFSET],
    [KTHREADD + TASKS_OFFSET, HEAD],
  ]);
  const bytes = new Map<bigint, Uint8Array>([
    [KTHREADD + 0x5c0n, Uint8Array.from([2, 0, 0, 0])],
    [KTHREADD + 0x34n, Uint8Array.from([0, 0, 0, 0])],
    [KTHREADD + 0x738n, new TextEncoder().encode('kthreadd\0\0\0\0\0\0\0\0')],
  ]);
  const values: Record<string, string> = {
    '(unsigned long)&init_task.tasks': String(HEAD),
    '(unsigned long)&((struct task_struct *)0)->tasks': String(TASKS_OFFSET),
    '(unsigned long)&((struct task_struct *)0)->comm': String(0x738),
    'sizeof(((struct task_struct *)0)->comm)': '16',
    '(unsigned long)&((struct task_struct *)0)->pid': String(0x5c0),
    '(unsigned long)&((struct task_struct *)0)->on_cpu': String(0x34),
  };
  for (const [address, word] of words)
    bytes.set(
      address,
      Uint8Array.from({ length: 8 }, (_, index) => Number((word >> BigInt(8 * index)) & 0xffn)),
    );
  return {
    value: async (expression) => values[expression] ?? assert.fail(`unexpected ${expression}`),
    bytes: async (address, length) => {
      // Any span: assembled from the known pieces, zero elsewhere.
      const span = new Uint8Array(length);
      for (const [start, data] of bytes) {
        data.forEach((byte, index) => {
          const at = start + BigInt(index) - address;
          if (at >= 0n && at < BigInt(length)) span[Number(at)] = byte;
        });
      }
      return span;
    },
    type: async () => assert.fail('no type asked'),
  };
}

test('a sleeping task is a thread named by pid and comm; its commands go as vCPU 1 inside the unwinder switch', async () => {
  const tasks = new TaskThreads(reader(), 'x86_64', 'tasks');
  assert.deepEqual(await tasks.threads(), [{ id: TASK_THREAD_BASE + 2, name: 'pid 2 · kthreadd' }]);
  const sent: string[] = [];
  // kthreadd's saved pc, and the frames gdb answers: the carrier's two, then the task's from that pc.
  const taskPc = 0xffffffff81e3b2c5n;
  let frames =
    `[frame={level="0",addr="0xffffffff81e3f00b",func="default_idle"},frame={level="1",addr="0xffffffff81e3f3a0",func="default_idle_call"},frame={level="2",addr="${hex(taskPc)}` +
    `",func="__schedule"},frame={level="3",addr="0xffffffff81e3b9d0",func="schedule"}]`;
  const toGdb = async (command: MiCommand): Promise<MiResult> => {
    sent.push(command.text);
    const line = command.text.includes('$_kernel_qemu_task_pc')
      ? `^done,value="${taskPc}"`
      : command.text.startsWith('-stack-list-frames')
        ? `^done,stack=${frames}`
        : '^done';
    const record = parseMiLine(line);
    if (record.type !== 'result') assert.fail('a result record');
    const console = command.text.includes('kernel_qemu_task_events') ? 'asked at level 1\n' : '';
    return { results: record.results, resultClass: record.resultClass, console, transcript: console };
  };
  const route = tasks.routeThrough(undefined);
  await route({ text: `-stack-list-frames --thread ${TASK_THREAD_BASE + 2} 0 20`, expect: ['done'] }, toGdb);
  assert.equal(sent.length, 5);
  assert.match(sent[0]!, /^-interpreter-exec console "python exec\(/, 'the unwinder is loaded once, first');
  const switched = [
    '-interpreter-exec console "python kernel_qemu_task_on_x86_64(0xffff888003dfc800)"',
    '-stack-list-frames --thread 1 0 20',
    '-data-evaluate-expression "$_kernel_qemu_task_pc"',
    '-interpreter-exec console "python kernel_qemu_task_off()"',
  ];
  assert.deepEqual(sent.slice(1), switched);
  assert.deepEqual(
    [0, 1, 2, 3].map((level) => tasks.isTaskFrame(level)),
    [false, false, true, true],
    "the task's frames start at its saved pc",
  );
  // gdb answers with the carrier's own stack (no frame at the task's pc): asked once more, then refused.
  frames =
    '[frame={level="0",addr="0xffffffff81e3f00b",func="default_idle"},frame={level="1",addr="0xffffffff81e3f3a0",func="default_idle_call"}]';
  sent.length = 0;
  await assert.rejects(
    route({ text: `-stack-list-frames --thread ${TASK_THREAD_BASE + 2} 0 20`, expect: ['done'] }, toGdb),
    /gdb did not unwind pid 2 from the context it saved \(pc 0xffffffff81e3b2c5; the unwinder: asked at level 1\): its stack came out as the vCPU's own/,
  );
  assert.deepEqual(sent, [...switched, ...switched, '-interpreter-exec console "python kernel_qemu_task_events()"']);
  sent.length = 0;
  await route({ text: '-stack-list-variables --thread 2 --frame 0 --simple-values', expect: ['done'] }, toGdb);
  assert.deepEqual(sent, ['-stack-list-variables --thread 2 --frame 0 --simple-values'], 'a vCPU thread is sent as is');
  await assert.rejects(
    route({ text: `-exec-next --thread ${TASK_THREAD_BASE + 2}`, expect: ['running'] }, toGdb),
    /pid 2 is not running on a CPU and cannot be stepped/,
  );
  await assert.rejects(
    route({ text: `-stack-list-frames --thread ${TASK_THREAD_BASE + 7} 0 20`, expect: ['done'] }, toGdb),
    /not in the task list of this stop/,
  );
  assert.deepEqual(await new TaskThreads(reader(), 'x86_64', 'vcpus').threads(), [], 'threads: "vcpus" lists no tasks');
});
