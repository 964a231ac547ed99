// The build runner with real processes: steps in order, output line by line, compiler
// diagnostics made absolute from make's directory, the first error, progress, a failing
// step stopping the rest, and cancel killing make and every job it started.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { absolutizeDiagnostic, BuildRun, formatArgv, runSteps, type Step } from '../../src/build/runner';

const scratch = mkdtempSync(path.join(tmpdir(), 'kq-runner-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function collect(): { text: () => string; progress: string[]; events: { output(text: string): void; progress(status: string): void } } {
  const chunks: string[] = [];
  const progress: string[] = [];
  return {
    text: () => chunks.join(''),
    progress,
    events: { output: (text) => chunks.push(text), progress: (status) => progress.push(status) },
  };
}

test('absolutizeDiagnostic: relative compiler paths become absolute, other lines stay', () => {
  assert.equal(
    absolutizeDiagnostic('init/main.c:12:3: error: expected ; before }', '/k'),
    '/k/init/main.c:12:3: error: expected ; before }',
  );
  assert.equal(absolutizeDiagnostic('/abs/x.c:1:1: warning: unused', '/k'), '/abs/x.c:1:1: warning: unused');
  assert.equal(
    absolutizeDiagnostic('drivers/a.c:7: error: old gcc without column', '/k'),
    '/k/drivers/a.c:7: error: old gcc without column',
  );
  assert.equal(absolutizeDiagnostic('  CC      init/main.o', '/k'), '  CC      init/main.o');
  assert.equal(
    absolutizeDiagnostic('make[2]: *** [scripts/Makefile.build:250: init/main.o] Error 1', '/k'),
    'make[2]: *** [scripts/Makefile.build:250: init/main.o] Error 1',
  );
});

test('formatArgv quotes only what a shell would need (display only)', () => {
  assert.equal(formatArgv(['make', 'O=/tmp/b', '-j8']), 'make O=/tmp/b -j8');
  assert.equal(
    formatArgv(['bash', 'scripts/config', '--set-str', 'LOCALVERSION', "-it's $HOME"]),
    "bash scripts/config --set-str LOCALVERSION '-it'\\''s $HOME'",
  );
});

test("steps run in order; a compile error is made absolute from make's directory and reported first; the next step does not run", async () => {
  const tree = path.join(scratch, 'tree');
  mkdirSync(path.join(tree, 'init'), { recursive: true });
  writeFileSync(path.join(tree, 'init/bad.c'), 'int main(void) { return x; }\n');
  // A Makefile that enters a directory the way Kbuild's O= builds and buildroot's package builds do.
  writeFileSync(
    path.join(tree, 'Makefile'),
    [
      'all:',
      '\t@echo "  CC      init/ok.o"',
      `\t@$(MAKE) --no-print-directory -C ${tree} -w inner`,
      'inner:',
      '\t@echo "  CC      init/bad.o"',
      '\tgcc -c init/bad.c -o /dev/null',
      '',
    ].join('\n'),
  );
  const out = collect();
  const marker = path.join(scratch, 'ran-after-failure');
  const steps: Step[] = [
    { kind: 'call', title: 'prepare', run: async (log) => log('prepared') },
    { kind: 'run', title: 'Build Kernel', argv: ['make'], cwd: tree },
    { kind: 'run', title: 'never', argv: ['touch', marker], cwd: tree },
  ];
  const result = await runSteps(steps, out.events);
  assert.equal(result.ok, false);
  assert.equal(result.failedStep, 'Build Kernel');
  assert.equal(result.exitCode, 2);
  // gcc quotes with ‘’ in a UTF-8 locale.
  assert.match(result.firstError ?? '', new RegExp(`^${tree}/init/bad\\.c:1: .x. undeclared \\(first use in this function\\)$`));
  assert.ok(!existsSync(marker), 'no step after the failing one');
  const text = out.text();
  assert.match(text, /> prepare\nprepared\n/);
  assert.match(text, /> Build Kernel: make\n/);
  assert.match(text, new RegExp(`\n${tree}/init/bad\\.c:1:25: error: .x. undeclared`));
  assert.deepEqual(out.progress, ['CC init/ok.o (1)', 'CC init/bad.o (2)']);
});

test('a call step can add steps; buildroot ">>>" lines are progress; success reports a duration', async () => {
  const out = collect();
  const started = Date.now();
  const result = await runSteps(
    [
      {
        kind: 'call',
        title: 'plan',
        run: async () => [{ kind: 'run', title: 'echo', argv: ['sh', '-c', 'echo ">>> linux 6.1.44 Building"; echo done'], cwd: scratch }],
      },
    ],
    out.events,
  );
  assert.equal(result.ok, true);
  assert.equal(result.firstError, undefined);
  assert.ok(result.durationMs > 0 && result.durationMs <= Date.now() - started, `durationMs ${result.durationMs} is the run's own time`);
  assert.deepEqual(out.progress, ['linux 6.1.44 Building']);
  assert.match(out.text(), /done\n/);
});

test('a missing program says what to install; a throwing call step fails with its message', async () => {
  const missing = await runSteps(
    [{ kind: 'run', title: 'qemu-img', argv: ['qemu-img-not-installed-here'], cwd: scratch }],
    collect().events,
  );
  assert.equal(missing.ok, false);
  assert.match(missing.firstError ?? '', /cannot run qemu-img-not-installed-here: .*ENOENT.*apt-get install/);
  const thrown = await runSteps(
    [
      {
        kind: 'call',
        title: 'doctor',
        run: async () => {
          throw new Error('no .config');
        },
      },
    ],
    collect().events,
  );
  assert.deepEqual([thrown.ok, thrown.failedStep, thrown.firstError], [false, 'doctor', 'no .config']);
});

/** Pids whose command line contains `tag`. */
function pidsWith(tag: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(tag) && !readFileSync(`/proc/${entry}/stat`, 'utf8').includes(') Z '))
        found.push(Number(entry));
    } catch {
      // gone
    }
  }
  return found;
}

