// Every task as a thread (threads: "tasks"): paused with the busybox shell waiting for input,
// pid 1 and kthreadd are threads named by their comm; kthreadd's stack, unwound from the
// context it saved when it switched out, runs through __schedule and schedule to kthreadd with
// source lines; a frame's locals evaluate in that frame (in __schedule, `prev` is kthreadd
// itself); a sleeping task cannot be stepped; the vCPU's own stack is untouched; a vCPU
// stopped in inlined code does not change a task's stack.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import {
  launch,
  launchConfig,
  launchRunning,
  outputMatching,
  sessionPids,
  startClient,
  stopClient,
  survivors,
  testKernel,
  EVERY_KERNEL,
} from './support';

for (const [arch, series] of EVERY_KERNEL) {
  describe(`tasks as threads, ${arch} ${series ?? '6.1'}`, () => {
    let client: DebugClient;
    let pids: number[] = [];
    let threads: DebugProtocol.Thread[] = [];
    /** kthreadd's frames at the first stop (it sleeps on: later stops show the same). */
    let kthreaddStack: string[] = [];

    before(async () => {
      client = await startClient();
      const output: string[] = [];
      client.on('output', (event: DebugProtocol.OutputEvent) => output.push(event.body.output));
      await launchRunning(client, launchConfig(testKernel(arch, series), { stopAtEntry: false, threads: 'tasks' }));
      pids = sessionPids();
      await outputMatching(output, /kernel-qemu initramfs ready[\s\S]*# /);
      const stopped = client.waitForEvent('stopped', 60_000);
      await client.pauseRequest({ threadId: 1 });
      await stopped;
      const started = Date.now();
      threads = (await client.threadsRequest()).body.threads;
      console.log(`threads request with ${threads.length} threads: ${Date.now() - started} ms`);
    });
    after(async () => {
      await stopClient(client);
      assert.deepEqual(await survivors(pids), []);
    });

    test('pid 1 and kthreadd are threads with their comm, after the vCPU', () => {
      assert.match(threads[0]!.name, /^CPU 0/);
      assert.ok(
        threads.some((thread) => /^pid 1 · \S+$/.test(thread.name)),
        threads.map((thread) => thread.name).join('\n'),
      );
      assert.ok(threads.some((thread) => thread.name === 'pid 2 · kthreadd'));
    });

    test("kthreadd's stack runs from __schedule through schedule to kthreadd, with source lines", async () => {
      const kthreadd = threads.find((thread) => thread.name === 'pid 2 · kthreadd')!;
      const started = Date.now();
      const frames = (await client.stackTraceRequest({ threadId: kthreadd.id, startFrame: 0, levels: 20 })).body.stackFrames;
      console.log(`kthreadd stack, ${frames.length} frames: ${Date.now() - started} ms`);
      const names = frames.map((frame) => frame.name);
      kthreaddStack = names;
      assert.ok(frames.length >= 3, names.join(' < '));
      const schedule = names.indexOf('schedule');
      assert.ok(names.indexOf('__schedule') >= 0 && names.indexOf('__schedule') < schedule, names.join(' < '));
      assert.equal(names[schedule + 1], 'kthreadd', names.join(' < '));
      for (const frame of frames.slice(0, schedule + 2)) {
        assert.ok(frame.line > 0 && frame.source?.name, `${frame.name} has a source line`);
      }
    });

    test("a task frame's locals read in that frame: in __schedule, prev is kthreadd", async () => {
      const kthreadd = threads.find((thread) => thread.name === 'pid 2 · kthreadd')!;
      const frames = (await client.stackTraceRequest({ threadId: kthreadd.id, startFrame: 0, levels: 20 })).body.stackFrames;
      const schedule = frames.find((frame) => frame.name === '__schedule')!;
      const scopes = await client.scopesRequest({ frameId: schedule.id });
      const locals = (await client.variablesRequest({ variablesReference: scopes.body.scopes[0]!.variablesReference })).body.variables;
      assert.ok(
        locals.some((local) => local.name === 'prev'),
        locals.map((local) => local.name).join(),
      );
      const pid = await client.evaluateRequest({ expression: 'prev->pid', frameId: schedule.id, context: 'watch' });
      assert.equal(pid.body.result, '2');
      const comm = await client.evaluateRequest({ expression: 'prev->comm', frameId: schedule.id, context: 'hover' });
      assert.match(comm.body.result, /^"kthreadd/);
    });

    test('a sleeping task cannot be stepped; the vCPU keeps its own stack', async () => {
      const kthreadd = threads.find((thread) => thread.name === 'pid 2 · kthreadd')!;
      await assert.rejects(client.nextRequest({ threadId: kthreadd.id }), /pid 2 is not running on a CPU and cannot be stepped/);
      const vcpu = (await client.stackTraceRequest({ threadId: 1, startFrame: 0, levels: 20 })).body.stackFrames.map((frame) => frame.name);
      assert.ok(!vcpu.includes('kthreadd'), vcpu.join(' < '));
    });

    test("with the vCPU stopped in inlined code (build_open_flags in do_sys_openat2), kthreadd's stack is still its own", async () => {
      // gdb's inline unwinder takes such a vCPU's innermost frames before the task unwinder is asked.
      await client.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'build_open_flags' }] });
      const stopped = client.waitForEvent('stopped', 60_000) as Promise<DebugProtocol.StoppedEvent>;
      await client.continueRequest({ threadId: 1 });
      await client.customRequest('kernelQemu.serialInput', { text: 'cat /proc/version\n' });
      const vcpuThread = (await stopped).body.threadId ?? 1;
      const vcpu = (await client.stackTraceRequest({ threadId: vcpuThread, startFrame: 0, levels: 20 })).body.stackFrames.map(
        (frame) => frame.name,
      );
      assert.deepEqual(vcpu.slice(0, 2), ['build_open_flags', 'do_sys_openat2'], `the vCPU is in the inlined copy: ${vcpu.join(' < ')}`);
      const kthreadd = (await client.threadsRequest()).body.threads.find((thread) => thread.name === 'pid 2 · kthreadd')!;
      const names = (await client.stackTraceRequest({ threadId: kthreadd.id, startFrame: 0, levels: 20 })).body.stackFrames.map(
        (frame) => frame.name,
      );
      assert.deepEqual(names, kthreaddStack, 'the same frames as at the first stop');
      await client.setFunctionBreakpointsRequest({ breakpoints: [] });
    });
  });
}

describe('tasks as threads at start_kernel, x86_64 6.1', () => {
  test('before any task exists the threads are the vCPUs alone', async () => {
    const client = await startClient();
    let pids: number[] = [];
    try {
      await launch(client, launchConfig(testKernel('x86_64'), { threads: 'tasks' }));
      pids = sessionPids();
      const threads = (await client.threadsRequest()).body.threads;
      assert.deepEqual(
        threads.map((thread) => thread.name.split(' ')[0]),
        ['CPU'],
      );
    } finally {
      await stopClient(client);
      assert.deepEqual(await survivors(pids), []);
    }
  });
});
