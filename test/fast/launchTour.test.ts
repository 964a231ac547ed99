// F5 at the DAP level without a VM: the real session launches scriptedQemu.mjs (which only
// speaks QMP) and scriptedGdb.mjs replaying what the real gdb printed when the same steps
// launched Debian's 6.1 x86_64 kernel (test/fixtures/mi-replay/x86_64-launch-tour.txt).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { writeElf } from '../unit/elfFixture';
import { FAST_DIR, InProcessClient, SCRIPTED_GDB } from './inProcess';
import { launchArguments, launchToEntry, terminate, type EntryStop, type LaunchPaths } from './launchTour';

const ROOT = path.resolve(__dirname, '../..');
const TRANSCRIPT = path.join(ROOT, 'test/fixtures/mi-replay/x86_64-launch-tour.txt');
const SCRIPTED_QEMU = path.join(FAST_DIR, 'scriptedQemu.mjs');

/** Lines of a log the scripted programs append to (none yet: []). */
function logLines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : [];
}

/** Children of this test process whose command line runs `script`. */
function running(script: string): number[] {
  const children = readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  return children.map(Number).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(script);
    } catch {
      return false; // exited while we looked
    }
  });
}

describe('launch against a scripted QEMU and a replayed gdb (x86_64, Debian 6.1)', () => {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'kq-fast-launch-'));
  const paths: LaunchPaths = {
    PROGRAM: path.join(scratch, 'vmlinux'),
    SOURCE_ROOT: path.join(scratch, 'linux'),
    CACHE: path.join(scratch, 'cache'),
  };
  const files = { kernel: path.join(scratch, 'bzImage'), initrd: path.join(scratch, 'initrd.gz'), qemuPath: SCRIPTED_QEMU };
  const qemuLog = path.join(scratch, 'qemu.log');
  const gdbLog = path.join(scratch, 'gdb.log');
  const client = new InProcessClient();
  let entry: EntryStop;
  let qemuWhileStopped: number[] = [];

  before(async () => {
    writeElf(paths.PROGRAM, 62, ['.text', '.debug_info']);
    writeFileSync(files.kernel, 'bz');
    writeFileSync(files.initrd, 'cpio');
    // The session maps gdb's paths into sourceRoot only where the file exists there.
    mkdirSync(path.join(paths.SOURCE_ROOT, 'init'), { recursive: true });
    writeFileSync(path.join(paths.SOURCE_ROOT, 'init/main.c'), '');
    const substitutions = Object.entries(paths).flatMap(([name, value]) => ['--kq-subst', `${name}=${value}`]);
    const gdbArgs = ['--kq-transcript', TRANSCRIPT, '--kq-wild', 'RUNTIME', '--kq-log', gdbLog, ...substitutions];
    await client.start();
    entry = await launchToEntry(client, launchArguments(paths, { ...files, serverArgs: ['--kq-log', qemuLog] }, SCRIPTED_GDB, gdbArgs));
    qemuWhileStopped = running('scriptedQemu.mjs');
    await terminate(client);
  });
  after(async () => {
    await client.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  test('F5 ends in the stop at start_kernel (reason entry), its frame in the source tree', () => {
    assert.equal(entry.stopped.body.reason, 'entry');
    const [top] = entry.frames;
    assert.equal(top?.name, 'start_kernel');
    assert.equal(top?.source?.path, path.join(paths.SOURCE_ROOT, 'init/main.c'));
  });

  test('QEMU was started paused, TCG, with the kernel, nokaslr and the gdb stub on a unix socket in a private directory', () => {
    const argv = JSON.parse(logLines(qemuLog)[0]?.replace(/^argv /, '') ?? '[]') as string[];
    const after = (flag: string) => argv[argv.indexOf(flag) + 1];
    assert.ok(argv.includes('-S'), argv.join(' '));
    assert.equal(after('-accel'), 'tcg');
    assert.equal(after('-kernel'), files.kernel);
    assert.equal(after('-initrd'), files.initrd);
    assert.match(after('-append') ?? '', /(^| )nokaslr( |$)/);
    assert.match(
      argv.join(' '),
      /-chardev socket,id=gdbstub,path=\S*\/kernel-qemu-[^/]+\/gdb\.sock,server=on,wait=off -gdb chardev:gdbstub/,
    );
    assert.equal(qemuWhileStopped.length, 1, 'QEMU ran while the kernel was stopped');
  });

  test('gdb connected to that socket, and was asked only what the real gdb was asked', () => {
    const commands = logLines(gdbLog).filter((line) => !line.startsWith('argv '));
    assert.ok(
      commands.some((line) => /^replayed -target-select remote \S*\/kernel-qemu-[^/]+\/gdb\.sock$/.test(line)),
      commands.join('\n'),
    );
    assert.deepEqual(
      commands.filter((line) => line.startsWith('MISSING')),
      [],
    );
  });

  test('terminate quits QEMU over QMP, and neither QEMU nor gdb is left', () => {
    assert.deepEqual(
      logLines(qemuLog).filter((line) => line.startsWith('qmp ')),
      ['qmp qmp_capabilities', 'qmp quit'],
    );
    assert.deepEqual(running('scriptedQemu.mjs'), []);
    assert.deepEqual(running('scriptedGdb.mjs'), []);
  });
});