test('cancel kills make and all its parallel jobs (the whole process group), and no further step runs', async () => {
  const dir = path.join(scratch, 'slow');
  mkdirSync(dir, { recursive: true });
  // Two parallel jobs, each a shell that starts a long sleep: make's children and grandchildren.
  // The sleep runs under a name of its own, to find it in /proc.
  const tag = `kq-cancel-sleep-${process.pid}`;
  symlinkSync(execFileSync('sh', ['-c', 'command -v sleep'], { encoding: 'utf8' }).trim(), path.join(dir, tag));
  writeFileSync(path.join(dir, 'Makefile'), ['all: a b', 'a b:', `\t@sh -c 'echo started $@; ./${tag} 300; echo never'`, ''].join('\n'));
  const out = collect();
  const marker = path.join(scratch, 'after-cancel');
  const run = new BuildRun(
    [
      { kind: 'run', title: 'Build Kernel', argv: ['make', '-j2'], cwd: dir },
      { kind: 'run', title: 'never', argv: ['touch', marker], cwd: dir },
    ],
    out.events,
  );
  const finished = run.start();
  const deadline = Date.now() + 10_000;
  try {
    while (pidsWith(tag).length < 2) {
      assert.ok(Date.now() < deadline, `jobs did not start: ${out.text()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } catch (error) {
    run.cancel();
    throw error;
  }
  const started = Date.now();
  run.cancel();
  const result = await finished;
  assert.equal(result.ok, false);
  assert.equal(result.cancelled, true);
  assert.equal(result.firstError, 'cancelled');
  assert.ok(Date.now() - started < 5000, 'cancel is prompt');
  const left = Date.now() + 3000;
  while (pidsWith(tag).length && Date.now() < left) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(pidsWith(tag), [], 'no job survives');
  assert.ok(!existsSync(marker));
});
