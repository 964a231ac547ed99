// A launch.json whose vmlinux does not exist: F5 shows one error notification that names the
// file and the fix, offers to open launch.json, and starts nothing. The extension is loaded
// from this checkout as a development folder (the other way to load it; launchDemo uses the .vsix).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { demoConfig, writeLaunchJson } from '../../scripts/demoWorkspace';
import { DebugViews } from './harness/debugViews';
import { VsCode } from './harness/fixture';
import { SELECTORS } from './harness/workbench';

const folder = mkdtempSync(path.join(os.tmpdir(), 'kernel-qemu-ui-broken-'));
const CONFIG_NAME = 'Kernel without vmlinux';
let vscode: VsCode;

before(async () => {
  writeLaunchJson(folder, [{ ...demoConfig(), name: CONFIG_NAME, program: '${workspaceFolder}/vmlinux' }]);
  vscode = await VsCode.open({ name: 'broken-launch', folder, extension: 'development' });
});

after(async () => {
  try {
    await vscode?.close();
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test('F5 with a missing vmlinux: an error notification with the fix, and nothing started', { timeout: 300_000 }, async () => {
  const debug = new DebugViews(vscode.workbench);
  const { workbench } = vscode;
  const missing = path.join(folder, 'vmlinux');

  await vscode.step('Run and Debug lists the configuration', () => debug.openRunAndDebug(CONFIG_NAME));

  await vscode.step('F5 shows the error notification with the fix', async () => {
    await workbench.press('F5');
    const text = await workbench.waitForText(
      `${SELECTORS.notifications} ${SELECTORS.notificationMessage}`,
      /does not exist/,
      'an error notification about the missing vmlinux',
      120_000,
    );
    assert.ok(text.includes(`'program' ${missing} does not exist.`), `the notification names the file: ${text}`);
    assert.match(text, /Set 'program' to the vmlinux built with CONFIG_DEBUG_INFO/, 'the notification says how to fix it');
    const buttons = await workbench.text(`${SELECTORS.notifications} .monaco-button`);
    assert.match(buttons, /Open launch\.json/);
  });

  await vscode.step('nothing is started', async () => {
    // Give a wrongly started session time to show itself before looking.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    assert.deepEqual(vscode.sessionProcesses(), [], 'no QEMU or gdb process');
    assert.equal(await workbench.page.locator(SELECTORS.debugToolbar).isVisible(), false, 'no debug toolbar');
    assert.equal(await debug.callStack().locator('.monaco-list-row').count(), 0, 'an empty Call Stack');
  });

  await vscode.step('"Open launch.json" opens it', async () => {
    await workbench.page.locator(`${SELECTORS.notifications} .monaco-button`).filter({ hasText: 'Open launch.json' }).first().click();
    await workbench.waitForText(SELECTORS.activeTab, /launch\.json/, 'launch.json as the active editor tab', 30_000);
  });
});
