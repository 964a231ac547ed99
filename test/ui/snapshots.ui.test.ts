// VM snapshots in the Snapshots view: saved at start_kernel from the view's title action (the
// initrd-only demo VM is offered a state disk first), listed in the view, and loaded back
// after the kernel ran on to do_sys_openat2: the Call Stack shows start_kernel again.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { demoConfig, writeLaunchJson } from '../../scripts/demoWorkspace';
import { DebugViews } from './harness/debugViews';
import { VsCode } from './harness/fixture';
import { fetchedKernel } from './harness/kernels';
import { ROOT } from './harness/tools';
import { until } from './harness/waitFor';
import { SELECTORS } from './harness/workbench';

const folder = mkdtempSync(path.join(os.tmpdir(), 'kernel-qemu-ui-snapshots-'));
const CONFIG_NAME = String(demoConfig().name);
const SNAPSHOT = 'at-start-kernel';
let vscode: VsCode;

before(async () => {
  fetchedKernel('x86_64');
  // With the kernel's sources, VS Code focuses start_kernel's frame (it skips frames it cannot open).
  const sources = execFileSync('bash', [path.join(ROOT, 'scripts/fetch-kernel-source.sh')], { encoding: 'utf8' }).trim();
  writeLaunchJson(folder, [{ ...demoConfig(), sourceRoot: sources }]);
  vscode = await VsCode.open({ name: 'snapshots', folder, extension: 'development' });
});

after(async () => {
  try {
    await vscode?.close();
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test('Snapshots view: Save lists the snapshot; Load brings the Call Stack back to it', { timeout: 600_000 }, async () => {
  const debug = new DebugViews(vscode.workbench);
  const { workbench, page } = vscode;
  const snapshots = workbench.paneBody('Snapshots');
  const snapshotRow = snapshots.locator('.monaco-list-row').filter({ hasText: SNAPSHOT }).first();

  await vscode.step('F5 stops at start_kernel', async () => {
    await debug.openRunAndDebug(CONFIG_NAME);
    await workbench.press('F5');
    await debug.waitForTopFrame(/^start_kernel$/, 240_000);
  });

  await vscode.step('Save in the Snapshots view offers a state disk for the initrd-only VM', async () => {
    await workbench.openViewContainer('Kernel QEMU');
    await workbench.expandPane('Snapshots');
    const pane = workbench.pane('Snapshots');
    await pane.locator('.pane-header').first().hover();
    await pane.locator('.pane-header .action-label[aria-label^="Save VM Snapshot"]').click({ timeout: 30_000 });
    const dialog = page.locator('.monaco-dialog-box');
    await workbench.waitForText(dialog, /Cannot save a VM snapshot yet[\s\S]*initrd only/, 'the state disk offer', 30_000);
    await dialog.locator('.monaco-button').filter({ hasText: 'Attach State Disk' }).first().click();
  });

  await vscode.step('name the snapshot; the view lists it', async () => {
    await page.locator(SELECTORS.quickInputBox).waitFor({ state: 'visible', timeout: 60_000 });
    await page.locator(SELECTORS.quickInputBox).fill(SNAPSHOT);
    await page.keyboard.press('Enter');
    const text = await workbench.waitForText(snapshotRow, new RegExp(SNAPSHOT), `"${SNAPSHOT}" in the Snapshots view`, 120_000);
    assert.match(text, /\d+(\.\d+)?\s*(B|KiB|MiB|GiB)/, 'the row shows the saved state size');
  });

  await vscode.step('the kernel runs on to a breakpoint on do_sys_openat2', async () => {
    await workbench.openViewContainer('Run and Debug');
    await debug.addFunctionBreakpoint('do_sys_openat2');
    await workbench.press('F5');
    await debug.waitForTopFrame(/^do_sys_openat2$/, 180_000);
  });

  await vscode.step('Load on the snapshot brings the Call Stack back to start_kernel', async () => {
    await workbench.openViewContainer('Kernel QEMU');
    await snapshotRow.hover();
    await snapshotRow.locator('.action-label[aria-label^="Load VM Snapshot"]').click({ timeout: 30_000 });
    await workbench.openViewContainer('Run and Debug');
    await debug.waitForTopFrame(/^start_kernel$/, 120_000);
    // Variables follow: start_kernel's locals, not do_sys_openat2's.
    const locals = await workbench.waitForText(debug.variables(), /command_line/, "start_kernel's locals in Variables", 30_000);
    assert.doesNotMatch(locals, /\bdfd\b/);
  });

  await vscode.step('the view marks the snapshot the VM came from', async () => {
    await workbench.openViewContainer('Kernel QEMU');
    await workbench.waitForText(snapshotRow, /●/, 'the origin mark on the loaded snapshot', 30_000);
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
