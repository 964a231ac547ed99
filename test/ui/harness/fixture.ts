// One real VS Code per test file: code-server (fresh user-data, extensions and XDG dirs in a
// temp dir) with the extension loaded from this checkout or installed from the .vsix, and a
// headless chromium showing the workbench. Steps take a screenshot each, under
// test-output/ui/<name>/NN-step.png; a failed step's screenshot path is in the error.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { launchBrowser, type Browser } from './browser';
import { codeServerDirs, installExtension, startCodeServer, writeUserSettings, type CodeServer } from './codeServer';
import type { Page } from './playwright';
import { descendants, isSessionProcess, killTree, listProcesses, markedSessionProcesses, waitGone, type ProcessInfo } from './processes';
import { ROOT, uiTools } from './tools';
import { Workbench } from './workbench';

export const KERNEL_CACHE = process.env.KERNEL_QEMU_CACHE ?? path.join(os.homedir(), '.cache/kernel-qemu');
export const VSIX = path.join(ROOT, 'dist/kernel-qemu.vsix');
export const OUTPUT_ROOT = path.join(ROOT, 'test-output/ui');

export interface VsCodeOptions {
  /** Names the screenshot directory test-output/ui/<name>. */
  name: string;
  /** The folder to open. */
  folder: string;
  /** 'vsix': install dist/kernel-qemu.vsix (npm run package); 'development': load this checkout (npm run build). */
  extension: 'vsix' | 'development';
  settings?: Record<string, unknown>;
  /** Workspace Trust on and the folder not trusted: the workbench opens it in Restricted Mode. */
  restricted?: boolean;
}

/** Trust on, no start-up prompt: a folder nobody trusted stays in Restricted Mode. */
const RESTRICTED_SETTINGS: Record<string, unknown> = {
  'security.workspace.trust.enabled': true,
  'security.workspace.trust.startupPrompt': 'never',
  'security.workspace.trust.emptyWindow': false,
};

const DEFAULT_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
  'editor.minimap.enabled': false,
  'chat.commandCenter.enabled': false,
  // xterm's DOM renderer: terminal text is in the DOM (.xterm-rows), where the tests read it.
  'terminal.integrated.gpuAcceleration': 'off',
};

export class VsCode {
  readonly workbench: Workbench;
  private stepNumber = 0;

  private constructor(
    readonly page: Page,
    readonly server: CodeServer,
    private readonly browser: Browser,
    readonly outputDir: string,
    private readonly tempDir: string,
  ) {
    this.workbench = new Workbench(page);
  }

  static async open(options: VsCodeOptions): Promise<VsCode> {
    const tools = uiTools();
    const artifact = options.extension === 'vsix' ? VSIX : path.join(ROOT, 'dist/extension.js');
    if (!existsSync(artifact))
      throw new Error(
        `${artifact} is missing: run '${options.extension === 'vsix' ? 'npm run package' : 'npm run build'}' (npm run test:ui does)`,
      );
    const outputDir = path.join(OUTPUT_ROOT, options.name);
    rmSync(outputDir, { recursive: true, force: true });
    mkdirSync(outputDir, { recursive: true });
    const tempDir = mkdtempSync(path.join(os.tmpdir(), 'kernel-qemu-ui-'));
    const dirs = codeServerDirs(tempDir);
    writeUserSettings(dirs, { ...DEFAULT_SETTINGS, ...(options.restricted ? RESTRICTED_SETTINGS : {}), ...options.settings });
    if (options.extension === 'vsix') await installExtension(tools.codeServer, dirs, VSIX, KERNEL_CACHE);
    const server = await startCodeServer(tools.codeServer, dirs, KERNEL_CACHE, 60_000, options.restricted === true);
    let browser: Browser | undefined;
    try {
      browser = await launchBrowser(
        tools.playwrightCore,
        tools.chromium,
        path.join(tempDir, 'chromium'),
        path.join(outputDir, 'browser-console.log'),
      );
      const vscode = new VsCode(browser.page, server, browser, outputDir, tempDir);
      await browser.page.goto(workbenchUrl(server.origin, options), { timeout: 60_000, waitUntil: 'domcontentloaded' });
      await vscode.step('workbench ready', async () => {
        await vscode.workbench.waitReady();
        // The extension's contributions are registered (before that, F5 or its commands would
        // reach a workbench that does not know them). Not its view container: that shows only
        // in a kernel or buildroot workspace or during a session.
        await vscode.workbench.waitForCommand('Kernel QEMU: Check Prerequisites (QEMU, gdb)', 90_000);
      });
      return vscode;
    } catch (error) {
      await browser?.close();
      await server.stop();
      throw error;
    }
  }

