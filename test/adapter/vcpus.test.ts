// Two vCPUs: each is a thread, each has its own stack and frames, a stop on one does not
// confuse requests about the other, and pause works on a running stub every time.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { launch, launchConfig, sessionPids, startClient, stopClient, survivors, testKernel, topFrame } from './support';

describe('x86_64 guest with two vCPUs', () => {
  let client: DebugClient;
  let pids: number[] = [];

  before(async () => {
    client = await startClient();
  });
  after(async () => {
    await stopClient(client);
    assert.deepEqual(await survivors(pids), []);
  });

  test('both vCPUs are threads named by CPU number, each with its own stack', async () => {
    await launch(client, launchConfig(testKernel('x86_64'), { smp: 2 }));
    pids = sessionPids();
    await client.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'do_sys_openat2' }] });
    const stopped = client.waitForEvent('stopped', 120_000) as Promise<DebugProtocol.StoppedEvent>;
    await client.continueRequest({ threadId: 1 });
    const event = await stopped;
    const threads = (await client.threadsRequest()).body.threads;
    assert.deepEqual(
      threads.map((thread) => thread.name.split(' · ')[0]),
      ['CPU 0', 'CPU 1'],
    );
    assert.ok(
      threads.every((thread) => / · \S+ \(pid \d+\)$/.test(thread.name)),
      threads.map((thread) => thread.name).join(', '),
    );
    const hitThread = event.body.threadId!;
    const other = threads.find((thread) => thread.id !== hitThread)!.id;
    assert.equal((await topFrame(client, hitThread)).name, 'do_sys_openat2');
    const otherTop = await topFrame(client, other);
    // Its own stack: the other vCPU is somewhere else than the breakpoint (frame ids are new on every request: compare pcs).
    assert.notEqual(
      BigInt(otherTop.instructionPointerReference!),
      BigInt((await topFrame(client, hitThread)).instructionPointerReference!),
    );
    // A request about the other vCPU's frame answers for that vCPU, then the hit vCPU still answers for itself.
    const otherPc = await client.evaluateRequest({ expression: '$pc', frameId: otherTop.id, context: 'watch' });
    assert.equal(BigInt(otherPc.body.result.split(' ')[0]!), BigInt(otherTop.instructionPointerReference!));
    const hitTop = await topFrame(client, hitThread);
    const filename = await client.evaluateRequest({ expression: 'filename', frameId: hitTop.id, context: 'watch' });
    // The first open of the boot: busybox sh reading its script, the initramfs's /init.
    assert.match(filename.body.result, /"\/init"/);
  });

  test('next on the vCPU that hit steps that vCPU', async () => {
    const threads = (await client.threadsRequest()).body.threads;
    const hit = (await Promise.all(threads.map(async (thread) => ({ id: thread.id, top: await topFrame(client, thread.id) })))).find(
      (entry) => entry.top.name === 'do_sys_openat2',
    )!;
    // No breakpoint left that the step could stop at instead: the stop below is the step's own.
    await client.setFunctionBreakpointsRequest({ breakpoints: [] });
    const stopped = client.waitForEvent('stopped', 60_000) as Promise<DebugProtocol.StoppedEvent>;
    await client.nextRequest({ threadId: hit.id });
    const event = await stopped;
    assert.equal(event.body.reason, 'step');
    assert.equal(event.body.threadId, hit.id);
    const after = await topFrame(client, hit.id);
    assert.equal(after.name, 'do_sys_openat2', 'next stays in the function');
    assert.notEqual(after.line, hit.top.line, 'on the next line');
  });

  test('pause works on a running kernel every time (5 rounds)', async () => {
    for (let round = 0; round < 5; round++) {
      await client.continueRequest({ threadId: 1 });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const stopped = client.waitForEvent('stopped', 10_000) as Promise<DebugProtocol.StoppedEvent>;
      await client.pauseRequest({ threadId: 1 });
      assert.equal((await stopped).body.reason, 'pause', `round ${round}`);
    }
  });

  test('a breakpoint set while the kernel runs is placed without a visible stop, then hit', async () => {
    const events: string[] = [];
    client.on('stopped', (event: DebugProtocol.StoppedEvent) => events.push(event.body.reason));
    await client.continueRequest({ threadId: 1 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const stopped = client.waitForEvent('stopped', 60_000) as Promise<DebugProtocol.StoppedEvent>;
    const placed = await client.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'vfs_read' }] });
    assert.equal(placed.body.breakpoints[0]?.verified, true);
    for (let i = 0; i < 30 && events.length === 0; i++)
      await client
        .customRequest('kernelQemu.serialInput', { text: 'cat /proc/version\n' })
        .then(() => new Promise((resolve) => setTimeout(resolve, 500)));
    assert.equal((await stopped).body.reason, 'breakpoint');
    assert.deepEqual(events, ['breakpoint'], 'no pause or exception stop was shown while placing it');
    await client.setFunctionBreakpointsRequest({ breakpoints: [] });
  });
});
