// `npm run bench`: every scenario of the performance issue, three ways in the same run (raw
// gdb/MI script, kernel-qemu's adapter over DAP, cdt-gdb-adapter over DAP), with repetitions;
// prints medians, ratios and PASS/MISS per target, and writes the samples as JSON.
//
//   npm run bench -- [--arch x86_64|aarch64] [--reps N] [--out FILE] [--tools raw,kq,cdt]
//                    [--no-build] [--no-package] [--scenarios 1,2,6,7,14]
//
// Scenario 8 (not run by default: --scenarios 8): a guest forks 1,000 sleeping tasks; list
// them all and expand one sleeping task's stack (scripts/bench/tasks.ts), raw and kernel-qemu.
//
// Scenario 10 (not run by default: --scenarios 10): the first kernel of a fresh tree (scripts/bench/firstKernel.ts).
// Scenario 11 (not run by default: --scenarios 11): F5's Build Kernel in a built, unchanged tree (scripts/bench/upToDate.ts).
// Scenario 12 (not run by default: --scenarios 12): a long session (--soak-rounds N, default 500), scripts/bench/soak.ts.
// Scenario 13 (not run by default: --arch aarch64 --scenarios 13): record overhead, Reverse Continue and Step Back (scripts/bench/reverse.ts).
// Scenario 9 (not run by default: --scenarios 9): the guest (scripts/bench/guest.ts):
// initramfs, Debian image cold and cached, boot to the autologin shell, against the plain commands.
// Scenario 14: step cycles with 8 vCPUs (-smp 8), raw
// and kernel-qemu, where naming each vCPU's task must not cost more per vCPU.
// Scenario 7 (restart, kernel-qemu only): from a stop in STOP_FUNCTION, DAP restart to the
// stop at start_kernel, against scenario 1's warm launch of the same run.
//
// Scenarios 2-5 share one session per tool; without scenario 1 they use the default cache
// (~/.cache/kernel-qemu) as the warm gdb index.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { benchKernel, median, removeDir, ROOT, tempDir, type Arch } from './common';
import { formatReport, TARGETS, evaluateTargets, type Results } from './report';
import { measureActivation, measureVsix } from './static';
import { ensurePeerAdapter } from './peer';
import { FORKED_TASKS, tasksScenario } from './tasks';
import { guestScenario } from './guest';
import { firstKernelScenario } from './firstKernel';
import { upToDateScenario } from './upToDate';
import { soakScenario } from './soak';
import { reverseScenario } from './reverse';
import { cdtTool } from './cdtTool';
import { rawTool } from './rawTool';
import { kernelQemuTool, STOP_FUNCTION, type Tool, type ToolName, type ToolSession } from './tools';

interface Options {
  arch: Arch;
  reps: number;
  steps: number;
  dataReps: number;
  snapshotReps: number;
  out: string | undefined;
  tools: ToolName[];
  scenarios: Set<string>;
  build: boolean;
  packageVsix: boolean;
  soakRounds: number;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = {
    arch: 'x86_64',
    reps: 3,
    steps: 20,
    dataReps: 5,
    snapshotReps: 3,
    out: undefined,
    tools: ['raw', 'kq', 'cdt'],
    scenarios: new Set(['1', '2', '6', '7', '14']),
    build: true,
    packageVsix: true,
    soakRounds: 500,
  };
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    const value = () => {
      const next = argv[++index];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    if (arg === '--arch') {
      const arch = value();
      if (arch !== 'x86_64' && arch !== 'aarch64') throw new Error(`--arch: x86_64 or aarch64, not ${arch}`);
      options.arch = arch;
    } else if (arg === '--aarch64') options.arch = 'aarch64';
    else if (arg === '--reps') options.reps = Math.max(1, Number(value()));
    else if (arg === '--soak-rounds') options.soakRounds = Math.max(30, Number(value()));
    else if (arg === '--out') options.out = path.resolve(value());
    else if (arg === '--tools') options.tools = value().split(',') as ToolName[];
    else if (arg === '--scenarios')
      options.scenarios = new Set(
        value()
          .split(',')
          .map((scenario) => (/^[2-5]$/.test(scenario) ? '2' : scenario)),
      );
    else if (arg === '--no-build') options.build = false;
    else if (arg === '--no-package') options.packageVsix = false;
    else throw new Error(`unknown option ${arg}`);
  }
  return options;
}

const DEFAULT_CACHE = process.env.KERNEL_QEMU_CACHE ?? path.join(os.homedir(), '.cache/kernel-qemu');

