// DAP custom requests: the only channel between the extension (views, commands) and the
// adapter. Each handler gets the connected session's services and the request's arguments.
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { BreakpointService } from './breakpoints';
import type { DisassemblyService } from './disassembly';
import { mi } from '../mi/commands';
import { ErrorCode, UserError } from './errors';
import type { KernelLog } from './kernel/dmesg';
import { resolveLocation } from './kernel/locations';
import type { GotoTargets } from './gotoTargets';
import type { KernelExceptions } from './kernel/kernelExceptions';
import type { ModuleTracker } from './kernel/modules';
import type { SerialConsole } from './kernel/serialConsole';
import type { TaskInspector } from './kernel/tasks';
import type { KernelTarget } from './kernelTarget';
import type { MemoryService } from './memory';
import type { Repl } from './repl';
import type { RunControl } from './runControl';
import type { SessionLog } from './sessionLog';
import { SET_LOG_LEVEL_REQUEST } from './sessionProtocol';
import { snapshotRequests } from './snapshots';
import type { StackService } from './stack';
import type { VariableService } from './variables';

/** Everything that exists once gdb is connected. */
export interface Connected {
  target: KernelTarget;
  breakpoints: BreakpointService;
  stack: StackService;
  variables: VariableService;
  repl: Repl;
  memory: MemoryService;
  disassembly: DisassemblyService;
  run: RunControl;
  serial: SerialConsole;
  tasks: TaskInspector;
  kernelLog: KernelLog;
  modules: ModuleTracker;
  exceptions: KernelExceptions;
  gotoTargets: GotoTargets;
}

export interface CustomRequestContext extends Connected {
  print(text: string): void;
  sendEvent(event: DebugProtocol.Event): void;
}

export type CustomRequestHandler = (context: CustomRequestContext, args: Record<string, unknown>) => Promise<unknown>;

const serialInput: CustomRequestHandler = async ({ target }, args) => {
  if (typeof args.text !== 'string') throw new UserError(ErrorCode.BadArgument, 'kernelQemu.serialInput needs a "text" string.');
  if (!target.qemu) throw new UserError(ErrorCode.BadArgument, 'The serial console belongs to the QEMU that launched it; this session is attached.');
  target.qemu.sendSerialInput(args.text);
  return undefined;
};

/** Kernel data can only be read while the guest is stopped. */
function requireStopped(run: RunControl): void {
  if (run.isRunning) throw new UserError(ErrorCode.NotStopped, 'The kernel is running: pause it first.');
}

const dmesg: CustomRequestHandler = async ({ run, target, kernelLog }) => {
  requireStopped(run);
  if (target.hasLinuxScripts) {
    const result = await target.mi.send(mi.consoleCommand('lx-dmesg'));
    if (result.console.trim()) return { text: result.console };
  }
  return { text: await kernelLog.read() };
};

const tasks: CustomRequestHandler = async ({ run, tasks: inspector }) => {
  requireStopped(run);
  const list = await inspector.list();
  return { tasks: list.map(({ pid, comm, state }) => ({ pid, comm, state })) };
};

const location: CustomRequestHandler = async ({ run, target, disassembly }, args) => {
  requireStopped(run);
  if (typeof args.location !== 'string') throw new UserError(ErrorCode.BadArgument, 'kernelQemu.resolveLocation needs a "location" string.');
  return resolveLocation(target.mi, disassembly, args.location);
};

export const customRequests: Readonly<Record<string, CustomRequestHandler>> = {
  'kernelQemu.serialInput': serialInput,
  'kernelQemu.serialTerminal.open': async ({ serial }) => serial.openTerminal(),
  'kernelQemu.serialTerminal.close': async ({ serial }) => serial.closeTerminal(),
  'kernelQemu.dmesg': dmesg,
  'kernelQemu.tasks': tasks,
  'kernelQemu.resolveLocation': location,
  ...snapshotRequests,
};

/** Runs a custom request; the log level needs no connected guest (it may change while QEMU starts). */
export async function runCustomRequest(command: string, context: () => CustomRequestContext, args: unknown, log: SessionLog): Promise<unknown> {
  const record = typeof args === 'object' && args !== null ? (args as Record<string, unknown>) : {};
  if (command === SET_LOG_LEVEL_REQUEST) return log.setLevel(record.level);
  const handler = customRequests[command];
  if (!handler) throw new UserError(ErrorCode.BadArgument, `Unknown request '${command}'.`);
  return handler(context(), record);
}
