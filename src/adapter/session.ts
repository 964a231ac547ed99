// The DAP session: thin dispatch from requests to the services that do the work.
import { ContinuedEvent, DebugSession, Event, InitializedEvent, InvalidatedEvent, Response, TerminatedEvent } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { FrameContext } from '../mi/commands';
import { BreakpointChanges } from './breakpointChanges';
import { CAPABILITIES } from './capabilities';
import { runToFirstStop } from './firstRun';
import type { Connected } from './connected';
import { runCustomRequest } from './customRequests';
import { resolveConfig, type ResolvedConfig } from './configCheck';
import { launchAccel } from './launchAccel';
import { dapMessageOf, ErrorCode, errors, gdbRefusalAs } from './errors';
import { readConditionErrors, type ConditionErrorReader } from './conditionErrors';
import { KernelTarget } from './kernelTarget';
import type { StepKind } from './runControl';
import { SESSION_INFO_EVENT } from './sessionProtocol';
import { sessionInfoOf } from './guestConfig';
import { useCacheDirectoryOf } from './cacheDirectory';
import { SessionLog } from './sessionLog';
import { buildServices, toDapModule, wireServices, type SessionHooks } from './services';
import { stoppedEventOf, type StopInfo } from './stopReasons';
import { restartKernel } from './restart';
import { dataBreakpointInfo } from './dataBreakpointInfo';
import { hexValue } from './valueFormat';
import { InFlight } from './cancellation';
import { isReverseRequest, type ReverseRequest } from './reverse';

export class KernelQemuSession extends DebugSession {
  private connected: Connected | undefined;
  private readonly log = new SessionLog((event) => this.sendEvent(event));
  private conditionErrors: ConditionErrorReader | undefined;
  private ending: Promise<void> | undefined;
  /** Breakpoint changes not answered yet (continue and steps wait for them). */
  private readonly breakpointChanges = new BreakpointChanges(() => this.require().run);
  private readonly inFlight = new InFlight();

  constructor() {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
  }

  /** DAP's pathFormat defaults to "path"; the base class wrongly rejects clients that leave it out. */
  protected override dispatchRequest(request: DebugProtocol.Request): void {
    if (request.command === 'initialize') request.arguments = { pathFormat: 'path', ...(request.arguments as object) };
    // The base class has no case for 'modules' and would treat it as a custom request.
    if (request.command === 'modules')
      return this.modulesRequest(
        new Response(request) as DebugProtocol.ModulesResponse,
        (request.arguments ?? {}) as DebugProtocol.ModulesArguments,
      );
    if (isReverseRequest(request.command)) {
      // Step Back and Reverse Continue (reverse.ts) share the step handler.
      const args = (request.arguments ?? {}) as DebugProtocol.StepBackArguments;
      return this.stepRequest(new Response(request), args, request.command);
    }
    super.dispatchRequest(request);
  }

  protected initializeRequest(response: DebugProtocol.InitializeResponse): void {
    response.body = CAPABILITIES;
    this.sendResponse(response);
  }

  protected launchRequest(response: DebugProtocol.LaunchResponse, args: DebugProtocol.LaunchRequestArguments): void {
    void this.handle(response, () =>
      this.startingUp(args, async () => {
        const config = await resolveConfig('launch', args as Record<string, unknown>);
        if (config.request !== 'launch') throw new Error('unreachable');
        const choice = await launchAccel(config);
        this.print(`Accelerator: ${choice.reason}\n`);
        this.print(`Kernel command line: ${config.commandLine}\n`);
        const target = await KernelTarget.launch(config, choice.accel, (text) => this.print(text));
        await this.onConnected(target, config, choice.accel === 'kvm');
      }),
    );
  }

  protected attachRequest(response: DebugProtocol.AttachResponse, args: DebugProtocol.AttachRequestArguments): void {
    void this.handle(response, () =>
      this.startingUp(args, async () => {
        const config = await resolveConfig('attach', args as Record<string, unknown>);
        if (config.request !== 'attach') throw new Error('unreachable');
        const target = await KernelTarget.attach(config, (text) => this.print(text));
        await this.onConnected(target, config, false);
      }),
    );
  }

