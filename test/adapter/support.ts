// Shared fixtures for adapter tests: the real adapter (dist/adapter.js) driven over DAP
// against real QEMU, real gdb and Debian's real kernels (fetched by scripts/fetch-kernels.sh).
import type { ChildProcess } from 'node:child_process';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';

export const ROOT = path.resolve(__dirname, '../..');
export const ADAPTER = path.join(ROOT, 'dist/adapter.js');
export const CACHE = process.env.KERNEL_QEMU_CACHE ?? path.join(os.homedir(), '.cache/kernel-qemu');

export type Arch = 'x86_64' | 'aarch64';

export interface TestKernel {
  arch: Arch;
  vmlinux: string;
  kernel: string;
  initrd: string;
  dir: string;
}

/** A kernel series besides Debian's default (6.1): fetched by `fetch-kernels.sh --series`. */
export type KernelSeries = '6.12';

/** Both arches on both series: what the kernel-aware tests run on. */
export const EVERY_KERNEL: ReadonlyArray<[Arch, KernelSeries | undefined]> = [
  ['x86_64', undefined],
  ['aarch64', undefined],
  ['x86_64', '6.12'],
  ['aarch64', '6.12'],
];

/** The fetched kernel of an arch; fails loudly (never skips) when the fetch step did not run. */
export function testKernel(arch: Arch, series?: KernelSeries): TestKernel {
  const dir = path.join(CACHE, 'kernels', series ? `${arch}-${series}` : arch);
  const kernel: TestKernel = {
    arch,
    dir,
    vmlinux: path.join(dir, 'vmlinux'),
    kernel: path.join(dir, 'kernel'),
    initrd: path.join(dir, 'initrd.gz'),
  };
  for (const file of [kernel.vmlinux, kernel.kernel, kernel.initrd]) {
    assert.ok(
      existsSync(file),
      `${file} is missing: run 'npm run fetch-kernels${series ? ` -- --series ${series}` : ''}' (npm test does it first)`,
    );
  }
  return kernel;
}

export function launchConfig(kernel: TestKernel, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'kernel-qemu',
    request: 'launch',
    name: 'test',
    program: kernel.vmlinux,
    kernel: kernel.kernel,
    initrd: kernel.initrd,
    accel: 'tcg',
    ...extra,
  };
}

export async function startClient(): Promise<DebugClient> {
  assert.ok(existsSync(ADAPTER), `${ADAPTER} is missing: run 'npm run build'`);
  const client = new DebugClient('node', ADAPTER, 'kernel-qemu', { stdio: ['pipe', 'pipe', 'pipe'] }, true);
  client.defaultTimeout = 60_000;
  await client.start();
  // An adapter that dies leaves requests unanswered: say so instead of a silent hang.
  const adapter = (client as unknown as { _adapterProcess?: ChildProcess })._adapterProcess;
  adapter?.on('exit', (code, signal) => {
    exited.add(client);
    if (code !== 0 || signal) console.error(`debug adapter exited: code ${code}, signal ${signal}`);
  });
  return client;
}

/** initialize + launch; `configure` runs between `initialized` and configurationDone (set breakpoints there). */
export async function launch(
  client: DebugClient,
  config: Record<string, unknown>,
  configure: () => Promise<unknown> = async () => undefined,
): Promise<DebugProtocol.StoppedEvent> {
  const stopped = client.waitForEvent('stopped', 120_000) as Promise<DebugProtocol.StoppedEvent>;
  const configured = client
    .waitForEvent('initialized', 120_000)
    .then(configure)
    .then(() => client.configurationDoneRequest());
  const started =
    config.request === 'attach'
      ? client.initializeRequest().then(() => client.attachRequest(config as DebugProtocol.AttachRequestArguments))
      : client.launch(config);
  await Promise.all([started, configured]);
  return stopped;
}

/** initialize + launch that returns once configurationDone is answered (the kernel runs; no stop awaited). */
export async function launchRunning(
  client: DebugClient,
  config: Record<string, unknown>,
  configure: () => Promise<unknown> = async () => undefined,
): Promise<void> {
  const configured = client
    .waitForEvent('initialized', 120_000)
    .then(configure)
    .then(() => client.configurationDoneRequest());
  await Promise.all([client.launch(config), configured]);
}

