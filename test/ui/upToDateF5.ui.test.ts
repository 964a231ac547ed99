// F5 in a built kernel tree with "buildBeforeLaunch" on (the default): the first F5 runs the
// Build Kernel task (make) before the session; the next one, with nothing changed, says in
// the task terminal that make was not run and starts at once; after a file of the tree is
// edited, F5 runs make again. The stand-in tree holds Debian's x86_64 kernel; its Makefile
// notes each run in .make-runs.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { DebugViews } from './harness/debugViews';
import { VsCode } from './harness/fixture';
import { builtKernelTreeStandIn } from './harness/kernelTree';
import { fetchedKernel } from './harness/kernels';
import { until } from './harness/waitFor';

const folder = mkdtempSync(path.join(os.tmpdir(), 'kernel-qemu-ui-linux-'));
const MAKE_RUNS = path.join(folder, '.make-runs');
const TERMINAL = '.terminal-wrapper.active .xterm-rows';
let vscode: VsCode;

const makeRuns = () => (existsSync(MAKE_RUNS) ? readFileSync(MAKE_RUNS, 'utf8').split('\n').filter(Boolean).length : 0);

before(async () => {
  builtKernelTreeStandIn(folder, fetchedKernel('x86_64'), ['all:', '\t@echo "  LD      vmlinux (stand-in)"', '\t@echo ran >> .make-runs']);
  symlinkSync(fetchedKernel('x86_64').initrd, path.join(folder, 'initrd.gz'));
  vscode = await VsCode.open({ name: 'up-to-date-f5', folder, extension: 'vsix', settings: { 'kernelQemu.serialTerminal': 'never' } });
});

after(async () => {
  try {
    await vscode?.close();
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test('F5 runs make before the first launch, not when nothing changed, and again after an edit', { timeout: 900_000 }, async () => {
  const { workbench } = vscode;
  const debug = new DebugViews(workbench);
  const f5ToStartKernel = async () => {
    await workbench.openFile(path.join(folder, 'init/main.c'), /main\.c/);
    await workbench.press('F5');
    await debug.waitForTopFrame(/^start_kernel$/, 240_000);
  };
  const endSession = async () => {
    await workbench.press('Shift+F5');
    await debug.waitForNoSession(60_000);
    await until('QEMU and gdb to exit', async () => (vscode.sessionProcesses().length === 0 ? true : undefined), 30_000);
  };

  await vscode.step('the first F5 runs Build Kernel (make), then stops at start_kernel', async () => {
    await f5ToStartKernel();
    assert.equal(makeRuns(), 1, 'make ran once');
    await endSession();
  });

  await vscode.step('F5 again with nothing changed: the task says make was not run', async () => {
    await f5ToStartKernel();
    const said = await workbench.waitForText(TERMINAL, /make was not run/, 'the up-to-date note in the task terminal', 30_000);
    assert.match(
      said.replace(/\s+/g, ' '),
      /Nothing changed in \S+ since the build that ended at [\d:]+ \([\d,]+ files looked at in [\d.]+ s\)/,
    );
    assert.equal(makeRuns(), 1, 'make did not run');
    await endSession();
  });

  await vscode.step('after init/main.c is edited, F5 runs make again', async () => {
    writeFileSync(path.join(folder, 'init/main.c'), 'int start_kernel(void) { return 1; }\n');
    await f5ToStartKernel();
    assert.equal(makeRuns(), 2, 'make ran again');
    const said = await workbench.text(TERMINAL);
    assert.match(said.replace(/\s+/g, ' '), /init\/main\.c changed after the last build/);
    await endSession();
  });
});
