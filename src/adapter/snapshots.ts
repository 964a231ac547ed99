// VM snapshots of the session's QEMU: list, save, load and delete over QMP (snapshot jobs),
// with gdb kept coherent after a load, and how a launch starts from a snapshot.
//
// Every save and load happens with gdb stopped: gdb takes its breakpoints out of the target
// when it stops, so no snapshot holds a breakpoint instruction (KVM writes them into guest
// RAM) and no load pulls the VM from under a running gdb. After a load gdb drops its
// register, frame and memory caches, so what VS Code reads next is the loaded state. One
// thing stays stale: each thread's stop PC. When a thread now sits on a breakpoint, gdb
// would not step over it on resume (it re-hits it at once), and a watchpoint keeps its old
// value; then, before the next resume, gdb reconnects to the stub, which resets both. That
// costs 5 ms plus ~30 ms per breakpoint gdb re-resolves, paid only when it is needed.
import { ContinuedEvent, Event } from '@vscode/debugadapter';
import { mi } from '../mi/commands';
import { createStateDiskIfMissing, stateDiskCandidates } from '../qemu/qemuImg';
import type { QmpClient } from '../qemu/qmp';
import { hmpSnapshots, qmpSnapshots, type SnapshotBackend } from '../qemu/snapshotBackend';
import { snapshotNameProblem, STATE_DISK_NODE, suggestSnapshotName, type SnapshotLayout, type VmSnapshot } from '../qemu/vmSnapshots';
import type { CustomRequestContext, CustomRequestHandler } from './connected';
import { errors, errorText, type UserError } from './errors';
import { requireQemuImg, snapshotErrors, snapshotFailure } from './snapshotErrors';
import { fullDiskError } from './snapshotSpace';
import type { SnapshotState } from './snapshotState';
import type { KernelTarget } from './kernelTarget';
import type { RunControl } from './runControl';
import {
  SNAPSHOT_REQUEST,
  SNAPSHOTS_CHANGED_EVENT,
  type SnapshotEntry,
  type SnapshotListBody,
  type SnapshotOperationBody,
} from './snapshotProtocol';

/** How long to wait for gdb's stop report after it reconnected (it comes before ^connected). */
const RESYNC_STOP_TIMEOUT_MS = 5000;

/** The session's snapshot backend: the QEMU it started, else the monitor it attached through. */
function backendOf(target: KernelTarget): SnapshotBackend {
  if (target.config.request === 'launch' && target.config.recordReplay) {
    throw snapshotErrors.recordingSession(target.config.recordReplay.mode, target.config.recordReplay.files.snapshotDisk);
  }
  const qmp = target.qemu?.qmp ?? target.monitor?.qmp;
  if (qmp?.isClosed) throw errors.monitorClosed('VM snapshots');
  if (target.qemu) return qmpSnapshots(target.qemu.qmp);
  if (target.monitor) return target.monitor.qmp ? qmpSnapshots(target.monitor.qmp) : hmpSnapshots(target.monitor);
  throw snapshotErrors.noMonitor();
}

function qmpOf(target: KernelTarget): QmpClient {
  const qmp = backendOf(target).qmp;
  if (!qmp) throw snapshotErrors.needsQmp();
  return qmp;
}

async function layoutOf(target: KernelTarget): Promise<SnapshotLayout> {
  return backendOf(target).layout();
}

/** The VM snapshots (with VM state) of the VM: those in its vmstate image. */
function vmSnapshots(layout: SnapshotLayout): VmSnapshot[] {
  return layout.vmstate?.snapshots ?? [];
}

function toEntry(snapshot: VmSnapshot): SnapshotEntry {
  return { name: snapshot.name, id: snapshot.id, date: snapshot.date, vmClockNs: snapshot.vmClockNs, vmStateSize: snapshot.vmStateSize };
}

