// npm run stress: 200 VM snapshot save → step → load → delete cycles in one session of the real
// adapter, QEMU, gdb and Debian's x86_64 debug kernel, with breakpoints set. At each load the
// debugger must show the saved state again (function, line, every register: no stale gdb
// cache), the snapshot list must be true after each change, and the adapter must not grow:
// RSS and open file descriptors are measured after the first 10 cycles and at the end.
// STRESS_SNAPSHOT_CYCLES resizes a run.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { KERNEL_REQUEST } from '../../src/adapter/kernelProtocol';
import { SNAPSHOT_REQUEST, type SnapshotListBody } from '../../src/adapter/snapshotProtocol';
import {
  closeIsolated,
  freshTmpdir,
  launchToStop,
  leftoversIn,
  nextEvent,
  orphansOf,
  removeDir,
  startIsolated,
  toolsOf,
} from '../adapter/faultSupport';
import { leafValues, launchConfig, testKernel, topFrame } from '../adapter/support';

const CYCLES = Number(process.env.STRESS_SNAPSHOT_CYCLES ?? 200);
const BREAKPOINTS = ['do_sys_openat2', 'vfs_read'];

interface Seen {
  name: string;
  line: number;
  registers: Array<[string, string]>;
}

async function seen(client: DebugClient, threadId: number): Promise<Seen> {
  const frame = await topFrame(client, threadId);
  const scopes = (await client.scopesRequest({ frameId: frame.id })).body.scopes;
  const registers = scopes.find((scope) => scope.name === 'Registers');
  assert.ok(registers, `a Registers scope among ${scopes.map((scope) => scope.name).join(', ')}`);
  return { name: frame.name, line: frame.line, registers: await leafValues(client, registers.variablesReference) };
}

async function snapshots(client: DebugClient, command: string, args: object = {}): Promise<unknown> {
  return (await client.customRequest(command, args)).body;
}

async function stopAfter(client: DebugClient, action: () => Promise<unknown>, withinMs = 60_000): Promise<DebugProtocol.StoppedEvent> {
  const stopped = nextEvent<DebugProtocol.StoppedEvent>(client, 'stopped', withinMs);
  await action();
  const stop = await stopped;
  assert.ok(stop, `no stop within ${withinMs} ms`);
  return stop;
}

function residentKiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
}

