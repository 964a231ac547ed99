// Stepping one vCPU while the others stay stopped (DAP singleThread, gdb's scheduler-locking):
// with smp 2 and a busy loop on the other vCPU, a singleThread step leaves that vCPU's pc
// where it was; a plain step lets it run on (so the check can fail).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { launchConfig, launchRunning, outputMatching, sessionPids, startClient, stopClient, survivors, testKernel } from './support';

async function pcOf(client: DebugClient, threadId: number): Promise<string> {
  const frame = (await client.stackTraceRequest({ threadId, startFrame: 0, levels: 1 })).body.stackFrames[0];
  assert.ok(frame?.instructionPointerReference, `thread ${threadId} has a pc`);
  return frame.instructionPointerReference;
}

async function step(client: DebugClient, threadId: number, singleThread: boolean): Promise<DebugProtocol.StoppedEvent> {
  const stopped = client.waitForEvent('stopped', 60_000) as Promise<DebugProtocol.StoppedEvent>;
  await client.nextRequest({ threadId, granularity: 'instruction', singleThread });
  return stopped;
}

for (const arch of ['x86_64', 'aarch64'] as const)
  describe(`singleThread stepping, ${arch} guest with smp 2`, () => {
    test('a singleThread step moves one vCPU; the busy other one keeps its pc; a plain step moves it', async () => {
      const client = await startClient();
      const output: string[] = [];
      client.on('output', (event: DebugProtocol.OutputEvent) => output.push(event.body.output));
      let pids: number[] = [];
      try {
        const capabilities = (await client.initializeRequest()).body;
        assert.equal(capabilities?.supportsSingleThreadExecutionRequests, true);
        await launchRunning(client, launchConfig(testKernel(arch), { stopAtEntry: false, smp: 2 }));
        pids = sessionPids();
        await outputMatching(output, /kernel-qemu initramfs ready/);
        const type = (text: string) => client.customRequest('kernelQemu.serialInput', { text });
        await type('while :; do :; done &\n');
        await new Promise((resolve) => setTimeout(resolve, 1500));
        await client.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'do_sys_openat2' }] });
        const hit = client.waitForEvent('stopped', 60_000) as Promise<DebugProtocol.StoppedEvent>;
        await type('cat /proc/version\n');
        const threadId = (await hit).body.threadId ?? 1;
        await client.setFunctionBreakpointsRequest({ breakpoints: [] });
        const threads = (await client.threadsRequest()).body.threads.map((thread) => thread.id);
        assert.equal(threads.length, 2, 'two vCPUs');
        const other = threads.find((id) => id !== threadId)!;

        const otherBefore = await pcOf(client, other);
        const mineBefore = await pcOf(client, threadId);
        for (let index = 0; index < 3; index++) await step(client, threadId, true);
        assert.notEqual(await pcOf(client, threadId), mineBefore, 'the stepped vCPU moved');
        assert.equal(await pcOf(client, other), otherBefore, 'the other vCPU stayed where it was');

        let moved = false;
        for (let index = 0; index < 10 && !moved; index++) {
          await step(client, threadId, false);
          moved = (await pcOf(client, other)) !== otherBefore;
        }
        assert.ok(moved, 'without singleThread the busy vCPU runs during a step');
      } finally {
        await stopClient(client);
        assert.deepEqual(await survivors(pids), []);
      }
    });
  });