/** One snapshot operation at a time per VM: QEMU runs one snapshot job at a time anyway. */
async function exclusive<T>(state: SnapshotState, what: string, work: () => Promise<T>): Promise<T> {
  if (state.busy) throw snapshotErrors.busy(state.busy);
  state.busy = what;
  try {
    return await work();
  } finally {
    state.busy = undefined;
  }
}

function requireName(args: Record<string, unknown>, request: string): string {
  if (typeof args.name !== 'string') throw errors.missingArgument(request, 'name');
  return args.name;
}

function missing(name: string, layout: SnapshotLayout, running: boolean): UserError {
  const names = vmSnapshots(layout)
    .filter((snapshot) => snapshot.vmStateSize > 0)
    .map((snapshot) => `"${snapshot.name}"`);
  return snapshotErrors.missing(name, names, running);
}

async function suggestedName(context: CustomRequestContext, taken: readonly string[]): Promise<string> {
  if (context.run.isRunning) return suggestSnapshotName(undefined, taken);
  try {
    const frames = await context.target.mi.send(mi.stackListFrames(context.run.currentThreadId, 0, 0));
    return suggestSnapshotName(frames.results.tuples('stack')[0]?.optStr('func'), taken);
  } catch {
    return suggestSnapshotName(undefined, taken);
  }
}

async function listBody(context: CustomRequestContext, layout?: SnapshotLayout): Promise<SnapshotListBody> {
  const { target, run } = context;
  layout ??= await layoutOf(target);
  const state = context.snapshots;
  const snapshots = vmSnapshots(layout);
  const names = snapshots.map((snapshot) => snapshot.name);
  if (state.origin !== undefined && !names.includes(state.origin)) state.origin = undefined;
  const stateNode = layout.devices.find((node) => node.node === STATE_DISK_NODE);
  return {
    snapshots: snapshots.map(toEntry),
    image: layout.vmstate?.file,
    canSave: layout.vmstate !== undefined,
    unsavedDisks: layout.unsaved.map((node) => node.file),
    stateDisk: {
      attached: stateNode !== undefined,
      path: stateNode?.file ?? (target.config.request === 'launch' ? target.config.proposedStateDisk : undefined),
    },
    origin: state.origin,
    suggestedName: await suggestedName(context, names),
    running: run.isRunning,
  };
}

async function announceChange(context: CustomRequestContext): Promise<void> {
  context.sendEvent(new Event(SNAPSHOTS_CHANGED_EVENT, await listBody(context)));
}

const list: CustomRequestHandler = (context) => listBody(context);

/**
 * A save, load or delete: the named snapshot, one operation at a time, timed, said in the
 * Debug Console, and announced to the view. `work` returns how long QEMU's job took.
 */
function operation(
  request: string,
  doing: string,
  done: string,
  work: (context: CustomRequestContext, name: string, args: Record<string, unknown>) => Promise<number>,
): CustomRequestHandler {
  return async (context, args) => {
    const started = Date.now();
    const name = requireName(args, request);
    backendOf(context.target);
    const qemuMs = await exclusive(context.snapshots, `${doing} snapshot "${name}"`, () => work(context, name, args));
    const body: SnapshotOperationBody = { qemuMs, totalMs: Date.now() - started };
    context.print(`Snapshot "${name}" ${done} in ${body.totalMs} ms.\n`);
    // The view's refresh needs another QMP query: it follows the answer instead of delaying it.
    announceChange(context).catch((error: unknown) => context.print(`Snapshots view not refreshed: ${errorText(error)}\n`));
    return body;
  };
}

