// Debian's chromium, headless, driven by playwright-core, with its own profile directory.
import { appendFileSync } from 'node:fs';
import type { BrowserContext, Page } from './playwright';
import { loadChromium } from './playwright';
import { descendants, killTree, waitGone } from './processes';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export interface Browser {
  page: Page;
  close(): Promise<void>;
}

export async function launchBrowser(
  playwrightCore: string,
  executablePath: string,
  profileDir: string,
  consoleLog: string,
): Promise<Browser> {
  const chromium = loadChromium(playwrightCore);
  const context: BrowserContext = await chromium.launchPersistentContext(profileDir, {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1600, height: 1000 },
    timeout: 60_000,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (message) => appendFileSync(consoleLog, `[${message.type()}] ${message.text()}\n`));
  page.on('pageerror', (error) => appendFileSync(consoleLog, `[pageerror] ${error.message}\n`));
  return {
    page,
    async close(): Promise<void> {
      await Promise.race([context.close().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 10_000))]);
      // Whatever chromium left (it is a child of this process), by pid.
      const left = descendants(process.pid).filter((p) => p.cmdline.includes(profileDir));
      for (const p of left) await killTree(p.pid, 'SIGKILL');
      await waitGone(
        left.map((p) => p.pid),
        5_000,
      );
    },
  };
}
