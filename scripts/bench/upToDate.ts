// Scenario 11 (not run by default: --scenarios 11): F5 in a built, unchanged kernel tree. The
// Build Kernel task before the launch, as the extension runs it after a clean build (the
// up-to-date check, src/build/upToDate.ts), against the plain command it replaces: a no-op
// `make -j` of the same tree. The tree is the x86_64 O= build of Debian's linux-source tree
// that `npm test` keeps in the cache (test/adapter/kernelBuild.test.ts); it is built first
// with Build Kernel's plan when it is not there.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { cacheDirectory } from '../../src/adapter/cacheDirectory';
import { runSteps } from '../../src/build/runner';
import { planTarget, type PlanOptions } from '../../src/build/targets';
import type { KernelBuildTree } from '../../src/build/workspace';
import { now, ROOT } from './common';
import type { ToolName } from './tools';

type Add = (metric: string, tool: ToolName, value: number) => void;

export async function upToDateScenario(reps: number, add: Add, note: (key: string, text: string) => void): Promise<void> {
  const src = execFileSync('bash', [path.join(ROOT, 'scripts/fetch-kernel-source.sh')], { encoding: 'utf8' }).trim();
  const obj = path.join(cacheDirectory(), 'build', `${path.basename(src)}-x86_64-debug`);
  const tree: KernelBuildTree = { kind: 'kernel', name: path.basename(obj), srcDir: src, objDir: obj };
  const jobs = availableParallelism();
  const options: PlanOptions = { jobs, hostArch: 'x86_64', arch: 'x86_64' };
  const build = async (extra: Partial<PlanOptions> = {}) => {
    const lines: string[] = [];
    const result = await runSteps(await planTarget(tree, { id: 'build-kernel' }, { ...options, ...extra }), {
      output: (text) => lines.push(text),
    });
    if (!result.ok) throw new Error(`Build Kernel: ${result.failedStep}: ${result.firstError}\n${lines.join('').slice(-2000)}`);
    return lines.join('');
  };
  if (!existsSync(path.join(obj, 'vmlinux'))) {
    mkdirSync(obj, { recursive: true });
    await build();
  }
  // Both start from a finished build: a first no-op make settles anything left over.
  execFileSync('make', ['-s', '-C', src, `O=${obj}`, `-j${jobs}`], { stdio: 'ignore' });
  const builtCleanAt = Date.now();
  let looked = '';
  for (let rep = 0; rep < reps; rep++) {
    let started = now();
    const log = await build({ builtCleanAt });
    add('build.upToDate', 'kq', now() - started);
    if (!/make was not run/.test(log)) throw new Error(`the up-to-date check ran make:\n${log}`);
    looked = /\(([\d,]+ files looked at)/.exec(log)?.[1] ?? looked;
    started = now();
    execFileSync('make', ['-s', '-C', src, `O=${obj}`, `-j${jobs}`], { stdio: 'ignore' });
    add('build.upToDate', 'raw', now() - started);
  }
  note('build.upToDate', `${path.basename(src)}, x86_64 O= build, ${looked}; raw: make -s O=... -j${jobs} with nothing to do`);
}
