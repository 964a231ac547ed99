// The DAP session: thin dispatch from requests to the services that do the work.
import {
  BreakpointEvent,
  ContinuedEvent,
  DebugSession,
  Event,
  InitializedEvent,
  InvalidatedEvent,
  ModuleEvent,
  OutputEvent,
  Response,
  StoppedEvent,
  TerminatedEvent,
} from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { mi, type FrameContext } from '../mi/commands';
import { MiCommandError } from '../mi/connection';
import { chooseAccel } from '../qemu/accel';
import { BreakpointService, HARDWARE_MODE } from './breakpoints';
import { DisassemblyService } from './disassembly';
import { HardwareSlots, readDebugFeatures, slotLimits } from './hardwareSlots';
import { MemoryService } from './memory';
import { customRequests, type Connected } from './customRequests';
import { HOST_ARCH, kvmDeviceUsable, resolveConfig, type ResolvedConfig } from './configCheck';
import { ErrorCode, errorText, showsUser, UserError } from './errors';
import { KernelTarget } from './kernelTarget';
import { RunControl, type StepKind } from './runControl';
import { detectSourceRoot, SourceMapper } from './sourceMap';
import { StackService } from './stack';
import { SESSION_INFO_EVENT, SET_LOG_LEVEL_REQUEST, type SessionInfo } from './sessionProtocol';
import { requestedLog, SessionLog } from './sessionLog';
import { StopCache } from './stopCache';
import type { StopInfo } from './stopReasons';
import { hasSideEffects, VariableService } from './variables';
import { KernelLog } from './kernel/dmesg';
import { KaslrDetector } from './kernel/kaslr';
import { cacheDirectory } from './cacheDirectory';
import { layoutFromGdb } from './kernel/kernelLayout';
import { ModuleTracker, type LoadedModule } from './kernel/modules';
import { KERNEL_EXCEPTION_FILTERS, KernelExceptions } from './kernel/kernelExceptions';
import { serialPanicReporter } from './kernel/panic';
import { SerialConsole } from './kernel/serialConsole';
import { TaskInspector } from './kernel/tasks';


export class KernelQemuSession extends DebugSession {
  private connected: Connected | undefined;
  private log: SessionLog | undefined;
  private ending: Promise<void> | undefined;
  /** Breakpoint changes not answered yet (continue and steps wait for them). */
  private readonly breakpointChanges = new Set<Promise<unknown>>();

  constructor() {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
  }

  /** DAP's pathFormat defaults to "path"; the base class wrongly rejects clients that leave it out. */
  protected override dispatchRequest(request: DebugProtocol.Request): void {
    if (request.command === 'initialize') request.arguments = { pathFormat: 'path', ...(request.arguments as object) };
    // The base class has no case for 'modules' and would treat it as a custom request.
    if (request.command === 'modules') return this.modulesRequest(new Response(request) as DebugProtocol.ModulesResponse, (request.arguments ?? {}) as DebugProtocol.ModulesArguments);
    super.dispatchRequest(request);
  }