const save = operation(SNAPSHOT_REQUEST.save, 'saving', 'saved', async (context, name, args) => {
  const problem = snapshotNameProblem(name);
  if (problem) throw snapshotErrors.badName(problem);
  const { target, run } = context;
  const backend = backendOf(target);
  const layout = await backend.layout();
  if (!layout.vmstate) throw noStorage(target);
  const exists = layout.devices.some((node) => node.snapshots.some((snapshot) => snapshot.name === name));
  if (exists && args.overwrite !== true) {
    throw snapshotErrors.exists(name);
  }
  const halted = await run.haltSilently();
  const jobStarted = Date.now();
  try {
    if (exists) await backend.remove(layout, name);
    await backend.save(layout, name);
  } catch (error) {
    const what = `Saving snapshot "${name}"`;
    throw (
      (await fullDiskError(what, layout.vmstate.file, target.config.request === 'launch' ? target.config.memory : undefined, error)) ??
      snapshotFailure(what, error)
    );
  } finally {
    if (halted) await run.resumeAfterSilentHalt().catch(() => undefined);
  }
  if (layout.unsaved.length) {
    context.print(
      `Snapshot "${name}" holds the VM state only: ${layout.unsaved.map((node) => node.file).join(', ')} (raw) is not part of it.\n`,
    );
  }
  return Date.now() - jobStarted;
});

const load = operation(SNAPSHOT_REQUEST.load, 'loading', 'loaded', async (context, name, args) => {
  const { target, run, stack, variables } = context;
  const backend = backendOf(target);
  const layout = await backend.layout();
  if (!vmSnapshots(layout).some((snapshot) => snapshot.name === name && snapshot.vmStateSize > 0))
    throw missing(name, layout, run.isRunning);
  const wasRunning = run.isRunning;
  const resume = typeof args.resume === 'boolean' ? args.resume : wasRunning;
  await run.haltSilently();
  const jobStarted = Date.now();
  let loadError: unknown;
  await backend.load(layout, name).catch((error: unknown) => (loadError = error));
  const qemuMs = Date.now() - jobStarted;
  // Whatever QEMU did, gdb reads the target afresh before anyone looks at it again.
  await forgetTargetState(target);
  stack.reset();
  variables.reset();
  run.resyncBeforeNextResume(() => resyncStopPcs(target, run));
  if (loadError !== undefined) {
    if (wasRunning) await run.continue().catch(() => undefined);
    throw snapshotFailure(`Loading snapshot "${name}"`, loadError);
  }
  context.snapshots.origin = name;
  if (resume) {
    await run.stateReplaced('resume');
    if (!wasRunning) context.sendEvent(new ContinuedEvent(run.currentThreadId, true));
  } else {
    await run.stateReplaced({ description: `Snapshot "${name}" loaded` });
  }
  return qemuMs;
});

/** gdb's caches of the target (registers, frames, memory) go: the next reads are of the loaded state. */
async function forgetTargetState(target: KernelTarget): Promise<void> {
  await target.mi.send(mi.consoleCommand('maintenance flush register-cache'));
  await target.mi.send(mi.consoleCommand('maintenance flush dcache'));
}

/**
 * Before the first resume after a load: when a thread's restored PC holds a breakpoint, or a
 * watchpoint exists, gdb's per-thread stop state is wrong for the loaded VM (see the file
 * comment) and gdb reconnects to the stub; otherwise nothing is needed.
 */
async function resyncStopPcs(target: KernelTarget, run: RunControl): Promise<void> {
  if (!(await stopStateMatters(target))) return;
  const { stopped, cancel } = run.swallowNextStop();
  await target.reconnect();
  // gdb reports where the target is (a *stopped before ^connected); it is not shown again.
  const timer = setTimeout(cancel, RESYNC_STOP_TIMEOUT_MS);
  await stopped.catch(() => undefined);
  clearTimeout(timer);
}

async function stopStateMatters(target: KernelTarget): Promise<boolean> {
  const [threads, table] = await Promise.all([target.mi.send(mi.threadInfo()), target.mi.send(mi.breakList())]);
  const pcs = new Set<string>();
  for (const thread of threads.results.tuples('threads')) {
    const pc = normalizedAddress(thread.optTuple('frame')?.optStr('addr'));
    if (pc !== undefined) pcs.add(pc);
  }
  for (const bkpt of table.results.tuple('BreakpointTable').tuples('body')) {
    if (/watchpoint/.test(bkpt.optStr('type') ?? '')) return true;
    if (bkpt.optStr('enabled') !== 'y') continue;
    const locations = bkpt.tuples('locations');
    for (const location of locations.length ? locations : [bkpt]) {
      const address = normalizedAddress(location.optStr('addr'));
      if (location.optStr('enabled') !== 'n' && address !== undefined && pcs.has(address)) return true;
    }
  }
  return false;
}

