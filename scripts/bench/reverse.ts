// Scenario 13 (not run by default: --scenarios 13; arm64, where QEMU 7.2's reverse runs work):
// time travel. A boot of Debian's arm64 kernel is recorded through the adapter to the third
// do_sys_openat2 hit; the boot to the first hit is timed with and without recording (the record
// overhead). The recording is then replayed twice to its second hit: by raw gdb/MI on QEMU
// started by hand with the same machine and the same recording (-exec-continue --reverse,
// -exec-next --reverse, each followed by the same reads), and by kernel-qemu over DAP (Reverse
// Continue, then Step Back after two Step Overs, each until VS Code has shown the stop).
import * as path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { buildQemuArgs } from '../../src/qemu/args';
import { parseManifest } from '../../src/qemu/recordingManifest';
import { recordingFiles, recordReplayArgs } from '../../src/qemu/recordReplay';
import { type BenchKernel, kqLaunchArguments, now, removeDir, ROOT, sleep, tempDir, waitForPath, within } from './common';
import { miField, miQuote, RawGdb } from './rawMi';
import type { ToolName } from './tools';

type Add = (metric: string, tool: ToolName, value: number) => void;

const OPEN = 'do_sys_openat2';
const TIMEOUT_MS = 600_000;

/** A DAP session of the adapter, each stop read as VS Code reads it. */
class Dap {
  threadId = 1;
  /** The top frame's line at each stop shown (the path both tools must take). */
  readonly lines: number[] = [];
  private constructor(readonly client: DebugClient) {}

  static async start(): Promise<Dap> {
    const client = new DebugClient('node', path.join(ROOT, 'dist/adapter.js'), 'kernel-qemu', { stdio: ['pipe', 'pipe', 'pipe'] }, true);
    client.defaultTimeout = TIMEOUT_MS;
    await client.start();
    return new Dap(client);
  }

  /** Launches; resolves at the first stop (the breakpoint in do_sys_openat2). */
  async launch(args: Record<string, unknown>): Promise<void> {
    const first = this.client.waitForEvent('stopped', TIMEOUT_MS);
    const configured = this.client
      .waitForEvent('initialized', TIMEOUT_MS)
      .then(() => this.client.setFunctionBreakpointsRequest({ breakpoints: [{ name: OPEN }] }))
      .then(() => this.client.configurationDoneRequest());
    await Promise.all([this.client.launchRequest(args as DebugProtocol.LaunchRequestArguments), configured]);
    await this.shown(first);
  }

  async shown(stopped: Promise<DebugProtocol.Event>): Promise<void> {
    this.threadId = ((await stopped) as DebugProtocol.StoppedEvent).body.threadId ?? this.threadId;
    await this.client.threadsRequest();
    const frame = (await this.client.stackTraceRequest({ threadId: this.threadId, startFrame: 0, levels: 20 })).body.stackFrames[0];
    if (!frame) throw new Error('kernel-qemu: no stack frames');
    this.lines.push(frame.line);
    const [locals] = (await this.client.scopesRequest({ frameId: frame.id })).body.scopes;
    if (locals) await this.client.variablesRequest({ variablesReference: locals.variablesReference });
  }

  async timed(request: () => Promise<unknown>): Promise<number> {
    const started = now();
    const stopped = this.client.waitForEvent('stopped', TIMEOUT_MS);
    await request();
    await this.shown(stopped);
    return now() - started;
  }

  async close(): Promise<void> {
    await this.client.terminateRequest().catch(() => undefined);
    await this.client.stop().catch(() => undefined);
  }
}

