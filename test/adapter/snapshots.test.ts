// VM snapshots through the real adapter, QEMU, gdb and Debian's x86_64 debug kernel:
// save at do_sys_openat2, run on, load, and the debugger shows the saved state again;
// list, delete, launch from a snapshot (-loadvm), the state disk of an initrd-only VM,
// and the errors that change nothing.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { SnapshotListBody, SnapshotOperationBody } from '../../src/adapter/snapshotProtocol';
import { SNAPSHOT_REQUEST, SNAPSHOTS_CHANGED_EVENT } from '../../src/adapter/snapshotProtocol';
import { parseQemuImgSnapshotList } from '../../src/qemu/vmSnapshots';
import { launch, launchConfig, leafValues, sessionPids, startClient, stopClient, survivors, testKernel, topFrame } from './support';

// State disks of these tests go to a scratch directory (the adapter reads this at launch).
const scratch = mkdtempSync(path.join(os.tmpdir(), 'kq-snapshots-'));
process.env.KERNEL_QEMU_STATE_DIR = path.join(scratch, 'state-disks');
const kernel = testKernel('x86_64');
const LATER = 'vfs_read';

interface Seen {
  name: string;
  line: number;
  filename: string;
  registers: Array<[string, string]>;
}

async function request<T>(client: DebugClient, command: string, args: object = {}): Promise<T> {
  return (await client.customRequest(command, args)).body as T;
}

function stoppedEvent(client: DebugClient, timeout = 120_000): Promise<DebugProtocol.StoppedEvent> {
  return client.waitForEvent('stopped', timeout) as Promise<DebugProtocol.StoppedEvent>;
}

/** Where the kernel is stopped: function, line, the local `filename` and every register. */
async function seen(client: DebugClient, threadId: number): Promise<Seen> {
  const frame = await topFrame(client, threadId);
  const scopes = await client.scopesRequest({ frameId: frame.id });
  const [localsScope, registersScope] = scopes.body.scopes;
  const [locals, registers] = await Promise.all([
    client.variablesRequest({ variablesReference: localsScope!.variablesReference }),
    leafValues(client, registersScope!.variablesReference),
  ]);
  const filename = locals.body.variables.find((variable) => variable.name === 'filename')?.value ?? '';
  return { name: frame.name, line: frame.line, filename, registers };
}

/** Terminates the session and checks its QEMU and gdb are gone (then the image is free). */
async function endSession(client: DebugClient, pids: number[]): Promise<void> {
  const terminated = client.waitForEvent('terminated', 20_000);
  await client.terminateRequest();
  await terminated;
  assert.deepEqual(await survivors(pids), []);
}

function imageSnapshots(image: string): string[] {
  return parseQemuImgSnapshotList(execFileSync('qemu-img', ['snapshot', '-l', '-U', '--', image], { encoding: 'utf8' })).map(
    (snapshot) => snapshot.name,
  );
}

after(() => rmSync(scratch, { recursive: true, force: true }));

/** A DebugClient for the tests of one describe block, its Debug Console output collected. */
function useClient(): { client: DebugClient; output: string[]; restart(): Promise<void> } {
  const fixture = {
    client: undefined as unknown as DebugClient,
    output: [] as string[],
    async restart() {
      await fixture.client?.stop().catch(() => undefined);
      fixture.client = await startClient();
      fixture.client.on('output', (event: DebugProtocol.OutputEvent) => fixture.output.push(event.body.output));
    },
  };
  before(() => fixture.restart());
  after(() => stopClient(fixture.client));
  return fixture;
}