/** gdb's "0xffffffff8134a472" as a BigInt's hex, so differently padded forms compare equal. */
function normalizedAddress(text: string | undefined): string | undefined {
  if (!text || !/^0x[0-9a-f]+$/i.test(text)) return undefined;
  return BigInt(text).toString(16);
}

const remove = operation(SNAPSHOT_REQUEST.delete, 'deleting', 'deleted', async (context, name, args) => {
  const { target, run } = context;
  const state = context.snapshots;
  const layout = await layoutOf(target);
  if (!layout.devices.some((node) => node.snapshots.some((snapshot) => snapshot.name === name))) throw missing(name, layout, run.isRunning);
  if (name === state.origin && args.force !== true) {
    const launchedFrom = target.config.request === 'launch' && target.config.snapshot === name;
    throw snapshotErrors.isOrigin(name, launchedFrom);
  }
  const jobStarted = Date.now();
  try {
    await backendOf(target).remove(layout, name);
  } catch (error) {
    throw snapshotFailure(`Deleting snapshot "${name}"`, error);
  }
  if (state.origin === name) state.origin = undefined;
  return Date.now() - jobStarted;
});

function noStorage(target: KernelTarget): UserError {
  const rootfs = target.config.request === 'launch' ? target.config.rootfs : undefined;
  return snapshotErrors.noStorage(rootfs?.format === 'raw' ? rootfs.path : undefined);
}

/** Attaches the session's state disk (creating it in its private directory) without a guest device. */
const attachStateDisk: CustomRequestHandler = async (context) => {
  const { target } = context;
  const qmp = qmpOf(target);
  const state = context.snapshots;
  const config = target.config;
  if (config.request !== 'launch') throw snapshotErrors.stateDiskNeedsLaunch();
  const body = await exclusive(state, 'attaching a state disk', async () => {
    const layout = await layoutOf(target);
    const attached = layout.devices.find((node) => node.node === STATE_DISK_NODE);
    if (attached) return { path: attached.file, created: false };
    // The configuration's state disk, or (another session of the same kernel holds it: QEMU's
    // write lock) one of its own beside it.
    let held: unknown;
    for (const file of stateDiskCandidates(config.proposedStateDisk)) {
      try {
        const created = await createStateDiskIfMissing(requireQemuImg(config), file);
        await qmp.execute('blockdev-add', { driver: 'qcow2', 'node-name': STATE_DISK_NODE, file: { driver: 'file', filename: file } });
        if (held)
          context.print(
            `The state disk ${config.proposedStateDisk} is in use by another QEMU (another session of ` +
              `this kernel?): this session uses ${file}.\n`,
          );
        return { path: file, created };
      } catch (error) {
        if (!/Failed to get "write" lock/.test(errorText(error))) throw snapshotFailure(`Attaching the state disk ${file}`, error);
        held = error;
      }
    }
    throw snapshotFailure(`Attaching a state disk beside ${config.proposedStateDisk}`, held);
  });
  context.print(
    `State disk ${body.created ? 'created and ' : ''}attached: ${body.path} (VM state of ` +
      `snapshots goes there; the guest does not see it).\n`,
  );
  await announceChange(context);
  return body;
};

export const snapshotRequests: Readonly<Record<string, CustomRequestHandler>> = {
  [SNAPSHOT_REQUEST.list]: list,
  [SNAPSHOT_REQUEST.save]: save,
  [SNAPSHOT_REQUEST.load]: load,
  [SNAPSHOT_REQUEST.delete]: remove,
  [SNAPSHOT_REQUEST.attachStateDisk]: attachStateDisk,
};
