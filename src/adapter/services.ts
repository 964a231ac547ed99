// The session's services, made once gdb is connected (buildServices), and the wiring of their
// events to DAP events (wireServices). session.ts dispatches requests to them.
import { BreakpointEvent, ContinuedEvent, ModuleEvent } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { mi } from '../mi/commands';
import { BreakpointService } from './breakpoints';
import { cacheDirectory } from './cacheDirectory';
import type { ResolvedConfig } from './configCheck';
import type { Connected } from './connected';
import { DisassemblyService } from './disassembly';
import { errorText } from './errors';
import { EvaluationPolicy } from './evaluationPolicy';
import { showsUnsolicited } from './gdbOutput';
import { GotoTargets } from './gotoTargets';
import { HardwareSlots, readDebugFeatures, slotLimits } from './hardwareSlots';
import { KernelLog } from './kernel/dmesg';
import { KernelExceptions } from './kernel/kernelExceptions';
import { readerFromGdb } from './kernel/kernelReader';
import { layoutFromGdb } from './kernel/kernelLayout';
import { ModuleTracker, type LoadedModule } from './kernel/modules';
import { serialPanicReporter } from './kernel/panic';
import { SerialConsole } from './kernel/serialConsole';
import { KernelLists } from './kernel/lists';
import { PerCpuValues } from './kernel/perCpu';
import { TaskThreads } from './kernel/taskThreads';
import { TaskInspector } from './kernel/tasks';
import { UserMemory } from './kernel/userMemory';
import type { KernelTarget } from './kernelTarget';
import { MemoryService } from './memory';
import { sessionRepl } from './repl';
import { ReverseExecution } from './reverse';
import { replayInPlace } from './replaySwitch';
import { SnapshotState } from './snapshotState';
import { StallWatch } from './stallWatch';
import { RunControl } from './runControl';
import { detectSourceRoot, SourceMapper } from './sourceMap';
import { MissingSourceHint } from './missingSource';
import type { SessionLog } from './sessionLog';
import { StackService } from './stack';
import { StopCache } from './stopCache';
import type { StopInfo } from './stopReasons';
import { VariableService } from './variables';

/** What the services need of the DAP session. */
export interface SessionHooks {
  print: (text: string) => void;
  sendEvent(event: DebugProtocol.Event): void;
  reportStop(stop: StopInfo): void;
  endWith(message: string): void;
}

export async function buildServices(
  target: KernelTarget,
  config: ResolvedConfig,
  underKvm: boolean,
  hooks: SessionHooks,
): Promise<Connected> {
  const sourceRoot = config.sourceRoot ?? detectSourceRoot(config.cwd, config.program);
  if (sourceRoot && !config.sourceRoot) hooks.print(`Sources: using the kernel tree at ${sourceRoot}\n`);
  const sources = new SourceMapper(config.sourceFileMap, sourceRoot);
  for (const [from, to] of sources.substitutions) {
    await target.mi
      .send(mi.setSubstitutePath(from, to))
      .catch((error: unknown) => hooks.print(`sourceFileMap ${from} -> ${to}: ${errorText(error)}\n`));
  }
  const accel = config.request === 'attach' ? 'attach' : underKvm ? 'kvm' : 'tcg';
  const slots = new HardwareSlots(
    slotLimits({
      arch: config.arch,
      accel,
      userLimit: config.hardwareBreakpoints.limit,
      ...(await readDebugFeatures(target.mi, config.arch)),
    }),
  );
  const breakpoints = new BreakpointService(target.mi, sources, {
    alwaysHardware: config.hardwareBreakpoints.require || underKvm,
    slots,
    booting: config.request === 'launch',
  });
  const layout = layoutFromGdb(target.mi, config.arch);
  const modules = new ModuleTracker(target.mi, config.moduleSearchPath, layout, cacheDirectory());
  const kernelLog = new KernelLog(target.mi, layout);
  const exceptions = new KernelExceptions(target.mi, () => kernelLog.read(), config.breakOnPanic);
  const run = new RunControl(target.mi, breakpoints, modules, exceptions);
  const policy = new EvaluationPolicy(target.mi);
  const reader = readerFromGdb(target.mi);
  const variables = new VariableService(
    target.mi,
    config.arch,
    policy,
    new UserMemory(reader, config.arch),
    new PerCpuValues(reader, layout),
    new KernelLists(reader),
  );
  return {
    target,
    breakpoints,
    stack: new StackService(
      target.mi,
      sources,
      config.arch,
      new MissingSourceHint(hooks.print),
      new TaskThreads(reader, config.arch, config.threads),
    ),
    variables,
    repl: sessionRepl(target.mi, variables, run, policy),
    memory: new MemoryService(target.mi),
    disassembly: new DisassemblyService(target.mi, config.arch, sources),
    run,
    serial: new SerialConsole(
      (event) => hooks.sendEvent(event),
      serialPanicReporter(
        () => exceptions.isOn('panic'),
        (text) => hooks.print(text),
      ),
    ),
    tasks: new TaskInspector(target.mi, config.arch, layout),
    kernelLog,
    modules,
    exceptions,
    gotoTargets: new GotoTargets(target.mi, sources),
    reverse: new ReverseExecution(
      target.mi,
      breakpoints,
      run,
      config.request === 'launch' ? config.recordReplay : undefined,
      () => target.qemu?.qmp,
      hooks.print,
      new StallWatch(() => target.qemu?.process.pid),
      (reason) => hooks.endWith(reason),
    ),
    // A launch from a snapshot comes from it; an attached VM's origin is unknown.
    snapshots: new SnapshotState(config.request === 'launch' ? config.snapshot : undefined),
  };
}

