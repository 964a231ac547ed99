// DAP custom requests: the only channel between the extension (views, commands) and the
// adapter. Each handler gets the connected session (connected.ts) and the request's arguments.
import { mi } from '../mi/commands';
import { errors } from './errors';
import { resolveLocation } from './kernel/locations';
import { KERNEL_REQUEST, type DmesgBody, type ResolvedLocationBody, type SerialTerminalBody, type TasksBody } from './kernelProtocol';
import type { RunControl } from './runControl';
import type { SessionLog } from './sessionLog';
import { SET_LOG_LEVEL_REQUEST } from './sessionProtocol';
import { snapshotRequests } from './snapshots';
import type { CustomRequestContext, CustomRequestHandler } from './connected';

const serialInput: CustomRequestHandler = async ({ target }, args) => {
  if (typeof args.text !== 'string') throw errors.missingArgument(KERNEL_REQUEST.serialInput, 'text');
  if (!target.qemu) throw errors.serialAttached();
  target.qemu.sendSerialInput(args.text);
  return undefined;
};

/** Kernel data can only be read while the guest is stopped. */
function requireStopped(run: RunControl): void {
  if (run.isRunning) throw errors.kernelRunning();
}

const dmesg: CustomRequestHandler = async ({ run, target, kernelLog }): Promise<DmesgBody> => {
  requireStopped(run);
  if (target.hasLinuxScripts) {
    const result = await target.mi.send(mi.consoleCommand('lx-dmesg'));
    if (result.console.trim()) return { text: result.console };
  }
  return { text: await kernelLog.read() };
};

const tasks: CustomRequestHandler = async ({ run, tasks: inspector }): Promise<TasksBody> => {
  requireStopped(run);
  const list = await inspector.list();
  return { tasks: list.map(({ pid, comm, state }) => ({ pid, comm, state })) };
};

const location: CustomRequestHandler = async ({ run, target, disassembly }, args): Promise<ResolvedLocationBody> => {
  requireStopped(run);
  if (typeof args.location !== 'string') throw errors.missingArgument(KERNEL_REQUEST.resolveLocation, 'location');
  return resolveLocation(target.mi, disassembly, args.location);
};

export const customRequests: Readonly<Record<string, CustomRequestHandler>> = {
  [KERNEL_REQUEST.serialInput]: serialInput,
  [KERNEL_REQUEST.serialTerminalOpen]: async ({ serial }): Promise<SerialTerminalBody> => serial.openTerminal(),
  [KERNEL_REQUEST.serialTerminalClose]: async ({ serial }) => serial.closeTerminal(),
  [KERNEL_REQUEST.dmesg]: dmesg,
  [KERNEL_REQUEST.tasks]: tasks,
  [KERNEL_REQUEST.resolveLocation]: location,
  ...snapshotRequests,
};

/** Runs a custom request; the log level needs no connected guest (it may change while QEMU starts). */
export async function runCustomRequest(
  command: string,
  context: () => CustomRequestContext,
  args: unknown,
  log: SessionLog,
): Promise<unknown> {
  const record = typeof args === 'object' && args !== null ? (args as Record<string, unknown>) : {};
  if (command === SET_LOG_LEVEL_REQUEST) return log.setLevel(record.level);
  const handler = customRequests[command];
  if (!handler) throw errors.unknownRequest(command);
  return handler(context(), record);
}
