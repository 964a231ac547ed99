// What a person does and sees in the VS Code workbench, as playwright calls on its DOM.
import type { Locator, Page } from './playwright';
import { until } from './waitFor';

export const SELECTORS = {
  workbench: '.monaco-workbench',
  quickInput: '.quick-input-widget',
  quickInputBox: '.quick-input-widget .quick-input-box input',
  quickInputRows: '.quick-input-widget .quick-input-list .monaco-list-row',
  notifications: '.notifications-toasts .notification-toast',
  notificationMessage: '.notification-list-item-message',
  statusSelection: '#status\\.editor\\.selection',
  activeTab: '.editor-group-container.active .tab.active',
  topStackFrameLine: '.monaco-editor .debug-top-stack-frame-line',
  debugToolbar: '.debug-toolbar',
  dialog: '.monaco-dialog-box',
} as const;

export class Workbench {
  constructor(readonly page: Page) {}

  async waitReady(timeoutMs = 90_000): Promise<void> {
    await this.page.locator(SELECTORS.workbench).waitFor({ state: 'visible', timeout: timeoutMs });
    // The activity bar and the status bar are there once the workbench has restored.
    await this.page.locator('.part.activitybar').waitFor({ state: 'visible', timeout: timeoutMs });
    await this.page.locator('.part.statusbar').waitFor({ state: 'visible', timeout: timeoutMs });
  }

  /** The activity bar entry of a view container (e.g. "Kernel QEMU"). */
  activityBarItem(title: string): Locator {
    return this.page.locator(`.part.activitybar .action-label[aria-label^="${title}"]`);
  }

  /** Shows a view container of the activity bar (a click on the active one would hide it). */
  async openViewContainer(title: string): Promise<void> {
    const label = this.page.locator(`.action-label[aria-label^="${title}"]`);
    const item = this.page.locator('.part.activitybar .action-item').filter({ has: label }).first();
    await item.waitFor({ state: 'visible', timeout: 30_000 });
    if (!/\bchecked\b/.test((await item.getAttribute('class')) ?? '')) await item.click();
    await until(
      `the ${title} view container`,
      async () => (/\bchecked\b/.test((await item.getAttribute('class')) ?? '') ? true : undefined),
      15_000,
    );
  }

  /** A key (or chord, "Shift+F5") to whatever has the focus, as a person would press it. */
  async press(key: string): Promise<void> {
    await this.page.keyboard.press(key);
  }

  /** The text of every element matching `selector`, joined by newlines. */
  async text(selector: string | Locator): Promise<string> {
    const locator = typeof selector === 'string' ? this.page.locator(selector) : selector;
    return (await locator.allInnerTexts()).join('\n');
  }

  /** Waits until the text of `selector` matches `pattern`; returns the text. */
  async waitForText(selector: string | Locator, pattern: RegExp, what: string, timeoutMs = 60_000): Promise<string> {
    return until(
      what,
      async () => {
        const text = await this.text(selector);
        return pattern.test(text) ? text : undefined;
      },
      timeoutMs,
      () => this.text(selector),
    );
  }

  /** F1, type a command's title, run the row whose label is exactly that title. */
  async runCommand(title: string, timeoutMs = 30_000): Promise<void> {
    await this.openQuickInput('F1');
    await this.page.keyboard.insertText(title);
    await this.pickQuickInputRow(title, timeoutMs);
  }

  /**
   * Waits until the command palette lists a command (its extension's contributions are
   * registered). The palette reads the commands when it opens: it is opened again each try.
   */
  async waitForCommand(title: string, timeoutMs: number): Promise<void> {
    const row = this.page.locator(SELECTORS.quickInputRows).filter({ hasText: title }).first();
    await until(
      `"${title}" in the command palette`,
      async () => {
        await this.openQuickInput('F1');
        await this.page.keyboard.insertText(title);
        const listed = await row.waitFor({ state: 'attached', timeout: 3_000 }).then(
          () => true,
          () => false,
        );
        await this.page.keyboard.press('Escape');
        return listed ? true : undefined;
      },
      timeoutMs,
      () => this.text(SELECTORS.quickInputRows),
    );
  }

  async openQuickInput(key: string): Promise<void> {
    await this.page
      .locator(SELECTORS.workbench)
      .click({ position: { x: 5, y: 5 } })
      .catch(() => undefined);
    await this.page.keyboard.press(key);
    await this.page.locator(SELECTORS.quickInputBox).waitFor({ state: 'visible', timeout: 15_000 });
  }

  /** Waits for a quick-input row with this label, then picks it (Enter on the focused row, else a click). */
  async pickQuickInputRow(label: string, timeoutMs = 30_000): Promise<void> {
    const row = this.page.locator(SELECTORS.quickInputRows).filter({ hasText: label }).first();
    await until(
      `a quick-pick row "${label}"`,
      async () => ((await row.count()) > 0 ? true : undefined),
      timeoutMs,
      () => this.text(SELECTORS.quickInputRows),
    );
    await row.click();
    await this.page
      .locator(SELECTORS.quickInputBox)
      .waitFor({ state: 'hidden', timeout: 15_000 })
      .catch(() => undefined);
  }

  /** Opens a file by its absolute path through Quick Open (Ctrl+P), as a person would. */
  async openFile(file: string, tabName: RegExp): Promise<void> {
    await this.openQuickInput('Control+P');
    await this.page.keyboard.insertText(file);
    await this.pickQuickInputRow(file.slice(file.lastIndexOf('/') + 1));
    await this.waitForText(SELECTORS.activeTab, tabName, `${file} as the active editor tab`, 30_000);
  }

  /** The text of a modal dialog on screen ("" when there is none). */
  async dialogText(): Promise<string> {
    return this.text(SELECTORS.dialog);
  }

  /** The messages of the notification toasts on screen. */
  async notifications(): Promise<string> {
    return this.text(`${SELECTORS.notifications} ${SELECTORS.notificationMessage}`);
  }

  /** The view pane (in any side bar or panel) whose header title is `title`, e.g. "Call Stack". */
  pane(title: string): Locator {
    const heading = this.page.locator('.pane-header .title').filter({ hasText: new RegExp(`^\\s*${escapeRegExp(title)}\\s*$`, 'i') });
    return this.page.locator('.pane').filter({ has: heading });
  }

  paneBody(title: string): Locator {
    return this.pane(title).locator('.pane-body');
  }

  /** Expands a collapsed view pane. */
  async expandPane(title: string): Promise<void> {
    const header = this.pane(title).locator('.pane-header').first();
    await header.waitFor({ state: 'visible', timeout: 30_000 });
    if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
  }

  /** The line of the cursor from the status bar ("Ln 1000, Col 1"). */
  async cursorLine(): Promise<number | undefined> {
    const text = await this.text(SELECTORS.statusSelection);
    const match = /Ln (\d+)/.exec(text);
    return match?.[1] ? Number(match[1]) : undefined;
  }
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