function log(text: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${text}\n`);
}

function add(results: Results, metric: string, tool: ToolName, value: number): void {
  ((results.samples[metric] ??= {})[tool] ??= []).push(value);
}

/** Launch -> start_kernel with an empty gdb index cache, then with the one that run filled. */
async function launchScenario(tools: readonly Tool[], options: Options, results: Results, warmRoots: Map<ToolName, string>): Promise<void> {
  for (const phase of ['cold', 'warm'] as const) {
    for (let rep = 0; rep < options.reps; rep++) {
      // Interleaved, so a noisy moment on the machine hits every tool alike.
      for (const tool of tools) {
        const cacheRoot = phase === 'cold' ? tempDir(`${tool.name}-cold`) : warmRoots.get(tool.name)!;
        const { ms, session } = await tool.launch({ cacheRoot });
        await session.close();
        add(results, `launch.${phase}`, tool.name, ms);
        log(`${tool.label}: launch ${phase} #${rep + 1}: ${ms.toFixed(0)} ms`);
        if (phase === 'cold') {
          // The last cold run's cache is the warm one.
          const previous = warmRoots.get(tool.name);
          if (previous) removeDir(previous);
          warmRoots.set(tool.name, cacheRoot);
        }
      }
    }
  }
}

/** A tool's warm session, stopped in STOP_FUNCTION. */
interface Running {
  tool: Tool;
  session: ToolSession;
  lines: string[];
}

/**
 * Stays in STOP_FUNCTION: once a step leaves it, the next open's hit is where stepping goes
 * on. True when it continued there.
 */
async function advance(session: ToolSession): Promise<boolean> {
  if (session.func === STOP_FUNCTION) return false;
  await session.continueToStopFunction();
  return true;
}

/** vCPUs of the many-vCPU step scenario (11). */
const MANY_VCPUS = 8;

/** Step cycles at smp 8: one session per tool, the tools taking turns, as in scenario 2. */
async function manyVcpuScenario(tools: readonly Tool[], options: Options, results: Results): Promise<void> {
  const running: Running[] = [];
  try {
    for (const tool of tools.filter((candidate) => candidate.name !== 'cdt')) {
      const { session } = await tool.launch({ cacheRoot: DEFAULT_CACHE, smp: MANY_VCPUS });
      running.push({ tool, session, lines: [] });
      await session.continueToStopFunction();
      log(`${tool.label}: stopped in ${STOP_FUNCTION} (smp ${MANY_VCPUS})`);
    }
    await rounds(running, options.steps, async ({ tool, session }) => {
      await advance(session);
      add(results, 'step.cycle.smp8', tool.name, await session.stepCycle());
    });
    log(`${options.steps} step cycles each at smp ${MANY_VCPUS}`);
  } finally {
    await Promise.all(running.map(({ session }) => session.close()));
  }
}

/** Restart from a stop in STOP_FUNCTION to the stop at start_kernel, `reps` times in one session. */
async function restartScenario(tool: Tool, options: Options, results: Results): Promise<void> {
  log(`scenario 7: ${tool.label} restart -> start_kernel (${options.reps} times)`);
  const { session } = await tool.launch({ cacheRoot: DEFAULT_CACHE });
  try {
    for (let rep = 0; rep < options.reps; rep++) {
      await session.continueToStopFunction();
      const ms = await session.restart!();
      add(results, 'restart', tool.name, ms);
      log(`${tool.label}: restart #${rep + 1}: ${ms.toFixed(0)} ms`);
    }
  } finally {
    await session.close();
  }
}

/** Each round runs every tool once, in alternating order, so a noisy moment hits all of them. */
async function rounds(running: readonly Running[], count: number, work: (run: Running, round: number) => Promise<void>): Promise<void> {
  for (let round = 0; round < count; round++) {
    const order = round % 2 ? [...running].reverse() : running;
    for (const run of order) await work(run, round);
  }
}

/**
 * Step cycles, the big struct, registers/memory/disassembly and snapshots: one warm session
 * per tool, all alive at once, the tools taking turns at every repetition.
 */