function openFiles(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

test(
  `${CYCLES} snapshot save → step → load → delete cycles: the saved state at every load, a true list, no growth`,
  { timeout: CYCLES * 30_000 },
  async () => {
    const tmpdir = freshTmpdir('kq-snapcycles-');
    const adapter = await startIsolated(tmpdir, { KERNEL_QEMU_STATE_DIR: path.join(tmpdir, 'state-disks') });
    const { client } = adapter;
    const started = Date.now();
    try {
      let threadId = (await launchToStop(client, launchConfig(testKernel('x86_64')))).body.threadId ?? 1;
      await client.setFunctionBreakpointsRequest({ breakpoints: BREAKPOINTS.map((name) => ({ name })) });
      threadId = (await stopAfter(client, () => client.continueRequest({ threadId }))).body.threadId ?? threadId;
      await snapshots(client, SNAPSHOT_REQUEST.attachStateDisk);
      const gdbPid = toolsOf(tmpdir).gdb[0]?.pid;
      let baseline: { rss: number; fds: number; gdbRss: number } | undefined;
      let halfwayRss = NaN;
      const timings: number[] = [];

      for (let cycle = 0; cycle < CYCLES; cycle++) {
        const name = `cycle-${cycle}`;
        const cycleStarted = Date.now();
        const atSave = await seen(client, threadId);
        assert.ok(BREAKPOINTS.includes(atSave.name), `cycle ${cycle}: saved at a breakpoint (${atSave.name})`);
        await snapshots(client, SNAPSHOT_REQUEST.save, { name });

        // Run on: a step (it moves the pc, so the state differs from the save), and every third cycle on to
        // the next breakpoint (the shell's reads, kicked by a line typed). That hit can be the save's state
        // again, every register alike: ash reads a typed line one byte at a time, each read(0, &c, 1) from the
        // same stack with the same arguments (seen at cycle 200 of a run here, and in CI at cycle 23).
        const stepped = await stopAfter(client, () => client.nextRequest({ threadId }));
        threadId = stepped.body.threadId ?? threadId;
        const afterStep = await seen(client, threadId);
        // Not notDeepEqual: its report prints every register twice, and CI keeps only the tail.
        assert.ok(
          !isDeepStrictEqual(afterStep.registers, atSave.registers),
          `cycle ${cycle}: the registers did not change after the save: the step stopped ${JSON.stringify(stepped.body)} at ` +
            `${afterStep.name}:${afterStep.line}; the adapter's last output: ${JSON.stringify(adapter.output.slice(-3))}`,
        );
        if (cycle % 3 === 2) {
          await client.customRequest(KERNEL_REQUEST.serialInput, { text: 'echo kq\n' });
          threadId = (await stopAfter(client, () => client.continueRequest({ threadId }))).body.threadId ?? threadId;
        }

        const loaded = await stopAfter(client, () => snapshots(client, SNAPSHOT_REQUEST.load, { name }), 30_000);
        assert.match(loaded.body.description ?? '', new RegExp(`Snapshot "${name}" loaded`));
        threadId = loaded.body.threadId ?? threadId;
        assert.deepEqual(await seen(client, threadId), atSave, `cycle ${cycle}: the state at the load is the state at the save`);

        // The VM was loaded from it: deleting needs force (the Snapshots view asks first).
        await snapshots(client, SNAPSHOT_REQUEST.delete, { name, force: true });
        const listed = (await snapshots(client, SNAPSHOT_REQUEST.list)) as SnapshotListBody;
        assert.deepEqual(
          listed.snapshots.map((snapshot) => snapshot.name),
          [],
          `cycle ${cycle}: the list after the delete`,
        );

        // Move on to the next breakpoint hit, so that the next cycle saves another state.
        await client.customRequest(KERNEL_REQUEST.serialInput, { text: 'echo kq\n' });
        threadId = (await stopAfter(client, () => client.continueRequest({ threadId }))).body.threadId ?? threadId;
        timings.push(Date.now() - cycleStarted);
        if (cycle === 9)
          baseline = { rss: residentKiB(adapter.pid), fds: openFiles(adapter.pid), gdbRss: gdbPid ? residentKiB(gdbPid) : NaN };
        if (cycle === Math.floor(CYCLES / 2)) halfwayRss = residentKiB(adapter.pid);
      }

      const end = { rss: residentKiB(adapter.pid), fds: openFiles(adapter.pid), gdbRss: gdbPid ? residentKiB(gdbPid) : NaN };
      const median = [...timings].sort((a, b) => a - b)[Math.floor(timings.length / 2)] ?? 0;
      const lost = adapter.output.filter((text) => /step over it was lost/.test(text)).length;
      console.log(
        `${CYCLES} cycles in ${((Date.now() - started) / 1000).toFixed(0)} s (median cycle ${median}` +
          ` ms); lost step-overs run again: ${lost}`,
      );
      if (baseline) {
        console.log(
          `adapter RSS ${(baseline.rss / 1024).toFixed(1)} → ${(end.rss / 1024).toFixed(1)} MiB, ` +
            `open files ${baseline.fds} → ${end.fds}; gdb RSS ${(baseline.gdbRss / 1024).toFixed(1)} → ${(end.gdbRss / 1024).toFixed(1)}` +
            ` MiB`,
        );
        // RSS is read without a GC: V8's heap settles over the first cycles (CI: 62 → 95 MiB once,
        // under a second test's load). A leak goes on growing: the second half of the cycles must not.
        const secondHalf = (end.rss - halfwayRss) / 1024;
        console.log(`adapter RSS at cycle ${Math.floor(CYCLES / 2)}: ${(halfwayRss / 1024).toFixed(1)} MiB`);
        assert.ok(secondHalf <= 20, `adapter RSS grew by ${secondHalf.toFixed(1)} MiB over the last ${CYCLES / 2} cycles`);
        assert.ok(end.fds <= baseline.fds + 2, `open files ${baseline.fds} → ${end.fds}`);
      }
      const terminated = nextEvent(client, 'terminated', 30_000);
      await client.terminateRequest();
      assert.ok(await terminated, 'terminate ended the session');
    } finally {
      await closeIsolated(adapter);
    }
    assert.deepEqual(
      (await orphansOf(tmpdir)).map((p) => `${p.pid} ${p.comm}`),
      [],
      'no orphaned process',
    );
    assert.deepEqual(
      leftoversIn(tmpdir).filter((entry) => entry.startsWith('kernel-qemu-')),
      [],
      'no runtime directory left',
    );
    removeDir(tmpdir);
  },
);
