// Build Kernel's up-to-date check: file times against the last build, on small real trees.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import type { RunStep } from '../../src/build/runner';
import { planTarget, type PlanOptions } from '../../src/build/targets';
import { findChangeSince } from '../../src/build/treeChanges';
import { BuildStates, buildKey } from '../../src/extension/tasks/buildState';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const HOUR = 3600_000;
const OPTIONS: PlanOptions = { jobs: 2, hostArch: 'x86_64' };
const SOURCES = ['Kconfig', 'Makefile', '.config', 'init/main.c', 'include/linux/sched.h', 'arch/x86/Kconfig'];
const FOLDERS = ['.', 'init', 'include', 'include/linux', 'arch', 'arch/x86'];
/** What make and git write, made before the build ended like the rest. */
const OUTPUTS = ['init/main.o', 'init/.main.o.cmd', 'vmlinux', 'System.map', '.git/index'];

const pause = () => new Promise((resolve) => setTimeout(resolve, 20));

/** A kernel-shaped tree, then the time its build ended (a file's ctime cannot be set back: the tree is made first). */
async function builtTree(): Promise<{ dir: string; builtAt: number; at: (relative: string) => string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'kq-uptodate-'));
  dirs.push(dir);
  for (const file of [...SOURCES, ...OUTPUTS]) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), `${file}\n`);
  }
  await pause();
  const builtAt = Date.now();
  await pause();
  return { dir, builtAt, at: (relative) => path.join(dir, relative) };
}

test('an unchanged tree has no change, and only its sources and folders are looked at; an edited source is named', async () => {
  const tree = await builtTree();
  const called = performance.now();
  const unchanged = await findChangeSince(tree.dir, tree.dir, tree.builtAt);
  const callMs = performance.now() - called;
  assert.equal(unchanged.changed, undefined);
  assert.equal(unchanged.entries, SOURCES.length + FOLDERS.length, 'objects, .cmd files, images and .git are skipped by name');
  // The walk's own time: measured (not 0 or a constant), and within the call that made it.
  assert.ok(
    unchanged.durationMs > 0 && unchanged.durationMs <= callMs,
    `durationMs ${unchanged.durationMs} within the call's ${callMs} ms`,
  );

  writeFileSync(tree.at('include/linux/sched.h'), 'edited\n');
  assert.equal((await findChangeSince(tree.dir, tree.dir, tree.builtAt)).changed, tree.at('include/linux/sched.h'));
});

test('a file given an old mtime still counts (its ctime is new); a removed file changes its folder', async () => {
  const copied = await builtTree();
  const old = (Date.now() - HOUR) / 1000;
  writeFileSync(copied.at('init/main.c'), 'cp -p of an old file\n');
  utimesSync(copied.at('init/main.c'), old, old);
  assert.equal((await findChangeSince(copied.dir, copied.dir, copied.builtAt)).changed, copied.at('init/main.c'));

  const removed = await builtTree();
  unlinkSync(removed.at('arch/x86/Kconfig'));
  assert.equal((await findChangeSince(removed.dir, removed.dir, removed.builtAt)).changed, removed.at('arch/x86'));
});

test('an O= build: its .config is an input, its objects are not looked at', async () => {
  const obj = mkdtempSync(path.join(tmpdir(), 'kq-uptodate-obj-'));
  dirs.push(obj);
  writeFileSync(path.join(obj, 'vmlinux'), 'x');
  writeFileSync(path.join(obj, '.config'), 'CONFIG_X=y\n');
  const src = await builtTree();
  writeFileSync(path.join(obj, 'init.o'), 'written after the build: not an input');
  assert.equal((await findChangeSince(src.dir, obj, src.builtAt)).changed, undefined);
  writeFileSync(path.join(obj, '.config'), 'CONFIG_X=n\n');
  assert.equal((await findChangeSince(src.dir, obj, src.builtAt)).changed, path.join(obj, '.config'));
});

test('Build Kernel after a clean build: make runs only when something changed, and the log says which', async () => {
  const tree = await builtTree();
  const kernel = { kind: 'kernel' as const, name: 'linux', srcDir: tree.dir, objDir: tree.dir };
  const [check, ...rest] = await planTarget(kernel, { id: 'build-kernel' }, { ...OPTIONS, builtCleanAt: tree.builtAt });
  assert.equal(rest.length, 0);
  assert.ok(check?.kind === 'call', 'one step: the check');
  const log: string[] = [];
  assert.deepEqual(await check.run((line) => log.push(line)), []);
  assert.match(
    log.join('\n'),
    /^Nothing changed in linux since the build that ended at \d\d:\d\d:\d\d \(\d+ files looked at in \d+\.\d\d s\): make was not run\./,
  );

  writeFileSync(tree.at('init/main.c'), 'edited\n');
  log.length = 0;
  const next = (await check.run((line) => log.push(line))) as RunStep[];
  assert.deepEqual(
    next.map((step) => step.argv.join(' ')),
    ['make -j2'],
  );
  assert.match(log.join('\n'), new RegExp(`^${tree.at('init/main.c').replace(/[.]/g, '\\.')} changed after the last build`));

  // Without a clean build on record (first build, or one with a file saved while make ran): make, as always.
  const plain = (await planTarget(kernel, { id: 'build-kernel' }, OPTIONS)) as RunStep[];
  assert.deepEqual(
    plain.map((step) => step.argv.join(' ')),
    ['make -j2'],
  );
});

test('the clean-build time is kept only for a success with nothing saved while it ran', () => {
  const states = new BuildStates();
  const key = buildKey('/src/linux', 'build-kernel');
  states.start(key, 1000);
  states.finish(key, { ok: true, cancelled: false, clean: true }, 5000);
  assert.equal(states.builtCleanAt(key), 5000);
  states.start(key, 6000);
  states.finish(key, { ok: true, cancelled: false, clean: false }, 9000);
  assert.equal(states.builtCleanAt(key), undefined);
  states.start(key, 10_000);
  states.finish(key, { ok: false, cancelled: false, firstError: 'error: x' }, 11_000);
  assert.equal(states.builtCleanAt(key), undefined);
  // Kept across reloads (the workspace state holds the statuses).
  const saved = new BuildStates({ [key]: { state: 'succeeded', finishedAt: 12_000, durationMs: 300, clean: true } });
  assert.equal(saved.builtCleanAt(key), 12_000);
});
