// Restart resets the same VM (QMP system_reset) instead of relaunching: from a breakpoint in
// do_sys_openat2 the kernel boots again, stops at start_kernel, then at the breakpoint; the
// QEMU and gdb processes are the ones the session started.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { type Arch, launch, launchConfig, sessionPids, startClient, stopClient, survivors, testKernel, topFrame } from './support';

for (const arch of ['x86_64', 'aarch64'] as Arch[]) {
  describe(`restart, ${arch} guest`, () => {
    test('from a breakpoint in do_sys_openat2: start_kernel again, then the breakpoint, same QEMU and gdb', async () => {
      const client = await startClient();
      const output: string[] = [];
      client.on('output', (event: DebugProtocol.OutputEvent) => output.push(event.body.output));
      let pids: number[] = [];
      try {
        await launch(client, launchConfig(testKernel(arch)), () =>
          client.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'do_sys_openat2' }] }),
        );
        pids = sessionPids();
        let stopped = client.waitForEvent('stopped', 120_000) as Promise<DebugProtocol.StoppedEvent>;
        await client.continueRequest({ threadId: 1 });
        assert.equal((await topFrame(client, (await stopped).body.threadId ?? 1)).name, 'do_sys_openat2');

        stopped = client.waitForEvent('stopped', 120_000) as Promise<DebugProtocol.StoppedEvent>;
        const restarted = Date.now();
        await client.customRequest('restart');
        const entry = await stopped;
        const atEntry = Date.now() - restarted;
        assert.equal(entry.body.reason, 'entry');
        assert.equal((await topFrame(client, entry.body.threadId ?? 1)).name, 'start_kernel');
        assert.match(output.join(''), /Restart: the VM was reset in \d+ ms; the kernel boots again/);
        assert.deepEqual(sessionPids().sort(), [...pids].sort(), 'the same QEMU and gdb');

        stopped = client.waitForEvent('stopped', 120_000) as Promise<DebugProtocol.StoppedEvent>;
        await client.continueRequest({ threadId: entry.body.threadId ?? 1 });
        const hit = await stopped;
        assert.equal(hit.body.reason, 'breakpoint');
        assert.equal((await topFrame(client, hit.body.threadId ?? 1)).name, 'do_sys_openat2');
        console.log(`${arch}: restart → start_kernel in ${atEntry} ms`);
      } finally {
        await stopClient(client);
        assert.deepEqual(await survivors(pids), []);
      }
    });
  });
}
