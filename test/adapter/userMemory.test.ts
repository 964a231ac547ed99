// User-space data seen from the kernel: at do_sys_openat2 the `const char __user *filename`
// argument reads as the path being opened, in Variables, Watch and hover, on both arches.
// arm64 is the case that needs it (PAN keeps gdb's own reads out); its 6.12 kernel walks
// 52-bit LPA2 page tables, the 6.1 one 48-bit ones.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { launch, launchConfig, sessionPids, startClient, stopClient, survivors, testKernel, topFrame, EVERY_KERNEL } from './support';

const PATH_VALUE = /^0x[0-9a-f]+ "\/[^"]*"$/;

for (const [arch, series] of EVERY_KERNEL) {
  describe(`user strings from the kernel, ${arch} ${series ?? '6.1'}`, () => {
    let client: DebugClient;
    let pids: number[] = [];
    let frame: DebugProtocol.StackFrame;

    before(async () => {
      client = await startClient();
      await launch(client, launchConfig(testKernel(arch, series)));
      pids = sessionPids();
      await client.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'do_sys_openat2' }] });
      const stopped = client.waitForEvent('stopped', 180_000) as Promise<DebugProtocol.StoppedEvent>;
      await client.continueRequest({ threadId: 1 });
      frame = await topFrame(client, (await stopped).body.threadId ?? 1);
    });
    after(async () => {
      await stopClient(client);
      assert.deepEqual(await survivors(pids), []);
    });

    test('at a do_sys_openat2 hit, filename in Locals shows the path', async () => {
      assert.equal(frame.name, 'do_sys_openat2');
      const scopes = await client.scopesRequest({ frameId: frame.id });
      const locals = scopes.body.scopes.find((scope) => scope.name === 'Locals');
      assert.ok(locals);
      const variables = (await client.variablesRequest({ variablesReference: locals.variablesReference })).body.variables;
      const filename = variables.find((variable) => variable.name === 'filename');
      assert.ok(filename, `no filename among ${variables.map((variable) => variable.name).join(', ')}`);
      assert.match(filename.value, PATH_VALUE);
    });

    test('Watch and hover of filename show the same path', async () => {
      const watch = await client.evaluateRequest({ expression: 'filename', frameId: frame.id, context: 'watch' });
      const hover = await client.evaluateRequest({ expression: 'filename', frameId: frame.id, context: 'hover' });
      assert.match(watch.body.result, PATH_VALUE);
      assert.equal(hover.body.result, watch.body.result);
    });

    test('a user address with no page mapped says "user page not present"', async () => {
      const watch = await client.evaluateRequest({ expression: '(const char *)0x1000', frameId: frame.id, context: 'watch' });
      assert.equal(watch.body.result, '0x1000 <user page not present>');
    });

    test('the path read is the one the kernel copies in: do_filp_open of the same open gets it', async () => {
      const watch = await client.evaluateRequest({ expression: 'filename', frameId: frame.id, context: 'watch' });
      const path = /"(.*)"$/.exec(watch.body.result)?.[1];
      assert.ok(path, watch.body.result);
      await client.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'do_filp_open' }] });
      const stopped = client.waitForEvent('stopped', 120_000) as Promise<DebugProtocol.StoppedEvent>;
      await client.continueRequest({ threadId: 1 });
      const next = await topFrame(client, (await stopped).body.threadId ?? 1);
      assert.equal(next.name, 'do_filp_open');
      const copied = await client.evaluateRequest({ expression: 'pathname->name', frameId: next.id, context: 'watch' });
      assert.equal(/"(.*)"$/.exec(copied.body.result)?.[1], path);
    });
  });
}
