// Four sessions at once on one machine, as four VS Code windows would run them: one TMPDIR and
// one state-disk directory for all (nothing isolates them but the adapter itself), both arches.
// Each gets its own runtime directory, sockets, serial FIFOs and ssh port; no process of one has
// a file of another open; a step in one moves only that one; ending one leaves the others working;
// at the end nothing is left.
import assert from 'node:assert/strict';
import { readdirSync, readlinkSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { SNAPSHOT_REQUEST, type SnapshotListBody } from '../../src/adapter/snapshotProtocol';
import {
  closeIsolated,
  freshTmpdir,
  launchToStop,
  leftoversIn,
  nextEvent,
  orphansOf,
  processesOf,
  removeDir,
  startIsolated,
  type IsolatedAdapter,
  type ProcessInfo,
} from './faultSupport';
import { launchConfig, survivors, testKernel, topFrame, type Arch } from './support';

const ARCHES: readonly Arch[] = ['x86_64', 'aarch64', 'x86_64', 'aarch64'];

interface Session {
  adapter: IsolatedAdapter;
  arch: Arch;
  qemu: ProcessInfo;
  gdb: ProcessInfo;
}

/** The processes an adapter started (its children: setpriv and prlimit exec the tool in place). */
function childrenOf(adapter: IsolatedAdapter, all: readonly ProcessInfo[]): ProcessInfo[] {
  return all.filter((process) => process.ppid === adapter.pid);
}

/** What a QEMU was given to talk through: its unix socket and FIFO paths and host ports. */
function endpointsOf(qemu: ProcessInfo): string[] {
  const text = qemu.argv.join(' ');
  const paths = [...text.matchAll(/path=([^,\s]+)/g), ...text.matchAll(/unix:([^,\s]+)/g)].map((match) => match[1]!);
  const ports = [...text.matchAll(/hostfwd=tcp:127\.0\.0\.1:(\d+)-/g)].map((match) => `tcp:${match[1]}`);
  return [...paths, ...ports];
}

/** Files a process has open under `roots` (the places session-private files live). */
function openFilesUnder(pid: number, roots: readonly string[]): string[] {
  const files: string[] = [];
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    if (roots.some((root) => target.startsWith(root + path.sep))) files.push(target);
  }
  return files;
}

