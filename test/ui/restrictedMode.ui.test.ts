// Workspace Trust: a folder nobody trusted opens in Restricted Mode, where the extension is
// active (the manifest declares limited support) but F5 on its launch configuration asks for
// trust (VS Code's modal) and starts no QEMU or gdb until the folder is trusted.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { demoConfig, writeLaunchJson } from '../../scripts/demoWorkspace';
import { DebugViews } from './harness/debugViews';
import { VsCode } from './harness/fixture';
import { fetchedKernel } from './harness/kernels';
import { SELECTORS } from './harness/workbench';

const folder = mkdtempSync(path.join(os.tmpdir(), 'kernel-qemu-ui-restricted-'));
const CONFIG_NAME = 'Kernel in an untrusted folder';
let vscode: VsCode;

before(async () => {
  fetchedKernel('x86_64'); // a configuration that would boot, were the folder trusted
  writeLaunchJson(folder, [{ ...demoConfig(), name: CONFIG_NAME, accel: 'tcg' }]);
  vscode = await VsCode.open({ name: 'restricted-mode', folder, extension: 'development', restricted: true });
});

after(async () => {
  try {
    await vscode?.close();
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test(
  'Restricted Mode: F5 asks for trust instead of starting QEMU; trusted, the same F5 boots the kernel',
  { timeout: 400_000 },
  async () => {
    const debug = new DebugViews(vscode.workbench);
    const { workbench } = vscode;
    const dialogButton = (label: string) => workbench.page.locator(`${SELECTORS.dialog} .monaco-button`).filter({ hasText: label }).first();

    await vscode.step('the folder is in Restricted Mode, the extension active', async () => {
      assert.match(await workbench.text('.statusbar'), /Restricted Mode/);
    });

    await vscode.step('Run and Debug lists the configuration', () => debug.openRunAndDebug(CONFIG_NAME));

    await vscode.step('F5 asks for trust (a modal)', async () => {
      await workbench.press('F5');
      const text = await workbench.waitForText(SELECTORS.dialog, /Do you trust the authors/, 'the Workspace Trust modal', 60_000);
      assert.match(text, /Debugging executes build tasks and program code from your workspace/);
      assert.match(await workbench.text(`${SELECTORS.dialog} .monaco-button`), /Trust Folder & Continue/);
    });

    await vscode.step('Cancel: nothing is started', async () => {
      await dialogButton('Cancel').click();
      // Give a wrongly started session time to show itself before looking.
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      assert.deepEqual(vscode.sessionProcesses(), [], 'no QEMU or gdb process');
      assert.equal(await workbench.page.locator(SELECTORS.debugToolbar).isVisible(), false, 'no debug toolbar');
    });

    await vscode.step('F5 again, Trust Folder & Continue: the kernel boots and stops at start_kernel', async () => {
      await workbench.press('F5');
      await workbench.waitForText(SELECTORS.dialog, /Do you trust the authors/, 'the Workspace Trust modal', 60_000);
      await dialogButton('Trust Folder & Continue').click();
      await debug.waitForTopFrame(/^start_kernel$/, 240_000);
      assert.ok(vscode.sessionProcesses().length >= 2, 'QEMU and gdb run once the folder is trusted');
    });

    await vscode.step('Shift+F5 ends the session', async () => {
      await workbench.press('Shift+F5');
      await debug.waitForNoSession(60_000);
    });
  },
);
