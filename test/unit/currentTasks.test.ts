import assert from 'node:assert/strict';
import { test } from 'node:test';
import { currentTasksCall, currentTasksCommand, defineCurrentTasks, parseCurrentTasks } from '../../src/adapter/kernel/currentTasks';
import { classify } from '../../src/adapter/stopCache';

const layout = { pid: 2416, comm: 2976, commLength: 16 };

test('one call asks for every vCPU, in thread order, with where the task pointer is', () => {
  assert.equal(
    currentTasksCall(
      [
        { threadId: 1, cpu: 0 },
        { threadId: 2, cpu: 1 },
      ],
      { perCpu: { variable: 'current_task', zeroBased: true } },
      layout,
    ),
    'python kernel_qemu_current_tasks([(1, 0), (2, 1)], None, 0, "current_task", True, 2416, 2976, 16)',
  );
  assert.equal(
    currentTasksCall(
      [{ threadId: 1, cpu: 0 }],
      { register: { name: '$SP_EL0', floor: 0xffff000000000000n }, perCpu: { variable: '__entry_task', zeroBased: false } },
      layout,
    ),
    'python kernel_qemu_current_tasks([(1, 0)], "$SP_EL0", 18446462598732840960, "__entry_task", False, 2416, 2976, 16)',
  );
});

test('the reader only reads: the stop cache keeps its answer for the stop and forgets nothing for it', () => {
  assert.equal(classify(currentTasksCommand(currentTasksCall([{ threadId: 1, cpu: 0 }], {}, layout))), 'cached');
  assert.equal(classify(currentTasksCommand(defineCurrentTasks())), 'cached');
  assert.match(currentTasksCommand(defineCurrentTasks()).text, /^-interpreter-exec console "python exec\(/);
});

test("gdb's answer: a task or nothing per vCPU; anything else is no answer", () => {
  assert.deepEqual(parseCurrentTasks('[[0, "swapper/0"], null, [1, "init"]]\n', 3), [
    { pid: 0, comm: 'swapper/0' },
    undefined,
    { pid: 1, comm: 'init' },
  ]);
  assert.equal(parseCurrentTasks('[[0, "swapper/0"]]', 2), undefined, 'not one per vCPU');
  assert.equal(parseCurrentTasks('Python scripting is not supported in this copy of GDB.', 1), undefined);
});
