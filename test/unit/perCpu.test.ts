// Per-CPU detection and copies on answers recorded from Debian's 6.1 x86_64 kernel (smp 2):
// the per-CPU section is linked at 0..0x34000, runqueues at 0x31980, nr_cpu_ids is 2.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KernelLayout } from '../../src/adapter/kernel/kernelLayout';
import type { KernelReader } from '../../src/adapter/kernel/kernelReader';
import { PerCpuValues } from '../../src/adapter/kernel/perCpu';

const RECORDED: Record<string, string> = {
  '(unsigned long)&__per_cpu_start': '0',
  '(unsigned long)&__per_cpu_end': '212992',
  '(unsigned long)&(runqueues)': '203136',
  '(unsigned long)&(runqueues.cpu)': '205960',
  '(unsigned long)&(nr_cpu_ids)': '18446744071610476840',
  nr_cpu_ids: '2',
};

function reader(asked: string[]): KernelReader {
  return {
    value: async (expression) => {
      asked.push(expression);
      const value = RECORDED[expression];
      if (value === undefined) throw new Error(`No symbol "${expression}" in current context.`);
      return value;
    },
    bytes: async () => assert.fail('no bytes read'),
    type: async (expression) => ({ runqueues: 'struct rq', 'runqueues.cpu': 'int' })[expression] ?? assert.fail(`type of ${expression}`),
  };
}

const zeroBased = async (): Promise<KernelLayout> => ({
  moduleSections: 'attrs-address',
  moduleMemory: 'layouts',
  taskState: '__state',
  currentTask: 'current_task',
  printkRing: true,
  perCpuZeroBased: true,
});

test('an object in the per-CPU section is per-CPU with its type; a global, a call or an unknown name is not', async () => {
  const asked: string[] = [];
  const values = new PerCpuValues(reader(asked), zeroBased);
  assert.equal(await values.perCpuType('runqueues', { threadId: 2 }), 'struct rq');
  assert.equal(await values.perCpuType('runqueues.cpu', { threadId: 2 }), 'int');
  assert.equal(await values.perCpuType('nr_cpu_ids', { threadId: 2 }), undefined);
  assert.equal(await values.perCpuType('no_such_symbol', { threadId: 2 }), undefined);
  const before = asked.length;
  assert.equal(await values.perCpuType('schedule()', { threadId: 2 }), undefined);
  assert.equal(await values.perCpuType('x = 1', { threadId: 2 }), undefined);
  assert.equal(asked.length, before, 'nothing that is not a plain name path is sent to gdb');
});

test('copies: this_cpu (gdb thread n is CPU n-1) first, then every CPU, as {TYPE} at the per-CPU address', async () => {
  const values = new PerCpuValues(reader([]), zeroBased);
  const copies = await values.copies('runqueues', 'struct rq', { threadId: 2 });
  assert.deepEqual(
    copies.map((copy) => [copy.name, copy.cpu]),
    [
      ['this_cpu', 1],
      ['CPU 0', 0],
      ['CPU 1', 1],
    ],
  );
  assert.equal(copies[1]!.expression, '{struct rq} (((char *)&runqueues - (char *)&__per_cpu_start) + __per_cpu_offset[0])');
  const arm64 = new PerCpuValues(reader([]), async () => ({ ...(await zeroBased()), perCpuZeroBased: false }));
  assert.equal(
    (await arm64.copies('runqueues', 'struct rq', undefined))[0]!.expression,
    '{struct rq} ((char *)&runqueues + __per_cpu_offset[0])',
  );
});
