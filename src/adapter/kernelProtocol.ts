// The DAP custom requests of the kernel commands and the serial console: names, arguments and
// answers shared by the adapter (customRequests.ts) and the extension (kernelCommands.ts,
// serialTerminal.ts, oopsLinks.ts), as snapshotProtocol.ts does for snapshots. Pure.

export const KERNEL_REQUEST = {
  /** () -> DmesgBody */
  dmesg: 'kernelQemu.dmesg',
  /** () -> TasksBody */
  tasks: 'kernelQemu.tasks',
  /** ResolveLocationArgs -> ResolvedLocationBody */
  resolveLocation: 'kernelQemu.resolveLocation',
  /** SerialInputArgs -> nothing: the text goes to the guest's serial console as typed. */
  serialInput: 'kernelQemu.serialInput',
  /** () -> SerialTerminalBody: serial output goes to the terminal from now on (not the Debug Console). */
  serialTerminalOpen: 'kernelQemu.serialTerminal.open',
  /** () -> nothing: serial output goes back to the Debug Console. */
  serialTerminalClose: 'kernelQemu.serialTerminal.close',
} as const;

export interface DmesgBody {
  text: string;
}

export interface TaskEntry {
  pid: number;
  comm: string;
  state: string;
}

export interface TasksBody {
  tasks: TaskEntry[];
}

export interface ResolveLocationArgs {
  /** `do_sys_openat2+0x1a/0x40`, `func`, or an address. */
  location: string;
}

export interface ResolvedLocationBody {
  path?: string;
  line?: number;
  function?: string;
}

export interface SerialInputArgs {
  text: string;
}

export interface SerialTerminalBody {
  /** What the guest printed before the terminal opened. */
  backlog: string;
}

/** Each request's arguments and answer, for a typed call from the extension. */
export interface KernelRequests {
  [KERNEL_REQUEST.dmesg]: { args: undefined; body: DmesgBody };
  [KERNEL_REQUEST.tasks]: { args: undefined; body: TasksBody };
  [KERNEL_REQUEST.resolveLocation]: { args: ResolveLocationArgs; body: ResolvedLocationBody };
  [KERNEL_REQUEST.serialInput]: { args: SerialInputArgs; body: undefined };
  [KERNEL_REQUEST.serialTerminalOpen]: { args: undefined; body: SerialTerminalBody };
  [KERNEL_REQUEST.serialTerminalClose]: { args: undefined; body: undefined };
}

/** What a DAP session offers for custom requests (vscode.DebugSession has it). */
export interface CustomRequestSender {
  customRequest(command: string, args?: unknown): PromiseLike<unknown>;
}

/** Sends a kernel request with its typed arguments; the answer has the type the adapter's handler returns. */
export async function kernelRequest<K extends keyof KernelRequests>(
  session: CustomRequestSender,
  command: K,
  ...args: KernelRequests[K]['args'] extends undefined ? [] : [KernelRequests[K]['args']]
): Promise<KernelRequests[K]['body']> {
  return (await session.customRequest(command, ...args)) as KernelRequests[K]['body'];
}
