// Set Next Statement: at a do_sys_openat2 stop, a line further down is a goto target; goto
// moves the pc there without running (the stop says 'goto', the top frame is at that line);
// a line of another function is refused with the reason.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { type Arch, launch, launchConfig, startClient, stopClient, testKernel, topFrame } from './support';

for (const arch of ['x86_64', 'aarch64'] as Arch[]) {
  describe(`Set Next Statement, ${arch} guest`, () => {
    test('goto a later line of do_sys_openat2 moves the pc there; a line of another function is refused', async () => {
      const client = await startClient();
      try {
        await launch(client, launchConfig(testKernel(arch)), () =>
          client.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'do_sys_openat2' }] }),
        );
        const stopped = client.waitForEvent('stopped', 120_000) as Promise<DebugProtocol.StoppedEvent>;
        await client.continueRequest({ threadId: 1 });
        const threadId = (await stopped).body.threadId ?? 1;
        const frame = await topFrame(client, threadId);
        assert.equal(frame.name, 'do_sys_openat2');
        const source = { path: frame.source!.path! };
        // The first line after the function's opening line that has code.
        let target: DebugProtocol.GotoTarget | undefined;
        for (let line = frame.line + 4; line < frame.line + 20 && !target; line++) {
          target = (await client.gotoTargetsRequest({ source, line })).body.targets[0];
        }
        assert.ok(target, 'a later line of do_sys_openat2 has code');
        const goto = client.waitForEvent('stopped', 10_000) as Promise<DebugProtocol.StoppedEvent>;
        await client.gotoRequest({ threadId, targetId: target.id });
        assert.equal((await goto).body.reason, 'goto');
        const moved = await topFrame(client, threadId);
        assert.equal(moved.name, 'do_sys_openat2');
        assert.equal(moved.instructionPointerReference, target.instructionPointerReference);
        assert.equal(moved.line, target.line);
        await assert.rejects(
          client.gotoTargetsRequest({ source, line: frame.line - 12 }),
          /Set Next Statement moves the pc within do_sys_openat2; line \d+ is in \w+/,
        );
      } finally {
        await stopClient(client);
      }
    });
  });
}
