// Scenario 12 (not run by default: --scenarios 12): one long kernel-qemu session. The guest
// opens a file in a loop; each round continues to the breakpoint in do_sys_openat2, steps
// four lines (each step as VS Code shows it: threads, stack, scopes, locals), and every fifth
// round expands init_task in the Variables view. Measured: the adapter's resident memory and
// open file descriptors after 100 warm-up rounds and at the end, gdb's memory the same way,
// and the slowest 1 % of the session's first hundred steps against its last hundred.
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { type BenchKernel, kqLaunchArguments, now, ROOT, sleep } from './common';
import { BIG_STRUCT, STOP_FUNCTION, type ToolName } from './tools';

type Add = (metric: string, tool: ToolName, value: number) => void;

const READY = /kernel-qemu initramfs ready/;
/** Every cat opens /proc/version: a do_sys_openat2 call a few milliseconds apart. */
const OPEN_LOOP = 'while true; do cat /proc/version > /dev/null; done\n';
const STEPS_PER_ROUND = 4;
const EXPAND_EVERY = 5;
/** Steps whose slowest 1 % is compared: the session's first hundred and its last. */
const LATENCY_WINDOW = 100;
/**
 * Rounds before memory is first sampled: in them the adapter's RSS climbs from about 53 to 89
 * MiB as V8 grows its young generation to its default size (heap snapshots at step 100 and at
 * step 1,000 both held 6.8 MB of objects), then stays level. Growth is measured after them.
 */
const WARM_ROUNDS = 100;
const TIMEOUT_MS = 300_000;

interface ProcessSample {
  rssMiB: number;
  fds: number;
}

function sample(pid: number): ProcessSample {
  const rss = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { rssMiB: rss ? Number(rss[1]) / 1024 : Number.NaN, fds: readdirSync(`/proc/${pid}/fd`).length };
}

