// The kernel-aware features on the 6.12 LTS kernels developers debug today (Debian's
// 6.12 cloud kernels, x86_64 and aarch64), with KASLR on as these kernels boot by default:
// the offset found and a breakpoint hit, vCPU threads named by their task, the task list,
// dmesg from the printk ring, and an oops location resolved to source. 6.12 changed the
// structures behind them (pcpu_hot.current_task on x86_64, module_memory); modules are in
// modules.test.ts, the 6.1 runs in kernelAwareness.test.ts and kaslr.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import {
  type Arch,
  guestTasks,
  launch,
  launchConfig,
  sessionPids,
  threadName,
  startClient,
  stopClient,
  survivors,
  testKernel,
  topFrame,
} from './support';

for (const arch of ['x86_64', 'aarch64'] as Arch[]) {
  describe(`kernel 6.12, ${arch} guest, KASLR on`, () => {
    let client: DebugClient;
    let pids: number[] = [];
    let threadId = 1;
    const output: string[] = [];

    before(async () => {
      client = await startClient();
      client.on('output', (event: DebugProtocol.OutputEvent) => output.push(event.body.output));
      let stop = await launch(client, launchConfig(testKernel(arch, '6.12'), { kaslr: true }), () =>
        client.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'do_sys_openat2' }] }),
      );
      pids = sessionPids();
      // The first stop is the entry where the offset was found before start_kernel, else the breakpoint.
      if (stop.body.reason !== 'breakpoint') {
        const stopped = client.waitForEvent('stopped', 120_000) as Promise<DebugProtocol.StoppedEvent>;
        await client.continueRequest({ threadId: 1 });
        stop = await stopped;
      }
      threadId = stop.body.threadId ?? 1;
      await client.setFunctionBreakpointsRequest({ breakpoints: [] });
    });
    after(async () => {
      await stopClient(client);
      assert.deepEqual(await survivors(pids), []);
    });

    test('the randomized kernel is found and do_sys_openat2 is hit with its locals', async () => {
      const text = output.join('');
      const offset = /KASLR: the kernel runs (0x[0-9a-f]+) above/.exec(text)?.[1];
      assert.ok(offset, text.slice(-2000));
      assert.notEqual(BigInt(offset), 0n, 'the kernel really moved');
      const frame = await topFrame(client, threadId);
      assert.equal(frame.name, 'do_sys_openat2');
      assert.match(frame.source?.path ?? '', /fs\/open\.c$/);
      const dfd = await client.evaluateRequest({ expression: 'dfd', frameId: frame.id, context: 'watch' });
      assert.equal(dfd.body.result, '-100');
    });

    test('the vCPU thread is named with the task it runs, pid and comm', async () => {
      const name = await threadName(client, threadId);
      assert.match(name, /^CPU 0 · \S+ \(pid 1\)$/, name);
    });

    test('the task list walks init_task.tasks', async () => {
      const tasks = await guestTasks(client);
      assert.match(tasks[0]!.comm, /^swapper/);
      assert.ok(
        tasks.some((task) => task.pid === 1),
        'init',
      );
      assert.ok(
        tasks.some((task) => task.pid === 2 && task.comm === 'kthreadd'),
        'kthreadd',
      );
      assert.ok(tasks.every((task) => /^[RSDTtZXI?]$/.test(task.state)));
    });

    test('dmesg reads the boot log from the printk ring buffer', async () => {
      const text = ((await client.customRequest('kernelQemu.dmesg')).body as { text: string }).text;
      assert.match(text, /^\[\s+0\.000000\] Linux version 6\.12\./m);
      assert.match(text, /Run \/init as init process/);
    });

    test('an oops location resolves to its source line', async () => {
      const response = await client.customRequest('kernelQemu.resolveLocation', { location: 'do_sys_openat2+0x20/0x160' });
      const resolved = response.body as { path?: string; line?: number; function?: string };
      assert.match(resolved.path ?? '', /fs\/open\.c$/);
      assert.equal(resolved.function, 'do_sys_openat2');
    });
  });
}
