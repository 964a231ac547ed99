import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cpuList, kernelValueKind, parseUnsignedArray, summarize, summaryExpression } from '../../src/adapter/kernel/kernelValues';
import { childPath } from '../../src/adapter/variables';
import { parseMiLine } from '../../src/mi/parser';
import type { MiTuple } from '../../src/mi/records';

test('cpumask, list_head and hlist_head are recognized through typedefs gdb shows and qualifiers', () => {
  assert.equal(kernelValueKind('struct cpumask'), 'cpumask');
  assert.equal(kernelValueKind('cpumask_t'), 'cpumask');
  assert.equal(kernelValueKind('const struct cpumask'), 'cpumask');
  assert.equal(kernelValueKind('struct list_head'), 'list_head');
  assert.equal(kernelValueKind('struct hlist_head'), 'hlist_head');
  assert.equal(kernelValueKind('struct list_head *'), undefined, 'a pointer is shown as gdb prints it');
  assert.equal(kernelValueKind('struct task_struct'), undefined);
  assert.equal(kernelValueKind(undefined), undefined);
});

test('gdb arrays with repeats become words; anything else is not an array', () => {
  assert.deepEqual(parseUnsignedArray('{3, 0 <repeats 3 times>}'), [3n, 0n, 0n, 0n]);
  assert.deepEqual(parseUnsignedArray('{18446744073709551615 <repeats 2 times>}'), [0xffffffffffffffffn, 0xffffffffffffffffn]);
  assert.deepEqual(parseUnsignedArray('{0x10}'), [16n]);
  assert.equal(parseUnsignedArray('<error: Cannot access memory at address 0x0>'), undefined);
  assert.equal(parseUnsignedArray('{3, ...}'), undefined);
});

test('set bits print as the kernel cpulist format', () => {
  assert.equal(cpuList([0b1111n]), '0-3');
  assert.equal(cpuList([0b1_0000_0000n | 0b1101n, 1n]), '0,2-3,8,64');
  assert.equal(cpuList([1n << 63n, 1n]), '63-64', 'a range that crosses a word');
  assert.equal(cpuList([0n, 0n]), '');
  assert.equal(cpuList(Array.from({ length: 128 }, () => 0xffffffffffffffffn)), '0-8191');
  assert.equal(cpuList([0b1011n, 0xffffffffffffffffn], 2), '0-1', 'only the first nr_cpu_ids bits count');
});

test('summaries: a cpumask by its CPUs, lists empty or not, and nothing from an unexpected answer', () => {
  assert.equal(summaryExpression('cpumask', 'init_task.cpus_mask'), '(init_task.cpus_mask).bits');
  assert.equal(summaryExpression('list_head', 'p->tasks'), '(p->tasks).next == &(p->tasks)');
  assert.equal(summaryExpression('hlist_head', 'h'), '(h).first == 0');
  assert.equal(summarize('cpumask', '{3, 0 <repeats 127 times>}'), 'CPUs 0-1');
  assert.equal(summarize('cpumask', '{0, 0}'), 'no CPUs');
  assert.equal(
    summarize('cpumask', '{1, 18446744073709551615 <repeats 127 times>}', 1),
    'CPUs 0',
    'stale bits past nr_cpu_ids are not CPUs',
  );
  assert.equal(summarize('list_head', '1'), 'empty list');
  assert.equal(summarize('hlist_head', '0'), 'list, not empty');
  assert.equal(summarize('list_head', 'true'), undefined);
  assert.equal(summarize('cpumask', 'garbage'), undefined);
});

function child(fields: string): MiTuple {
  const record = parseMiLine(`^done,child={${fields}}`);
  assert.equal(record.type, 'result');
  return (record as { results: MiTuple }).results.tuple('child');
}

test('child paths: members of structs and of pointed-to structs, elements, targets, anonymous members', () => {
  const task = { expression: 'init_task', type: 'struct task_struct' };
  assert.deepEqual(childPath(task, child('name="var1.tasks",exp="tasks",numchild="2",type="struct list_head"')), {
    expression: '(init_task).tasks',
    type: 'struct list_head',
  });
  const pointer = { expression: 'p', type: 'struct task_struct *' };
  assert.deepEqual(childPath(pointer, child('name="var2.cpus_mask",exp="cpus_mask",numchild="1",type="cpumask_t"')), {
    expression: '(p)->cpus_mask',
    type: 'cpumask_t',
  });
  assert.deepEqual(childPath({ expression: 'a', type: 'int [4]' }, child('name="var3.2",exp="2",numchild="0",type="int"')), {
    expression: '(a)[2]',
    type: 'int',
  });
  assert.deepEqual(childPath({ expression: 'n', type: 'int *' }, child('name="var4.*n",exp="*n",numchild="0",type="int"')), {
    expression: '*(n)',
    type: 'int',
  });
  assert.deepEqual(childPath(task, child('name="var1.5_anonymous",exp="<anonymous union>",numchild="2",type="union {...}"')), {
    expression: 'init_task',
    type: 'union {...}',
  });
  assert.deepEqual(childPath(pointer, child('name="var2.5_anonymous",exp="<anonymous struct>",numchild="2",type="struct {...}"')), {
    expression: '(*(p))',
    type: 'struct {...}',
  });
});
