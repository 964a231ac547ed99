// npm run stress: 10,000 random DAP requests per arch against live sessions
// of the real adapter, QEMU, gdb and Debian's debug kernels. Valid shapes in random order
// (requestMix.ts), sent one to three at a time as VS Code does, in every state the requests
// themselves lead to: launching, stopped, running, stepping, restarted. Each answer must be a
// success or a named error (an ErrorCode, never Internal), within 30 s; no stack trace reaches
// the Debug Console; the session works at the end and leaves no process or file behind.
// STRESS_REQUESTS and STRESS_SEED resize or repeat a run.
import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { ErrorCode } from '../../src/adapter/errors';
import { KERNEL_REQUEST, type ResolvedLocationBody } from '../../src/adapter/kernelProtocol';
import {
  closeIsolated,
  errorIdOf,
  leftoversIn,
  nextEvent,
  orphansOf,
  rawRequest,
  removeDir,
  startIsolated,
  type IsolatedAdapter,
} from '../adapter/faultSupport';
import { seededRandom } from '../adapter/lifecycleCycles';
import { launchConfig, testKernel, type Arch } from '../adapter/support';
import { nextRequest, RUNS, SessionView, type MixRequest, type Random, type SourceLine } from './requestMix';

const REQUESTS = Number(process.env.STRESS_REQUESTS ?? 10_000);
const SEED = Number(process.env.STRESS_SEED ?? 20261203);
const ANSWER_MS = 30_000;
/** STRESS_TRACE=DIR: the gdb/MI traffic and every request, answer and event, to DIR/random-requests-ARCH.log. */
const TRACE_DIR = process.env.STRESS_TRACE;
const NAMED = new Set(
  Object.values(ErrorCode).filter((value): value is ErrorCode => typeof value === 'number' && value !== ErrorCode.Internal),
);
/** What a JavaScript stack trace or an uncaught error looks like in an output event. */
const STACK_TRACE = /\n\s+at .+\.(js|ts):\d+|\b(TypeError|ReferenceError|RangeError|UnhandledPromiseRejection)\b/;

interface Tally {
  outcomes: Map<string, number>;
  latencies: Map<string, number[]>;
  problems: string[];
}

class Driver {
  readonly view: SessionView;
  readonly tally: Tally = { outcomes: new Map(), latencies: new Map(), problems: [] };
  private stops = 0;
  sent = 0;
  /** The session ended on its own (a terminated event before the test's terminate). */
  ended: string | undefined;

  constructor(
    private readonly adapter: IsolatedAdapter,
    private readonly random: Random,
    arch: Arch,
  ) {
    this.view = new SessionView();
    adapter.client.on('stopped', () => {
      this.stops++;
      this.view.running = false;
      this.view.ran();
    });
    adapter.client.on('continued', () => (this.view.running = true));
    adapter.client.on(
      'terminated',
      () => (this.ended ??= `the session ended after request #${this.sent}: ${adapter.output.slice(-3).join('').trim()}`),
    );
    if (TRACE_DIR) {
      this.traceFile = path.join(TRACE_DIR, `random-requests-${arch}.log`);
      writeFileSync(this.traceFile, '');
      for (const event of ['stopped', 'continued', 'terminated'])
        adapter.client.on(event, (e: DebugProtocol.Event) => this.trace(`--- ${event} ${JSON.stringify(e.body)}\n`));
      adapter.client.on('output', (e: DebugProtocol.OutputEvent) => this.trace(e.body.output));
    }
  }

  private traceFile: string | undefined;

  private trace(text: string): void {
    if (this.traceFile) appendFileSync(this.traceFile, text);
  }

