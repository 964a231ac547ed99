// DAP custom requests: the only channel between the extension (views, commands) and the
// adapter. Each handler gets the connected session's services and the request's arguments.
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { BreakpointService } from './breakpoints';
import type { DisassemblyService } from './disassembly';
import { ErrorCode, UserError } from './errors';
import type { KernelTarget } from './kernelTarget';
import type { MemoryService } from './memory';
import type { RunControl } from './runControl';
import { snapshotRequests } from './snapshots';
import type { StackService } from './stack';
import type { VariableService } from './variables';

/** Everything that exists once gdb is connected. */
export interface Connected {
  target: KernelTarget;
  breakpoints: BreakpointService;
  stack: StackService;
  variables: VariableService;
  memory: MemoryService;
  disassembly: DisassemblyService;
  run: RunControl;
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

export const customRequests: Readonly<Record<string, CustomRequestHandler>> = {
  'kernelQemu.serialInput': serialInput,
  ...snapshotRequests,
};
