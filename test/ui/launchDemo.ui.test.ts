// F5 on the demo workspace (Debian's x86_64 debug kernel), in a real VS Code with the extension
// installed from the .vsix: what a person sees in the Call Stack, the editor, Variables and
// Breakpoints, through Continue, Step Over and Shift+F5.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { demoConfig, writeLaunchJson } from '../../scripts/demoWorkspace';
import { VsCode } from './harness/fixture';
import { fetchedKernel } from './harness/kernels';
import { ROOT } from './harness/tools';
import { DebugViews } from './harness/debugViews';
import { until } from './harness/waitFor';
import { SELECTORS } from './harness/workbench';

const SOURCE_TREE = execFileSync('bash', [path.join(ROOT, 'scripts/fetch-kernel-source.sh')], { encoding: 'utf8' }).trim();
const folder = mkdtempSync(path.join(os.tmpdir(), 'kernel-qemu-ui-demo-'));
let vscode: VsCode;

before(async () => {
  // The demo's configuration, with the kernel's sources and two vCPUs (so the Call Stack lists threads).
  fetchedKernel('x86_64');
  writeLaunchJson(folder, [{ ...demoConfig(), sourceRoot: SOURCE_TREE, smp: 2 }]);
  vscode = await VsCode.open({ name: 'launch-demo', folder, extension: 'vsix' });
});

after(async () => {
  try {
    await vscode?.close();
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

/** The line of `void start_kernel(void)` in the tree's init/main.c (gdb stops there or on its `{`). */
function startKernelLine(): number {
  const lines = readFileSync(path.join(SOURCE_TREE, 'init/main.c'), 'utf8').split('\n');
  const index = lines.findIndex((line) => /^void start_kernel\(void\)/.test(line) || /start_kernel\(void\)$/.test(line));
  assert.ok(index >= 0, 'start_kernel not found in init/main.c');
  return index + 1;
}

test('F5 on the demo workspace: start_kernel, sources, variables, a breakpoint, step, stop', { timeout: 600_000 }, async () => {
  const debug = new DebugViews(vscode.workbench);
  const { workbench } = vscode;

  await vscode.step('Run and Debug lists the demo configuration', () => debug.openRunAndDebug(String(demoConfig().name)));

  await vscode.step('F5 stops at start_kernel', async () => {
    await workbench.press('F5');
    await debug.waitForTopFrame(/^start_kernel$/, 240_000);
  });

  await vscode.step('Call Stack shows a CPU thread', async () => {
    const text = await workbench.waitForText(debug.callStack(), /CPU \d/, 'a vCPU thread ("CPU n") in the Call Stack');
    assert.match(text, /start_kernel/);
  });

  await vscode.step('editor shows init/main.c at start_kernel', async () => {
    await workbench.waitForText(SELECTORS.activeTab, /main\.c/, 'init/main.c as the active editor tab');
    const frameLine = await debug.topFrameLine();
    const declared = startKernelLine();
    assert.ok(
      frameLine === declared || frameLine === declared + 1,
      `the top frame is at line ${frameLine}; start_kernel is declared at line ${declared}`,
    );
    const cursor = await until(
      'the cursor on the top frame line',
      async () => ((await workbench.cursorLine()) === frameLine ? frameLine : undefined),
      30_000,
      async () => `Ln ${await workbench.cursorLine()}`,
    );
    assert.equal(cursor, frameLine);
    assert.ok((await debug.topFrameLineDecorations()) > 0, 'the editor highlights the top stack frame line');
    const breadcrumbs = await workbench.text('.breadcrumbs-control');
    assert.match(breadcrumbs, /init/);
  });

  await vscode.step('Variables shows Locals and Registers', async () => {
    const text = await workbench.waitForText(
      debug.variables(),
      /Locals[\s\S]*Registers|Registers[\s\S]*Locals/,
      'the Locals and Registers scopes',
    );
    assert.match(text, /command_line|after_dashes/, "start_kernel's locals are listed");
  });

  await vscode.step('function breakpoint on do_sys_openat2 in the Breakpoints view', async () => {
    await debug.addFunctionBreakpoint('do_sys_openat2');
    await workbench.waitForText(debug.breakpoints(), /do_sys_openat2/, 'do_sys_openat2 in the Breakpoints view');
  });

  await vscode.step('Continue stops at do_sys_openat2', async () => {
    await workbench.press('F5');
    await debug.waitForTopFrame(/^do_sys_openat2$/, 180_000);
    await workbench.waitForText(SELECTORS.activeTab, /open\.c/, 'fs/open.c as the active editor tab');
  });

  const before = await debug.topFrameLine();
  await vscode.step('Step Over moves the highlighted line', async () => {
    await workbench.press('F10');
    const moved = await until(
      'the top frame line to move after Step Over',
      async () => {
        const [name, line] = [await debug.topFrameName(), await debug.topFrameLine()];
        return name === 'do_sys_openat2' && line !== undefined && line !== before ? line : undefined;
      },
      120_000,
      async () => `${await debug.topFrameName()} at line ${await debug.topFrameLine()} (before: ${before})`,
    );
    await until(
      'the cursor on the new line',
      async () => ((await workbench.cursorLine()) === moved ? true : undefined),
      30_000,
      async () => `Ln ${await workbench.cursorLine()}, frame line ${moved}`,
    );
    assert.ok((await debug.topFrameLineDecorations()) > 0, 'the new line is highlighted');
    // The Variables view follows the new stop (no stale-frame error in it or in a notification).
    await workbench.waitForText(debug.variables(), /Locals[\s\S]*Registers/, 'Locals and Registers after the step');
    assert.doesNotMatch(await workbench.text(debug.variables()), /Unknown|error/i);
    assert.equal(await workbench.notifications(), '', 'no error notification after Step Over');
  });

  await vscode.step('Shift+F5 ends the session; no QEMU or gdb remains', async () => {
    assert.ok(vscode.sessionProcesses().length >= 2, 'QEMU and gdb run during the session');
    await workbench.press('Shift+F5');
    await debug.waitForNoSession(60_000);
    const left = await until(
      'QEMU and gdb to exit',
      async () => (vscode.sessionProcesses().length === 0 ? true : undefined),
      30_000,
      async () =>
        vscode
          .sessionProcesses()
          .map((p) => `${p.pid} ${p.comm}`)
          .join('\n'),
    );
    assert.equal(left, true);
  });
});
