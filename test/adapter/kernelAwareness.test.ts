// Kernel awareness on Debian's real kernel: vCPU threads named by their task, the task list,
// dmesg from the printk ring buffer, oops locations resolved to source, the serial console
// as a terminal (backlog, input round trip), and the gdb-scripts hint.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { guestTasks, launch, launchConfig, sessionPids, threadName, startClient, stopClient, survivors, testKernel } from './support';

describe('kernel awareness, x86_64 guest', () => {
  let client: DebugClient;
  let pids: number[] = [];
  let threadId = 1;
  const output: string[] = [];

  before(async () => {
    client = await startClient();
    client.on('output', (event: DebugProtocol.OutputEvent) => output.push(event.body.output));
    await launch(client, launchConfig(testKernel('x86_64')));
    pids = sessionPids();
    await client.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'do_sys_openat2' }] });
    const stopped = client.waitForEvent('stopped', 120_000) as Promise<DebugProtocol.StoppedEvent>;
    await client.continueRequest({ threadId: 1 });
    threadId = (await stopped).body.threadId ?? 1;
    await client.setFunctionBreakpointsRequest({ breakpoints: [] });
  });
  after(async () => {
    await stopClient(client);
    assert.deepEqual(await survivors(pids), []);
  });

  test('without vmlinux-gdb.py the user is told how to get the lx-* scripts', () => {
    assert.match(output.join(''), /CONFIG_GDB_SCRIPTS=y and run 'make scripts_gdb'/);
  });

  test('the vCPU thread is named with the task it runs', async () => {
    const name = await threadName(client, threadId);
    assert.match(name, /^CPU 0 · \S+ \(pid 1\)$/, name);
  });

  test('the task list walks init_task.tasks', async () => {
    const tasks = await guestTasks(client);
    assert.equal(tasks[0]?.pid, 0);
    assert.match(tasks[0].comm, /^swapper/);
    assert.ok(
      tasks.some((task) => task.pid === 1),
      'init',
    );
    assert.ok(
      tasks.some((task) => task.pid === 2 && task.comm === 'kthreadd'),
      'kthreadd',
    );
    assert.ok(tasks.length > 20, `${tasks.length} tasks`);
    assert.ok(tasks.every((task) => /^[RSDTtZXI?]$/.test(task.state)));
  });

  test('dmesg reads the boot log from the printk ring buffer', async () => {
    const response = await client.customRequest('kernelQemu.dmesg');
    const text = (response.body as { text: string }).text;
    assert.match(text, /^\[\s+0\.000000\] Linux version 6\.1\./m);
    assert.match(text, /Run \/init as init process/);
  });

  test('an oops location func+0x1a/0x40 resolves to its source line', async () => {
    const response = await client.customRequest('kernelQemu.resolveLocation', { location: 'do_sys_openat2+0x20/0x160' });
    const resolved = response.body as { path?: string; line?: number; function?: string };
    assert.match(resolved.path ?? '', /fs\/open\.c$/);
    assert.ok((resolved.line ?? 0) > 1000, JSON.stringify(resolved));
    assert.equal(resolved.function, 'do_sys_openat2');
  });

  test('the serial console moves to a terminal with its backlog, and input round-trips', async () => {
    const opened = await client.customRequest('kernelQemu.serialTerminal.open');
    assert.match((opened.body as { backlog: string }).backlog, /Linux version/);
    const received: string[] = [];
    client.on('kernelQemu.serialOutput', (event: DebugProtocol.Event) => received.push((event.body as { text: string }).text));
    await client.continueRequest({ threadId });
    const deadline = Date.now() + 60_000;
    // The shell may still be starting: type until it answers.
    while (!/kq-hi-\d+/.test(received.join('').replace(/echo kq-hi-\$\(\(40\+2\)\)/g, '')) && Date.now() < deadline) {
      await client.customRequest('kernelQemu.serialInput', { text: 'echo kq-hi-$((40+2))\n' });
      await new Promise((resolve) => setTimeout(resolve, 1500));
    }
    assert.match(received.join(''), /kq-hi-42/);
    const before = output.length;
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.ok(!output.slice(before).join('').includes('kq-hi-42'), 'serial output no longer goes to the Debug Console');
  });
});
