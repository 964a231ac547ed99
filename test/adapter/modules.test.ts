// A real module from Debian's kernel package is insmod'ed in the guest: its symbols load,
// a breakpoint set before it existed is placed and hit with its source, and it is listed.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { launchConfig, launchRunning, sessionPids, startClient, stopClient, survivors, testKernel, topFrame } from './support';

describe('modules, x86_64 guest', () => {
  let client: DebugClient;
  let pids: number[] = [];

  after(async () => {
    await stopClient(client);
    assert.deepEqual(await survivors(pids), []);
  });

  test('a breakpoint in nls_utf8 is pending, then hit after insmod with its source and the module listed', async () => {
    const kernel = testKernel('x86_64');
    client = await startClient();
    const output: string[] = [];
    client.on('output', (event: DebugProtocol.OutputEvent) => output.push(event.body.output));
    let pending: DebugProtocol.Breakpoint | undefined;
    await launchRunning(client, launchConfig(kernel, { stopAtEntry: false }), async () => {
      pending = (await client.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'init_nls_utf8' }] })).body.breakpoints[0];
    });
    pids = sessionPids();
    assert.equal(pending?.verified, false);
    assert.match(pending?.message ?? '', /Pending: placed when a module that defines it is loaded/);

    const placed = new Promise<DebugProtocol.BreakpointEvent>((resolve) =>
      client.on('breakpoint', (event: DebugProtocol.BreakpointEvent) => {
        if (event.body.breakpoint.verified) resolve(event);
      }),
    );
    const stopped = client.waitForEvent('stopped', 120_000) as Promise<DebugProtocol.StoppedEvent>;
    const deadline = Date.now() + 90_000;
    let hit: DebugProtocol.StoppedEvent | undefined;
    void stopped.then((event) => (hit = event));
    while (!hit && Date.now() < deadline) {
      await client.customRequest('kernelQemu.serialInput', { text: 'insmod /modules/nls_utf8.ko\n' });
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
    const event = await stopped;
    assert.equal(event.body.reason, 'breakpoint');
    assert.equal((await placed).body.breakpoint.verified, true);
    const frame = await topFrame(client, event.body.threadId ?? 1);
    assert.equal(frame.name, 'init_nls_utf8');
    assert.match(frame.source?.path ?? '', /fs\/nls\/nls_utf8\.c$/);
    assert.match(output.join(''), new RegExp(`Module nls_utf8: symbols from ${path.join(kernel.dir, 'modules/debug/nls_utf8.ko').replace(/[.]/g, '\\.')}`));
    const modules = await client.modulesRequest({});
    assert.ok(modules.body.modules.some((module) => module.name === 'nls_utf8' && module.symbolStatus === 'Symbols loaded.'));
  });
});