/** The adapter's gdb: its child whose command is gdb or gdb-multiarch. */
function gdbChild(adapterPid: number): number | undefined {
  const children = readFileSync(`/proc/${adapterPid}/task/${adapterPid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  return children.find((pid) => /^gdb/.test(readFileSync(`/proc/${pid}/comm`, 'utf8').trim()));
}

function p99(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? Number.NaN;
}

export async function soakScenario(
  kernel: BenchKernel,
  rounds: number,
  add: Add,
  note: (key: string, text: string) => void,
): Promise<void> {
  const client = new DebugClient('node', path.join(ROOT, 'dist/adapter.js'), 'kernel-qemu', { stdio: ['pipe', 'pipe', 'pipe'] }, true);
  client.defaultTimeout = TIMEOUT_MS;
  await client.start();
  const adapterPid = (client as unknown as { _adapterProcess?: { pid?: number } })._adapterProcess?.pid;
  if (adapterPid === undefined) throw new Error('kernel-qemu: no adapter process id');
  const output: string[] = [];
  client.on('output', (event: DebugProtocol.OutputEvent) => output.push(event.body.output));
  let threadId = 1;
  const shown = async (stopped: Promise<DebugProtocol.Event>) => {
    threadId = ((await stopped) as DebugProtocol.StoppedEvent).body.threadId ?? threadId;
    await client.threadsRequest();
    const frame = (await client.stackTraceRequest({ threadId, startFrame: 0, levels: 20 })).body.stackFrames[0];
    if (!frame) throw new Error('kernel-qemu: no stack frames');
    const [locals] = (await client.scopesRequest({ frameId: frame.id })).body.scopes;
    if (locals) await client.variablesRequest({ variablesReference: locals.variablesReference });
    return frame;
  };
  try {
    const configured = client.waitForEvent('initialized', TIMEOUT_MS).then(() => client.configurationDoneRequest());
    await client.launchRequest(kqLaunchArguments(kernel, 'bench soak', { stopAtEntry: false }));
    await configured;
    const deadline = Date.now() + TIMEOUT_MS;
    while (!READY.test(output.join(''))) {
      if (Date.now() > deadline) throw new Error('kernel-qemu: the guest did not boot');
      await sleep(200);
    }
    await client.customRequest('kernelQemu.serialInput', { text: OPEN_LOOP });
    // The running loop hits the breakpoint at once: that stop is the start.
    const first = client.waitForEvent('stopped', 60_000);
    const placed = (await client.setFunctionBreakpointsRequest({ breakpoints: [{ name: STOP_FUNCTION }] })).body.breakpoints;
    if (!placed[0]?.verified) throw new Error(`kernel-qemu: breakpoint on ${STOP_FUNCTION} refused`);
    await shown(first);

    const steps: number[] = [];
    /** The adapter's RSS every 100 rounds: growth that levels off is the heap settling, steady growth a leak. */
    const rssTrail: string[] = [];
    const hits: number[] = [];
    let warm: { adapter: ProcessSample; gdb: ProcessSample } | undefined;
    const gdbPid = gdbChild(adapterPid);
    if (gdbPid === undefined) throw new Error("kernel-qemu: the adapter's gdb was not found");
    for (let round = 0; round < WARM_ROUNDS + rounds; round++) {
      if (round === WARM_ROUNDS) warm = { adapter: sample(adapterPid), gdb: sample(gdbPid) };
      let started = now();
      const hit = client.waitForEvent('stopped', 60_000);
      await client.continueRequest({ threadId });
      const frame = await shown(hit);
      hits.push(now() - started);
      if (round % 100 === 0) rssTrail.push(sample(adapterPid).rssMiB.toFixed(0));
      if (round % EXPAND_EVERY === 0) {
        const evaluated = await client.evaluateRequest({ expression: BIG_STRUCT, frameId: frame.id, context: 'watch' });
        await client.variablesRequest({ variablesReference: evaluated.body.variablesReference });
      }
      for (let step = 0; step < STEPS_PER_ROUND; step++) {
        started = now();
        const stopped = client.waitForEvent('stopped', 60_000);
        await client.nextRequest({ threadId });
        await shown(stopped);
        steps.push(now() - started);
      }
    }
    if (!warm) throw new Error('no memory sample after the warm-up rounds');
    const end = { adapter: sample(adapterPid), gdb: sample(gdbPid) };
    add('soak.adapterRss', 'kq', end.adapter.rssMiB - warm.adapter.rssMiB);
    add('soak.gdbRss', 'kq', end.gdb.rssMiB - warm.gdb.rssMiB);
    add('soak.adapterFds', 'kq', end.adapter.fds - warm.adapter.fds);
    add('soak.p99.first', 'kq', p99(steps.slice(0, LATENCY_WINDOW)));
    add('soak.p99.last', 'kq', p99(steps.slice(-LATENCY_WINDOW)));
    add('soak.hit', 'kq', hits.reduce((sum, value) => sum + value, 0) / Math.max(1, hits.length));
    note(
      'soak',
      `${WARM_ROUNDS} warm-up rounds, then ${rounds * STEPS_PER_ROUND} step cycles, ${rounds} ` +
        `breakpoint hits, ${Math.ceil(rounds / EXPAND_EVERY)} ${BIG_STRUCT} expansions; ` +
        (`adapter ${warm.adapter.rssMiB.toFixed(1)} -> ${end.adapter.rssMiB.toFixed(1)} MiB, ${warm.adapter.fds}` +
          ` -> ${end.adapter.fds} fds; `) +
        `gdb ${warm.gdb.rssMiB.toFixed(1)} -> ${end.gdb.rssMiB.toFixed(1)} MiB (after the warm-up -> at the end); ` +
        `adapter RSS every 100 rounds: ${rssTrail.join(', ')} MiB`,
    );
  } finally {
    await client.terminateRequest().catch(() => undefined);
    await client.stop().catch(() => undefined);
  }
}
