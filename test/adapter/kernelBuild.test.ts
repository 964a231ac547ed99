// The whole loop of seeds 002–004, through kernel-qemu's build layer: Debian's
// linux-source-6.1 tree, the minimal QEMU configuration (tinyconfig + guest options), the config doctor's debug options (scripts/config +
// olddefconfig), make -j, make scripts_gdb — the same plans and runner the Build Kernel
// task uses — then an F5-style session on the result that stops at start_kernel with the
// source open from the tree. The build goes to an O= directory in the cache, so the
// shared source tree stays pristine and a re-run only does what make says is out of date.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { kernelTreeLaunch, launchConfigFromOutputs } from '../../src/build/artifacts';
import { configFilesOf, diagnose } from '../../src/build/configFiles';
import { blocking, planTarget, type PlanOptions, type TargetRef } from '../../src/build/targets';
import { Kconfig } from '../../src/build/kconfig';
import { kernelFindings } from '../../src/build/doctor';
import { runSteps, type RunResult } from '../../src/build/runner';
import { detectTree, type KernelBuildTree } from '../../src/build/workspace';
import { readElfSummary } from '../../src/elf/elf';
import { CACHE, launch, ROOT, startClient, stopClient, testKernel, topFrame } from './support';

const SRC = execFileSync('bash', [path.join(ROOT, 'scripts/fetch-kernel-source.sh')], { encoding: 'utf8' }).trim();
const OBJ = path.join(CACHE, 'build', `${path.basename(SRC)}-x86_64-debug`);
const OPTIONS: PlanOptions = { jobs: Math.max(2, os.availableParallelism()), hostArch: 'x86_64', arch: 'x86_64' };
const BUILD_TIMEOUT = 40 * 60_000;
const EXCEPTION_OPTIONS = ['BUG', 'KALLSYMS', 'DEBUG_FS', 'RUNTIME_TESTING_MENU', 'LKDTM'];

/** Runs a target the way the Build Kernel task does, with its output kept for the failure message. */
async function run(tree: KernelBuildTree, target: TargetRef): Promise<RunResult & { log: string }> {
  const lines: string[] = [];
  const result = await runSteps(await planTarget(tree, target, OPTIONS), { output: (text) => lines.push(text) });
  const log = lines.join('');
  assert.ok(result.ok, `${target.id} failed (${result.failedStep}): ${result.firstError}\n${log.slice(-4000)}`);
  return { ...result, log };
}

/** One build of the cached tree at a time, across test processes (other sessions may run npm test too). */
function lock(dir: string): () => void {
  mkdirSync(path.dirname(dir), { recursive: true });
  const lockDir = `${dir}.lock`;
  const deadline = Date.now() + BUILD_TIMEOUT;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
      return () => rmSync(lockDir, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(path.join(lockDir, 'pid'), 'utf8').trim() || '0');
      if (!owner || !existsSync(`/proc/${owner}`)) {
        rmSync(lockDir, { recursive: true, force: true }); // its process died
        continue;
      }
      assert.ok(Date.now() < deadline, `${lockDir} held by ${owner} for too long`);
      execFileSync('sleep', ['2']);
    }
  }
}