  protected initializeRequest(response: DebugProtocol.InitializeResponse): void {
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsFunctionBreakpoints: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsLogPoints: true,
      supportsEvaluateForHovers: true,
      supportsTerminateRequest: true,
      supportTerminateDebuggee: true,
      supportsSteppingGranularity: true,
      supportsInstructionBreakpoints: true,
      supportsDataBreakpoints: true,
      supportsDataBreakpointBytes: true,
      supportsReadMemoryRequest: true,
      supportsWriteMemoryRequest: true,
      supportsDisassembleRequest: true,
      supportsSetVariable: true,
      supportsSetExpression: true,
      supportsClipboardContext: true,
      supportsModulesRequest: true,
      supportsExceptionInfoRequest: true,
      exceptionBreakpointFilters: KERNEL_EXCEPTION_FILTERS.map(({ filter, label, description, default: on }) => ({ filter, label, description, default: on })),
      breakpointModes: [
        {
          mode: HARDWARE_MODE,
          label: 'Hardware',
          description: 'A hardware breakpoint: hits before the kernel is relocated and under KVM; uses one of the target\'s few debug registers.',
          appliesTo: ['source', 'instruction'],
        },
      ],
    };
    this.sendResponse(response);
  }

  protected launchRequest(response: DebugProtocol.LaunchResponse, args: DebugProtocol.LaunchRequestArguments): void {
    void this.handle(response, () => this.startingUp(async () => {
      const config = await resolveConfig('launch', args as Record<string, unknown>);
      if (config.request !== 'launch') throw new Error('unreachable');
      this.log = new SessionLog((event) => this.sendEvent(event), (text) => this.print(text), requestedLog(args as Record<string, unknown>), config.trace);
      const choice = await chooseAccel({
        accel: config.accel,
        arch: config.arch,
        qemuPath: config.qemuPath,
        kernel: config.kernel,
        hostArch: HOST_ARCH,
        kvmDevice: kvmDeviceUsable,
      });
      this.print(`Accelerator: ${choice.reason}\n`);
      this.print(`Kernel command line: ${config.commandLine}\n`);
      const target = await KernelTarget.launch(config, choice.accel, (text) => this.print(text));
      await this.onConnected(target, config, choice.accel === 'kvm');
    }));
  }

  protected attachRequest(response: DebugProtocol.AttachResponse, args: DebugProtocol.AttachRequestArguments): void {
    void this.handle(response, () => this.startingUp(async () => {
      const config = await resolveConfig('attach', args as Record<string, unknown>);
      if (config.request !== 'attach') throw new Error('unreachable');
      this.log = new SessionLog((event) => this.sendEvent(event), (text) => this.print(text), requestedLog(args as Record<string, unknown>), config.trace);
      const target = await KernelTarget.attach(config, (text) => this.print(text));
      await this.onConnected(target, config, false);
    }));
  }

  private async onConnected(target: KernelTarget, config: ResolvedConfig, underKvm: boolean): Promise<void> {
    const sourceRoot = config.sourceRoot ?? detectSourceRoot(config.cwd, config.program);
    if (sourceRoot && !config.sourceRoot) this.print(`Sources: using the kernel tree at ${sourceRoot}\n`);
    const sources = new SourceMapper(config.sourceFileMap, sourceRoot);
    for (const [from, to] of sources.substitutions) {
      await target.mi.send(mi.setSubstitutePath(from, to)).catch((error: unknown) => this.print(`sourceFileMap ${from} -> ${to}: ${errorText(error)}\n`));
    }
    const accel = config.request === 'attach' ? 'attach' : underKvm ? 'kvm' : 'tcg';
    this.sendEvent(new Event(SESSION_INFO_EVENT, { arch: config.arch, accel } satisfies SessionInfo));
    const slots = new HardwareSlots(slotLimits({ arch: config.arch, accel, userLimit: config.hardwareBreakpoints.limit, ...(await readDebugFeatures(target.mi, config.arch)) }));
    const breakpoints = new BreakpointService(target.mi, sources, { alwaysHardware: config.hardwareBreakpoints.require || underKvm, slots, booting: config.request === 'launch' });
    const layout = layoutFromGdb(target.mi, config.arch);
    const modules = new ModuleTracker(target.mi, config.moduleSearchPath, layout, cacheDirectory());
    const kernelLog = new KernelLog(target.mi, layout);
    const exceptions = new KernelExceptions(target.mi, () => kernelLog.read(), config.breakOnPanic);
    const run = new RunControl(target.mi, breakpoints, modules, exceptions);
    const connected: Connected = {
      target,
      breakpoints,
      stack: new StackService(target.mi, sources),
      variables: new VariableService(target.mi, config.arch),
      memory: new MemoryService(target.mi),
      disassembly: new DisassemblyService(target.mi, config.arch, sources),
      run,
      serial: new SerialConsole(
        (event) => this.sendEvent(event),
        serialPanicReporter(() => exceptions.isOn('panic'), (text) => this.print(text)),
      ),
      tasks: new TaskInspector(target.mi, config.arch, layout),
      kernelLog,
      modules,
      exceptions,
    };
    this.connected = connected;
    this.log?.attach(target);
    // gdb's log stream carries its warnings and errors; its unsolicited console text only
    // repeats stops VS Code already shows (and "No such file" for unmapped sources).
    target.mi.on('stream', (record, attributed) => {
      if (attributed) return;
      if (record.type === 'log' || (record.type === 'console' && /^(Error in testing condition|warning:)/.test(record.text))) this.print(record.text);
    });
    target.on('serial', (text) => connected.serial.output(text));
    target.on('died', (message) => void this.endWith(`Session ended: ${message}\n`));
    run.on('output', (text) => this.print(text));
    run.on('targetExited', (reason) => void this.endWith(`Session ended: ${reason}\n`));
    run.on('resumed', (byUs) => {
      connected.stack.reset();
      connected.variables.reset();
      if (!byUs) this.sendEvent(new ContinuedEvent(run.currentThreadId, true));
    });
    run.on('stopped', (stop) => this.reportStop(stop));
    const stopCache = new StopCache(target.mi);
    run.on('stopped', (stop) => stopCache.prefetch(stop.threadId ?? run.currentThreadId, connected.stack, connected.tasks));
    run.on('moduleLoaded', (module) => {
      this.print(module.file ? `Module ${module.name}: symbols from ${module.file} at ${module.textAddress}\n` : `Module ${module.name}: no symbols (${module.problem})\n`);
      this.sendEvent(new ModuleEvent('new', toDapModule(module)));
    });
    target.mi.on('notify', (record) => {
      if (record.asyncClass !== 'breakpoint-modified') return;
      const changed = breakpoints.onModified(record.results.tuple('bkpt'));
      if (changed) this.sendEvent(new BreakpointEvent('changed', changed));
    });
    run.on('breakpointsChanged', (changed) => changed.forEach((breakpoint) => this.sendEvent(new BreakpointEvent('changed', breakpoint))));
    this.sendEvent(new InitializedEvent());
  }

  /** Attached to a kernel that already runs: the modules it has loaded get their symbols now. */
  private async loadRunningModules(): Promise<void> {
    const { modules } = this.require();
    try {
      for (const module of await modules.scanLoaded()) this.sendEvent(new ModuleEvent('new', toDapModule(module)));
    } catch {
      // early boot or no module support: nothing to load
    }
  }

  protected modulesRequest(response: DebugProtocol.ModulesResponse, args: DebugProtocol.ModulesArguments): void {
    void this.handle(response, async () => {
      const all = this.require().modules.modules.map(toDapModule);
      const start = args.startModule ?? 0;
      response.body = { modules: all.slice(start, args.moduleCount ? start + args.moduleCount : undefined), totalModules: all.length };
    });
  }

  private reportStop(stop: StopInfo): void {
    this.connected?.serial.flush(); // what the guest printed before it stopped comes first
    const event = new StoppedEvent(stop.reason, stop.threadId ?? this.connected?.run.currentThreadId ?? 1) as DebugProtocol.StoppedEvent;
    event.body.allThreadsStopped = true;
    if (stop.description) event.body.description = stop.description;
    // An exception's text is its description (VS Code's exception widget shows it), not "breakpoint 2".
    if (stop.breakpointNumber && stop.reason !== 'exception') event.body.text = `breakpoint ${stop.breakpointNumber}`;
    this.sendEvent(event);
  }

  protected configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    void this.handle(response, async () => {
      const { target, run } = this.require();
      const config = target.config;
      // QEMU is halted (paused at reset, or wherever the attached VM was).
      const here = { reason: 'entry' as const, threadId: undefined, breakpointNumber: undefined, frame: undefined };
      if (config.request === 'attach') {
        await this.loadRunningModules();
        await run.armModuleHook();
        return this.reportStop(here);
      }
      // Started from a VM snapshot (-loadvm): the kernel is past booting; show where it was saved.
      if (config.snapshot !== undefined) return run.stateReplaced(config.stopAtEntry ? { description: `Started from snapshot "${config.snapshot}"` } : 'resume');
      if (config.kaslr && !config.stopAtConnect) return run.bootWithKaslr(new KaslrDetector(target.mi, config.arch, target.qemu?.qmp), config.program, config.stopAtEntry);
      if (!config.stopAtConnect) return run.runToEntry(config.stopAtEntry);
      await run.armEntry(config.stopAtEntry);
      this.reportStop(here);
    });
  }

  protected setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): void {
    void this.handle(response, async () => {
      const file = args.source.path;
      if (!file) throw new UserError(ErrorCode.BadArgument, 'Breakpoints need a source file with a path.');
      const breakpoints = await this.changingBreakpoints(() => this.require().breakpoints.setSourceBreakpoints(file, args.breakpoints ?? []));
      response.body = { breakpoints };
    });
  }

  protected setFunctionBreakPointsRequest(response: DebugProtocol.SetFunctionBreakpointsResponse, args: DebugProtocol.SetFunctionBreakpointsArguments): void {
    void this.handle(response, async () => {
      const breakpoints = await this.changingBreakpoints(() => this.require().breakpoints.setFunctionBreakpoints(args.breakpoints));
      response.body = { breakpoints };
    });
  }

  protected setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments): void {
    void this.handle(response, async () => {
      for (const warning of await this.changingBreakpoints(() => this.require().exceptions.setFilters(args.filters))) this.print(warning);
    });
  }

  protected exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse): void {
    void this.handle(response, async () => {
      const exception = this.require().exceptions.lastException;
      if (!exception) throw new UserError(ErrorCode.BadArgument, 'The kernel did not stop at a panic, Oops or WARN.');
      response.body = {
        exceptionId: exception.filter,
        description: exception.description,
        breakMode: 'always',
        details: { message: exception.description, ...(exception.report ? { stackTrace: exception.report } : {}) },
      };
    });
  }

  protected setInstructionBreakpointsRequest(response: DebugProtocol.SetInstructionBreakpointsResponse, args: DebugProtocol.SetInstructionBreakpointsArguments): void {
    void this.handle(response, async () => {
      const breakpoints = await this.changingBreakpoints(() => this.require().breakpoints.setInstructionBreakpoints(args.breakpoints));
      response.body = { breakpoints };
    });
  }

  protected dataBreakpointInfoRequest(response: DebugProtocol.DataBreakpointInfoResponse, args: DebugProtocol.DataBreakpointInfoArguments): void {
    void this.handle(response, async () => {
      const accessTypes: DebugProtocol.DataBreakpointAccessType[] = ['write', 'read', 'readWrite'];
      if (args.asAddress) {
        const size = args.bytes && [1, 2, 4, 8].includes(args.bytes) ? args.bytes : 8;
        const cType = { 1: 'unsigned char', 2: 'unsigned short', 4: 'unsigned int', 8: 'unsigned long' }[size as 1 | 2 | 4 | 8];
        response.body = { dataId: `*(${cType} *)${args.name}`, description: `${size} bytes at ${args.name}`, accessTypes };
        return;
      }
      const { variables } = this.require();
      const expression = args.variablesReference ? variables.evaluateName(args.variablesReference, args.name) : args.name;
      if (!expression || expression.startsWith('$')) {
        response.body = { dataId: null, description: 'Only variables in memory can be watched (not registers or members shown by path).' };
        return;
      }
      response.body = { dataId: expression, description: expression, accessTypes, canPersist: true };
    });
  }

  protected setDataBreakpointsRequest(response: DebugProtocol.SetDataBreakpointsResponse, args: DebugProtocol.SetDataBreakpointsArguments): void {
    void this.handle(response, async () => {
      const breakpoints = await this.changingBreakpoints(() => this.require().breakpoints.setDataBreakpoints(args.breakpoints));
      response.body = { breakpoints };
    });
  }

  protected readMemoryRequest(response: DebugProtocol.ReadMemoryResponse, args: DebugProtocol.ReadMemoryArguments): void {
    void this.handle(response, async () => {
      this.requireStopped();
      response.body = await this.require().memory.read(args);
    });
  }

  protected writeMemoryRequest(response: DebugProtocol.WriteMemoryResponse, args: DebugProtocol.WriteMemoryArguments): void {
    void this.handle(response, async () => {
      this.requireStopped();
      response.body = await this.require().memory.write(args);
      this.sendEvent(new InvalidatedEvent(['variables']));
    });
  }

  protected disassembleRequest(response: DebugProtocol.DisassembleResponse, args: DebugProtocol.DisassembleArguments): void {
    void this.handle(response, async () => {
      this.requireStopped();
      response.body = { instructions: await this.require().disassembly.disassemble(args) };
    });
  }

  protected setVariableRequest(response: DebugProtocol.SetVariableResponse, args: DebugProtocol.SetVariableArguments): void {
    void this.handle(response, async () => {
      this.requireStopped();
      const result = await this.gdbErrorsForUser(() => this.require().variables.setVariable(args.variablesReference, args.name, args.value));
      response.body = { value: result.result, ...(result.type ? { type: result.type } : {}), variablesReference: result.variablesReference };
    });
  }

  protected setExpressionRequest(response: DebugProtocol.SetExpressionResponse, args: DebugProtocol.SetExpressionArguments): void {
    void this.handle(response, async () => {
      this.requireStopped();
      const context = args.frameId !== undefined ? this.frameContext(args.frameId) : undefined;
      const result = await this.gdbErrorsForUser(() => this.require().variables.assign(args.expression, args.value, context));
      response.body = { value: result.result, ...(result.type ? { type: result.type } : {}), variablesReference: result.variablesReference };
    });
  }

  /** gdb's refusal (bad expression, wrong type) is the user's to read, not a crash. */
  private async gdbErrorsForUser<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof MiCommandError) throw new UserError(ErrorCode.GdbCommandFailed, error.message);
      throw error;
    }
  }

  protected threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    void this.handle(response, async () => {
      const { run, stack } = this.require();
      const { tasks } = this.require();
      response.body = { threads: run.isRunning ? this.lastThreads : (this.lastThreads = await stack.threads((cpu, threadId) => tasks.current(cpu, threadId))) };
    });
  }

  private lastThreads: DebugProtocol.Thread[] = [{ id: 1, name: 'CPU 0' }];

  protected stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): void {
    void this.handle(response, async () => {
      this.requireStopped();
      response.body = await this.require().stack.stackTrace(args.threadId, args.startFrame ?? 0, args.levels ?? 0);
    });
  }

  protected scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    void this.handle(response, async () => {
      const context = this.frameContext(args.frameId);
      response.body = { scopes: this.require().variables.scopes(context) };
    });
  }

  protected variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    void this.handle(response, async () => {
      const { variables } = this.require();
      this.requireStopped();
      if (!variables.isKnown(args.variablesReference)) {
        throw new UserError(ErrorCode.UnknownReference, `Unknown variablesReference ${args.variablesReference} (the target ran since it was shown).`);
      }
      let list = await variables.variables(args.variablesReference);
      if (args.start !== undefined || args.count !== undefined) {
        const start = Math.max(0, args.start ?? 0);
        list = list.slice(start, args.count ? start + args.count : undefined);
      }
      response.body = { variables: list };
    });
  }

  protected evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): void {
    void this.handle(response, async () => {
      const { variables } = this.require();
      const context = args.frameId !== undefined ? this.frameContext(args.frameId) : undefined;
      if (args.context === 'repl') {
        response.body = await this.evaluateInRepl(args.expression, context);
        return;
      }
      this.requireStopped();
      if ((args.context === 'hover' || args.context === 'watch') && hasSideEffects(args.expression)) {
        throw new UserError(ErrorCode.BadArgument, `Not evaluated for ${args.context}: '${args.expression}' could change the kernel (assignment, ++/--, or a call). Use the Debug Console to run it.`);
      }
      response.body = await this.gdbErrorsForUser(() => variables.evaluate(args.expression, context));
    });
  }

  /**
   * Debug Console input: a gdb command (`info registers`, `p init_task.comm`, `lx-dmesg`) runs in
   * gdb's CLI; what gdb does not know as a command is evaluated as an expression; `-…` is raw MI.
   */
  private async evaluateInRepl(text: string, context: FrameContext | undefined): Promise<{ result: string; variablesReference: number; type?: string }> {
    const { target, variables, run } = this.require();
    const trimmed = text.trim();
    // The command may resume gdb (`continue`, `next`): gdb must be in line with a loaded snapshot first.
    await run.settleResync();
    if (trimmed.startsWith('-')) {
      const result = await target.mi.send(mi.raw(trimmed));
      return { result: `^${result.resultClass}${Object.keys(result.results.fields).length ? ' ' + JSON.stringify(result.results.fields) : ''}`, variablesReference: 0 };
    }
    try {
      const result = await target.mi.send(mi.consoleCommand(trimmed, ['done', 'running']));
      return { result: result.console.replace(/\n$/, ''), variablesReference: 0 };
    } catch (error) {
      if (!(error instanceof MiCommandError) || !/^Undefined command/.test(error.message) || run.isRunning) {
        throw new UserError(ErrorCode.GdbCommandFailed, errorText(error));
      }
    }
    try {
      return await variables.evaluate(trimmed, context);
    } catch (error) {
      throw new UserError(ErrorCode.GdbCommandFailed, errorText(error));
    }
  }

  protected continueRequest(response: DebugProtocol.ContinueResponse): void {
    void this.handle(response, async () => {
      await this.breakpointChangesDone();
      await this.require().run.continue();
      response.body = { allThreadsContinued: true };
    });
  }

  protected nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): void {
    this.stepRequest(response, args.threadId, args.granularity === 'instruction' ? 'nextInstruction' : 'next');
  }

  protected stepInRequest(response: DebugProtocol.StepInResponse, args: DebugProtocol.StepInArguments): void {
    this.stepRequest(response, args.threadId, args.granularity === 'instruction' ? 'stepInstruction' : 'stepIn');
  }

  protected stepOutRequest(response: DebugProtocol.StepOutResponse, args: DebugProtocol.StepOutArguments): void {
    this.stepRequest(response, args.threadId, 'stepOut');
  }

  private stepRequest(response: DebugProtocol.Response, threadId: number, kind: StepKind): void {
    void this.handle(response, async () => {
      await this.breakpointChangesDone();
      this.requireStopped();
      await this.require().run.step(kind, threadId);
    });
  }

  protected pauseRequest(response: DebugProtocol.PauseResponse): void {
    void this.handle(response, () => this.require().run.pause());
  }

  protected terminateRequest(response: DebugProtocol.TerminateResponse): void {
    void this.handle(response, async () => {
      await this.endWith('');
    });
  }

  protected disconnectRequest(response: DebugProtocol.DisconnectResponse, args: DebugProtocol.DisconnectArguments): void {
    void (async () => {
      const attached = this.connected?.target.config.request === 'attach';
      await this.endSession(!attached || args.terminateDebuggee === true);
      this.sendResponse(response);
      this.shutdown();
    })();
  }

  /** Custom requests from the extension's views and commands (see customRequests.ts). */
  protected customRequest(command: string, response: DebugProtocol.Response, args: unknown): void {
    void this.handle(response, async () => {
      if (command === SET_LOG_LEVEL_REQUEST) return this.log?.setLevel((args as { level?: unknown } | undefined)?.level);
      const handler = customRequests[command];
      if (!handler) throw new UserError(ErrorCode.BadArgument, `Unknown request '${command}'.`);
      const body = await handler(
        { ...this.require(), print: (text) => this.print(text), sendEvent: (event) => this.sendEvent(event) },
        typeof args === 'object' && args !== null ? (args as Record<string, unknown>) : {},
      );
      if (body !== undefined) response.body = body;
    });
  }

  /** Ends the session from any path: kills what we started, tells the user why, once. */
  private async endWith(message: string): Promise<void> {
    if (this.ending) return this.ending;
    this.connected?.serial.flush();
    if (message) this.print(message);
    await this.endSession(true);
    this.sendEvent(new TerminatedEvent());
  }

  /**
   * A launch or attach in progress. Ending the session waits for it, so what it started is
   * stopped too (a Stop pressed while QEMU boots must not leave it running).
   */
  private startup: Promise<unknown> | undefined;

  private startingUp(work: () => Promise<void>): Promise<void> {
    const run = work();
    this.startup = run.catch(() => undefined);
    return run;
  }

  private endSession(killQemu: boolean): Promise<void> {
    this.ending ??= (async () => {
      await this.startup;
      const connected = this.connected;
      this.connected = undefined;
      await connected?.target.stop(killQemu);
    })();
    return this.ending;
  }

  /** Also runs when the client's stream closes: never leave QEMU or gdb behind. */
  override shutdown(): void {
    void this.endSession(true).finally(() => super.shutdown());
  }

  /** For a signal handler in the standalone adapter. */
  async dispose(): Promise<void> {
    await this.endSession(true);
  }

  /**
   * A breakpoint change, which a resume waits for: VS Code sends setFunctionBreakpoints and,
   * when F5 follows quickly, continue without waiting for the answer. Had continue run first,
   * gdb would get -break-insert while the target runs and refuse it (an unverified breakpoint
   * that never hits; seen in test/ui).
   */
  private changingBreakpoints<T>(work: () => Promise<T>): Promise<T> {
    const change = this.interrupting(work);
    this.breakpointChanges.add(change);
    const settled = () => this.breakpointChanges.delete(change);
    change.then(settled, settled);
    return change;
  }

  private async breakpointChangesDone(): Promise<void> {
    await Promise.allSettled([...this.breakpointChanges]);
  }

  /** gdb can only change breakpoints while the target is stopped: interrupt, apply, resume. */
  private async interrupting<T>(work: () => Promise<T>): Promise<T> {
    const { run } = this.require();
    // Stopped without VS Code seeing a stop, changed, resumed: to the user the kernel never paused.
    const wasRunning = await run.haltSilently();
    try {
      return await work();
    } finally {
      if (wasRunning) await run.continue().catch(() => undefined);
    }
  }

  private require(): Connected {
    if (!this.connected) throw new UserError(ErrorCode.NotStopped, 'No kernel-qemu session is running.');
    return this.connected;
  }

  private requireStopped(): void {
    if (this.require().run.isRunning) throw new UserError(ErrorCode.NotStopped, 'The kernel is running: pause it first.');
  }

  private frameContext(frameId: number): FrameContext {
    const frame = this.require().stack.frame(frameId);
    if (!frame) throw new UserError(ErrorCode.UnknownReference, `Unknown frameId ${frameId} (the target ran since it was shown).`);
    return { threadId: frame.threadId, frameLevel: frame.level };
  }

  private print(text: string): void {
    this.sendEvent(new OutputEvent(text, 'console'));
    this.log?.console(text);
  }

  /** Runs a request handler; a UserError goes to the user as is, anything else with its stack. */
  private async handle(response: DebugProtocol.Response, work: () => Promise<void>): Promise<void> {
    try {
      await work();
      this.sendResponse(response);
    } catch (error) {
      if (error instanceof UserError) {
        this.sendErrorResponse(response, { id: error.code, format: error.message, variables: {}, showUser: showsUser(error.code) });
      } else {
        this.sendErrorResponse(response, { id: ErrorCode.GdbCommandFailed, format: errorText(error), variables: {}, showUser: true });
      }
    }
  }
}

function toDapModule(module: LoadedModule): DebugProtocol.Module {
  return {
    id: module.name,
    name: module.name,
    ...(module.file ? { path: module.file, symbolFilePath: module.file } : {}),
    symbolStatus: module.file ? 'Symbols loaded.' : `No symbols: ${module.problem ?? 'unknown'}`,
    ...(module.textAddress ? { addressRange: module.textAddress } : {}),
  };
}
