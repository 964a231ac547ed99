// Scenario 10 (not run by default: --scenarios 10): the first kernel of a fresh tree. Build
// Kernel's plan (the minimal QEMU configuration, then make -j) in an empty O= directory,
// against the same configuration typed by hand (make tinyconfig, scripts/config with the
// same options, make olddefconfig, make -j) in another one. Debian's linux-source tree.
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { configScriptArgs } from '../../src/build/kconfig';
import { minimalConfigEdits } from '../../src/build/minimalConfig';
import { runSteps } from '../../src/build/runner';
import { planTarget, type PlanOptions } from '../../src/build/targets';
import { now, removeDir, ROOT, tempDir } from './common';
import type { ToolName } from './tools';

type Add = (metric: string, tool: ToolName, value: number) => void;

export async function firstKernelScenario(add: Add, note: (key: string, text: string) => void): Promise<void> {
  const src = execFileSync('bash', [path.join(ROOT, 'scripts/fetch-kernel-source.sh')], { encoding: 'utf8' }).trim();
  const jobs = availableParallelism();
  const options: PlanOptions = { jobs, hostArch: 'x86_64', arch: 'x86_64' };
  const kq = tempDir('first-kernel-kq');
  const raw = tempDir('first-kernel-raw');
  try {
    let started = now();
    const built = await runSteps(
      await planTarget({ kind: 'kernel', name: 'bench', srcDir: src, objDir: kq }, { id: 'build-kernel' }, options),
      { output: () => undefined },
    );
    if (!built.ok) throw new Error(`Build Kernel: ${built.failedStep}: ${built.firstError}`);
    add('guest.firstKernel', 'kq', now() - started);
    started = now();
    const make = (...args: string[]) => execFileSync('make', ['-s', '-C', src, `O=${raw}`, ...args], { stdio: 'ignore' });
    make('tinyconfig');
    execFileSync('bash', [path.join(src, 'scripts/config'), ...configScriptArgs(path.join(raw, '.config'), minimalConfigEdits('x86_64'))]);
    make('olddefconfig');
    make(`-j${jobs}`);
    add('guest.firstKernel', 'raw', now() - started);
    note('guest.firstKernel', `${path.basename(src)}, x86_64, the minimal QEMU configuration, make -j${jobs}, empty O= directories`);
  } finally {
    removeDir(kq);
    removeDir(raw);
  }
}
