// One launch → stop → end cycle of a real session, ended in one of the ways sessions end in
// real life (the user's Stop, a closed editor, QEMU or gdb dying, the adapter killed), at one
// of the moments it can happen. Used by test/adapter/lifecycle.test.ts (each kind once) and
// test/stress/lifecycle.stress.ts (100 mixed cycles).
import { ErrorCode } from '../../src/adapter/errors';
import {
  closeIsolated,
  errorIdOf,
  launchToStop,
  leftoversIn,
  nextEvent,
  orphansOf,
  rawRequest,
  sleep,
  startIsolated,
  timeout,
  toolsOf,
  wrapperScript,
  type IsolatedAdapter,
  type ProcessInfo,
} from './faultSupport';
import { launchConfig, type TestKernel } from './support';

export type Ending = 'terminate' | 'disconnect' | 'kill-qemu' | 'kill-gdb' | 'kill-adapter' | 'stop-qemu' | 'stop-gdb';
export type Moment = 'launching' | 'stopped' | 'running' | 'stepping';

export const ENDINGS: readonly Ending[] = ['terminate', 'disconnect', 'kill-qemu', 'kill-gdb', 'kill-adapter', 'stop-qemu', 'stop-gdb'];
export const MOMENTS: readonly Moment[] = ['launching', 'stopped', 'running', 'stepping'];

/** Lines the wrapped QEMU and gdb write to stderr before they exec the real tool. */
export const QEMU_STDERR_MARK = 'kq-lifecycle: last line of QEMU stderr';
export const GDB_STDERR_MARK = 'kq-lifecycle: last line of gdb stderr';

export interface Wrappers {
  qemuPath: string;
  gdbPath: string;
}

/** Wrapped qemu-system-x86_64 and gdb that leave a known last line on stderr (in `dir`). */
export function makeWrappers(dir: string): Wrappers {
  return {
    qemuPath: wrapperScript(dir, 'qemu-wrapped', 'qemu-system-x86_64', {
      stderrLines: ['kq-lifecycle: first line of QEMU stderr', QEMU_STDERR_MARK],
    }),
    gdbPath: wrapperScript(dir, 'gdb-wrapped', 'gdb', { stderrLines: ['kq-lifecycle: first line of gdb stderr', GDB_STDERR_MARK] }),
  };
}

export interface CycleResult {
  ending: Ending;
  moment: Moment;
  ms: number;
  /** Processes (QEMU, gdb, the adapter) still alive 5 s after the cycle ended. */
  orphans: ProcessInfo[];
  /** Files left in the adapter's TMPDIR that should not be there. */
  leftovers: string[];
  /** What the user was told about an unexpected death (launch error or Debug Console text). */
  report: string | undefined;
  problems: string[];
}

export interface CycleOptions {
  kernel: TestKernel;
  /** Shared by the cycles of a run, so a killed adapter's stale directory is swept by the next launch. */
  tmpdir: string;
  wrappers?: Wrappers;
  /** Deterministic randomness for the moment within 'launching' (0..1). */
  random?: () => number;
}

