// dist/adapter.js driven by a DAP client that is not ours: Emacs dap-mode (Debian's
// elpa-dap-mode), in batch mode, configured the way the README tells Emacs users to
// (dap-register-debug-provider + dap-register-debug-template). The elisp driver
// (test/fixtures/emacs/kernel-qemu-dap.el) sets a source breakpoint with dap-mode, launches
// Debian's x86_64 kernel, lets dap-mode handle the stop at start_kernel (stack trace, the top
// frame's file opened at its line), asks for threads and an evaluation, continues to the
// breakpoint and disconnects; it prints what dap-mode got as KQ-* lines, checked here.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { freshTmpdir, leftoversIn, orphansOf, removeDir } from './faultSupport';
import { ADAPTER, ROOT, survivors, testKernel } from './support';

const DRIVER = path.join(ROOT, 'test/fixtures/emacs/kernel-qemu-dap.el');
const EMACS = '/usr/bin/emacs';
const RUN_LIMIT_MS = 150_000;

interface EmacsRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function runEmacs(env: NodeJS.ProcessEnv): Promise<EmacsRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(EMACS, ['--batch', '-l', DRIVER], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_LIMIT_MS);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** The KQ-<what> lines of the driver's output, without the prefix. */
function lines(run: EmacsRun, what: string): string[] {
  const prefix = `KQ-${what}`;
  return run.stdout
    .split('\n')
    .filter((line) => line === prefix || line.startsWith(`${prefix} `))
    .map((line) => line.slice(prefix.length).trim());
}

describe('Emacs dap-mode (batch) as the DAP client, x86_64 guest', () => {
  const tmpdir = freshTmpdir('kq-emacs-test-');
  after(() => removeDir(tmpdir));

  test('register, launch, stop at start_kernel, hit a dap-mode source breakpoint, disconnect: nothing left behind', async () => {
    assert.ok(
      existsSync(EMACS),
      `${EMACS} is missing: apt-get install emacs-nox elpa-dap-mode (scripts/install-system-deps.sh does it as root)`,
    );
    assert.ok(existsSync(ADAPTER), `${ADAPTER} is missing: run 'npm run build'`);
    const kernel = testKernel('x86_64');
    const tree = execFileSync('bash', [path.join(ROOT, 'scripts/fetch-kernel-source.sh')], { encoding: 'utf8' }).trim();

    const run = await runEmacs({
      ...process.env,
      TMPDIR: tmpdir,
      KQ_NODE: process.execPath,
      KQ_ADAPTER: ADAPTER,
      KQ_VMLINUX: kernel.vmlinux,
      KQ_KERNEL: kernel.kernel,
      KQ_INITRD: kernel.initrd,
      KQ_SOURCE_ROOT: tree,
    });
    console.log(`emacs dap-mode session: ${run.ms} ms\n${run.stdout}`);
    const transcript = `stdout:\n${run.stdout}\nstderr (tail):\n${run.stderr.slice(-3000)}`;
    assert.deepEqual(lines(run, 'ERROR'), [], transcript);
    assert.equal(run.signal, null, `emacs was killed after ${RUN_LIMIT_MS} ms\n${transcript}`);
    assert.equal(run.code, 0, transcript);

    // The breakpoint dap-mode sent at configuration time was verified by the adapter.
    const [breakpoint] = lines(run, 'BREAKPOINT');
    const openC = path.join(tree, 'fs/open.c');
    assert.match(breakpoint ?? '', new RegExp(`^${escape(openC)}:\\d+$`));
    const breakpointLine = Number(breakpoint!.split(':').at(-1));
    assert.deepEqual(lines(run, 'VERIFIED'), [`${openC}:${breakpointLine} yes`]);

    // Two stops, each handled by dap-mode: stack trace fetched, top frame's file opened at its line.
    assert.deepEqual(lines(run, 'STOPPED'), ['thread=1 reason=entry', 'thread=1 reason=breakpoint']);
    const active = lines(run, 'ACTIVE');
    assert.match(active[0] ?? '', new RegExp(`^start_kernel ${escape(path.join(tree, 'init/main.c'))}:\\d+$`));
    assert.equal(active[1], `do_sys_openat2 ${openC}:${breakpointLine}`);
    const frames = lines(run, 'FRAME');
    assert.match(frames[0] ?? '', new RegExp(`^0 start_kernel ${escape(path.join(tree, 'init/main.c'))}:\\d+$`));
    const atBreakpoint = frames.slice(frames.findIndex((frame) => frame.startsWith('0 do_sys_openat2')));
    assert.equal(atBreakpoint[0], `0 do_sys_openat2 ${openC}:${breakpointLine}`);
    assert.ok(
      atBreakpoint.some((frame) => / entry_SYSCALL_64 /.test(frame)),
      'the stack goes down to the syscall entry',
    );

    assert.deepEqual(lines(run, 'THREAD'), ['1 CPU 0 · swapper (pid 0)']);
    assert.match(lines(run, 'EVAL')[0] ?? '', /^init_task\.comm = "swapper/);

    // While the session ran, the adapter had one QEMU and one gdb; after dap-mode's disconnect
    // (it also deletes the adapter process on the terminated event) none of them is left.
    const children = lines(run, 'CHILD').map((line) => {
      const [pid, comm] = line.split(' ');
      return { pid: Number(pid), comm: comm ?? '' };
    });
    assert.equal(children.filter((child) => child.comm.startsWith('qemu-system')).length, 1, JSON.stringify(children));
    assert.equal(children.filter((child) => child.comm.startsWith('gdb')).length, 1, JSON.stringify(children));
    assert.deepEqual(lines(run, 'TERMINATED'), ['']);
    assert.deepEqual(lines(run, 'DONE'), ['']);
    assert.deepEqual(await survivors([...children.map((child) => child.pid), Number(lines(run, 'ADAPTER')[0])]), []);
    assert.deepEqual(
      (await orphansOf(tmpdir)).map((p) => `${p.pid} ${p.comm}`),
      [],
      'no process started by emacs, the adapter, QEMU or gdb is left',
    );
    assert.deepEqual(leftoversIn(tmpdir), [], 'no runtime directory or socket is left');
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
