// The Run and Debug views as a person reads them: Call Stack, Variables, Breakpoints.
import type { Locator } from './playwright';
import { until } from './waitFor';
import { escapeRegExp, type Workbench } from './workbench';

export class DebugViews {
  constructor(private readonly workbench: Workbench) {}

  callStack(): Locator {
    return this.workbench.page.locator('.pane-body.debug-call-stack');
  }

  variables(): Locator {
    return this.workbench.page.locator('.pane-body.debug-variables');
  }

  breakpoints(): Locator {
    return this.workbench.page.locator('.pane-body.debug-breakpoints');
  }

  /**
   * Opens Run and Debug and waits until its launch list names `configName`. F5 pressed before VS
   * Code has read launch.json and the debuggers (a few seconds after the workbench shows) does nothing.
   */
  async openRunAndDebug(configName: string, timeoutMs = 60_000): Promise<void> {
    await this.workbench.press('Control+Shift+D');
    await this.workbench.waitForText(
      'select[aria-label="Debug Launch Configurations"]',
      new RegExp(escapeRegExp(configName)),
      `"${configName}" in the Run and Debug launch list`,
      timeoutMs,
    );
  }

  /**
   * The top frame of the thread that stopped: with one thread VS Code lists only its frames;
   * with several, the frames follow the thread row that says "Paused on ...". (Not the
   * selected row: VS Code focuses the first frame whose source it can open.)
   */
  private async topFrame(): Promise<Locator | undefined> {
    const page = this.workbench.page;
    const rows = this.callStack().locator('.monaco-list-row');
    const threads = rows.filter({ has: page.locator('.thread') });
    if ((await threads.count()) === 0) {
      const first = rows.filter({ has: page.locator('.stack-frame') }).first();
      return (await first.count()) > 0 ? first.locator('.stack-frame') : undefined;
    }
    const stopped = threads.filter({ hasText: /paused on/i }).first();
    if ((await stopped.count()) === 0) return undefined;
    const index = Number(await stopped.getAttribute('data-index', { timeout: 5_000 }));
    const next = this.callStack().locator(`.monaco-list-row[data-index="${index + 1}"] .stack-frame`);
    return (await next.count()) > 0 ? next : undefined;
  }

  async topFrameName(): Promise<string | undefined> {
    const frame = await this.topFrame();
    return frame ? (await frame.locator('.label.expression').innerText({ timeout: 5_000 })).trim() : undefined;
  }

  /** The line in the top frame's badge ("913:1" -> 913). */
  async topFrameLine(): Promise<number | undefined> {
    const badge = (await this.topFrame())?.locator('.line-number');
    if (!badge || (await badge.count()) === 0) return undefined;
    const match = /^(\d+)/.exec((await badge.innerText({ timeout: 5_000 })).trim());
    return match?.[1] ? Number(match[1]) : undefined;
  }

  async waitForTopFrame(name: RegExp, timeoutMs: number): Promise<string> {
    return until(
      `a top stack frame matching ${name}`,
      async () => {
        const top = await this.topFrameName();
        return top !== undefined && name.test(top) ? top : undefined;
      },
      timeoutMs,
      async () => `Call Stack:\n${await this.workbench.text(this.callStack())}\nNotifications:\n${await this.workbench.notifications()}`,
    );
  }

  /** How many editor lines carry the top-stack-frame highlight. */
  async topFrameLineDecorations(): Promise<number> {
    return this.workbench.page.locator('.monaco-editor .debug-top-stack-frame-line').count();
  }

  /** The Breakpoints view's "Add Function Breakpoint" action, then the name typed into its input. */
  async addFunctionBreakpoint(name: string): Promise<void> {
    await this.workbench.expandPane('Breakpoints');
    const pane = this.workbench.pane('Breakpoints');
    await pane.locator('.pane-header').first().hover();
    await pane.locator('.pane-header .action-label[aria-label="Add Function Breakpoint"]').click({ timeout: 15_000 });
    const input = this.breakpoints().locator('.monaco-inputbox input').first();
    await input.waitFor({ state: 'visible', timeout: 15_000 });
    await input.fill(name);
    await input.press('Enter');
  }

  /** No debug session: the debug toolbar is gone and the Call Stack is empty. */
  async waitForNoSession(timeoutMs: number): Promise<void> {
    await until(
      'the debug session to end',
      async () => {
        const toolbarVisible = await this.workbench.page.locator('.debug-toolbar').isVisible();
        const frames = await this.callStack().locator('.monaco-list-row').count();
        return !toolbarVisible && frames === 0 ? true : undefined;
      },
      timeoutMs,
      async () => this.workbench.text(this.callStack()),
    );
  }
}
