// A full disk while QEMU saves a VM snapshot: the state disk on a small tmpfs that is filled up
// first. The save fails naming the full disk, the VM goes on (stack, a step), the snapshot list
// says what the image holds, and the image passes qemu-img check. Needs root (mount -t tmpfs).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmdirSync, statfsSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { ErrorCode } from '../../src/adapter/errors';
import { SNAPSHOT_REQUEST, type SnapshotListBody } from '../../src/adapter/snapshotProtocol';
import { parseQemuImgSnapshotList } from '../../src/qemu/vmSnapshots';
import {
  closeIsolated,
  errorIdOf,
  freshTmpdir,
  launchToStop,
  nextEvent,
  orphansOf,
  rawRequest,
  removeDir,
  startIsolated,
  type IsolatedAdapter,
} from './faultSupport';
import { launchConfig, testKernel, topFrame } from './support';

const SMALL_FS_BYTES = 64 * 1024 * 1024;

/** Mounts a small tmpfs (root only); the reason it cannot when it cannot. */
function mountSmallFs(dir: string): string | undefined {
  if (process.getuid?.() !== 0) return 'mounting a small tmpfs needs root';
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${SMALL_FS_BYTES},mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    return `mount -t tmpfs failed: ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}`;
  }
}

function imageSnapshots(image: string): string[] {
  return parseQemuImgSnapshotList(execFileSync('qemu-img', ['snapshot', '-l', '-U', '--', image], { encoding: 'utf8' })).map(
    (snapshot) => snapshot.name,
  );
}

const scratch = freshTmpdir('kq-fulldisk-');
const small = path.join(scratch, 'small');
const cannotMount = mountSmallFs(small);
if (cannotMount) removeDir(scratch);

describe('a full disk during a snapshot save (x86_64)', { skip: cannotMount }, () => {
  let adapter: IsolatedAdapter;
  let stateDisk = '';

  before(async () => {
    adapter = await startIsolated(undefined, { KERNEL_QEMU_STATE_DIR: path.join(small, 'state-disks') });
    await launchToStop(adapter.client, launchConfig(testKernel('x86_64'), { memory: 128 }));
    stateDisk = ((await adapter.client.customRequest(SNAPSHOT_REQUEST.attachStateDisk)).body as { path: string }).path;
    await adapter.client.customRequest(SNAPSHOT_REQUEST.save, { name: 'before' }); // fits: a 128 MiB guest at start_kernel is mostly zero pages
    // Leave 1 MiB: the state disk's metadata fits, the VM state (tens of MB) does not.
    const { bavail, bsize } = statfsSync(small);
    writeFileSync(path.join(small, 'filler'), Buffer.alloc(Number(bavail) * Number(bsize) - 1024 * 1024));
  });
  after(async () => {
    await closeIsolated(adapter);
    execFileSync('umount', [small]);
    rmdirSync(small);
    removeDir(scratch);
  });

  test('the save fails naming the full disk; the VM, the snapshot list and the image are intact', async () => {
    const started = Date.now();
    const saved = await rawRequest(adapter.client, SNAPSHOT_REQUEST.save, { name: 'too-big' }, 60_000);
    assert.ok(saved, 'the save is answered');
    console.log(`save answered in ${Date.now() - started} ms: ${saved.message}`);
    assert.equal(saved.success, false);
    assert.equal(errorIdOf(saved), ErrorCode.SnapshotFailed, saved.message);
    assert.match(
      saved.message ?? '',
      new RegExp(
        `^Saving snapshot "too-big" failed: the file system holding ${stateDisk} is full ` +
          `\\([\\d.]+ MiB free; .*128 MiB\\)\\. QEMU said: .*Free space there, or point 'stateDisk'`,
      ),
    );
    const listed = (await adapter.client.customRequest(SNAPSHOT_REQUEST.list)).body as SnapshotListBody;
    assert.deepEqual(
      listed.snapshots.map((snapshot) => snapshot.name),
      imageSnapshots(stateDisk),
    );
    assert.deepEqual(
      listed.snapshots.map((snapshot) => snapshot.name),
      ['before'],
      'the earlier snapshot is there, no half-saved one',
    );
    // The VM goes on: where it was, and a step moves it.
    const frame = await topFrame(adapter.client, 1);
    assert.equal(frame.name, 'start_kernel');
    const stopped = nextEvent<DebugProtocol.StoppedEvent>(adapter.client, 'stopped', 30_000);
    await adapter.client.nextRequest({ threadId: 1 });
    assert.equal((await stopped)?.body.reason, 'step');
    assert.notEqual((await topFrame(adapter.client, 1)).line, frame.line);
    // The snapshot saved before loads (QEMU reads its VM state back from the full disk).
    await adapter.client.customRequest(SNAPSHOT_REQUEST.load, { name: 'before' });
    assert.equal((await topFrame(adapter.client, 1)).line, frame.line);
    // The image: no corruption (qemu-img check exits 0, or 3 for leaked clusters only).
    await closeIsolated(adapter);
    assert.deepEqual(await orphansOf(adapter.tmpdir), []);
    let checkCode = 0;
    try {
      execFileSync('qemu-img', ['check', '--', stateDisk], { stdio: 'pipe' });
    } catch (error) {
      checkCode = (error as { status: number }).status;
    }
    assert.ok(checkCode === 0 || checkCode === 3, `qemu-img check exit code ${checkCode}`);
  });
});
