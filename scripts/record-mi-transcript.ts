// Records the MI transcript the fast tests replay (test/fixtures/mi-replay/<arch>-attach-tour.txt):
// boots Debian's test kernel of the arch (x86_64 unless --arch aarch64) in QEMU (TCG, halted, as the adapter starts it), runs the
// real adapter session in attach mode with test/fast/recordingGdb.mjs in front of the real gdb,
// walks test/fast/attachTour.ts's steps, and writes what gdb was sent and printed, with the
// recording's paths replaced by $NAME (scriptedGdb.mjs puts the test's paths back).
// --launch: test/fast/launchTour.ts's steps instead (F5 to start_kernel, terminate), the adapter
// starting QEMU itself; its runtime directory is written $RUNTIME (<arch>-launch-tour.txt).
// Run again after a change to what the adapter sends gdb in these steps: npx tsx scripts/record-mi-transcript.ts
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cacheDirectory } from '../src/adapter/cacheDirectory';
import { attachArguments, attachToFirstStop, continueToBreakpoint, inspect, type TourPaths } from '../test/fast/attachTour';
import { InProcessClient, RECORDING_GDB } from '../test/fast/inProcess';
import { launchArguments, launchToEntry, terminate, type LaunchPaths } from '../test/fast/launchTour';
import { benchKernel, removeDir, ROOT, startQemu, tempDir, waitForPath, type BenchKernel } from './bench/common';

async function main(): Promise<void> {
  const arch = process.argv.includes('--arch') ? process.argv[process.argv.indexOf('--arch') + 1] : 'x86_64';
  if (arch !== 'x86_64' && arch !== 'aarch64') throw new Error(`--arch: x86_64 or aarch64, not ${arch}`);
  const kernel = benchKernel(arch);
  if (process.argv.includes('--launch')) return recordLaunch(kernel);
  const OUT = path.join(ROOT, `test/fixtures/mi-replay/${arch}-attach-tour.txt`);
  const tree = execFileSync('bash', [path.join(ROOT, 'scripts/fetch-kernel-source.sh')], { encoding: 'utf8' }).trim();
  const runtimeDir = tempDir('record');
  const raw = path.join(os.tmpdir(), `kq-record-${process.pid}.txt`);
  rmSync(raw, { force: true });
  const qemu = startQemu(kernel, runtimeDir);
  const client = new InProcessClient();
  client.defaultTimeout = 120_000;
  try {
    await waitForPath(qemu.gdbSocket);
    const paths: TourPaths = { PROGRAM: kernel.vmlinux, TARGET: qemu.gdbSocket, SOURCE_ROOT: tree, CACHE: cacheDirectory() };
    await client.start();
    const args = attachArguments(paths, RECORDING_GDB, ['--kq-record', raw, '--kq-gdb', kernel.gdb]);
    const first = await attachToFirstStop(client, args, tree);
    const hit = await continueToBreakpoint(client, first.stopped.body.threadId ?? 1);
    const seen = await inspect(client, hit.body.threadId ?? 1);
    await client.stop();
    const text = named(readFileSync(raw, 'utf8'), { ...paths });
    writeFileSync(OUT, text);
    console.log(`${OUT}: ${text.split('\n').length} lines; stopped at ${seen.frames[0]?.name}, ${seen.locals.length} locals`);
  } finally {
    await qemu.stop();
    removeDir(runtimeDir);
    rmSync(raw, { force: true });
  }
}

/** Longest first: the program and the source tree lie inside the cache directory. */
function named(text: string, paths: Record<string, string>): string {
  const longestFirst = Object.entries(paths).sort(([, a], [, b]) => b.length - a.length);
  return longestFirst.reduce((done, [name, value]) => done.split(value).join(`$${name}`), text);
}

async function recordLaunch(kernel: BenchKernel): Promise<void> {
  const tree = execFileSync('bash', [path.join(ROOT, 'scripts/fetch-kernel-source.sh')], { encoding: 'utf8' }).trim();
  const raw = path.join(os.tmpdir(), `kq-record-${process.pid}.txt`);
  rmSync(raw, { force: true });
  const client = new InProcessClient();
  client.defaultTimeout = 120_000;
  try {
    const paths: LaunchPaths = { PROGRAM: kernel.vmlinux, SOURCE_ROOT: tree, CACHE: cacheDirectory() };
    await client.start();
    const files = { kernel: kernel.kernel, initrd: kernel.initrd, qemuPath: kernel.qemu };
    const entry = await launchToEntry(client, launchArguments(paths, files, RECORDING_GDB, ['--kq-record', raw, '--kq-gdb', kernel.gdb]));
    await terminate(client);
    await client.session.dispose();
    const text = readFileSync(raw, 'utf8');
    const runtime = /-target-select remote (\S+)\/gdb\.sock/.exec(text)?.[1];
    if (!runtime) throw new Error('no -target-select in the transcript');
    const out = path.join(ROOT, `test/fixtures/mi-replay/${kernel.arch}-launch-tour.txt`);
    writeFileSync(out, named(text, { ...paths, RUNTIME: runtime }));
    console.log(`${out}: stopped (${entry.stopped.body.reason}) at ${entry.frames[0]?.name}`);
  } finally {
    rmSync(raw, { force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
