// Where the UI test tools are: scripts/install-code-server.sh installs code-server and
// playwright-core into a cache directory (not the project's node_modules) and prints it.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '../../..');

export interface UiTools {
  /** code-server's entry (run with this node). */
  codeServer: string;
  /** playwright-core's package directory. */
  playwrightCore: string;
  chromium: string;
}

let cached: UiTools | undefined;

/** Runs the (idempotent) install script once per process; fails with its output when it cannot install. */
export function uiTools(): UiTools {
  if (cached) return cached;
  const dir = execFileSync('bash', [path.join(ROOT, 'scripts/install-code-server.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  const tools: UiTools = {
    codeServer: path.join(dir, 'node_modules/code-server/out/node/entry.js'),
    playwrightCore: path.join(dir, 'node_modules/playwright-core'),
    chromium: process.env.KERNEL_QEMU_CHROMIUM ?? '/usr/bin/chromium',
  };
  for (const file of [tools.codeServer, tools.playwrightCore, tools.chromium]) {
    if (!existsSync(file)) throw new Error(`${file} is missing after scripts/install-code-server.sh`);
  }
  cached = tools;
  return tools;
}
