// code-server on 127.0.0.1 with its own user-data, extensions and XDG dirs, started with an
// argv array; stopped by pid (the whole tree: server, extension host, what the extension ran).
import { spawn, execFile } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { killTree, waitGone, descendants, INSTANCE_VARIABLE } from './processes';

export interface CodeServerDirs {
  /** Everything below this directory belongs to this instance. */
  base: string;
  userData: string;
  extensions: string;
  home: string;
}

export interface CodeServer {
  pid: number;
  origin: string;
  logFile: string;
  stop(): Promise<void>;
}

const SERVER_ARGS = [
  '--auth',
  'none',
  '--disable-telemetry',
  '--disable-update-check',
  '--disable-workspace-trust',
  '--disable-getting-started-override',
];

export function codeServerDirs(base: string): CodeServerDirs {
  const dirs: CodeServerDirs = {
    base,
    userData: path.join(base, 'user-data'),
    extensions: path.join(base, 'extensions'),
    home: path.join(base, 'home'),
  };
  for (const dir of [dirs.userData, dirs.extensions, dirs.home]) mkdirSync(dir, { recursive: true });
  return dirs;
}

/** The environment code-server runs in: nothing written to the real home; the kernel cache (kernels, gdb index) shared. */
function serverEnv(dirs: CodeServerDirs, kernelCache: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // The test runner's own variables are not the extension host's business.
  for (const key of Object.keys(env)) if (key.startsWith('NODE_TEST') || key === 'NODE_OPTIONS') delete env[key];
  return {
    ...env,
    HOME: dirs.home,
    XDG_CONFIG_HOME: path.join(dirs.home, '.config'),
    XDG_DATA_HOME: path.join(dirs.home, '.local/share'),
    XDG_STATE_HOME: path.join(dirs.home, '.local/state'),
    XDG_CACHE_HOME: path.join(dirs.home, '.cache'),
    KERNEL_QEMU_CACHE: kernelCache,
    // Marks every process started below code-server, even one reparented later (processes.ts).
    [INSTANCE_VARIABLE]: dirs.base,
  };
}

function commonArgs(dirs: CodeServerDirs): string[] {
  return ['--config', path.join(dirs.base, 'config.yaml'), '--user-data-dir', dirs.userData, '--extensions-dir', dirs.extensions];
}

/** `code-server --install-extension VSIX` into this instance's extensions dir. */
export async function installExtension(entry: string, dirs: CodeServerDirs, vsix: string, kernelCache: string): Promise<void> {
  const { stdout } = await promisify(execFile)(process.execPath, [entry, ...commonArgs(dirs), '--install-extension', vsix], {
    env: serverEnv(dirs, kernelCache),
    timeout: 120_000,
  });
  if (!/was successfully installed/.test(stdout)) throw new Error(`installing ${vsix} into code-server failed:\n${stdout}`);
}

export function writeUserSettings(dirs: CodeServerDirs, settings: Record<string, unknown>): void {
  mkdirSync(path.join(dirs.userData, 'User'), { recursive: true });
  writeFileSync(path.join(dirs.userData, 'User/settings.json'), `${JSON.stringify(settings, null, 2)}\n`);
}

/**
 * Starts code-server on 127.0.0.1 (a port the kernel picks) and waits until /healthz answers.
 * workspaceTrust: Workspace Trust on (code-server turns it off by default here), so a folder
 * nobody trusted opens in Restricted Mode.
 */
export async function startCodeServer(
  entry: string,
  dirs: CodeServerDirs,
  kernelCache: string,
  timeoutMs = 60_000,
  workspaceTrust = false,
): Promise<CodeServer> {
  const logFile = path.join(dirs.base, 'code-server.log');
  const log = createWriteStream(logFile);
  const serverArgs = workspaceTrust ? SERVER_ARGS.filter((arg) => arg !== '--disable-workspace-trust') : SERVER_ARGS;
  const child = spawn(process.execPath, [entry, ...commonArgs(dirs), ...serverArgs, '--bind-addr', '127.0.0.1:0'], {
    env: serverEnv(dirs, kernelCache),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('code-server did not start');
  let output = '';
  const origin = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`code-server did not listen within ${timeoutMs} ms; log: ${logFile}\n${output}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer): void => {
      log.write(chunk);
      output += chunk.toString();
      const match = /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`code-server exited (code ${code}, signal ${signal}) before listening; log: ${logFile}\n${output}`));
    });
  });
  await waitHealthy(origin, timeoutMs);
  let stopped = false;
  return {
    pid,
    origin,
    logFile,
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      const tree = [pid, ...descendants(pid).map((p) => p.pid)];
      await killTree(pid, 'SIGTERM');
      const left = await waitGone(tree, 10_000);
      for (const leftover of left) await killTree(leftover, 'SIGKILL');
      log.end();
    },
  };
}

async function waitHealthy(origin: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${origin}/healthz`);
      if (response.ok) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${origin}/healthz did not answer within ${timeoutMs} ms (${last})`);
}

/** code-server's log so far (for failure messages). */
export function readLog(server: CodeServer): string {
  try {
    return readFileSync(server.logFile, 'utf8');
  } catch {
    return '';
  }
}