  /** Sends one request, checks its answer, learns from it. */
  async send({ command, args }: MixRequest): Promise<void> {
    this.sent++;
    const stopsBefore = this.stops;
    const started = Date.now();
    const what = `#${this.sent} ${command} ${JSON.stringify(args).slice(0, 160)}`;
    this.trace(`>>> ${what}\n`);
    const response = await rawRequest(this.adapter.client, command, args, ANSWER_MS);
    const latency = Date.now() - started;
    this.trace(
      `<<< #${this.sent} ${command} ${response ? `${response.success ? 'ok' : `error ${errorIdOf(response)}: ${response.message}`}` : 'NO ANSWER'}` +
        ` ${latency} ms\n`,
    );
    if (!response) {
      this.tally.problems.push(`no answer within ${ANSWER_MS} ms: ${what}`);
      return;
    }
    push(this.tally.latencies, command, latency);
    if (!response.success) {
      const id = errorIdOf(response);
      count(this.tally.outcomes, `${command} ${id === undefined ? 'no id' : (ErrorCode[id] ?? id)}`);
      if (id === undefined || !NAMED.has(id))
        this.tally.problems.push(
          `${id === ErrorCode.Internal ? 'Internal error' : `error without a named code (${id})`}: ${what}: ${response.message}`,
        );
      else if (!response.message || response.message.length < 8) this.tally.problems.push(`error without a message: ${what}`);
      return;
    }
    count(this.tally.outcomes, `${command} ok`);
    this.checkBody(command, response.body, what);
    this.view.learn(command, response.body);
    if (command === 'variables') this.view.learnLeaves((args as { variablesReference: number }).variablesReference, response.body);
    // A run that stopped again before its answer came is stopped; one that did not is running.
    if (RUNS.has(command) && this.stops === stopsBefore) this.view.running = true;
  }

  private checkBody(command: string, body: unknown, what: string): void {
    if (command === 'threads') {
      const threads = (body as DebugProtocol.ThreadsResponse['body']).threads;
      if (!Array.isArray(threads) || threads.length === 0) this.tally.problems.push(`no threads: ${what}`);
    } else if (command === 'stackTrace') {
      const frames = (body as DebugProtocol.StackTraceResponse['body']).stackFrames;
      const nameless = frames.filter((frame) => !frame.name || frame.name.includes('??'));
      if (nameless.length)
        this.tally.problems.push(`frames without a name (${nameless.map((frame) => frame.name || '""').join(', ')}): ${what}`);
    } else if (command === 'evaluate') {
      if (typeof (body as DebugProtocol.EvaluateResponse['body']).result !== 'string')
        this.tally.problems.push(`evaluate without a result: ${what}`);
    }
  }

  /** One to three requests at once, as VS Code sends a stop's stackTrace, scopes and variables. */
  async burst(): Promise<void> {
    const size = 1 + Math.floor(this.random() * 3);
    await Promise.all(Array.from({ length: size }, () => this.send(nextRequest(this.random, this.view))));
  }
}