/** Attached to a kernel that already runs: the modules it has loaded get their symbols now. */
export async function loadRunningModules(modules: ModuleTracker, sendEvent: (event: DebugProtocol.Event) => void): Promise<void> {
  try {
    for (const module of await modules.scanLoaded()) sendEvent(new ModuleEvent('new', toDapModule(module)));
  } catch {
    // early boot or no module support: nothing to load
  }
}

export function wireServices(connected: Connected, log: SessionLog, hooks: SessionHooks): void {
  const { target, run, breakpoints } = connected;
  log.attach(target);
  target.mi.on('stream', (record, attributed) => {
    // Once the session ends, what gdb says as it exits (with the kernel running: "Cannot execute
    // this command while the target is running") is not for the user.
    if (!attributed && !target.isStopping && showsUnsolicited(record)) hooks.print(record.text);
  });
  target.on('serial', (text) => connected.serial.output(text));
  target.on('died', (message) => hooks.endWith(`Session ended: ${connected.reverse.explainEnd(message)}\n`));
  run.on('output', (text) => hooks.print(text));
  // A pause is answered at once; its stop never comes from a stopped QEMU: say so in the console.
  const pauseWait = {
    pendingForMs: (now?: number) => run.pauseWaitingMs(now),
    failPending: (reason: (request: string) => Error) => {
      run.forgetPauseWait();
      hooks.print(`${reason('pause').message}\n`);
    },
  };
  target.watchHangs({ requests: () => pauseWait, waitsFor: () => [{ name: 'QEMU', pid: target.qemu?.process.pid }], reader: 'gdb' });
  run.on('targetExited', (reason) => hooks.endWith(`Session ended: ${reason}\n`));
  run.on('resumed', (byUs) => {
    connected.stack.reset();
    connected.variables.reset();
    if (!byUs) hooks.sendEvent(new ContinuedEvent(run.currentThreadId, true));
  });
  const { reverse } = connected;
  const recordReplay = target.config.request === 'launch' ? target.config.recordReplay : undefined;
  if (recordReplay?.mode === 'record') reverse.useReplaySwitch((icount) => replayInPlace(connected, recordReplay.files, icount, hooks));
  run.guardForwardRuns((kind) => reverse.beforeForward(kind));
  const capabilities = reverse.capabilitiesEvent();
  if (capabilities) hooks.sendEvent(capabilities);
  // A recorded or replayed stop says where in the recording it is (one QMP query first).
  run.on('stopped', (stop) =>
    reverse.isRecordedOrReplayed ? void reverse.describe(stop).then((described) => hooks.reportStop(described)) : hooks.reportStop(stop),
  );
  const stopCache = new StopCache(target.mi);
  if (connected.stack.taskThreads?.mode === 'tasks') target.mi.setSendHook(connected.stack.taskThreads.routeThrough(target.mi.sendHook));
  run.on('stopped', (stop) => stopCache.prefetch(stop.threadId ?? run.currentThreadId, connected.stack, connected.tasks));
  run.on('moduleLoaded', (module) => {
    hooks.print(
      module.file
        ? `Module ${module.name}: symbols from ${module.file} at ${module.textAddress}\n`
        : `Module ${module.name}: no symbols (${module.problem})\n`,
    );
    hooks.sendEvent(new ModuleEvent('new', toDapModule(module)));
  });
  target.mi.on('notify', (record) => {
    if (record.asyncClass !== 'breakpoint-modified') return;
    const changed = breakpoints.onModified(record.results.tuple('bkpt'));
    if (changed) hooks.sendEvent(new BreakpointEvent('changed', changed));
  });
  run.on('breakpointsChanged', (changed) => changed.forEach((breakpoint) => hooks.sendEvent(new BreakpointEvent('changed', breakpoint))));
}

export function toDapModule(module: LoadedModule): DebugProtocol.Module {
  return {
    id: module.name,
    name: module.name,
    ...(module.file ? { path: module.file, symbolFilePath: module.file } : {}),
    symbolStatus: module.file ? 'Symbols loaded.' : `No symbols: ${module.problem ?? 'unknown'}`,
    ...(module.textAddress ? { addressRange: module.textAddress } : {}),
  };
}
