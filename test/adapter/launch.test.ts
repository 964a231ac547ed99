// F5 on a real kernel: launch, stop at start_kernel, break in do_sys_openat2, inspect, step,
// pause, terminate — for each guest arch, against real QEMU, gdb and Debian's debug kernels.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { launch, launchConfig, sessionPids, startClient, stopClient, survivors, testKernel, topFrame, type Arch } from './support';

for (const arch of ['x86_64', 'aarch64'] as Arch[]) {
  describe(`${arch} guest`, () => {
    let client: DebugClient;
    let pids: number[] = [];
    let threadId = 1;

    before(async () => {
      client = await startClient();
    });
    after(async () => {
      await stopClient(client);
    });

    test('launch stops at start_kernel in init/main.c', async () => {
      const stopped = await launch(client, launchConfig(testKernel(arch)));
      assert.equal(stopped.body.reason, 'entry');
      pids = sessionPids();
      assert.equal(pids.length, 2, 'one QEMU and one gdb run under the adapter');
      threadId = stopped.body.threadId ?? 1;
      const frame = await topFrame(client, threadId);
      assert.equal(frame.name, 'start_kernel');
      assert.match(frame.source?.path ?? '', /init\/main\.c$/);
      assert.ok(frame.line > 0);
      assert.match(frame.instructionPointerReference ?? '', /^0xffff[0-9a-f]{12}$/, 'the 64-bit pc is kept intact as a string');
    });

    test('threads are the vCPUs, named with the task they run', async () => {
      const threads = await client.threadsRequest();
      assert.equal(threads.body.threads.length, 1);
      assert.match(threads.body.threads[0]!.name, /^CPU 0 · swapper(\/0)? \(pid 0\)$/);
    });

    test('the Debug Console evaluates init_task.comm and runs gdb commands', async () => {
      const frame = await topFrame(client, threadId);
      const comm = await client.evaluateRequest({ expression: 'init_task.comm', context: 'repl', frameId: frame.id });
      assert.match(comm.body.result, /swapper/);
      // gdb's own table line for the pc, at the frame's address (an error such as "Invalid register" does not pass).
      const info = await client.evaluateRequest({ expression: 'info registers pc', context: 'repl', frameId: frame.id });
      const [, value] = /^pc\s+(0x[0-9a-f]+)\s+0x[0-9a-f]+ <start_kernel(\+\d+)?>/m.exec(info.body.result) ?? [];
      assert.ok(value, info.body.result);
      assert.equal(BigInt(value), BigInt(frame.instructionPointerReference!));
    });

    test('a function breakpoint on do_sys_openat2 verifies and is hit', async () => {
      const response = await client.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'do_sys_openat2' }] });
      assert.equal(response.body.breakpoints.length, 1);
      assert.equal(response.body.breakpoints[0]!.verified, true, response.body.breakpoints[0]!.message);
      const stopped = client.waitForEvent('stopped', 120_000) as Promise<DebugProtocol.StoppedEvent>;
      await client.continueRequest({ threadId });
      const event = await stopped;
      assert.equal(event.body.reason, 'breakpoint');
      threadId = event.body.threadId ?? threadId;
      const frame = await topFrame(client, threadId);
      assert.equal(frame.name, 'do_sys_openat2');
    });

    test('the stack has callers and the frame has the local filename', async () => {
      const trace = await client.stackTraceRequest({ threadId, startFrame: 0, levels: 20 });
      assert.ok(trace.body.stackFrames.length >= 3, `only ${trace.body.stackFrames.length} frames`);
      const scopes = await client.scopesRequest({ frameId: trace.body.stackFrames[0]!.id });
      assert.deepEqual(
        scopes.body.scopes.map((scope) => scope.name),
        ['Locals', 'Registers'],
      );
      const locals = await client.variablesRequest({ variablesReference: scopes.body.scopes[0]!.variablesReference });
      const names = locals.body.variables.map((variable) => variable.name);
      assert.ok(names.includes('filename'), `locals are ${names.join(', ')}`);
      const groups = await client.variablesRequest({ variablesReference: scopes.body.scopes[1]!.variablesReference });
      assert.equal(groups.body.variables[0]?.name, 'General');
    });

    test('next moves to another line', async () => {
      const before = await topFrame(client, threadId);
      const stopped = client.waitForEvent('stopped', 60_000) as Promise<DebugProtocol.StoppedEvent>;
      await client.nextRequest({ threadId });
      assert.equal((await stopped).body.reason, 'step');
      const after = await topFrame(client, threadId);
      assert.ok(after.line !== before.line || after.name !== before.name, `still at ${after.name}:${after.line}`);
    });

    test('pause while running stops with reason pause', async () => {
      await client.setFunctionBreakpointsRequest({ breakpoints: [] });
      await client.continueRequest({ threadId });
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const stopped = client.waitForEvent('stopped', 30_000) as Promise<DebugProtocol.StoppedEvent>;
      await client.pauseRequest({ threadId });
      assert.equal((await stopped).body.reason, 'pause');
    });

    test('terminate leaves no QEMU or gdb process', async () => {
      const terminated = client.waitForEvent('terminated', 20_000);
      await client.terminateRequest();
      await terminated;
      assert.deepEqual(await survivors(pids), []);
    });
  });
}
