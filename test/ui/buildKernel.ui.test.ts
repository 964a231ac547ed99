// "Kernel QEMU: Build Kernel" from the command palette on a small kernel tree stand-in (its
// Makefile compiles init/main.c with gcc, then waits for the test's go-ahead): the task runs
// in a terminal that shows make's output, and the Builds view shows it running, then done.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { VsCode } from './harness/fixture';
import { kernelTreeStandIn } from './harness/kernelTree';

const folder = mkdtempSync(path.join(os.tmpdir(), 'kernel-qemu-ui-linux-'));
const RELEASE = path.join(folder, '.release-build');
let vscode: VsCode;

/** The stand-in's Makefile compiles init/main.c, then waits for the test's go-ahead (at most 60 s). */
const MAKEFILE = [
  'all:',
  '\t@echo "  CC      init/main.o"',
  '\tgcc -c init/main.c -o init/main.o',
  '\t@i=0; while [ ! -e .release-build ] && [ $$i -lt 600 ]; do sleep 0.1; i=$$((i+1)); done',
  '\t@echo "  LD      vmlinux (stand-in)"',
];

before(async () => {
  kernelTreeStandIn(folder, { mainC: 'int start_kernel(void) { return 0; }\n', makefile: MAKEFILE });
  vscode = await VsCode.open({ name: 'build-kernel', folder, extension: 'development' });
});

after(async () => {
  try {
    await vscode?.close();
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test(
  'command palette "Kernel QEMU: Build Kernel" runs a task shown in the terminal and the Builds view',
  { timeout: 300_000 },
  async () => {
    const { workbench } = vscode;
    const builds = workbench.paneBody('Builds');
    const buildKernelRow = builds.locator('.monaco-list-row').filter({ hasText: 'Build Kernel' }).first();

    await vscode.step('the Builds view lists the tree and its Build Kernel target', async () => {
      await workbench.openViewContainer('Kernel QEMU');
      await workbench.expandPane('Builds');
      const text = await workbench.waitForText(builds, /Build Kernel/, 'Build Kernel in the Builds view', 60_000);
      assert.match(text, new RegExp(path.basename(folder)), 'the tree is listed by its folder name');
      assert.match(text, /never run/);
    });

    await vscode.step('Build Kernel from the command palette runs in a terminal', async () => {
      await workbench.runCommand('Kernel QEMU: Build Kernel');
      await workbench.waitForText(
        '.terminal-wrapper.active .xterm-rows',
        /CC\s+init\/main\.o/,
        "make's output in the task terminal",
        60_000,
      );
      await workbench.waitForText(
        '.part.panel .single-terminal-tab, .part.panel .terminal-tabs-entry',
        /Build Kernel/,
        'the terminal named Build Kernel',
        30_000,
      );
      assert.ok(existsSync(path.join(folder, 'init/main.o')), 'gcc ran: init/main.o exists');
    });

    await vscode.step('the Builds view shows it running', async () => {
      await workbench.openViewContainer('Kernel QEMU');
      await workbench.waitForText(buildKernelRow, /running/, 'Build Kernel shown as running', 30_000);
    });

    await vscode.step('the build finishes: terminal and Builds view say so', async () => {
      writeFileSync(RELEASE, '');
      await workbench.waitForText('.terminal-wrapper.active .xterm-rows', /Done in [\d.]+ s\./, 'Done in the task terminal', 60_000);
      await workbench.waitForText(buildKernelRow, /succeeded in/, 'Build Kernel shown as succeeded', 30_000);
    });
  },
);
