// Injection: paths and strings in the launch configuration with ; $(...) backticks spaces
// quotes newlines commas and unicode reach QEMU and gdb literally — one argv element each,
// gdb commands quoted — and nothing they contain is ever run.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { kernelCommandLine } from '../../src/qemu/args';
import {
  closeIsolated,
  freshTmpdir,
  launchToStop,
  leftoversIn,
  orphansOf,
  removeDir,
  startIsolated,
  toolsOf,
  type IsolatedAdapter,
} from './faultSupport';
import { launchConfig, testKernel } from './support';

describe('launch configuration strings reach QEMU and gdb literally', () => {
  const root = freshTmpdir('kq-inj-');
  const pwned = path.join(root, 'PWNED');
  const run = `$(touch ${pwned})\`touch ${pwned}\`;touch ${pwned}`;
  // Directory names with every shell and QEMU/gdb metacharacter and unicode; QEMU's also a
  // newline (gdb's MI cannot carry one: such a program path is refused, see the last test).
  const gdbSide = path.join(root, `g d\tb'r"${run.replaceAll('/', '∕')} ,c=1 ünï ☃ \\x`);
  const nasty = path.join(root, `d i'r"${run.replaceAll('/', '∕')}\nnl,c=1 ünï ☃`);
  const files = {
    vmlinux: path.join(gdbSide, `vmlinux ${run.replaceAll('/', '∕')} 'q' "d"`),
    kernel: path.join(nasty, `bzImage,,x=y;\`id\``),
    initrd: path.join(nasty, `initrd $(id) ☃.gz`),
  };
  const append = `console=ttyS0 kq.marker="a;b $(touch ${pwned}) \`id\` 'q' ☃"\nquiet`;
  const setupText = `echo kq-setup "quoted" $(id) \`x\` ; ☃\\n`;
  const sourceTree = path.join(gdbSide, `src tree "q" 'x'`);
  const serverName = `kq;${run} "z" 'y'`;
  let adapter: IsolatedAdapter;
  let adapterTmp: string;

  before(async () => {
    const kernel = testKernel('x86_64');
    mkdirSync(nasty, { recursive: true });
    mkdirSync(gdbSide, { recursive: true });
    mkdirSync(sourceTree);
    // A hard link (gdb would resolve a symlink to the cached name): the program's own name is the nasty one.
    try {
      linkSync(kernel.vmlinux, files.vmlinux);
    } catch {
      copyFileSync(kernel.vmlinux, files.vmlinux);
    }
    symlinkSync(kernel.kernel, files.kernel);
    symlinkSync(kernel.initrd, files.initrd);
    // The adapter's TMPDIR (where the stub's socket lives) is hostile too: spaces, quotes, ; $ , and unicode.
    adapterTmp = path.join(root, `t m;p'"$(x),c ☃`);
    mkdirSync(adapterTmp);
    adapter = await startIsolated(adapterTmp);
  });
  after(async () => {
    await closeIsolated(adapter);
    removeDir(root);
  });

  test('the session launches and stops at start_kernel', async () => {
    const stopped = await launchToStop(
      adapter.client,
      launchConfig(testKernel('x86_64'), {
        program: files.vmlinux,
        kernel: files.kernel,
        initrd: files.initrd,
        cwd: gdbSide,
        append,
        sourceFileMap: { '/build/reproducible-path/linux-6.1.176': sourceTree },
        setupCommands: [{ text: setupText }],
        serverArgs: ['-name', serverName],
      }),
    );
    assert.equal(stopped.body.reason, 'entry');
  });

  test('QEMU got each path and string as one argv element', () => {
    const [qemu] = toolsOf(adapterTmp).qemu;
    assert.ok(qemu, 'QEMU runs');
    const after = (flag: string) => qemu.argv[qemu.argv.lastIndexOf(flag) + 1];
    assert.equal(after('-kernel'), files.kernel);
    assert.equal(after('-initrd'), files.initrd);
    // The user's words, then what the kernel-qemu initramfs reads (the default user-mode network).
    assert.equal(after('-append'), `${kernelCommandLine({ arch: 'x86_64', append, hasRootfs: false })} kq.net=user`);
    assert.equal(after('-name'), serverName);
    const chardev = qemu.argv.find((arg) => arg.startsWith('socket,id=gdbstub,path='))!;
    assert.ok(
      chardev.includes(adapterTmp.replaceAll(',', ',,')),
      `commas in the socket path are doubled for QEMU's option syntax: ${chardev}`,
    );
  });

  test('gdb loaded the program, runs in cwd, and got the source map and setup command quoted', async () => {
    const { client } = adapter;
    const files_ = await client.evaluateRequest({ expression: 'info files', context: 'repl' });
    assert.ok(files_.body.result.includes(`Symbols from "${files.vmlinux}"`), files_.body.result.slice(0, 300));
    const pwd = await client.evaluateRequest({ expression: 'pwd', context: 'repl' });
    assert.ok(pwd.body.result.includes(gdbSide), pwd.body.result);
    const map = await client.evaluateRequest({ expression: 'show substitute-path', context: 'repl' });
    assert.ok(map.body.result.includes(`\`/build/reproducible-path/linux-6.1.176' -> \`${sourceTree}'`), map.body.result);
    assert.ok(adapter.output.join('').includes('kq-setup "quoted" $(id) `x` ; ☃'), 'the setup command ran as written');
  });

  test('nothing in them ran', () => {
    assert.ok(!existsSync(pwned), 'a command in a path or string was executed');
    assert.deepEqual(
      readdirSync(root).filter((name) => name === 'PWNED'),
      [],
    );
  });

  test('a program path with a newline (gdb cannot take it) is refused by name, nothing started', async () => {
    const other = await startIsolated();
    try {
      const linked = path.join(nasty, 'vmlinux');
      symlinkSync(testKernel('x86_64').vmlinux, linked);
      await assert.rejects(
        launchToStop(other.client, launchConfig(testKernel('x86_64'), { program: linked })),
        /'program' .* contains a line break/,
      );
      assert.deepEqual(toolsOf(other.tmpdir), { qemu: [], gdb: [] });
    } finally {
      await closeIsolated(other);
      removeDir(other.tmpdir);
    }
  });

  test('the session ends clean', async () => {
    await closeIsolated(adapter);
    assert.deepEqual(
      (await orphansOf(adapterTmp)).map((p) => p.comm),
      [],
    );
    assert.deepEqual(leftoversIn(adapterTmp), []);
    assert.ok(!existsSync(pwned));
  });
});