describe('snapshots of an initrd-only VM (x86_64)', () => {
  const fixture = useClient();
  let client: DebugClient;
  let pids: number[] = [];
  let threadId = 1;
  let atSave: Seen;
  let stateDisk = '';
  before(() => (client = fixture.client));

  test('stopped at do_sys_openat2', async () => {
    await launch(client, launchConfig(kernel));
    pids = sessionPids();
    await client.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'do_sys_openat2' }] });
    const stopped = stoppedEvent(client);
    await client.continueRequest({ threadId });
    threadId = (await stopped).body.threadId ?? threadId;
    assert.equal((await topFrame(client, threadId)).name, 'do_sys_openat2');
  });

  test('save with only an initrd says why not and offers the state disk; attaching it makes save work', async () => {
    const listed = await request<SnapshotListBody>(client, SNAPSHOT_REQUEST.list);
    assert.equal(listed.canSave, false);
    assert.equal(listed.stateDisk.attached, false);
    assert.ok(listed.stateDisk.path?.startsWith(process.env.KERNEL_QEMU_STATE_DIR!), listed.stateDisk.path);
    assert.equal(listed.suggestedName, 'do_sys_openat2');
    await assert.rejects(request(client, SNAPSHOT_REQUEST.save, { name: 'a' }), /only an initrd.*state disk/);

    const changed = client.waitForEvent(SNAPSHOTS_CHANGED_EVENT, 10_000);
    const attached = await request<{ path: string; created: boolean }>(client, SNAPSHOT_REQUEST.attachStateDisk);
    assert.deepEqual(attached, { path: listed.stateDisk.path, created: true });
    stateDisk = attached.path;
    assert.equal(((await changed).body as SnapshotListBody).canSave, true);
  });

  test('save "a" at do_sys_openat2', async () => {
    atSave = await seen(client, threadId);
    assert.equal(atSave.name, 'do_sys_openat2');
    assert.ok(
      atSave.registers.some(([name]) => name === 'rip'),
      'registers are read',
    );
    // The boot's first open (busybox sh reading the initramfs's /init): loading "a" must bring it back.
    assert.match(atSave.filename, /"\/init"/);
    const savedAt = Date.now();
    const body = await request<SnapshotOperationBody>(client, SNAPSHOT_REQUEST.save, { name: 'a' });
    console.log(`save "a": ${body.totalMs} ms (QEMU job ${body.qemuMs} ms)`);
    const listed = await request<SnapshotListBody>(client, SNAPSHOT_REQUEST.list);
    const a = listed.snapshots.find((snapshot) => snapshot.name === 'a');
    assert.ok(a, 'the list shows "a"');
    assert.ok(Math.abs(a.date - savedAt) < 60_000, `date ${new Date(a.date).toISOString()}`);
    assert.ok(a.vmStateSize > 1_000_000, `size ${a.vmStateSize}`);
    assert.equal(listed.image, stateDisk);
    // Saving left the debugger where it was.
    assert.deepEqual(await seen(client, threadId), atSave);
  });

  test('saving over an existing name is refused unless asked to overwrite', async () => {
    await assert.rejects(request(client, SNAPSHOT_REQUEST.save, { name: 'a' }), /"a" exists already.*overwrite/);
    await assert.rejects(request(client, SNAPSHOT_REQUEST.save, { name: '42' }), /all digits/);
  });

  test(`continue to ${LATER}, load "a": location, filename and registers are those at the save`, async () => {
    await client.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'do_sys_openat2' }, { name: LATER }] });
    let stopped = stoppedEvent(client);
    await client.continueRequest({ threadId });
    threadId = (await stopped).body.threadId ?? threadId;
    const later = await seen(client, threadId);
    assert.equal(later.name, LATER);
    assert.notDeepEqual(later.registers, atSave.registers);

    stopped = stoppedEvent(client, 30_000);
    const body = await request<SnapshotOperationBody>(client, SNAPSHOT_REQUEST.load, { name: 'a' });
    console.log(`load "a": ${body.totalMs} ms (QEMU job ${body.qemuMs} ms)`);
    const event = await stopped;
    assert.match(event.body.description ?? '', /Snapshot "a" loaded/);
    threadId = event.body.threadId ?? threadId;
    const loaded = await seen(client, threadId);
    assert.equal(loaded.name, atSave.name);
    assert.equal(loaded.line, atSave.line);
    assert.equal(loaded.filename, atSave.filename);
    assert.deepEqual(loaded.registers, atSave.registers);
  });

  test(`after the load, breakpoints are still in: continue stops at ${LATER}, not again at the restored pc`, async () => {
    const stopped = stoppedEvent(client);
    await client.continueRequest({ threadId });
    const event = await stopped;
    assert.equal(event.body.reason, 'breakpoint');
    assert.equal((await topFrame(client, event.body.threadId ?? threadId)).name, LATER);
  });

  test('Step Over right after loading "a" (on its breakpoint) moves on to the next line, like any step from a breakpoint', async () => {
    let stopped = stoppedEvent(client, 30_000);
    await request(client, SNAPSHOT_REQUEST.load, { name: 'a' });
    threadId = (await stopped).body.threadId ?? threadId;
    assert.equal((await topFrame(client, threadId)).line, atSave.line);
    stopped = stoppedEvent(client);
    await client.nextRequest({ threadId });
    const event = await stopped;
    assert.equal(event.body.reason, 'step', `stopped for ${event.body.reason}, not by the step`);
    const after = await topFrame(client, event.body.threadId ?? threadId);
    assert.equal(after.name, 'do_sys_openat2');
    assert.notEqual(after.line, atSave.line, 'the step left the breakpoint line');
  });

  test('loading a missing snapshot is a clear error and the kernel keeps running', async () => {
    await client.setFunctionBreakpointsRequest({ breakpoints: [] });
    await client.continueRequest({ threadId });
    await assert.rejects(request(client, SNAPSHOT_REQUEST.load, { name: 'nope' }), /no snapshot "nope".*"a".*keeps running/);
    const listed = await request<SnapshotListBody>(client, SNAPSHOT_REQUEST.list);
    assert.equal(listed.running, true);
    const stopped = stoppedEvent(client, 30_000);
    await client.pauseRequest({ threadId });
    assert.equal((await stopped).body.reason, 'pause');
  });

  test('delete removes a snapshot from QMP, and from the image after exit', async () => {
    await request(client, SNAPSHOT_REQUEST.save, { name: 'b' });
    assert.deepEqual(
      (await request<SnapshotListBody>(client, SNAPSHOT_REQUEST.list)).snapshots.map((s) => s.name),
      ['a', 'b'],
    );
    await request(client, SNAPSHOT_REQUEST.delete, { name: 'b' });
    assert.deepEqual(
      (await request<SnapshotListBody>(client, SNAPSHOT_REQUEST.list)).snapshots.map((s) => s.name),
      ['a'],
    );
    await assert.rejects(request(client, SNAPSHOT_REQUEST.delete, { name: 'b' }), /no snapshot "b"/);

    await endSession(client, pids);
    assert.deepEqual(imageSnapshots(stateDisk), ['a']);
  });
});

