// Kernel lists as their entries: init_task.tasks walks to the task_structs the kernel runs
// (the same tasks, by comm, as the task list request), init_task's `children` member to pid 1
// and kthreadd, the modules list to a module just insmod'ed, and the Watch hint form
// `list:(struct task_struct, tasks) init_task.tasks` to the same entries as the table.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import {
  guestTasks,
  launchConfig,
  launchRunning,
  outputMatching,
  sessionPids,
  startClient,
  stopClient,
  survivors,
  testKernel,
  topFrame,
  EVERY_KERNEL,
} from './support';

async function children(client: DebugClient, reference: number): Promise<DebugProtocol.Variable[]> {
  assert.ok(reference > 0, 'expandable');
  return (await client.variablesRequest({ variablesReference: reference })).body.variables;
}

/** The label the adapter shows beside each entry: `(struct task_struct *) 0x… "comm"`. */
function labelOf(variable: DebugProtocol.Variable): string | undefined {
  const match = /^\(struct \w+ \*\) 0x[0-9a-f]+ "(.*)"$/.exec(variable.value);
  return match ? (JSON.parse(`"${match[1]}"`) as string) : undefined;
}

for (const [arch, series] of EVERY_KERNEL) {
  // 6.9 moved the busy vmalloc areas into per-node trees; the free ones kept one global tree and list.
  const [vmapRoot, vmapList] = series === '6.12' ? ['free_vmap_area_root', 'free_vmap_area_list'] : ['vmap_area_root', 'vmap_area_list'];
  describe(`kernel lists as their entries, ${arch} ${series ?? '6.1'}`, () => {
    let client: DebugClient;
    let pids: number[] = [];
    let frame: DebugProtocol.StackFrame;

    before(async () => {
      client = await startClient();
      const output: string[] = [];
      client.on('output', (event: DebugProtocol.OutputEvent) => output.push(event.body.output));
      await launchRunning(client, launchConfig(testKernel(arch, series), { stopAtEntry: false }), () =>
        client.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'michael_mic_init' }] }),
      );
      pids = sessionPids();
      await outputMatching(output, /kernel-qemu initramfs ready/);
      const stopped = client.waitForEvent('stopped', 120_000) as Promise<DebugProtocol.StoppedEvent>;
      await client.customRequest('kernelQemu.serialInput', { text: 'insmod /modules/michael_mic.ko\n' });
      frame = await topFrame(client, (await stopped).body.threadId ?? 1);
      assert.equal(frame.name, 'michael_mic_init');
    });
    after(async () => {
      await stopClient(client);
      assert.deepEqual(await survivors(pids), []);
    });

    test('init_task.tasks expands to the task_structs of the running tasks, with their comm', async () => {
      const watch = await client.evaluateRequest({ expression: 'init_task.tasks', frameId: frame.id, context: 'watch' });
      const tasks = (await guestTasks(client)).filter((task) => task.pid !== 0); // the walk starts after init_task, the head
      assert.equal(watch.body.result, `${tasks.length} × struct task_struct`);
      const entries = await children(client, watch.body.variablesReference);
      assert.deepEqual(
        entries.map(labelOf),
        tasks.map((task) => task.comm),
      );
      // An entry is the task_struct itself: it expands to its members, which read as that task's.
      const members = await children(client, entries[0]!.variablesReference);
      assert.equal(members.find((member) => member.name === 'pid')?.value, String(tasks[0]!.pid));
      const comm = await client.evaluateRequest({ expression: `(${entries[0]!.evaluateName}).comm`, frameId: frame.id, context: 'watch' });
      assert.match(comm.body.result, new RegExp(`^"${tasks[0]!.comm}`));
    });

    test("init_task's children member lists pid 1 and kthreadd", async () => {
      const watch = await client.evaluateRequest({ expression: 'init_task', frameId: frame.id, context: 'watch' });
      const childrenMember = (await children(client, watch.body.variablesReference)).find((member) => member.name === 'children');
      assert.ok(childrenMember);
      assert.equal(childrenMember.value, '2 × struct task_struct');
      const entries = await children(client, childrenMember.variablesReference);
      const pidsOf = await Promise.all(
        entries.map(
          async (entry) =>
            (await client.evaluateRequest({ expression: `(${entry.evaluateName}).pid`, frameId: frame.id, context: 'watch' })).body.result,
        ),
      );
      assert.deepEqual(pidsOf, ['1', '2']);
      assert.equal(labelOf(entries[1]!), 'kthreadd');
    });

    test('the modules list shows michael_mic after its insmod', async () => {
      const watch = await client.evaluateRequest({ expression: 'modules', frameId: frame.id, context: 'watch' });
      assert.match(watch.body.result, /^\d+ × struct module$/);
      const entries = await children(client, watch.body.variablesReference);
      assert.ok(entries.map(labelOf).includes('michael_mic'), entries.map((entry) => entry.value).join('\n'));
    });

    test(`${vmapRoot} (an rb_root) walks in order: va_start ascends, and the count is the kernel's own`, async () => {
      const watch = await client.evaluateRequest({ expression: vmapRoot, frameId: frame.id, context: 'watch' });
      const count = /^(\d+) × struct vmap_area in a tree$/.exec(watch.body.result)?.[1];
      assert.ok(count, watch.body.result);
      const entries = await children(client, watch.body.variablesReference);
      assert.equal(entries.length, Number(count));
      assert.ok(entries.length > (vmapRoot === 'vmap_area_root' ? 10 : 1), `${entries.length} vmalloc areas`);
      const starts = await Promise.all(
        entries.slice(0, 30).map(async (entry) =>
          BigInt(
            (
              await client.evaluateRequest({
                expression: `(unsigned long)(${entry.evaluateName}).va_start`,
                frameId: frame.id,
                context: 'watch',
              })
            ).body.result,
          ),
        ),
      );
      for (let index = 1; index < starts.length; index++)
        assert.ok(starts[index]! > starts[index - 1]!, `entry ${index} starts after entry ${index - 1}`);
      // The kernel keeps every area of the tree on a list too, in the same order.
      const listed = await client.evaluateRequest({
        expression: `list:(struct vmap_area, list) ${vmapList}`,
        frameId: frame.id,
        context: 'watch',
      });
      assert.equal(listed.body.result, `${count} × struct vmap_area`);
    });

    test("init_pid_ns.idr (an IDR's xarray) walks to each struct pid at its own number", async () => {
      const watch = await client.evaluateRequest({ expression: 'init_pid_ns.idr', frameId: frame.id, context: 'watch' });
      assert.match(watch.body.result, /^\d+ × struct pid \* in an xarray$/);
      const entries = await children(client, watch.body.variablesReference);
      const names = entries.map((entry) => entry.name);
      assert.ok(names.includes('[1]') && names.includes('[2]'), names.join());
      for (const entry of entries.slice(0, 12)) {
        const nr = await client.evaluateRequest({
          expression: `(${entry.evaluateName}).numbers[0].nr`,
          frameId: frame.id,
          context: 'watch',
        });
        assert.equal(`[${nr.body.result}]`, entry.name);
      }
    });

    test('the hint form walks any list_head; a malformed hint or a non-list head says how to write it', async () => {
      const table = await client.evaluateRequest({ expression: 'init_task.tasks', frameId: frame.id, context: 'watch' });
      const hinted = await client.evaluateRequest({
        expression: 'list:(struct task_struct, tasks) init_task.tasks',
        frameId: frame.id,
        context: 'watch',
      });
      assert.equal(hinted.body.result, table.body.result);
      assert.deepEqual(
        (await children(client, hinted.body.variablesReference)).map(labelOf),
        (await children(client, table.body.variablesReference)).map(labelOf),
      );
      await assert.rejects(
        client.evaluateRequest({ expression: 'list:(task_struct tasks) init_task.tasks', frameId: frame.id, context: 'watch' }),
        /Not a list hint: write list:\(struct TYPE, member\) EXPRESSION/,
      );
      await assert.rejects(
        client.evaluateRequest({ expression: 'list:(struct task_struct, tasks) init_task.pid', frameId: frame.id, context: 'watch' }),
        /init_task\.pid has type pid_t, not struct list_head: list:\(struct TYPE, member\)/,
      );
    });
  });
}
