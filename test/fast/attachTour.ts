// The DAP steps of the recorded attach sessions (test/fixtures/mi-replay/<arch>-attach-tour.txt):
// scripts/record-mi-transcript.ts runs them against the real gdb, QEMU and Debian kernel, and
// the fast tests run them (or a prefix of them) against scriptedGdb.mjs replaying that record.
// The tests must ask what the recording asked, so the requests are made here, once.
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { CACHE_ARGUMENT } from '../../src/adapter/sessionProtocol';
import { rawRequest } from '../adapter/support';

export const TOUR = {
  /** Relative to sourceRoot; the line is `int fd = build_open_flags(how, &op);` in do_sys_openat2 (6.1.192). */
  file: 'fs/open.c',
  line: 1308,
  lineBeyondEnd: 99_999,
  missingFunction: 'no_such_function_xyz',
  watch: 'how->flags',
  badExpression: 'no_such_symbol_xyz',
} as const;

/** The recording's paths, which the transcript names as $NAME (the replay puts the test's own in). */
export interface TourPaths {
  PROGRAM: string;
  TARGET: string;
  SOURCE_ROOT: string;
  CACHE: string;
}

export function attachArguments(paths: TourPaths, gdbPath: string, gdbArgs: readonly string[]): DebugProtocol.AttachRequestArguments {
  const args = {
    type: 'kernel-qemu',
    request: 'attach',
    name: 'fast',
    program: paths.PROGRAM,
    target: paths.TARGET,
    sourceRoot: paths.SOURCE_ROOT,
    gdbPath,
    gdbArgs: [...gdbArgs],
    [CACHE_ARGUMENT]: paths.CACHE,
  };
  return args as DebugProtocol.AttachRequestArguments;
}

export interface FirstStop {
  sourceBreakpoints: DebugProtocol.Breakpoint[];
  functionBreakpoints: DebugProtocol.Breakpoint[];
  stopped: DebugProtocol.StoppedEvent;
}

/** initialize, attach, breakpoints as VS Code sets them before configurationDone, and the first stop. */
export async function attachToFirstStop(
  client: DebugClient,
  args: DebugProtocol.AttachRequestArguments,
  sourceRoot: string,
): Promise<FirstStop> {
  await client.initializeRequest({ adapterID: 'kernel-qemu', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true });
  const initialized = client.waitForEvent('initialized');
  await client.attachRequest(args);
  await initialized;
  const source = await client.setBreakpointsRequest({
    source: { path: `${sourceRoot}/${TOUR.file}` },
    breakpoints: [{ line: TOUR.line }, { line: TOUR.lineBeyondEnd }],
  });
  const functions = await client.setFunctionBreakpointsRequest({ breakpoints: [{ name: TOUR.missingFunction }] });
  const stopped = client.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
  await client.configurationDoneRequest();
  return { sourceBreakpoints: source.body.breakpoints, functionBreakpoints: functions.body.breakpoints, stopped: await stopped };
}

/** From the first stop: continue to the source breakpoint. */
export async function continueToBreakpoint(client: DebugClient, threadId: number): Promise<DebugProtocol.StoppedEvent> {
  const stopped = client.waitForEvent('stopped', 120_000) as Promise<DebugProtocol.StoppedEvent>;
  await client.continueRequest({ threadId });
  return stopped;
}

export interface Inspection {
  threads: DebugProtocol.Thread[];
  frames: DebugProtocol.StackFrame[];
  scopes: DebugProtocol.Scope[];
  locals: DebugProtocol.Variable[];
  watch: DebugProtocol.EvaluateResponse;
  bad: DebugProtocol.Response;
}

/** At the breakpoint, as VS Code asks: the threads, the stack, the top frame's scopes and locals, a watch expression and one gdb refuses. */
export async function inspect(client: DebugClient, threadId: number): Promise<Inspection> {
  const threads = (await client.threadsRequest()).body.threads;
  const frames = (await client.stackTraceRequest({ threadId, startFrame: 0, levels: 20 })).body.stackFrames;
  const top = frames[0];
  if (!top) throw new Error('no frames');
  const scopes = (await client.scopesRequest({ frameId: top.id })).body.scopes;
  const localsScope = scopes[0];
  if (!localsScope) throw new Error('no scopes');
  const locals = (await client.variablesRequest({ variablesReference: localsScope.variablesReference })).body.variables;
  const watch = await client.evaluateRequest({ expression: TOUR.watch, frameId: top.id, context: 'watch' });
  // The raw response: DebugClient turns a failure into an Error that keeps only the message.
  const bad = await rawRequest(client, 'evaluate', { expression: TOUR.badExpression, frameId: top.id, context: 'watch' });
  return { threads, frames, scopes, locals, watch, bad };
}