describe('launch from a snapshot (-loadvm)', () => {
  const fixture = useClient();
  let client: DebugClient;
  let pids: number[] = [];
  before(() => (client = fixture.client));

  test('a missing snapshot fails the launch before anything starts, naming what exists', async () => {
    await assert.rejects(client.launch(launchConfig(kernel, { snapshot: 'nope' })), /'snapshot' "nope" is not in .*It has "a"/);
    assert.deepEqual(sessionPids(), []);
  });

  test('launch with snapshot "a" stops where "a" was saved; breakpoints work from there', async () => {
    await fixture.restart();
    client = fixture.client;
    const started = Date.now();
    const stopped = await launch(client, launchConfig(kernel, { snapshot: 'a' }), () =>
      client.setFunctionBreakpointsRequest({ breakpoints: [{ name: LATER }] }),
    );
    console.log(`launch from snapshot to first stop: ${Date.now() - started} ms`);
    pids = sessionPids();
    assert.match(fixture.output.join(''), /-loadvm a\b/);
    assert.match(stopped.body.description ?? '', /Started from snapshot "a"/);
    const threadId = stopped.body.threadId ?? 1;
    const frame = await topFrame(client, threadId);
    assert.equal(frame.name, 'do_sys_openat2');
    const next = stoppedEvent(client);
    await client.continueRequest({ threadId });
    assert.equal((await topFrame(client, (await next).body.threadId ?? threadId)).name, LATER);
  });

  test('a second session of the same kernel runs without the state disk the first holds, and says so; asking for its snapshot is a clear error', async () => {
    const second = await startClient();
    const output: string[] = [];
    second.on('output', (event: DebugProtocol.OutputEvent) => output.push(event.body.output));
    try {
      const stopped = await launch(second, launchConfig(kernel));
      assert.equal((await topFrame(second, stopped.body.threadId ?? 1)).name, 'start_kernel');
      assert.match(output.join(''), /state disk \S+ is in use by another QEMU .*runs without it/);
      assert.equal((await request<SnapshotListBody>(second, SNAPSHOT_REQUEST.list)).stateDisk.attached, false);
    } finally {
      await stopClient(second);
    }
    const third = await startClient();
    try {
      await assert.rejects(
        third.launch(launchConfig(kernel, { snapshot: 'a' })),
        /\S+\.qcow2 is in use by another QEMU \(another kernel-qemu session\?\)/,
      );
    } finally {
      await stopClient(third);
    }
  });

  test('deleting the snapshot the session started from asks for force, then deletes it everywhere', async () => {
    const listed = await request<SnapshotListBody>(client, SNAPSHOT_REQUEST.list);
    assert.equal(listed.origin, 'a');
    assert.equal(listed.stateDisk.attached, true);
    await assert.rejects(request(client, SNAPSHOT_REQUEST.delete, { name: 'a' }), /started from snapshot "a".*force/);
    await request(client, SNAPSHOT_REQUEST.delete, { name: 'a', force: true });
    assert.deepEqual((await request<SnapshotListBody>(client, SNAPSHOT_REQUEST.list)).snapshots, []);
    await endSession(client, pids);
    assert.deepEqual(imageSnapshots(listed.image!), []);
  });
});