function count(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function push(map: Map<string, number[]>, key: string, value: number): void {
  const list = map.get(key) ?? [];
  list.push(value);
  map.set(key, list);
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** Source lines near the entry of a few functions, for setBreakpoints (paths as the adapter shows them). */
async function sourceLinesOf(adapter: IsolatedAdapter): Promise<SourceLine[]> {
  const lines: SourceLine[] = [];
  for (const location of ['vfs_read', 'do_sys_openat2', 'ksys_write']) {
    const response = await rawRequest(adapter.client, KERNEL_REQUEST.resolveLocation, { location });
    const body = response?.success ? (response.body as ResolvedLocationBody) : undefined;
    if (body?.path && body.line) for (let offset = 0; offset < 4; offset++) lines.push({ path: body.path, line: body.line + offset });
  }
  return lines;
}

function report(arch: Arch, driver: Driver, seconds: number): void {
  const latencies = [...driver.tally.latencies].sort((a, b) => b[1].length - a[1].length);
  console.log(`\n${arch}: ${driver.sent} requests in ${seconds.toFixed(0)} s (seed ${SEED}), ${driver.tally.problems.length} problems`);
  for (const problem of driver.tally.problems.slice(0, 20)) console.log(`  PROBLEM ${problem}`);
  for (const [command, values] of latencies) {
    const outcomes = [...driver.tally.outcomes]
      .filter(([key]) => key.startsWith(`${command} `))
      .map(([key, n]) => `${key.slice(command.length + 1)}×${n}`);
    console.log(
      `  ${command.padEnd(32)} ${String(values.length).padStart(5)}  p50 ${String(percentile(values, 50)).padStart(5)}` +
        ` ms  p99 ${String(percentile(values, 99)).padStart(6)} ms  ${outcomes.join(' ')}`,
    );
  }
}

for (const arch of ['x86_64', 'aarch64'] as Arch[]) {
  describe(`${REQUESTS} random DAP requests, ${arch}`, () => {
    test(
      'each answered with a success or a named error; the session works at the end; nothing left behind',
      { timeout: REQUESTS * 1000 },
      async () => {
        const adapter = await startIsolated();
        const random = seededRandom(SEED + (arch === 'aarch64' ? 1 : 0));
        const started = Date.now();
        let driver: Driver | undefined;
        try {
          const { client } = adapter;
          // Launching: requests go in between launch and configurationDone, as VS Code's breakpoints do.
          const initialized = nextEvent(client, 'initialized', 120_000);
          let stopped = nextEvent<DebugProtocol.StoppedEvent>(client, 'stopped', 180_000);
          await client.initializeRequest();
          const launched = rawRequest(client, 'launch', launchConfig(testKernel(arch), TRACE_DIR ? { trace: true } : {}), 180_000);
          assert.ok(await initialized, 'no initialized event');
          driver = new Driver(adapter, random, arch);
          for (let i = 0; i < 5; i++) await driver.burst();
          await client.configurationDoneRequest();
          const launch = await launched;
          assert.ok(launch?.success, `launch failed: ${launch?.message}`);
          assert.ok(await stopped, 'no first stop');

          driver.view.sourceLines = await sourceLinesOf(adapter);
          while (driver.sent < REQUESTS && !driver.ended) {
            await driver.burst();
            // A restart now and then: the session's references and breakpoints go through a reboot.
            if (random() < 1 / 1500) await driver.send({ command: 'restart', args: {} });
          }

          assert.equal(driver.ended, undefined);
          // The session still works: pause if running, then threads and a stack with names.
          if (driver.view.running) {
            stopped = nextEvent<DebugProtocol.StoppedEvent>(client, 'stopped', 60_000);
            await rawRequest(client, 'pause', { threadId: driver.view.threadIds[0] ?? 1 });
            assert.ok(await stopped, 'pause at the end brought no stop');
          }
          const threads = await client.threadsRequest();
          assert.ok(threads.body.threads.length > 0, 'threads at the end');
          const stack = await client.stackTraceRequest({ threadId: threads.body.threads[0]!.id, levels: 5 });
          assert.ok(stack.body.stackFrames.length > 0, 'a stack at the end');
          assert.ok(!adapter.hasExited(), 'the adapter is alive');

          const terminated = nextEvent(client, 'terminated', 30_000);
          await client.terminateRequest();
          assert.ok(await terminated, 'terminate ended the session');
        } finally {
          await closeIsolated(adapter);
          if (driver) report(arch, driver, (Date.now() - started) / 1000);
        }
        const stackTraces = adapter.output.filter((text) => STACK_TRACE.test(text));
        const orphans = await orphansOf(adapter.tmpdir);
        const left = leftoversIn(adapter.tmpdir).filter((entry) => entry.startsWith('kernel-qemu-'));
        removeDir(adapter.tmpdir);
        assert.deepEqual(driver.tally.problems, [], 'every answer a success or a named error');
        assert.deepEqual(stackTraces, [], 'no stack trace in the Debug Console');
        assert.deepEqual(
          orphans.map((p) => `${p.pid} ${p.comm}`),
          [],
          'no orphaned process',
        );
        assert.deepEqual(left, [], 'no runtime directory left');
      },
    );
  });
}