  private async onConnected(target: KernelTarget, config: ResolvedConfig, underKvm: boolean): Promise<void> {
    this.sendEvent(new Event(SESSION_INFO_EVENT, sessionInfoOf(config, underKvm)));
    const hooks: SessionHooks = {
      print: (text) => this.print(text),
      sendEvent: (event) => this.sendEvent(event),
      reportStop: (stop) => this.reportStop(stop),
      endWith: (message) => void this.endWith(message),
    };
    this.connected = await buildServices(target, config, underKvm, hooks);
    this.conditionErrors = readConditionErrors(target.mi);
    wireServices(this.connected, this.log, hooks);
    this.sendEvent(new InitializedEvent());
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
    const conditionError = stop.reason === 'breakpoint' ? this.conditionErrors?.take(stop.breakpointNumber) : undefined;
    this.sendEvent(stoppedEventOf(stop, this.connected?.run.currentThreadId ?? 1, conditionError));
  }

  protected configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    void this.handle(response, () =>
      runToFirstStop(
        this.require(),
        (stop) => this.reportStop(stop),
        (event) => this.sendEvent(event),
      ),
    );
  }

  protected setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): void {
    void this.handle(response, async () => {
      const file = args.source.path;
      if (!file) throw errors.needsSourcePath('Breakpoints need');
      const breakpoints = await this.breakpointChanges.change(() =>
        this.require().breakpoints.setSourceBreakpoints(file, args.breakpoints ?? []),
      );
      response.body = { breakpoints };
    });
  }

  protected setFunctionBreakPointsRequest(
    response: DebugProtocol.SetFunctionBreakpointsResponse,
    args: DebugProtocol.SetFunctionBreakpointsArguments,
  ): void {
    void this.handle(response, async () => {
      const breakpoints = await this.breakpointChanges.change(() => this.require().breakpoints.setFunctionBreakpoints(args.breakpoints));
      response.body = { breakpoints };
    });
  }

  /** Restart: the same VM reset and booted again (restart.ts), not a new QEMU and gdb. */
  protected restartRequest(response: DebugProtocol.RestartResponse): void {
    void this.handle(response, async () => {
      const connected = this.requireConfigured();
      await restartKernel(connected, (text) => this.print(text));
      this.sendEvent(new ContinuedEvent(connected.run.currentThreadId, true));
    });
  }

  protected gotoTargetsRequest(response: DebugProtocol.GotoTargetsResponse, args: DebugProtocol.GotoTargetsArguments): void {
    void this.handle(response, async () => {
      this.requireStopped();
      const { gotoTargets, run } = this.require();
      if (!args.source.path) throw errors.needsSourcePath('Set Next Statement needs');
      response.body = { targets: await gotoTargets.targetsFor(args.source.path, args.line, run.currentThreadId) };
    });
  }

  protected gotoRequest(response: DebugProtocol.GotoResponse, args: DebugProtocol.GotoArguments): void {
    void this.handle(response, async () => {
      this.requireConfigured();
      this.requireStopped();
      const { gotoTargets, stack, variables } = this.require();
      await gotoTargets.goto(args.threadId, args.targetId);
      stack.reset();
      variables.reset();
      // The stop follows the response (handle sends it when this returns).
      setImmediate(() => this.reportStop({ reason: 'goto', threadId: args.threadId, breakpointNumber: undefined, frame: undefined }));
    });
  }

  protected setExceptionBreakPointsRequest(
    response: DebugProtocol.SetExceptionBreakpointsResponse,
    args: DebugProtocol.SetExceptionBreakpointsArguments,
  ): void {
    void this.handle(response, async () => {
      for (const warning of await this.breakpointChanges.change(() => this.require().exceptions.setFilters(args.filters)))
        this.print(warning);
    });
  }

  protected exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse): void {
    void this.handle(response, async () => {
      const exception = this.require().exceptions.lastException;
      if (!exception) throw errors.noException();
      response.body = {
        exceptionId: exception.filter,
        description: exception.description,
        breakMode: 'always',
        details: { message: exception.description, ...(exception.report ? { stackTrace: exception.report } : {}) },
      };
    });
  }

  protected setInstructionBreakpointsRequest(
    response: DebugProtocol.SetInstructionBreakpointsResponse,
    args: DebugProtocol.SetInstructionBreakpointsArguments,
  ): void {
    void this.handle(response, async () => {
      const breakpoints = await this.breakpointChanges.change(() => this.require().breakpoints.setInstructionBreakpoints(args.breakpoints));
      response.body = { breakpoints };
    });
  }

  protected dataBreakpointInfoRequest(
    response: DebugProtocol.DataBreakpointInfoResponse,
    args: DebugProtocol.DataBreakpointInfoArguments,
  ): void {
    void this.handle(response, async () => {
      response.body = dataBreakpointInfo(args, this.require().variables);
    });
  }

  protected setDataBreakpointsRequest(
    response: DebugProtocol.SetDataBreakpointsResponse,
    args: DebugProtocol.SetDataBreakpointsArguments,
  ): void {
    void this.handle(response, async () => {
      const breakpoints = await this.breakpointChanges.change(() => this.require().breakpoints.setDataBreakpoints(args.breakpoints));
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
      const result = await this.require()
        .variables.setVariable(args.variablesReference, args.name, args.value)
        .catch(gdbRefusalAs(ErrorCode.GdbCommandFailed));
      response.body = {
        value: result.result,
        ...(result.type ? { type: result.type } : {}),
        variablesReference: result.variablesReference,
      };
    });
  }

  protected setExpressionRequest(response: DebugProtocol.SetExpressionResponse, args: DebugProtocol.SetExpressionArguments): void {
    void this.handle(response, async () => {
      this.requireStopped();
      const context = args.frameId !== undefined ? this.frameContext(args.frameId) : undefined;
      const result = await this.require()
        .variables.assign(args.expression, args.value, context)
        .catch(gdbRefusalAs(ErrorCode.GdbCommandFailed));
      response.body = {
        value: result.result,
        ...(result.type ? { type: result.type } : {}),
        variablesReference: result.variablesReference,
      };
    });
  }

  private lastThreads: DebugProtocol.Thread[] = [{ id: 1, name: 'CPU 0' }];
  protected threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    void this.handle(response, async () => {
      const { run, stack, tasks } = this.require();
      response.body = {
        threads: run.isRunning
          ? this.lastThreads
          : (this.lastThreads = await stack.threads((cpu, threadId) => tasks.current(cpu, threadId))),
      };
    });
  }

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
        throw errors.staleReference('variablesReference', args.variablesReference);
      }
      const start = Math.max(0, args.start ?? 0);
      const list = (await variables.variables(args.variablesReference)).slice(start, args.count ? start + args.count : undefined);
      response.body = {
        variables: args.format?.hex ? list.map((variable) => ({ ...variable, value: hexValue(variable.value, variable.type) })) : list,
      };
    });
  }

  protected evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): void {
    void this.handle(response, async () => {
      const { variables } = this.require();
      const context = args.frameId !== undefined ? this.frameContext(args.frameId) : undefined;
      if (args.context === 'repl') {
        response.body = await this.require().repl.evaluate(args.expression, context);
        return;
      }
      this.requireStopped();
      // gdb's refusal is shown where it was asked (the Watch line, the hover), not as a notification.
      const result = await variables.evaluate(args.expression, context, 'read').catch(gdbRefusalAs(ErrorCode.EvaluationFailed));
      response.body = args.format?.hex ? { ...result, result: hexValue(result.result, result.type) } : result;
    });
  }

  protected completionsRequest(response: DebugProtocol.CompletionsResponse, args: DebugProtocol.CompletionsArguments): void {
    void this.handle(response, async () => {
      const cursor = this.convertClientColumnToDebugger(args.column) - 1;
      const items = await this.require().repl.completions(args.text, cursor);
      response.body = { targets: items.map((item) => ({ ...item, start: this.convertDebuggerColumnToClient(item.start + 1) })) };
    });
  }

  protected continueRequest(response: DebugProtocol.ContinueResponse, args: DebugProtocol.ContinueArguments): void {
    void this.handle(response, async () => {
      this.requireConfigured();
      await this.breakpointChanges.done();
      await this.require().run.continue(args.singleThread ? args.threadId : undefined);
      response.body = { allThreadsContinued: !args.singleThread };
    });
  }

  protected nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): void {
    this.stepRequest(response, args, args.granularity === 'instruction' ? 'nextInstruction' : 'next');
  }

  protected stepInRequest(response: DebugProtocol.StepInResponse, args: DebugProtocol.StepInArguments): void {
    this.stepRequest(response, args, args.granularity === 'instruction' ? 'stepInstruction' : 'stepIn');
  }

  protected stepOutRequest(response: DebugProtocol.StepOutResponse, args: DebugProtocol.StepOutArguments): void {
    this.stepRequest(response, args, 'stepOut');
  }

  /** singleThread: only this vCPU moves; the others stay where they stopped (gdb's scheduler-locking). */
  private stepRequest(response: DebugProtocol.Response, args: DebugProtocol.StepBackArguments, kind: StepKind | ReverseRequest): void {
    void this.handle(response, async () => {
      this.requireConfigured();
      await this.breakpointChanges.done();
      this.requireStopped();
      await (isReverseRequest(kind)
        ? this.require().reverse.request(kind, args)
        : this.require().run.step(kind, args.threadId, args.singleThread ?? false));
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
      const context = () => ({
        ...this.require(),
        print: (text: string) => this.print(text),
        sendEvent: (event: DebugProtocol.Event) => this.sendEvent(event),
      });
      const body = await runCustomRequest(command, context, args, this.log);
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

  private startingUp(args: unknown, work: () => Promise<void>): Promise<void> {
    this.log.configure(args);
    useCacheDirectoryOf(args);
    const run = work();
    this.startup = run.catch(() => undefined);
    return run;
  }

  private endSession(killQemu: boolean): Promise<void> {
    this.ending ??= (async () => {
      await this.startup;
      const connected = this.connected;
      this.connected = undefined;
      if (connected && !connected.target.isStopping) await connected.reverse.recordingEnds();
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

  private require(): Connected {
    if (!this.connected) throw errors.noSession();
    return this.connected;
  }

  /** A run (continue, step, goto, restart) before configurationDone is refused: nothing was shown yet. */
  private requireConfigured(): Connected {
    const connected = this.require();
    if (!connected.run.isConfigured) throw errors.starting();
    return connected;
  }

  private requireStopped(): void {
    if (this.require().run.isRunning) throw errors.kernelRunning();
  }

  private frameContext(frameId: number): FrameContext {
    const frame = this.require().stack.frame(frameId);
    if (!frame) throw errors.staleReference('frameId', frameId);
    return { threadId: frame.threadId, frameLevel: frame.level };
  }

  private print(text: string): void {
    this.log.print(text);
  }

  /** A cancelled request was answered already (cancel); its late result is dropped. */
  protected cancelRequest(response: DebugProtocol.CancelResponse, args: DebugProtocol.CancelArguments): void {
    const cancelled = args.requestId === undefined ? undefined : this.inFlight.cancel(args.requestId);
    if (cancelled) this.sendResponse({ ...cancelled, success: false, message: 'cancelled' });
    this.sendResponse(response);
  }

  /** Runs a request handler; a UserError goes to the user as is, anything else with its stack. */
  private async handle(response: DebugProtocol.Response, work: () => Promise<void>): Promise<void> {
    this.inFlight.begin(response);
    try {
      await work();
      if (this.inFlight.end(response)) this.sendResponse(response);
    } catch (error) {
      if (!this.inFlight.end(response)) return;
      this.sendErrorResponse(response, dapMessageOf(error));
    }
  }
}
