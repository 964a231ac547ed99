// playwright-core lives in the UI tools cache, not in the project's node_modules: it is loaded
// from there, and this is the small part of its API the harness uses (the names are playwright's).
import { createRequire } from 'node:module';
import * as path from 'node:path';

export interface Locator {
  click(options?: { timeout?: number; button?: 'left' | 'right'; position?: { x: number; y: number } }): Promise<void>;
  dblclick(options?: { timeout?: number }): Promise<void>;
  hover(options?: { timeout?: number }): Promise<void>;
  fill(value: string, options?: { timeout?: number }): Promise<void>;
  press(key: string, options?: { timeout?: number }): Promise<void>;
  waitFor(options?: { state?: 'attached' | 'detached' | 'visible' | 'hidden'; timeout?: number }): Promise<void>;
  innerText(options?: { timeout?: number }): Promise<string>;
  allInnerTexts(): Promise<string[]>;
  getAttribute(name: string, options?: { timeout?: number }): Promise<string | null>;
  isVisible(): Promise<boolean>;
  count(): Promise<number>;
  first(): Locator;
  last(): Locator;
  nth(index: number): Locator;
  locator(selector: string): Locator;
  filter(options: { hasText?: string | RegExp; hasNotText?: string | RegExp; has?: Locator }): Locator;
}

export interface Keyboard {
  press(key: string): Promise<void>;
  type(text: string, options?: { delay?: number }): Promise<void>;
  insertText(text: string): Promise<void>;
}

export interface Page {
  goto(url: string, options?: { timeout?: number; waitUntil?: 'load' | 'domcontentloaded' | 'commit' }): Promise<unknown>;
  screenshot(options: { path: string; timeout?: number }): Promise<unknown>;
  locator(selector: string): Locator;
  keyboard: Keyboard;
  on(event: 'console', listener: (message: { type(): string; text(): string }) => void): void;
  on(event: 'pageerror', listener: (error: Error) => void): void;
}

export interface BrowserContext {
  pages(): Page[];
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

export interface Chromium {
  launchPersistentContext(
    userDataDir: string,
    options: { executablePath: string; headless: boolean; args: string[]; viewport: { width: number; height: number }; timeout?: number },
  ): Promise<BrowserContext>;
}

export function loadChromium(playwrightCoreDir: string): Chromium {
  const load = createRequire(path.join(playwrightCoreDir, 'package.json'));
  return (load(playwrightCoreDir) as { chromium: Chromium }).chromium;
}
