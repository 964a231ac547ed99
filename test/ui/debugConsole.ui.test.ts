// What a person sees of gdb in a real VS Code at a stop: an expression typed in the Debug
// Console answers with its value and nothing else (no "Undefined command", no gdb source-line
// chatter); a Watch expression gdb cannot evaluate shows gdb's reason in place, with no error
// notification, also after the next stop; the Breakpoints view offers the kernel's exception
// filters.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { demoConfig, writeLaunchJson } from '../../scripts/demoWorkspace';
import { VsCode } from './harness/fixture';
import { fetchedKernel } from './harness/kernels';
import { ROOT } from './harness/tools';
import { DebugViews } from './harness/debugViews';
import { until } from './harness/waitFor';

const SOURCE_TREE = execFileSync('bash', [path.join(ROOT, 'scripts/fetch-kernel-source.sh')], { encoding: 'utf8' }).trim();
const folder = mkdtempSync(path.join(os.tmpdir(), 'kernel-qemu-ui-console-'));
let vscode: VsCode;

before(async () => {
  fetchedKernel('x86_64');
  writeLaunchJson(folder, [{ ...demoConfig(), sourceRoot: SOURCE_TREE }]);
  vscode = await VsCode.open({ name: 'debug-console', folder, extension: 'vsix' });
});

after(async () => {
  try {
    await vscode?.close();
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test(
  'Debug Console answers an expression with its value only; a failing Watch shows its reason in place',
  { timeout: 600_000 },
  async () => {
    const debug = new DebugViews(vscode.workbench);
    const { workbench } = vscode;
    const { page } = workbench;
    const repl = page.locator('.repl');

    await vscode.step('F5 stops at start_kernel', async () => {
      await debug.openRunAndDebug(String(demoConfig().name));
      await workbench.press('F5');
      await debug.waitForTopFrame(/^start_kernel$/, 240_000);
    });

    await vscode.step('the Breakpoints view offers Kernel panic, Oops and BUG, WARN', async () => {
      await workbench.expandPane('Breakpoints');
      await workbench.waitForText(debug.breakpoints(), /Kernel panic[\s\S]*Oops and BUG[\s\S]*WARN/, 'the three kernel exception filters');
    });

    await vscode.step('init_task.pid typed in the Debug Console prints 0 and nothing else', async () => {
      await workbench.press('Control+Shift+Y');
      const input = page.locator('.repl-input-wrapper .monaco-editor').first();
      await input.waitFor({ state: 'visible', timeout: 30_000 });
      await input.click();
      const before = await workbench.text(repl.locator('.monaco-list-row'));
      await page.keyboard.type('init_task.pid');
      await page.keyboard.press('Enter');
      const answered = await until(
        'the Debug Console to answer init_task.pid',
        async () => {
          const rows = (await repl.locator('.monaco-list-row').allInnerTexts()).map((row) => row.trim()).filter(Boolean);
          const asked = rows.lastIndexOf('init_task.pid');
          return asked >= 0 && rows.length > asked + 1 ? rows.slice(asked) : undefined;
        },
        60_000,
        () => workbench.text(repl),
      );
      assert.deepEqual(answered, ['init_task.pid', '0'], 'the expression, then its value, and nothing else');
      const all = await workbench.text(repl);
      assert.doesNotMatch(all, /Undefined command/);
      assert.doesNotMatch(all, /No such file or directory/, 'no gdb source-line chatter at the stop');
      assert.notEqual(before, all);
    });

    await vscode.step("a Watch expression gdb cannot evaluate shows gdb's reason, no notification", async () => {
      await workbench.press('Control+Shift+D');
      await workbench.expandPane('Watch');
      const pane = workbench.pane('Watch');
      await pane.locator('.pane-header').first().hover();
      await pane.locator('.pane-header .action-label[aria-label="Add Expression"]').click({ timeout: 15_000 });
      const box = workbench.paneBody('Watch').locator('.monaco-inputbox input').first();
      await box.waitFor({ state: 'visible', timeout: 15_000 });
      await box.fill('nosuchvar');
      await box.press('Enter');
      await workbench.waitForText(
        workbench.paneBody('Watch'),
        /No symbol "nosuchvar" in current context\./,
        "gdb's reason in the Watch view",
      );
      assert.equal(await workbench.notifications(), '', 'no error notification');
    });

    await vscode.step('after the next stop, the reason again, still no notification', async () => {
      await debug.addFunctionBreakpoint('do_sys_openat2');
      await workbench.press('F5');
      await debug.waitForTopFrame(/^do_sys_openat2$/, 180_000);
      await workbench.waitForText(workbench.paneBody('Watch'), /No symbol "nosuchvar" in current context\./, "gdb's reason after the stop");
      assert.equal(await workbench.notifications(), '', 'no error notification at the stop');
    });

    await vscode.step('Shift+F5 ends the session', async () => {
      await workbench.press('Shift+F5');
      await debug.waitForNoSession(60_000);
    });
  },
);