export async function topFrame(client: DebugClient, threadId: number): Promise<DebugProtocol.StackFrame> {
  const trace = await client.stackTraceRequest({ threadId, startFrame: 0, levels: 20 });
  const frame = trace.body.stackFrames[0];
  assert.ok(frame, 'no stack frames');
  return frame;
}

interface ProcInfo {
  pid: number;
  ppid: number;
  comm: string;
  cmdline: string;
}

function processes(): ProcInfo[] {
  const list: ProcInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      list.push({ pid: Number(entry), ppid, comm, cmdline });
    } catch {
      // exited while we looked
    }
  }
  return list;
}

/** QEMU, gdb and virtiofsd processes started by adapters that this test process runs. */
export function sessionPids(): number[] {
  const all = processes();
  const adapters = new Set(all.filter((p) => p.ppid === process.pid && p.cmdline.includes('adapter.js')).map((p) => p.pid));
  return all.filter((p) => adapters.has(p.ppid) && /^qemu-system|^gdb|^virtiofsd/.test(p.comm)).map((p) => p.pid);
}

/** Waits (bounded) until none of `pids` is alive; returns the ones still there. */
export async function survivors(pids: readonly number[], withinMs = 5000): Promise<number[]> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const alive = pids.filter((pid) => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z '));
    if (alive.length === 0 || Date.now() > deadline) return alive;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const exited = new WeakSet<DebugClient>();

/** A request that the adapter may never answer (it may be gone) must not hang the test. */
function bounded<T>(work: Promise<T>, ms = 10_000): Promise<T | undefined> {
  return Promise.race([work.catch(() => undefined), new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms))]);
}

/** Terminates the session and stops the adapter; safe to call again, after the adapter exited, or for a test that never started one (filtered out). */
export async function stopClient(client: DebugClient | undefined): Promise<void> {
  if (!client || exited.has(client)) return;
  await bounded(client.terminateRequest());
  if (!exited.has(client)) await bounded(client.stop());
}

/** Waits (bounded) until the session's output, collected in `output`, matches `pattern`. */
export async function outputMatching(output: readonly string[], pattern: RegExp, withinMs = 120_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!pattern.test(output.join(''))) {
    assert.ok(
      Date.now() < deadline,
      `no output matching ${pattern} within ${withinMs / 1000} s; the session printed:\n${output.join('').slice(-2000)}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A request's whole response, failed or not (DebugClient turns a failure into a bare Error). */
export function rawRequest(client: DebugClient, command: string, args: object): Promise<DebugProtocol.Response> {
  const protocol = client as unknown as {
    doSend(command: string, args: object, callback: (response: DebugProtocol.Response) => void): void;
  };
  return new Promise((resolve) => protocol.doSend(command, args, resolve));
}

/** The message and showUser of a failed response; fails the test when the request succeeded. */
export function failure(response: DebugProtocol.Response): { message: string; showUser: boolean | undefined } {
  assert.equal(response.success, false, `${response.command} succeeded: ${JSON.stringify(response.body)}`);
  const error = (response as DebugProtocol.ErrorResponse).body?.error;
  return { message: response.message ?? '', showUser: error?.showUser };
}

export interface GuestTask {
  pid: number;
  comm: string;
  state: string;
}

/** The kernelQemu.tasks answer (the kernel's task list, walked from init_task). */
export async function guestTasks(client: DebugClient): Promise<GuestTask[]> {
  return ((await client.customRequest('kernelQemu.tasks')).body as { tasks: GuestTask[] }).tasks;
}

/** The name VS Code shows for a vCPU thread ("CPU 0 · init (pid 1)"). */
export async function threadName(client: DebugClient, threadId: number): Promise<string> {
  return (await client.threadsRequest()).body.threads.find((candidate) => candidate.id === threadId)?.name ?? '';
}

/** Every leaf under a variables reference as [name, value] (registers come in groups: General, Segment, ...). */
export async function leafValues(client: DebugClient, variablesReference: number): Promise<Array<[string, string]>> {
  const all: Array<[string, string]> = [];
  for (const variable of (await client.variablesRequest({ variablesReference })).body.variables) {
    if (variable.variablesReference === 0) all.push([variable.name, variable.value]);
    else all.push(...(await leafValues(client, variable.variablesReference)));
  }
  return all;
}