export async function reverseScenario(kernel: BenchKernel, add: Add, note: (key: string, text: string) => void): Promise<void> {
  if (kernel.arch !== 'aarch64')
    throw new Error('scenario 13 runs on arm64 (--arch aarch64): on x86_64 QEMU 7.2 deadlocks in reverse runs');
  const dir = tempDir('reverse');
  const log = path.join(dir, 'boot.rr');
  const base = kqLaunchArguments(kernel, 'bench reverse', { stopAtEntry: false });
  try {
    // Record overhead: the same boot to the first open, without and with recording.
    for (const record of [false, true]) {
      const session = await Dap.start();
      try {
        const started = now();
        await session.launch(record ? { ...base, record: log } : base);
        add('record.firstOpen', record ? 'kq' : 'raw', now() - started);
        if (record)
          for (let hit = 0; hit < 2; hit++) await session.timed(() => session.client.continueRequest({ threadId: session.threadId }));
      } finally {
        await session.close();
      }
    }

    // Raw gdb first: it saves no snapshots, so it replays the recording as it was recorded; the
    // adapter's replay then saves its own along the way (replaySnapshots.ts), as a user's would.
    const raw = await rawReplay(kernel, log);
    add('reverse.continue', 'raw', raw.reverseContinue);
    add('reverse.step', 'raw', raw.reverseStep);

    const kq = await Dap.start();
    let kqLines = '';
    try {
      await kq.launch({ ...base, replay: log });
      await kq.timed(() => kq.client.continueRequest({ threadId: kq.threadId }));
      add('reverse.continue', 'kq', await kq.timed(() => kq.client.reverseContinueRequest({ threadId: kq.threadId })));
      for (let step = 0; step < 2; step++) await kq.timed(() => kq.client.nextRequest({ threadId: kq.threadId }));
      add('reverse.step', 'kq', await kq.timed(() => kq.client.stepBackRequest({ threadId: kq.threadId })));
      kqLines = kq.lines.join(' → ');
    } finally {
      await kq.close();
    }

    note(
      'reverse',
      `arm64; recorded to the third ${OPEN} hit, replayed to the second, back to the first, two ` +
        `lines on, one back; lines kernel-qemu ${kqLines}, raw ${raw.lines.join(' → ')}; ` +
        "raw: the same recording, QEMU's argv from src/qemu/args.ts with the manifest's machine",
    );
  } finally {
    removeDir(dir);
  }
}

async function rawReplay(kernel: BenchKernel, log: string): Promise<{ reverseContinue: number; reverseStep: number; lines: string[] }> {
  const manifest = parseManifest(readFileSync(recordingFiles(log).manifest, 'utf8'));
  if (typeof manifest === 'string') throw new Error(`raw: the recording's manifest: ${manifest}`);
  const runtimeDir = tempDir('raw-reverse');
  const gdbSocket = path.join(runtimeDir, 'gdb.sock');
  const argv = buildQemuArgs({
    arch: kernel.arch,
    accel: 'tcg',
    kernel: kernel.kernel,
    initrd: kernel.initrd,
    commandLine: manifest.commandLine,
    ...(manifest.machine ? { machine: manifest.machine } : {}),
    ...(manifest.cpu ? { cpu: manifest.cpu } : {}),
    memoryMiB: manifest.memoryMiB,
    smp: manifest.smp,
    gdbSocket,
    qmpSocket: path.join(runtimeDir, 'qmp.sock'),
    extraArgs: recordReplayArgs({ mode: 'replay', files: recordingFiles(log) }),
  });
  // The console on QEMU's stdio, never written to: a replay takes no input.
  const qemu = spawn(kernel.qemu, argv, { stdio: ['pipe', 'ignore', 'pipe'] });
  qemu.stderr.resume();
  qemu.stdin.on('error', () => undefined);
  const gdb = RawGdb.start(kernel.gdb);
  const threadOf = (stop: string) => miField(stop, 'thread-id') ?? '1';
  let thread = '1';
  const lines: string[] = [];
  const resume = async (command: string): Promise<number> => {
    const started = now();
    const stopped = gdb.nextStop();
    await gdb.send(command);
    const stop = await within(TIMEOUT_MS, `raw: ${command}`, stopped);
    thread = threadOf(stop);
    if (miField(stop, 'func') === OPEN) lines.push(miField(stop, 'line') ?? '?');
    await gdb.send('-thread-info');
    await gdb.send(`-stack-list-frames --thread ${thread} 0 20`);
    await gdb.send(`-stack-list-variables --thread ${thread} --frame 0 --simple-values`);
    return now() - started;
  };
  try {
    for (const setting of ['mi-async on', 'pagination off', 'confirm off', 'width 0', 'height 0']) await gdb.send(`-gdb-set ${setting}`);
    await gdb.send(`-file-exec-and-symbols ${miQuote(kernel.vmlinux)}`);
    await waitForPath(gdbSocket);
    await gdb.send(`-target-select remote ${gdbSocket}`);
    // Software breakpoints written before the kernel runs from its final mapping never hit: a hardware one to start_kernel first.
    await gdb.send('-break-insert -h -t start_kernel');
    await resume('-exec-continue');
    await gdb.send(`-break-insert ${OPEN}`);
    await resume('-exec-continue');
    await resume('-exec-continue');
    const reverseContinue = await resume('-exec-continue --reverse');
    for (let step = 0; step < 2; step++) await resume(`-exec-next --thread ${thread}`);
    const reverseStep = await resume(`-exec-next --reverse --thread ${thread}`);
    return { reverseContinue, reverseStep, lines };
  } finally {
    await gdb.exit();
    qemu.kill('SIGKILL');
    await sleep(200);
    removeDir(runtimeDir);
  }
}
