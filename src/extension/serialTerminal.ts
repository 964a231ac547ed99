// The guest's serial console as an interactive VS Code terminal: opened when a kernel-qemu
// launch starts (setting kernelQemu.serialTerminal), fed by the adapter's
// kernelQemu.serialOutput events, typing sent with kernelQemu.serialInput.
import * as vscode from 'vscode';
import { DEBUG_TYPE } from './contributes';
import { KERNEL_COMMAND } from './kernelContributes';
import { SerialBridge } from './serialBridge';

const bridges = new Map<string, { bridge: SerialBridge; terminal: vscode.Terminal }>();

function open(session: vscode.DebugSession): void {
  const existing = bridges.get(session.id);
  if (existing) return existing.terminal.show();
  const writer = new vscode.EventEmitter<string>();
  const closer = new vscode.EventEmitter<void>();
  const bridge = new SerialBridge(
    {
      open: async () => (await session.customRequest('kernelQemu.serialTerminal.open')) as { backlog: string },
      send: async (text) => void (await session.customRequest('kernelQemu.serialInput', { text })),
      close: async () => void (await session.customRequest('kernelQemu.serialTerminal.close')),
    },
    (text) => writer.fire(text),
  );
  const pty: vscode.Pseudoterminal = {
    onDidWrite: writer.event,
    onDidClose: closer.event,
    open: () => void bridge.start().catch((error: unknown) => writer.fire(`kernel-qemu: ${String(error)}\r\n`)),
    close: () => {
      bridges.delete(session.id);
      bridge.stop();
    },
    handleInput: (keys) => bridge.input(keys),
  };
  const terminal = vscode.window.createTerminal({ name: `Kernel serial: ${session.name}`, pty });
  bridges.set(session.id, { bridge, terminal });
  terminal.show(true);
  // The session ending closes its terminal's connection (the terminal stays, so the log can be read).
  const ended = vscode.debug.onDidTerminateDebugSession((done) => {
    if (done.id !== session.id) return;
    ended.dispose();
    bridges.delete(session.id);
    writer.fire('\r\n[kernel-qemu session ended]\r\n');
  });
}

export function registerSerialTerminal(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.debug.onDidStartDebugSession((session) => {
      if (session.type !== DEBUG_TYPE || session.configuration.request !== 'launch') return;
      if (vscode.workspace.getConfiguration('kernelQemu').get<string>('serialTerminal', 'auto') === 'never') return;
      open(session);
    }),
    vscode.debug.onDidReceiveDebugSessionCustomEvent((event) => {
      if (event.event !== 'kernelQemu.serialOutput') return;
      bridges.get(event.session.id)?.bridge.output((event.body as { text: string }).text);
    }),
    vscode.commands.registerCommand(KERNEL_COMMAND.showSerialConsole, () => {
      const session = vscode.debug.activeDebugSession;
      if (session?.type === DEBUG_TYPE) open(session);
    }),
  );
}
