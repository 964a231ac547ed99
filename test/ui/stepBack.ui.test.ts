// Time travel in a real VS Code: a boot of Debian's arm64 kernel recorded through the adapter
// (record, to the first do_sys_openat2), then replayed from a launch.json configuration. The
// replay session shows the Step Back button; after two Step Overs, Step Back returns the
// highlighted line and the cursor to the line before. (aarch64: on x86_64 QEMU 7.2's reverse
// runs deadlock, see test/adapter/recordReplay.test.ts.)
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { writeLaunchJson } from '../../scripts/demoWorkspace';
import { launchConfig, launchRunning, startClient, stopClient, testKernel } from '../adapter/support';
import { DebugViews } from './harness/debugViews';
import { VsCode } from './harness/fixture';
import { ROOT } from './harness/tools';
import { until } from './harness/waitFor';

const folder = mkdtempSync(path.join(os.tmpdir(), 'kernel-qemu-ui-replay-'));
const recording = path.join(folder, 'boot.rr');
const CONFIG_NAME = 'Replay the recorded boot (aarch64)';
const STEP_BACK = '.debug-toolbar .action-label.codicon-debug-step-back';
const REVERSE_MS = 600_000;
let vscode: VsCode;

/**
 * Records a boot through the adapter, as a "record" launch would, to the third do_sys_openat2:
 * the replay's steps after the first one then run inside the recording (past its end QEMU's
 * replay has nothing left to run, and a step there never ends).
 */
async function recordBoot(config: Record<string, unknown>): Promise<void> {
  const client = await startClient();
  try {
    let stopped = client.waitForEvent('stopped', 300_000) as Promise<DebugProtocol.StoppedEvent>;
    await launchRunning(client, { ...config, record: recording }, () =>
      client.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'do_sys_openat2' }] }),
    );
    for (let hit = 1; hit < 3; hit++) {
      const threadId = (await stopped).body.threadId ?? 1;
      stopped = client.waitForEvent('stopped', 300_000) as Promise<DebugProtocol.StoppedEvent>;
      await client.continueRequest({ threadId });
    }
    await stopped;
  } finally {
    await stopClient(client);
  }
}

before(async () => {
  const kernel = testKernel('aarch64');
  const config = launchConfig(kernel, { stopAtEntry: false });
  await recordBoot(config);
  const sourceRoot = execFileSync('bash', [path.join(ROOT, 'scripts/fetch-kernel-source.sh')], { encoding: 'utf8' }).trim();
  writeLaunchJson(folder, [{ ...config, name: CONFIG_NAME, replay: recording, sourceRoot }]);
  vscode = await VsCode.open({ name: 'step-back', folder, extension: 'vsix', settings: { 'kernelQemu.serialTerminal': 'never' } });
});

after(async () => {
  try {
    await vscode?.close();
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test('a replay shows Step Back, and Step Back moves the highlighted line back', { timeout: 3 * REVERSE_MS }, async () => {
  const { workbench } = vscode;
  const debug = new DebugViews(workbench);
  const lineAfter = async (action: () => Promise<void>, what: string): Promise<number> => {
    const before = await debug.topFrameLine();
    await action();
    return until(
      what,
      async () => {
        const line = await debug.topFrameLine();
        return (await debug.topFrameName()) === 'do_sys_openat2' && line !== undefined && line !== before ? line : undefined;
      },
      REVERSE_MS,
      async () => workbench.text(debug.callStack()),
    );
  };
  let lines: number[] = [];

  await vscode.step('F5 replays the recording to the breakpoint in do_sys_openat2', async () => {
    await debug.openRunAndDebug(CONFIG_NAME);
    await debug.addFunctionBreakpoint('do_sys_openat2');
    await workbench.press('F5');
    await debug.waitForTopFrame(/^do_sys_openat2$/, 300_000);
    const first = await debug.topFrameLine();
    assert.ok(first !== undefined, 'the top frame has a line');
    lines = [first];
  });

  await vscode.step('the debug toolbar has Step Back; two Step Overs move down do_sys_openat2', async () => {
    assert.equal(await workbench.page.locator(STEP_BACK).count(), 1, 'Step Back in the debug toolbar');
    // The breakpoint stays hit while stepping through its own function: remove nothing, step.
    lines.push(await lineAfter(() => workbench.press('F10'), 'the first Step Over'));
    lines.push(await lineAfter(() => workbench.press('F10'), 'the second Step Over'));
    assert.notEqual(lines[2], lines[1]);
  });

  await vscode.step('Step Back returns to the line of the first Step Over, highlighted, with the cursor on it', async () => {
    const back = await lineAfter(() => workbench.page.locator(STEP_BACK).click(), 'Step Back');
    assert.equal(back, lines[1], `Step Back went to line ${back}; the lines were ${lines.join(', ')}`);
    await until(
      'the editor to highlight the stop line',
      async () => ((await debug.topFrameLineDecorations()) > 0 ? true : undefined),
      30_000,
    );
    assert.equal(await workbench.cursorLine(), back, 'the cursor is on the line Step Back went to');
    await workbench.waitForText(debug.variables(), /filename =\s*0x[0-9a-f]+ "/, "the line's locals in the Variables view", 60_000);
  });

  await vscode.step('Shift+F5 ends the replay', async () => {
    await workbench.press('Shift+F5');
    await debug.waitForNoSession(60_000);
    await until('QEMU and gdb to exit', async () => (vscode.sessionProcesses().length === 0 ? true : undefined), 30_000);
  });
});