describe('four sessions at once (x86_64 and aarch64, one TMPDIR, one state-disk directory)', () => {
  const tmpdir = freshTmpdir('kq-four-');
  const stateDir = path.join(tmpdir, 'state-disks');
  const sessions: Session[] = [];

  before(async () => {
    const adapters = await Promise.all(ARCHES.map(() => startIsolated(tmpdir, { KERNEL_QEMU_STATE_DIR: stateDir })));
    const started = Date.now();
    await Promise.all(adapters.map((adapter, index) => launchToStop(adapter.client, launchConfig(testKernel(ARCHES[index]!)))));
    console.log(`four sessions stopped at start_kernel ${Date.now() - started} ms after their launches`);
    const all = processesOf(tmpdir);
    for (const [index, adapter] of adapters.entries()) {
      const mine = childrenOf(adapter, all);
      const qemu = mine.find((process) => process.comm.startsWith('qemu-system'));
      const gdb = mine.find((process) => process.comm.startsWith('gdb'));
      assert.ok(qemu && gdb, `session ${index}: QEMU and gdb among ${mine.map((process) => process.comm).join(', ')}`);
      sessions.push({ adapter, arch: ARCHES[index]!, qemu, gdb });
    }
  });
  after(async () => {
    await Promise.all(sessions.map((session) => closeIsolated(session.adapter)));
    removeDir(tmpdir);
  });

  test('each has its own runtime directory, sockets, FIFOs and ssh port', () => {
    const endpoints = sessions.map((session) => endpointsOf(session.qemu));
    for (const [index, list] of endpoints.entries())
      assert.ok(list.length >= 4, `session ${index}: gdb and QMP sockets, serial FIFOs, ssh port: ${list.join(' ')}`);
    const everything = endpoints.flat();
    assert.equal(new Set(everything).size, everything.length, `shared endpoints: ${everything.join(' ')}`);
    const runtimeDirs = endpoints.map((list) => new Set(list.filter((entry) => entry.startsWith('/')).map((entry) => path.dirname(entry))));
    for (const dirs of runtimeDirs) assert.equal(dirs.size, 1, `one runtime directory per session: ${[...dirs].join(' ')}`);
    assert.equal(new Set(runtimeDirs.map((dirs) => [...dirs][0])).size, 4);
    const onDisk = leftoversIn(tmpdir).filter((entry) => /^kernel-qemu-[^/]+$/.test(entry));
    assert.equal(onDisk.length, 4, `runtime directories in TMPDIR: ${onDisk.join(' ')}`);
  });

  test('state disks: each session gets its own, also two of the same kernel attaching at once; their snapshots stay apart', async () => {
    const attached = await Promise.all(sessions.map((session) => session.adapter.client.customRequest(SNAPSHOT_REQUEST.attachStateDisk)));
    const disks = attached.map((response) => (response.body as { path: string }).path);
    console.log(`state disks: ${disks.map((disk) => path.basename(disk)).join(' ')}`);
    assert.equal(new Set(disks).size, 4, disks.join(' '));
    for (const disk of disks) assert.ok(disk.startsWith(stateDir + path.sep), disk);
    // Sessions 0 and 2 run the same kernel: the one that found the disk held says which it uses.
    assert.ok(
      [sessions[0]!, sessions[2]!].some((session) => /is in use by another QEMU .*this session uses/.test(session.adapter.output.join(''))),
    );
    const [first, , third] = sessions;
    await Promise.all(
      [first!, third!].map((session, index) => session.adapter.client.customRequest(SNAPSHOT_REQUEST.save, { name: `mine-${index}` })),
    );
    const lists = await Promise.all(
      [first!, third!].map(async (session) =>
        ((await session.adapter.client.customRequest(SNAPSHOT_REQUEST.list)).body as SnapshotListBody).snapshots.map(
          (snapshot) => snapshot.name,
        ),
      ),
    );
    assert.deepEqual(lists, [['mine-0'], ['mine-1']]);
  });

  test('no process of one session has a file of another open (TMPDIR or the state disks)', () => {
    const owners = new Map<string, number>();
    for (const [index, session] of sessions.entries()) {
      for (const pid of [session.adapter.pid, session.qemu.pid, session.gdb.pid]) {
        for (const file of openFilesUnder(pid, [tmpdir])) {
          const owner = owners.get(file);
          assert.ok(owner === undefined || owner === index, `${file} is open in sessions ${owner} and ${index}`);
          owners.set(file, index);
        }
      }
    }
    assert.ok(owners.size >= 4, `each QEMU has its serial FIFOs open: ${[...owners.keys()].join(' ')}`);
  });

  test('a step in one session moves that one only', async () => {
    const before = await Promise.all(sessions.map(async (session) => (await topFrame(session.adapter.client, 1)).line));
    const stepper = sessions[0]!.adapter.client;
    const stopped = nextEvent<DebugProtocol.StoppedEvent>(stepper, 'stopped', 30_000);
    await stepper.nextRequest({ threadId: 1 });
    assert.equal((await stopped)?.body.reason, 'step');
    const after = await Promise.all(sessions.map(async (session) => await topFrame(session.adapter.client, 1)));
    assert.notEqual(after[0]!.line, before[0], 'the stepped session moved');
    assert.deepEqual(
      after.slice(1).map((frame) => [frame.name, frame.line]),
      before.slice(1).map((line) => ['start_kernel', line]),
      'the others stayed at start_kernel',
    );
  });

  test('ending one session leaves the other three working; ending all leaves nothing', async () => {
    const [first, ...others] = sessions;
    await closeIsolated(first!.adapter);
    assert.deepEqual(await survivors([first!.qemu.pid, first!.gdb.pid]), [], 'its QEMU and gdb are gone');
    for (const session of others) {
      const answer = await session.adapter.client.evaluateRequest({ expression: 'p init_task.comm', context: 'repl' });
      assert.match(answer.body.result, /swapper/, `${session.arch} session still answers`);
    }
    await Promise.all(others.map((session) => closeIsolated(session.adapter)));
    assert.deepEqual(
      (await orphansOf(tmpdir)).map((process) => `${process.pid} ${process.comm}`),
      [],
    );
    assert.deepEqual(
      leftoversIn(tmpdir).filter((entry) => entry.startsWith('kernel-qemu-')),
      [],
      'no runtime directory left',
    );
  });
});