describe('real kernel build (linux-source-6.1, tinyconfig + doctor options) through the build layer', () => {
  let unlock: (() => void) | undefined;
  let tree: KernelBuildTree;
  before(() => {
    unlock = lock(OBJ);
    mkdirSync(OBJ, { recursive: true });
    tree = { kind: 'kernel', name: path.basename(OBJ), srcDir: SRC, objDir: OBJ };
  });
  after(() => unlock?.());

  test(
    'on a fresh tinyconfig the doctor flags every missing option, and its fix (scripts/config + olddefconfig) clears them',
    { timeout: 5 * 60_000 },
    async () => {
      const scratch = mkdtempSync(path.join(CACHE, 'build', 'doctor-'));
      try {
        const fresh: KernelBuildTree = { kind: 'kernel', name: 'fresh', srcDir: SRC, objDir: scratch };
        await run(fresh, { id: 'tinyconfig' });
        const findings = kernelFindings(Kconfig.parse(readFileSync(path.join(scratch, '.config'), 'utf8')));
        const ids = findings.map((finding) => finding.id);
        // x86 tinyconfig without ARCH=x86_64 is 32-bit, with none of the debug or console
        // options (DEBUG_KERNEL comes with EXPERT, which tinyconfig sets).
        for (const id of [
          'arch-64bit',
          'debug-info',
          'gdb-scripts',
          'frame-pointer',
          'printk',
          'serial-console',
          'initramfs',
          'exec-init',
          'pseudo-fs',
        ]) {
          assert.ok(ids.includes(id), `${id} not flagged on tinyconfig: ${ids.join(', ')}`);
        }
        const fixed = await run(fresh, { id: 'debug-config' });
        assert.match(fixed.log, /scripts\/config --file \S+\/\.config -e 64BIT/);
        assert.match(
          fixed.log,
          /Fixed: arch-64bit, debug-info, gdb-scripts, frame-pointer, printk, serial-console, initramfs, exec-init, pseudo-fs/,
        );
        const after = kernelFindings(Kconfig.parse(readFileSync(path.join(scratch, '.config'), 'utf8')));
        assert.deepEqual(blocking(after), [], after.map((finding) => `${finding.id}: ${finding.message}`).join('\n'));
        // Running it again changes nothing.
        const again = await run(fresh, { id: 'debug-config' });
        assert.match(again.log, /Nothing to change/);
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
    },
  );

  test(
    'Build Kernel + scripts_gdb produce a vmlinux with DWARF, a bzImage and vmlinux-gdb.py (make skips what is up to date)',
    { timeout: BUILD_TIMEOUT },
    async () => {
      const started = Date.now();
      if (!existsSync(path.join(OBJ, '.config'))) {
        // A fresh tree: Build Kernel starts from the minimal QEMU configuration. Its configure
        // steps run here first, so the options below go in before the one make -j.
        const fresh = await planTarget(tree, { id: 'build-kernel' }, OPTIONS);
        assert.deepEqual(fresh.map((step) => step.title).slice(0, 2), [
          "No .config yet: kernel-qemu's minimal QEMU configuration (tinyconfig + guest options)",
          'scripts/config: the guest and debug options',
        ]);
        const configured = await run(tree, { id: 'minimal-config' });
        assert.match(configured.log, /All \d+ options are set\./);
      }
      await run(tree, { id: 'debug-config' });
      // What kernelExceptions.test.ts needs to provoke a WARN and an Oops from the guest's shell
      // (tinyconfig leaves out BUG, which WARN_ON and BUG need, and kallsyms for their reports).
      // Only when one is missing: rewriting .config would make it newer than an up-to-date vmlinux.
      const current = Kconfig.parse(readFileSync(path.join(OBJ, '.config'), 'utf8'));
      if (EXCEPTION_OPTIONS.some((option) => current.get(option) !== 'y')) {
        execFileSync(path.join(SRC, 'scripts/config'), [
          '--file',
          path.join(OBJ, '.config'),
          ...EXCEPTION_OPTIONS.flatMap((option) => ['-e', option]),
        ]);
        execFileSync('make', ['-s', '-C', SRC, `O=${OBJ}`, 'olddefconfig'], { stdio: 'ignore' });
      }
      const [config] = await configFilesOf(tree);
      assert.ok(config, 'the tree has a .config');
      assert.deepEqual(
        blocking(await diagnose(config)).map((finding) => finding.id),
        [],
      );

      const progress: string[] = [];
      const lines: string[] = [];
      const built = await runSteps(await planTarget(tree, { id: 'build-kernel' }, OPTIONS), {
        output: (text) => lines.push(text),
        progress: (status) => progress.push(status),
      });
      assert.ok(built.ok, `build failed: ${built.firstError}\n${lines.join('').slice(-4000)}`);
      assert.match(lines.join(''), new RegExp(`> Build Kernel: make O=${OBJ.replace(/[.]/g, '\\.')} -j${OPTIONS.jobs}`));
      await run(tree, { id: 'scripts-gdb' });
      console.log(
        `kernel build: ${((Date.now() - started) / 1000).toFixed(1)} s, ${progress.length} make ` +
          `steps (a re-run only does what make finds out of date)`,
      );

      const vmlinux = path.join(OBJ, 'vmlinux');
      const elf = await readElfSummary(vmlinux);
      assert.equal(elf.arch, 'x86_64');
      assert.ok(elf.hasDebugInfo, 'vmlinux has .debug_info');
      assert.ok(statSync(path.join(OBJ, 'arch/x86/boot/bzImage')).size > 100_000);
      assert.ok(existsSync(path.join(OBJ, 'vmlinux-gdb.py')));
      const builtConfig = Kconfig.parse(readFileSync(path.join(OBJ, '.config'), 'utf8'));
      assert.deepEqual(
        EXCEPTION_OPTIONS.filter((option) => builtConfig.get(option) !== 'y'),
        [],
        'the options for provoking a WARN and an Oops are in',
      );
      assert.ok(statSync(vmlinux).mtimeMs >= statSync(path.join(OBJ, '.config')).mtimeMs, 'vmlinux is newer than .config');
      // The O= directory is itself recognised as a kernel tree (its `source` link).
      const detected = await detectTree(OBJ);
      assert.deepEqual(
        detected && {
          kind: detected.kind,
          objDir: detected.kind === 'kernel' ? detected.objDir : '',
          srcDir: detected.kind === 'kernel' ? detected.srcDir : '',
        },
        { kind: 'kernel', objDir: OBJ, srcDir: SRC },
      );
    },
  );

  test(
    'Build Kernel right after a clean build does not run make; a changed .config makes it run again',
    { timeout: 5 * 60_000 },
    async () => {
      const builtAt = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 20));
      const lines: string[] = [];
      const skipped = await runSteps(await planTarget(tree, { id: 'build-kernel' }, { ...OPTIONS, builtCleanAt: builtAt }), {
        output: (text) => lines.push(text),
      });
      assert.ok(skipped.ok, skipped.firstError);
      assert.match(
        lines.join(''),
        new RegExp(`Nothing changed in ${tree.name.replace(/[.]/g, '\\.')} since the build that ended at .*: make was not run\\.`),
      );
      assert.doesNotMatch(lines.join(''), /> Build Kernel: make/);
      console.log(`up-to-date check: ${lines.join('').match(/\(([\d,]+ files looked at in [\d.]+ s)\)/)?.[1] ?? '?'}`);

      // A change make would see: .config's times renewed (mtime kept, so the cached tree stays built for the next run).
      const config = path.join(OBJ, '.config');
      const { atime, mtime } = statSync(config);
      utimesSync(config, atime, mtime);
      const [check] = await planTarget(tree, { id: 'build-kernel' }, { ...OPTIONS, builtCleanAt: builtAt });
      assert.equal(check?.kind, 'call');
      const log: string[] = [];
      const next = check?.kind === 'call' ? await check.run((line) => log.push(line)) : undefined;
      assert.match(log.join('\n'), new RegExp(`^${config.replace(/[.]/g, '\\.')} changed after the last build`));
      assert.deepEqual(
        next?.map((step) => (step.kind === 'run' ? step.argv.join(' ') : step.title)),
        [`make O=${OBJ} -j${OPTIONS.jobs}`],
      );
    },
  );

  test('F5 on the build outputs stops at start_kernel with init/main.c opened from the tree', { timeout: 5 * 60_000 }, async () => {
    const outputs = await kernelTreeLaunch(tree);
    assert.ok(!('problem' in outputs), 'problem' in outputs ? outputs.problem : '');
    const config: Record<string, unknown> = {
      ...launchConfigFromOutputs(outputs, 'Kernel (QEMU): built kernel'),
      initrd: testKernel('x86_64').initrd,
      accel: 'tcg',
      cwd: OBJ,
    };
    assert.equal(config.program, path.join(OBJ, 'vmlinux'));
    assert.equal(config.kernel, path.join(OBJ, 'arch/x86/boot/bzImage'));
    const client = await startClient();
    try {
      const stopped = await launch(client, config);
      const frame = await topFrame(client, stopped.body.threadId ?? 1);
      assert.equal(frame.name, 'start_kernel');
      assert.equal(frame.source?.path, path.join(SRC, 'init/main.c'));
      assert.ok(existsSync(frame.source.path));
      const source = readFileSync(frame.source.path, 'utf8').split('\n');
      assert.match(source.slice(Math.max(0, frame.line - 3), frame.line + 1).join('\n'), /start_kernel/);
      const scopes = await client.scopesRequest({ frameId: frame.id });
      assert.ok(scopes.body.scopes.length > 0);
    } finally {
      await stopClient(client);
    }
  });
});
