// The kernel's exceptions as exception filters (Breakpoints view: Kernel panic, Oops and BUG,
// WARN), provoked for real in the guest: LKDTM's WARNING and EXCEPTION (a NULL dereference)
// on the kernel kernelBuild.test.ts built with BUG, KALLSYMS, DEBUG_FS and LKDTM, and a
// panic on Debian's kernel booted without an initramfs ("VFS: Unable to mount root fs on %s",
// whose formatted message the stop must show). Each stop carries the kernel's message, and
// exceptionInfo its report from the log; a filter switched off lets the guest run on.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import {
  CACHE,
  launchConfig,
  launchRunning,
  outputMatching,
  sessionPids,
  startClient,
  stopClient,
  survivors,
  testKernel,
  topFrame,
} from './support';

function builtTree(): string {
  const builds = path.join(CACHE, 'build');
  const dir = existsSync(builds)
    ? readdirSync(builds).find((name) => name.endsWith('-x86_64-debug') && !name.endsWith('.lock'))
    : undefined;
  assert.ok(dir, `no kernel build under ${builds}: test/adapter/kernelBuild.test.ts builds it (npm test runs it first)`);
  return path.join(builds, dir);
}

const LKDTM = '/sys/kernel/debug/provoke-crash/DIRECT';

describe('kernel exception filters', () => {
  let client: DebugClient;
  let pids: number[] = [];
  after(async () => {
    if (client) await stopClient(client);
    assert.deepEqual(await survivors(pids), []);
  });

  test("WARN and Oops stop at their filters with the kernel's report; switched off, the guest runs on", async () => {
    const tree = builtTree();
    client = await startClient();
    const output: string[] = [];
    client.on('output', (event: DebugProtocol.OutputEvent) => output.push(event.body.output));
    const config = {
      type: 'kernel-qemu',
      request: 'launch',
      name: 'built kernel',
      program: path.join(tree, 'vmlinux'),
      kernel: path.join(tree, 'arch/x86/boot/bzImage'),
      initrd: testKernel('x86_64').initrd,
      accel: 'tcg',
      stopAtEntry: false,
    };
    await launchRunning(client, config, () => client.setExceptionBreakpointsRequest({ filters: ['panic', 'oops', 'warn'] }));
    pids = sessionPids();
    await outputMatching(output, /kernel-qemu initramfs ready/);
    const type = (text: string) => client.customRequest('kernelQemu.serialInput', { text });
    await type('mount -t debugfs none /sys/kernel/debug\n');

    let stopped = client.waitForEvent('stopped', 60_000) as Promise<DebugProtocol.StoppedEvent>;
    await type(`echo WARNING > ${LKDTM}\n`);
    let stop = await stopped;
    assert.equal(stop.body.reason, 'exception');
    assert.match(stop.body.description ?? '', /^WARN: WARNING: CPU: 0 PID: \d+ at drivers\/misc\/lkdtm\/bugs\.c:\d+ lkdtm_WARNING/);
    assert.equal(stop.body.text, undefined, 'no "breakpoint N" in the exception widget');
    let info = (await client.exceptionInfoRequest({ threadId: stop.body.threadId ?? 1 })).body;
    assert.equal(info.exceptionId, 'warn');
    assert.match(info.details?.stackTrace ?? '', /Call Trace:[\s\S]*lkdtm_do_action/);
    assert.equal((await topFrame(client, stop.body.threadId ?? 1)).name, '__warn');

    // The Oops in a child shell, so init survives it.
    stopped = client.waitForEvent('stopped', 60_000) as Promise<DebugProtocol.StoppedEvent>;
    await client.continueRequest({ threadId: stop.body.threadId ?? 1 });
    await type(`sh -c 'echo EXCEPTION > ${LKDTM}'\n`);
    stop = await stopped;
    assert.equal(stop.body.reason, 'exception');
    assert.match(stop.body.description ?? '', /^Oops: BUG: kernel NULL pointer dereference/);
    info = (await client.exceptionInfoRequest({ threadId: stop.body.threadId ?? 1 })).body;
    assert.equal(info.exceptionId, 'oops');
    assert.match(info.details?.stackTrace ?? '', /RIP: 0010:lkdtm_EXCEPTION/);
    const frames = (await client.stackTraceRequest({ threadId: stop.body.threadId ?? 1, levels: 30 })).body.stackFrames.map(
      (frame) => frame.name,
    );
    assert.equal(frames[0], 'oops_exit');

    // Switched off during the session: the next WARN only reaches the console.
    await client.setExceptionBreakpointsRequest({ filters: ['panic'] });
    let extraStop: DebugProtocol.StoppedEvent | undefined;
    client.on('stopped', (event: DebugProtocol.StoppedEvent) => (extraStop = event));
    await client.continueRequest({ threadId: stop.body.threadId ?? 1 });
    const before = output.join('').length;
    await type(`echo WARNING > ${LKDTM}; echo kq-after-$((6*7))\n`);
    await outputMatching(output, /kq-after-42/, 60_000);
    assert.match(output.join('').slice(before), /WARNING: CPU: 0 PID: \d+ at drivers\/misc\/lkdtm\/bugs\.c/);
    assert.equal(extraStop, undefined, 'no stop with the WARN filter off');
  });

  for (const arch of ['x86_64', 'aarch64'] as const)
    test(`a panic stops with the kernel's formatted message: Debian's ${arch} kernel with no initramfs`, async () => {
      if (client) await stopClient(client);
      client = await startClient();
      const kernel = testKernel(arch);
      const stopped = client.waitForEvent('stopped', 120_000) as Promise<DebugProtocol.StoppedEvent>;
      const { initrd: _none, ...withoutInitrd } = launchConfig(kernel, { stopAtEntry: false });
      await launchRunning(client, withoutInitrd);
      pids = sessionPids();
      const stop = await stopped;
      assert.equal(stop.body.reason, 'exception');
      assert.match(stop.body.description ?? '', /^Kernel panic: VFS: Unable to mount root fs on unknown-block\(0,0\)$/);
      const info = (await client.exceptionInfoRequest({ threadId: stop.body.threadId ?? 1 })).body;
      assert.equal(info.exceptionId, 'panic');
      const frames = (await client.stackTraceRequest({ threadId: stop.body.threadId ?? 1, levels: 20 })).body.stackFrames.map(
        (frame) => frame.name,
      );
      assert.equal(frames[0], 'panic');
      assert.ok(
        frames.includes('mount_root') || frames.includes('mount_block_root') || frames.includes('prepare_namespace'),
        frames.join(' < '),
      );
    });
});
