// The aarch64 configuration snippet, picked from "Add Configuration..." in launch.json, in a
// folder laid out like a built arm64 kernel tree (Debian's arm64 debug kernel): F5 boots it in
// QEMU and stops at start_kernel.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { writeLaunchJson } from '../../scripts/demoWorkspace';
import { DebugViews } from './harness/debugViews';
import { VsCode } from './harness/fixture';
import { fetchedKernel } from './harness/kernels';
import { until } from './harness/waitFor';
import { SELECTORS } from './harness/workbench';

const SNIPPET = 'Kernel (QEMU): Launch aarch64';
const CONFIG_NAME = 'Kernel (QEMU): launch aarch64';
const folder = mkdtempSync(path.join(os.tmpdir(), 'kernel-qemu-ui-arm64-'));
let vscode: VsCode;

before(async () => {
  // The paths the snippet expects, pointing at the fetched arm64 kernel (scripts/fetch-kernels.sh).
  const kernel = fetchedKernel('aarch64');
  mkdirSync(path.join(folder, 'arch/arm64/boot'), { recursive: true });
  symlinkSync(kernel.vmlinux, path.join(folder, 'vmlinux'));
  symlinkSync(kernel.kernel, path.join(folder, 'arch/arm64/boot/Image'));
  symlinkSync(kernel.initrd, path.join(folder, 'initramfs.cpio.gz'));
  writeLaunchJson(folder, []);
  vscode = await VsCode.open({ name: 'aarch64-snippet', folder, extension: 'vsix' });
});

after(async () => {
  try {
    await vscode?.close();
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test('the aarch64 snippet from "Add Configuration..." launches and stops at start_kernel', { timeout: 600_000 }, async () => {
  const debug = new DebugViews(vscode.workbench);
  const { workbench, page } = vscode;

  await vscode.step('Add Configuration offers the aarch64 snippet', async () => {
    await workbench.runCommand('Debug: Add Configuration...');
    await workbench.waitForText(SELECTORS.activeTab, /launch\.json/, 'launch.json open in the editor', 30_000);
    const row = page.locator('.suggest-widget .monaco-list-row').filter({ hasText: SNIPPET }).first();
    // Until VS Code's JSON language server is up, the suggestions are only words of the file
    // ("configurations", "version"): ask again, as a person would, with the editor's own
    // "Add Configuration..." button.
    const addButton = page.locator('.floating-click-widget').filter({ hasText: 'Add Configuration...' }).first();
    let seen = '';
    await until(
      `"${SNIPPET}" in the suggestions`,
      async () => {
        if ((await row.count()) > 0) return true;
        seen = await workbench.text('.suggest-widget .monaco-list-row');
        await workbench.press('Escape');
        await addButton.click({ timeout: 5_000 });
        await row.waitFor({ state: 'visible', timeout: 5_000 });
        return true;
      },
      120_000,
      async () => `suggestions: ${seen || '(none)'}; "Add Configuration..." button: ${await addButton.count()}`,
    );
    await row.click();
  });

  await vscode.step('the snippet is in launch.json, saved', async () => {
    await workbench.press('Control+S');
    await until(
      'launch.json saved with the aarch64 configuration',
      async () => (/"arch": "aarch64"/.test(readFileSync(path.join(folder, '.vscode/launch.json'), 'utf8')) ? true : undefined),
      30_000,
      async () => readFileSync(path.join(folder, '.vscode/launch.json'), 'utf8'),
    );
    const saved = readFileSync(path.join(folder, '.vscode/launch.json'), 'utf8');
    assert.match(saved, /"program": "\$\{workspaceFolder\}\/vmlinux"/);
    assert.match(saved, /"kernel": "\$\{workspaceFolder\}\/arch\/arm64\/boot\/Image"/);
  });

  await vscode.step('Run and Debug lists it', () => debug.openRunAndDebug(CONFIG_NAME));

  await vscode.step('F5 boots the arm64 kernel and stops at start_kernel', async () => {
    await workbench.press('F5');
    await debug.waitForTopFrame(/^start_kernel$/, 300_000);
    assert.match(await workbench.text(workbench.pane('Call Stack')), /Paused on entry/i);
    assert.ok(
      vscode.sessionProcesses().some((p) => p.cmdline.includes('qemu-system-aarch64')),
      'qemu-system-aarch64 runs',
    );
  });

  await vscode.step('Shift+F5 ends it; no QEMU or gdb remains', async () => {
    await workbench.press('Shift+F5');
    await debug.waitForNoSession(60_000);
    await until(
      'QEMU and gdb to exit',
      async () => (vscode.sessionProcesses().length === 0 ? true : undefined),
      30_000,
      async () =>
        vscode
          .sessionProcesses()
          .map((p) => `${p.pid} ${p.comm}`)
          .join('\n'),
    );
  });
});