export async function runCycle(ending: Ending, moment: Moment, options: CycleOptions): Promise<CycleResult> {
  const started = Date.now();
  const problems: string[] = [];
  const random = options.random ?? Math.random;
  const adapter = await startIsolated(options.tmpdir);
  const { client } = adapter;
  const config = launchConfig(options.kernel, options.wrappers ? { ...options.wrappers } : {});
  let launchError: string | undefined;
  let threadId = 1;
  const launching = launchToStop(client, config).then(
    (stopped) => {
      threadId = stopped.body.threadId ?? 1;
      return 'stopped' as const;
    },
    (error: Error) => {
      launchError = error.message;
      return 'failed' as const;
    },
  );
  const terminated = nextEvent(client, 'terminated', 60_000).then((event) => event !== undefined);

  let victim: ProcessInfo | undefined;
  if (moment === 'launching') {
    // Mid-start: both tools run (gdb may be loading symbols or connecting), at a random point.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const tools = toolsOf(options.tmpdir);
      if (tools.qemu.length > 0 && tools.gdb.length > 0) break;
      if (Date.now() > deadline || adapter.hasExited()) {
        problems.push('QEMU and gdb never both ran during the launch');
        break;
      }
      await sleep(5);
    }
    await sleep(Math.floor(random() * 400));
  } else {
    const outcome = await launching;
    if (outcome !== 'stopped') problems.push(`launch failed: ${launchError}`);
    if (moment === 'running') {
      await client.continueRequest({ threadId });
      await sleep(300);
    } else if (moment === 'stepping') {
      void client.nextRequest({ threadId }).catch(() => undefined);
      await sleep(2);
    }
  }

  const tools = toolsOf(options.tmpdir);
  const runtimeDirs = leftoversIn(options.tmpdir).filter((entry) => /^kernel-qemu-[^/]+$/.test(entry));
  switch (ending) {
    case 'terminate': {
      await client.terminateRequest().catch((error: Error) => problems.push(`terminate failed: ${error.message}`));
      if (!(await terminated)) problems.push('no terminated event after terminate');
      await closeIsolated(adapter);
      break;
    }
    case 'disconnect': {
      await client.disconnectRequest({}).catch((error: Error) => problems.push(`disconnect failed: ${error.message}`));
      await Promise.race([adapter.exited, timeout(10_000)]);
      if (!adapter.hasExited()) problems.push('the adapter did not exit after disconnect');
      await closeIsolated(adapter);
      break;
    }
    case 'kill-qemu':
    case 'kill-gdb': {
      const [list, name, mark] = ending === 'kill-qemu' ? [tools.qemu, 'QEMU', QEMU_STDERR_MARK] : [tools.gdb, 'gdb', GDB_STDERR_MARK];
      victim = list[0];
      if (!victim) {
        problems.push(`no ${name} process to kill`);
      } else {
        process.kill(victim.pid, 'SIGKILL');
        const told = await toldAbout(adapter, launching, () => launchError, terminated, moment === 'launching');
        if (!told) problems.push(`the death of ${name} was not reported`);
        else {
          if (!told.includes(`${name} was killed by SIGKILL`)) problems.push(`the report does not say ${name} was killed: ${told}`);
          if (options.wrappers && !told.includes(mark)) problems.push(`the report lacks the last line of ${name}'s stderr: ${told}`);
        }
        await closeIsolated(adapter);
        return finish(told);
      }
      await closeIsolated(adapter);
      break;
    }
    case 'stop-qemu':
    case 'stop-gdb': {
      // SIGSTOP (Ctrl+Z): a request is still answered (a success or a named error, within the
      // hang watch's grace), and the disconnect that follows ends both, stopped or not.
      const [list, name] = ending === 'stop-qemu' ? [tools.qemu, 'QEMU'] : [tools.gdb, 'gdb'];
      victim = list[0];
      if (!victim) problems.push(`no ${name} process to stop`);
      else {
        process.kill(victim.pid, 'SIGSTOP');
        if (moment !== 'launching') {
          const answer = await rawRequest(client, 'evaluate', { expression: 'p $pc', context: 'repl' }, 10_000);
          if (!answer) problems.push(`no answer within 10 s with ${name} stopped`);
          else if (!answer.success && (errorIdOf(answer) === undefined || errorIdOf(answer) === ErrorCode.Internal))
            problems.push(`an unnamed error with ${name} stopped: ${answer.message}`);
        }
        if (!(await rawRequest(client, 'disconnect', {}, 10_000)))
          problems.push(`disconnect not answered within 10 s with ${name} stopped`);
        await Promise.race([adapter.exited, timeout(10_000)]);
        if (!adapter.hasExited()) problems.push('the adapter did not exit after disconnect');
      }
      await closeIsolated(adapter);
      break;
    }
    case 'kill-adapter': {
      process.kill(adapter.pid, 'SIGKILL');
      await adapter.exited;
      break;
    }
  }
  return finish(undefined);

  async function finish(report: string | undefined): Promise<CycleResult> {
    const orphans = await orphansOf(options.tmpdir, 5000);
    let leftovers = leftoversIn(options.tmpdir).filter((entry) => !entry.startsWith('qemu-wrapped') && !entry.startsWith('gdb-wrapped'));
    if (ending === 'kill-adapter') {
      // SIGKILL runs no cleanup: the session's own directory stays until the next launch sweeps it.
      const own = new Set(runtimeDirs);
      leftovers = leftovers.filter((entry) => !own.has(entry.split('/')[0]!));
    }
    return { ending, moment, ms: Date.now() - started, orphans, leftovers, report, problems };
  }
}

/** The launch error (death while starting) or the Debug Console's "Session ended: ..." (death later), bounded. */
async function toldAbout(
  adapter: IsolatedAdapter,
  launching: Promise<'stopped' | 'failed'>,
  launchError: () => string | undefined,
  terminated: Promise<boolean>,
  duringLaunch: boolean,
): Promise<string | undefined> {
  if (duringLaunch) {
    const outcome = await Promise.race([launching, timeout(30_000).then(() => 'timeout' as const)]);
    if (outcome === 'failed') return launchError();
    if (outcome === 'timeout') return undefined;
    // It stopped before the death was noticed: then the session reports it as it ends.
  }
  const ended = await Promise.race([terminated, timeout(30_000).then(() => false)]);
  if (!ended) return undefined;
  await sleep(50);
  return adapter.output.filter((text) => text.startsWith('Session ended:')).join('') || undefined;
}

/** A seeded PRNG (mulberry32), so a failing stress run can be repeated with STRESS_SEED. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
