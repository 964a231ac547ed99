// Fixtures for the reliability tests (lifecycle, start-up, exposure, injection, floods):
// an adapter with a private TMPDIR, so every runtime directory, socket and process it makes
// can be found afterwards (its children inherit TMPDIR), whatever else runs on the machine.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { ADAPTER } from './support';

export interface IsolatedAdapter {
  client: DebugClient;
  /** The adapter's pid (node dist/adapter.js). */
  pid: number;
  /** The adapter's TMPDIR: its runtime directories (kernel-qemu-XXXXXX) appear here. */
  tmpdir: string;
  /** Every console/stderr OutputEvent text so far. */
  output: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited(): boolean;
}

/** Starts dist/adapter.js with TMPDIR set to `tmpdir` (a fresh directory when not given). */
export async function startIsolated(tmpdir = freshTmpdir(), env: NodeJS.ProcessEnv = {}): Promise<IsolatedAdapter> {
  assert.ok(existsSync(ADAPTER), `${ADAPTER} is missing: run 'npm run build'`);
  const client = new DebugClient(
    'node',
    ADAPTER,
    'kernel-qemu',
    { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env, TMPDIR: tmpdir } },
    false,
  );
  client.defaultTimeout = 60_000;
  await client.start();
  const child = (client as unknown as { _adapterProcess: ChildProcess })._adapterProcess;
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      done = true;
      resolve({ code, signal });
    }),
  );
  const output: string[] = [];
  client.on('output', (event: DebugProtocol.OutputEvent) => output.push(event.body.output));
  return { client, pid: child.pid!, tmpdir, output, exited, hasExited: () => done };
}

export function freshTmpdir(prefix = 'kq-rel-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Ends an isolated adapter however it is: disconnect (bounded), then SIGKILL if it is still there. */
export async function closeIsolated(adapter: IsolatedAdapter, withinMs = 10_000): Promise<void> {
  if (!adapter.hasExited()) {
    await Promise.race([adapter.client.stop().catch(() => undefined), timeout(withinMs)]);
  }
  if (!adapter.hasExited()) {
    await Promise.race([adapter.exited, timeout(withinMs)]);
  }
  if (!adapter.hasExited()) {
    process.kill(adapter.pid, 'SIGKILL');
    await adapter.exited;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface ProcessInfo {
  pid: number;
  ppid: number;
  comm: string;
  argv: string[];
}

function readProcess(pid: number): ProcessInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (after[0] === 'Z') return undefined; // a zombie is dead; its parent just has not reaped it yet
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (argv.at(-1) === '') argv.pop();
    return { pid, ppid: Number(after[1]), comm: readFileSync(`/proc/${pid}/comm`, 'utf8').trim(), argv };
  } catch {
    return undefined;
  }
}

/** Every live process whose environment has TMPDIR=tmpdir: what an isolated adapter started, at any depth, orphaned or not. */
export function processesOf(tmpdir: string): ProcessInfo[] {
  const needle = Buffer.from(`\0TMPDIR=${tmpdir}\0`, 'utf8');
  const found: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let environ: Buffer;
    try {
      environ = Buffer.concat([Buffer.from([0]), readFileSync(`/proc/${entry}/environ`)]);
    } catch {
      continue;
    }
    if (!environ.includes(needle)) continue;
    const info = readProcess(Number(entry));
    if (info) found.push(info);
  }
  return found;
}

/** QEMU and gdb processes of an isolated adapter. */
export function toolsOf(tmpdir: string): { qemu: ProcessInfo[]; gdb: ProcessInfo[] } {
  const all = processesOf(tmpdir);
  return { qemu: all.filter((p) => p.comm.startsWith('qemu-system')), gdb: all.filter((p) => p.comm.startsWith('gdb')) };
}

/** Waits (bounded) until no process of `tmpdir` is left; returns the ones still there. */
export async function orphansOf(tmpdir: string, withinMs = 5000): Promise<ProcessInfo[]> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const left = processesOf(tmpdir);
    if (left.length === 0 || Date.now() > deadline) return left;
    await sleep(100);
  }
}