describe('a qcow2 rootfs holds the snapshots; a raw disk is named as not part of them', () => {
  const fixture = useClient();
  let client: DebugClient;
  let pids: number[] = [];
  const rootfs = path.join(scratch, 'rootfs.qcow2');
  const raw = path.join(scratch, 'scratch.raw');

  before(() => {
    client = fixture.client;
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', rootfs, '16M']);
    execFileSync('qemu-img', ['create', '-q', '-f', 'raw', raw, '4M']);
  });

  test('the rootfs is the snapshot image; one operation at a time; overwrite on request', async () => {
    await launch(client, launchConfig(kernel, { rootfs, serverArgs: ['-drive', `file=${raw},format=raw,if=virtio`] }));
    pids = sessionPids();
    const listed = await request<SnapshotListBody>(client, SNAPSHOT_REQUEST.list);
    assert.equal(listed.canSave, true);
    assert.equal(listed.image, rootfs);
    assert.deepEqual(listed.unsavedDisks, [raw]);
    assert.equal(listed.stateDisk.attached, false);
    assert.equal(listed.suggestedName, 'start_kernel');

    const [first, second] = await Promise.allSettled([
      request(client, SNAPSHOT_REQUEST.save, { name: 'x' }),
      request(client, SNAPSHOT_REQUEST.save, { name: 'y' }),
    ]);
    assert.equal(first.status, 'fulfilled');
    assert.equal(second.status, 'rejected');
    assert.match(String(second.reason), /busy saving snapshot "x"/);
    assert.match(fixture.output.join(''), /VM state only: .*scratch\.raw \(raw\) is not part of it/);
    await request(client, SNAPSHOT_REQUEST.save, { name: 'x', overwrite: true });
    assert.deepEqual(
      (await request<SnapshotListBody>(client, SNAPSHOT_REQUEST.list)).snapshots.map((s) => s.name),
      ['x'],
    );
  });

  test('loading while the kernel runs restores and runs on, without a stop in VS Code', async () => {
    await client.continueRequest({ threadId: 1 });
    let stops = 0;
    const count = () => stops++;
    client.on('stopped', count);
    await request(client, SNAPSHOT_REQUEST.load, { name: 'x' });
    assert.equal((await request<SnapshotListBody>(client, SNAPSHOT_REQUEST.list)).running, true);
    assert.equal(stops, 0);
    client.off('stopped', count);
    const stopped = stoppedEvent(client, 30_000);
    await client.pauseRequest({ threadId: 1 });
    assert.equal((await stopped).body.reason, 'pause');
  });

  test('after exit the snapshot is in the rootfs image', async () => {
    await endSession(client, pids);
    assert.deepEqual(imageSnapshots(rootfs), ['x']);
  });
});