  /** Runs one step of a scenario and screenshots the workbench after it (also when it fails). */
  async step<T>(name: string, action: () => Promise<T>): Promise<T> {
    this.stepNumber += 1;
    const file = path.join(
      this.outputDir,
      `${String(this.stepNumber).padStart(2, '0')}-${name.replace(/[^\w.-]+/g, '-').replace(/^-|-$/g, '')}.png`,
    );
    const started = Date.now();
    try {
      const result = await action();
      await this.screenshot(file);
      console.log(`  step ${this.stepNumber} ${name}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return result;
    } catch (error) {
      const failed = file.replace(/\.png$/, '-FAILED.png');
      await this.screenshot(failed);
      console.error(`  step ${this.stepNumber} "${name}" failed; screenshot: ${failed}; code-server log: ${this.server.logFile}`);
      if (error instanceof Error) error.message += `\n  screenshot: ${failed}`;
      throw error;
    }
  }

  private async screenshot(file: string): Promise<void> {
    await this.page
      .screenshot({ path: file, timeout: 15_000 })
      .catch((error: unknown) => console.error(`  screenshot ${file} failed: ${String(error)}`));
  }

  /**
   * QEMU, gdb and virtiofsd processes that this VS Code started: below code-server, or
   * anywhere with this instance's marker (one whose parent died was reparented to init).
   */
  sessionProcesses(): ProcessInfo[] {
    const all = listProcesses();
    const found = new Map(
      descendants(this.server.pid, all)
        .filter(isSessionProcess)
        .map((p) => [p.pid, p]),
    );
    for (const p of markedSessionProcesses(this.tempDir, all)) found.set(p.pid, p);
    return [...found.values()];
  }

  /** Ends everything by pid; fails when QEMU, gdb or virtiofsd were still running (they are killed first). */
  async close(): Promise<void> {
    const leftovers = this.sessionProcesses();
    await this.browser.close();
    await this.server.stop();
    // Stopping the server kills its tree; what escaped it (reparented) is found by its marker.
    const escaped = markedSessionProcesses(this.tempDir).filter((p) => !leftovers.some((left) => left.pid === p.pid));
    const all = [...leftovers, ...escaped];
    for (const p of all) await killTree(p.pid, 'SIGKILL');
    const stillAlive = await waitGone(
      all.map((p) => p.pid),
      5_000,
    );
    // KERNEL_QEMU_UI_KEEP=1 keeps the user-data dir (VS Code's logs: user-data/logs/*/exthost*).
    if (process.env.KERNEL_QEMU_UI_KEEP === '1') console.log(`  kept ${this.tempDir}`);
    else rmSync(this.tempDir, { recursive: true, force: true });
    if (all.length > 0) {
      const describe = (p: ProcessInfo) =>
        `  ${p.pid} (parent ${p.ppid}${p.ppid === 1 ? ', reparented to init' : ''}) ${p.cmdline.slice(0, 200)}`;
      throw new Error(
        `QEMU/gdb/virtiofsd still running when the test ended (killed now${stillAlive.length ? `, but ${stillAlive.join(', ')} survived` : ''}` +
          `):\n` +
          [...leftovers.map(describe), ...escaped.map((p) => `${describe(p)} [outlived code-server]`)].join('\n'),
      );
    }
  }
}

function workbenchUrl(origin: string, options: VsCodeOptions): string {
  const url = new URL(origin);
  url.searchParams.set('folder', options.folder);
  if (options.extension === 'development') {
    url.searchParams.set('payload', JSON.stringify([['extensionDevelopmentPath', `vscode-remote://${url.host}${ROOT}`]]));
  }
  return url.toString();
}