/** What is left in an adapter's TMPDIR (runtime directories, sockets), as relative paths. */
export function leftoversIn(tmpdir: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, prefix: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const rel = path.join(prefix, entry.name);
      out.push(rel);
      if (entry.isDirectory()) walk(path.join(dir, entry.name), rel);
    }
  };
  if (existsSync(tmpdir)) walk(tmpdir, '');
  return out;
}

/**
 * A stand-in for qemu or gdb: a shell script that writes `marker` lines to stderr, optionally
 * sleeps, then execs the real tool (same pid, so it is the process the adapter manages).
 */
export function wrapperScript(
  dir: string,
  name: string,
  realTool: string,
  options: { stderrLines?: string[]; sleepSeconds?: number; never?: boolean; stopsItself?: boolean } = {},
): string {
  const file = path.join(dir, name);
  const lines = ['#!/bin/sh'];
  for (const line of options.stderrLines ?? []) lines.push(`printf '%s\\n' ${shellQuote(line)} >&2`);
  if (options.never) lines.push('exec sleep 3600');
  if (options.sleepSeconds) lines.push(`sleep ${options.sleepSeconds}`);
  if (options.stopsItself) lines.push('kill -STOP $$'); // as if Ctrl+Z reached it before it listens
  lines.push(`exec ${shellQuote(realTool)} "$@"`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  chmodSync(file, 0o755);
  return file;
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Resolves with the first output text matching `pattern` (bounded); the text so far when it times out. */
export async function waitForOutput(adapter: IsolatedAdapter, pattern: RegExp, withinMs: number): Promise<string | undefined> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const all = adapter.output.join('');
    const match = pattern.exec(all);
    if (match) return match[0];
    if (Date.now() > deadline) return undefined;
    await sleep(50);
  }
}

/**
 * The next `event` from the adapter, or undefined after `withinMs`. Unlike DebugClient.waitForEvent
 * it leaves no timer or rejection behind when the event never comes (a killed session).
 */
export function nextEvent<T extends DebugProtocol.Event>(client: DebugClient, event: string, withinMs: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const onEvent = (body: T) => {
      clearTimeout(timer);
      resolve(body);
    };
    const timer = setTimeout(() => {
      client.removeListener(event, onEvent);
      resolve(undefined);
    }, withinMs);
    timer.unref();
    client.once(event, onEvent);
  });
}

/** initialize → launch → configurationDone → the first stop; rejects with the launch's error. */
export async function launchToStop(
  client: DebugClient,
  config: Record<string, unknown>,
  withinMs = 120_000,
): Promise<DebugProtocol.StoppedEvent> {
  const initialized = nextEvent(client, 'initialized', withinMs);
  const stopped = nextEvent<DebugProtocol.StoppedEvent>(client, 'stopped', withinMs);
  await client.initializeRequest();
  const launched = config.request === 'attach' ? client.attachRequest(config) : client.launchRequest(config);
  await Promise.race([initialized, launched]);
  if (!(await initialized)) throw new Error('no initialized event');
  await client.configurationDoneRequest();
  await launched;
  const stop = await stopped;
  if (!stop) throw new Error(`no stop within ${withinMs} ms`);
  return stop;
}

/** For races: resolves after `ms` without keeping the process alive. */
export function timeout(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** A request's raw response (error ones too, with body.error.id), or undefined when none comes within `withinMs`. */
export function rawRequest(
  client: DebugClient,
  command: string,
  args: unknown,
  withinMs = 20_000,
): Promise<DebugProtocol.Response | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), withinMs);
    timer.unref();
    (client as unknown as { doSend(command: string, args: unknown, callback: (response: DebugProtocol.Response) => void): void }).doSend(
      command,
      args,
      (response) => {
        clearTimeout(timer);
        resolve(response);
      },
    );
  });
}

/** The ErrorCode of an error response. */
export function errorIdOf(response: DebugProtocol.Response): number | undefined {
  return (response as DebugProtocol.ErrorResponse).body?.error?.id;
}
