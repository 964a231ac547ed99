// F5 from the editors of a kernel tree with no launch.json (a stand-in tree holding Debian's
// x86_64 kernel): from .config the session starts at once, with no offer to search the
// Marketplace for a "Kconfig" debugger; from a .S file (plain text without an assembly
// extension) the debugger picker offers Kernel (QEMU); the Run and Debug list of discovered
// configurations names the tree once.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { DebugViews } from './harness/debugViews';
import type { VsCode } from './harness/fixture';
import { builtKernelTreeStandIn, closeStandInTree, openOnStandInTree } from './harness/kernelTree';
import { fetchedKernel } from './harness/kernels';
import { until } from './harness/waitFor';
import { SELECTORS } from './harness/workbench';

const folder = mkdtempSync(path.join(os.tmpdir(), 'kernel-qemu-ui-linux-'));
const CONFIG_NAME = `Kernel (QEMU): ${path.basename(folder)} (x86_64)`;
const ENTRY_S = path.join(folder, 'arch/x86/entry/entry_64.S');
let vscode: VsCode;

before(async () => {
  // A built tree: vmlinux at the top, the bzImage where make leaves it, an initramfs beside them.
  const kernel = fetchedKernel('x86_64');
  builtKernelTreeStandIn(folder, kernel);
  mkdirSync(path.dirname(ENTRY_S), { recursive: true });
  writeFileSync(ENTRY_S, 'SYM_CODE_START(entry_SYSCALL_64)\n\tswapgs\nSYM_CODE_END(entry_SYSCALL_64)\n');
  symlinkSync(kernel.initrd, path.join(folder, 'initrd.gz'));
  vscode = await openOnStandInTree('kernel-tree-f5', folder);
});

after(() => closeStandInTree(vscode, folder));

test('F5 from .config and from a .S file reaches kernel-qemu; the tree is listed once', { timeout: 600_000 }, async () => {
  const debug = new DebugViews(vscode.workbench);
  const { workbench, page } = { workbench: vscode.workbench, page: vscode.workbench.page };

  await vscode.step('.config open in the editor', () => workbench.openFile(path.join(folder, '.config'), /\.config/));

  await vscode.step('F5 starts the kernel: no Marketplace prompt', async () => {
    await workbench.press('F5');
    // A dialog (the Marketplace offer: "You don't have an extension for debugging Kconfig") fails at once.
    const seen = await until(
      'start_kernel, or a dialog',
      async () => {
        const dialog = await workbench.dialogText();
        if (dialog) return `dialog: ${dialog}`;
        return (await debug.topFrameName()) === 'start_kernel' ? 'start_kernel' : undefined;
      },
      240_000,
    );
    assert.equal(seen, 'start_kernel', 'a session stopped at start_kernel, not a dialog');
  });

  await vscode.step('Shift+F5 ends it', async () => {
    await workbench.press('Shift+F5');
    await debug.waitForNoSession(60_000);
    await until('QEMU and gdb to exit', async () => (vscode.sessionProcesses().length === 0 ? true : undefined), 30_000);
  });

  await vscode.step('the discovered configurations name the tree once', async () => {
    await workbench.runCommand('Debug: Select and Start Debugging');
    await workbench.pickQuickInputRow('Kernel (QEMU)...');
    const rows = page.locator(SELECTORS.quickInputRows).filter({ hasText: CONFIG_NAME });
    await until(
      'the discovered configuration in the list',
      async () => ((await rows.count()) > 0 ? true : undefined),
      30_000,
      () => workbench.text(SELECTORS.quickInputRows),
    );
    // The list is filled per folder; give a second answer (the old "user settings" one) time to arrive.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const listed = await workbench.text(SELECTORS.quickInputRows);
    assert.equal(await rows.count(), 1, `listed once:\n${listed}`);
    assert.doesNotMatch(listed, /user settings/);
  });

  await vscode.step('F5 from a .S file offers Kernel (QEMU), not the Marketplace', async () => {
    await workbench.press('Escape');
    await workbench.openFile(ENTRY_S, /entry_64\.S/);
    await workbench.press('F5');
    const picker = await workbench.waitForText(
      SELECTORS.quickInputRows,
      /Kernel \(QEMU\)/,
      'the debugger picker offering Kernel (QEMU)',
      30_000,
    );
    assert.equal(await workbench.dialogText(), '', 'no Marketplace dialog');
    assert.match(picker, /Kernel \(QEMU\)/);
  });

  await vscode.step('picking it starts the kernel', async () => {
    const row = page.locator(SELECTORS.quickInputRows).filter({ hasText: 'Kernel (QEMU)' }).filter({ hasNotText: 'options' }).first();
    await row.click();
    await debug.waitForTopFrame(/^start_kernel$/, 240_000);
    await workbench.press('Shift+F5');
    await debug.waitForNoSession(60_000);
    await until('QEMU and gdb to exit', async () => (vscode.sessionProcesses().length === 0 ? true : undefined), 30_000);
  });
});