async function sessionScenarios(
  tools: readonly Tool[],
  options: Options,
  results: Results,
  cacheRoot: (tool: Tool) => string,
): Promise<void> {
  const running: Running[] = [];
  try {
    for (const tool of tools) {
      const { session } = await tool.launch({ cacheRoot: cacheRoot(tool), snapshots: true });
      const run: Running = { tool, session, lines: [] };
      running.push(run);
      await session.continueToStopFunction();
      run.lines.push(session.location);
      log(`${tool.label}: stopped in ${STOP_FUNCTION}`);
    }
    await rounds(running, options.steps, async ({ tool, session, lines }) => {
      if (await advance(session)) lines.push(session.location);
      add(results, 'step.cycle', tool.name, await session.stepCycle());
      lines.push(session.location);
    });
    for (const { tool, lines } of running) results.stepLines[tool.name] = lines;
    log(`${options.steps} step cycles each`);

    await rounds(running, options.dataReps, async ({ tool, session }, round) => {
      // A fresh stop each time: nothing a previous expansion cached may help.
      await advance(session);
      await session.stepCycle();
      const expanded = await session.expand();
      add(results, 'expand.total', tool.name, expanded.evaluate + expanded.children);
      // The first expansion of the session also pays for gdb reading init_task's debug info.
      if (round === 0) add(results, 'expand.first', tool.name, expanded.evaluate + expanded.children);
      add(results, 'expand.evaluate', tool.name, expanded.evaluate);
      add(results, 'expand.children', tool.name, expanded.children);
      add(results, 'expand.nested', tool.name, expanded.nested);
      if (expanded.childCount) results.notes[`expand.${tool.name}`] = `${expanded.childCount} children, ${expanded.nestedCount} in .se`;
      const raw = session as ToolSession & { expandWithVarobjs?: () => Promise<{ create: number; children: number; nested: number }> };
      if (raw.expandWithVarobjs) {
        const varobjs = await raw.expandWithVarobjs();
        add(results, 'expand.varobjs', tool.name, varobjs.create + varobjs.children);
      }
      add(results, 'data.registers', tool.name, await session.registers());
      add(results, 'data.memory', tool.name, await session.readMemory4k());
      add(results, 'data.disassemble', tool.name, await session.disassemble50());
    });
    log(`${options.dataReps} x expand, registers, memory, disassembly each`);
    for (const { tool, session } of running) {
      if (!session.checkEditing) continue;
      results.notes[`editing.${tool.name}`] = await session
        .checkEditing()
        .catch((error: unknown) => `FAILED: ${error instanceof Error ? error.message : String(error)}`);
    }

    const snapshotting = running.filter(({ session }) => session.snapshot !== undefined);
    await rounds(snapshotting, options.snapshotReps, async ({ tool, session }, round) => {
      const { save, load } = await session.snapshot!(`bench-${round + 1}`);
      add(results, 'snapshot.save', tool.name, save);
      add(results, 'snapshot.load', tool.name, load);
    });
    if (snapshotting.length) log(`${options.snapshotReps} x snapshot save + load each`);
    for (const { tool, session } of running) {
      const rss = session.adapterPeakRssMiB();
      if (rss !== undefined) add(results, 'static.rss', tool.name, rss);
    }
  } finally {
    await Promise.all(running.map(({ session }) => session.close()));
  }
}

