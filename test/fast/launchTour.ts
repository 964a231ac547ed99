// The DAP steps of the recorded launch sessions (test/fixtures/mi-replay/<arch>-launch-tour.txt):
// F5 as VS Code does it (initialize, launch, configurationDone) to the stop at start_kernel, the
// stack there, and terminate. scripts/record-mi-transcript.ts --launch runs them against real
// QEMU, gdb and kernels; the fast tests against scriptedQemu.mjs and scriptedGdb.mjs.
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { CACHE_ARGUMENT } from '../../src/adapter/sessionProtocol';

export interface LaunchPaths {
  PROGRAM: string;
  SOURCE_ROOT: string;
  CACHE: string;
}

export interface LaunchFiles {
  kernel: string;
  initrd: string;
  qemuPath: string;
  serverArgs?: string[];
}

export function launchArguments(
  paths: LaunchPaths,
  files: LaunchFiles,
  gdbPath: string,
  gdbArgs: readonly string[],
): DebugProtocol.LaunchRequestArguments {
  const args = {
    type: 'kernel-qemu',
    request: 'launch',
    name: 'fast launch',
    program: paths.PROGRAM,
    kernel: files.kernel,
    initrd: files.initrd,
    qemuPath: files.qemuPath,
    ...(files.serverArgs ? { serverArgs: files.serverArgs } : {}),
    accel: 'tcg',
    sourceRoot: paths.SOURCE_ROOT,
    gdbPath,
    gdbArgs: [...gdbArgs],
    [CACHE_ARGUMENT]: paths.CACHE,
  };
  return args as DebugProtocol.LaunchRequestArguments;
}

export interface EntryStop {
  stopped: DebugProtocol.StoppedEvent;
  frames: DebugProtocol.StackFrame[];
}

/** F5: initialize, launch, configurationDone, the entry stop and its stack. */
export async function launchToEntry(client: DebugClient, args: DebugProtocol.LaunchRequestArguments): Promise<EntryStop> {
  await client.initializeRequest({ adapterID: 'kernel-qemu', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true });
  const initialized = client.waitForEvent('initialized', 120_000);
  const launched = client.launchRequest(args);
  await initialized;
  const stoppedEvent = client.waitForEvent('stopped', 120_000) as Promise<DebugProtocol.StoppedEvent>;
  await client.configurationDoneRequest();
  await launched;
  const stopped = await stoppedEvent;
  const frames = (await client.stackTraceRequest({ threadId: stopped.body.threadId ?? 1, startFrame: 0, levels: 20 })).body.stackFrames;
  return { stopped, frames };
}

/** Terminate (Shift+F5): the session ends QEMU and gdb and says so with a terminated event. */
export async function terminate(client: DebugClient): Promise<void> {
  const terminated = client.waitForEvent('terminated', 60_000);
  await client.terminateRequest({});
  await terminated;
}
