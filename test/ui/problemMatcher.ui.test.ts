// Issue 6's problem matcher in a real VS Code: Build Kernel on a kernel tree stand-in whose
// init/main.c has a deliberate compile error; gcc's error shows in the Problems view with
// its file and message, and the Builds view says the build failed.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { VsCode } from './harness/fixture';
import { kernelTreeStandIn } from './harness/kernelTree';

const folder = mkdtempSync(path.join(os.tmpdir(), 'kernel-qemu-ui-broken-'));
let vscode: VsCode;

before(async () => {
  kernelTreeStandIn(folder, {
    mainC: 'int start_kernel(void)\n{\n\treturn undeclared_in_start_kernel;\n}\n',
    makefile: ['all:', '\t@echo "  CC      init/main.o"', '\tgcc -c init/main.c -o init/main.o'],
  });
  vscode = await VsCode.open({ name: 'problem-matcher', folder, extension: 'development' });
});

after(async () => {
  try {
    await vscode?.close();
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test('a compile error of Build Kernel shows in the Problems view with its file and message', { timeout: 300_000 }, async () => {
  const { workbench } = vscode;
  await vscode.step('Build Kernel runs and gcc fails', async () => {
    await workbench.openViewContainer('Kernel QEMU');
    await workbench.expandPane('Builds');
    await workbench.waitForText(workbench.paneBody('Builds'), /Build Kernel/, 'Build Kernel in the Builds view', 60_000);
    await workbench.runCommand('Kernel QEMU: Build Kernel');
    await workbench.waitForText(
      '.terminal-wrapper.active .xterm-rows',
      /undeclared_in_start_kernel/,
      "gcc's error in the task terminal",
      60_000,
    );
  });

  await vscode.step('the Problems view lists the error at init/main.c', async () => {
    await workbench.runCommand('Problems: Focus on Problems View');
    const problems = await workbench.waitForText('.markers-panel', /undeclared_in_start_kernel/, 'the error in the Problems view', 60_000);
    assert.match(problems, /main\.c/, 'the problem names its file');
    assert.match(problems, /gcc/, 'the problem comes from the gcc matcher');
  });

  await vscode.step('the Builds view says the build failed', async () => {
    await workbench.openViewContainer('Kernel QEMU');
    const row = workbench.paneBody('Builds').locator('.monaco-list-row').filter({ hasText: 'Build Kernel' }).first();
    await workbench.waitForText(row, /failed/, 'Build Kernel shown as failed', 30_000);
  });
});