function versions(kernel: { vmlinux: string; gdb: string; qemu: string }, peerVersion: string): Record<string, string> {
  const first = (file: string, args: string[]) => {
    try {
      return execFileSync(file, args, { encoding: 'utf8' }).split('\n')[0]!.trim();
    } catch {
      return 'unknown';
    }
  };
  return {
    gdb: first(kernel.gdb, ['--version']),
    qemu: first(kernel.qemu, ['--version']),
    node: process.version,
    cdtGdbAdapter: peerVersion,
    cpus: `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}`,
  };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const kernel = benchKernel(options.arch);
  if (options.build) execFileSync(process.execPath, [path.join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, stdio: 'inherit' });
  // The peer adapter is installed (outside the project) only when it is run.
  const peer = options.tools.includes('cdt') ? ensurePeerAdapter(log) : undefined;
  const all: Partial<Record<ToolName, Tool>> = {
    raw: rawTool(kernel),
    kq: kernelQemuTool(kernel),
    ...(peer ? { cdt: cdtTool(kernel, peer.dir) } : {}),
  };
  const tools = options.tools.map((name) => {
    if (!all[name]) throw new Error(`--tools: unknown tool ${name}`);
    return all[name];
  });
  const results: Results = {
    arch: options.arch,
    date: new Date().toISOString(),
    versions: versions(kernel, peer?.version ?? 'not run'),
    options: { reps: options.reps, steps: options.steps, dataReps: options.dataReps, snapshotReps: options.snapshotReps },
    samples: {},
    notes: {},
    stepLines: {},
    medians: {},
    targets: [],
    durationS: 0,
  };
  for (const tool of tools) if (tool.warmNote) results.notes[`warm.${tool.name}`] = tool.warmNote;

  const warmRoots = new Map<ToolName, string>();
  try {
    if (options.scenarios.has('1')) {
      log(`scenario 1: launch -> start_kernel (${options.reps} cold + ${options.reps} warm per tool)`);
      await launchScenario(tools, options, results, warmRoots);
    }
    if (options.scenarios.has('2')) {
      log(`scenarios 2-5: ${tools.map((tool) => tool.label).join(', ')}, taking turns`);
      await sessionScenarios(tools, options, results, (tool) => warmRoots.get(tool.name) ?? DEFAULT_CACHE);
    }
  } finally {
    for (const dir of warmRoots.values()) removeDir(dir);
  }
  if (options.scenarios.has('14')) {
    log(`scenario 14: step cycles at smp ${MANY_VCPUS}`);
    await manyVcpuScenario(tools, options, results);
  }
  if (options.scenarios.has('7')) {
    const kq = tools.find((tool) => tool.name === 'kq');
    if (kq) await restartScenario(kq, options, results);
  }
  if (options.scenarios.has('8')) {
    log(`scenario 8: ${FORKED_TASKS} forked tasks: list them, expand one sleeping task's stack (${options.reps} times per tool)`);
    await tasksScenario(
      kernel,
      options.tools,
      options.reps,
      (metric, tool, value) => add(results, metric, tool, value),
      (key, text) => (results.notes[key] = text),
    );
  }
  if (options.scenarios.has('9')) {
    log('scenario 9: the guest: initramfs, Debian image (cold, cached), boot to the autologin shell');
    await guestScenario(
      kernel,
      options.tools,
      options.reps,
      (metric, tool, value) => add(results, metric, tool, value),
      (key, text) => (results.notes[key] = text),
    );
  }
  if (options.scenarios.has('10')) {
    log('scenario 10: the first kernel of a fresh tree (the minimal QEMU configuration), Build Kernel against the make commands');
    await firstKernelScenario(
      (metric, tool, value) => add(results, metric, tool, value),
      (key, text) => (results.notes[key] = text),
    );
  }
  if (options.scenarios.has('11')) {
    log(`scenario 11: F5's Build Kernel in a built, unchanged tree against a no-op make (${options.reps} times)`);
    await upToDateScenario(
      options.reps,
      (metric, tool, value) => add(results, metric, tool, value),
      (key, text) => (results.notes[key] = text),
    );
  }
  if (options.scenarios.has('12')) {
    log(`scenario 12: one session, ${options.soakRounds} breakpoint hits with 4 steps each, init_task expanded every 5th`);
    await soakScenario(
      kernel,
      options.soakRounds,
      (metric, tool, value) => add(results, metric, tool, value),
      (key, text) => (results.notes[key] = text),
    );
  }
  if (options.scenarios.has('13')) {
    log('scenario 13: time travel: record overhead, Reverse Continue and Step Back, kernel-qemu against raw gdb on the same recording');
    await reverseScenario(
      kernel,
      (metric, tool, value) => add(results, metric, tool, value),
      (key, text) => (results.notes[key] = text),
    );
  }
  if (options.tools.includes('kq') && options.scenarios.has('6')) {
    log('scenario 6: activation, .vsix');
    const activation = measureActivation();
    add(results, 'static.activation', 'kq', activation.total);
    results.notes['static.activation'] =
      `load ${activation.load.toFixed(1)} ms + activate() ${activation.activate.toFixed(1)} ms, fresh node, stand-in vscode`;
    if (options.packageVsix) add(results, 'static.vsix', 'kq', measureVsix() / 1024);
  }

  for (const [metric, byTool] of Object.entries(results.samples)) {
    results.medians[metric] = Object.fromEntries(Object.entries(byTool).map(([tool, values]) => [tool, median(values)]));
  }
  results.targets = evaluateTargets(results, TARGETS);
  results.durationS = (Date.now() - started) / 1000;
  process.stdout.write(formatReport(results));
  const out = options.out ?? path.join(ROOT, 'bench-results', `bench-${options.arch}-${results.date.replace(/[:.]/g, '-')}.json`);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  log(`results written to ${path.relative(process.cwd(), out) || out} (${results.durationS.toFixed(0)} s)`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
