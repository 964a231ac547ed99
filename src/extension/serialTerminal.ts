// The guest's serial console as an interactive VS Code terminal: opened when a kernel-qemu
// launch starts (setting kernelQemu.serialTerminal), fed by the adapter's
// kernelQemu.serialOutput events, typing sent with kernelQemu.serialInput. When its session
// ends the terminal stays readable and the next session's console reuses it (TerminalSlots).
import * as vscode from 'vscode';
import { DEBUG_TYPE } from './contributes';
import { KERNEL_COMMAND } from './kernelContributes';
import { SerialBridge } from './serialBridge';
import { TerminalSlots } from './terminalSlots';
import { KERNEL_REQUEST, kernelRequest } from '../adapter/kernelProtocol';

/** One VS Code terminal, connected to one session's serial console at a time. */
class SerialTerminal {
  readonly terminal: vscode.Terminal;
  private bridge: SerialBridge | undefined;
  private opened = false;
  private readonly writer = new vscode.EventEmitter<string>();
  private readonly namer = new vscode.EventEmitter<string>();

  constructor(name: string, onClosed: () => void) {
    const pty: vscode.Pseudoterminal = {
      onDidWrite: this.writer.event,
      onDidChangeName: this.namer.event,
      open: () => {
        this.opened = true;
        this.start();
      },
      close: () => {
        this.bridge?.stop();
        this.bridge = undefined;
        onClosed();
      },
      handleInput: (keys) => this.bridge?.input(keys),
    };
    this.terminal = vscode.window.createTerminal({ name, pty });
  }

  attach(session: vscode.DebugSession, name: string, reused: boolean): void {
    this.bridge = new SerialBridge(
      {
        open: () => kernelRequest(session, KERNEL_REQUEST.serialTerminalOpen),
        send: async (text) => void (await kernelRequest(session, KERNEL_REQUEST.serialInput, { text })),
        close: async () => void (await kernelRequest(session, KERNEL_REQUEST.serialTerminalClose)),
      },
      (text) => this.writer.fire(text),
    );
    if (reused) {
      this.namer.fire(name);
      this.writer.fire(`\r\n[kernel-qemu: ${session.name}]\r\n`);
    }
    // VS Code opens the pty once, after the first show: a reused terminal starts at once.
    if (this.opened) this.start();
  }

  output(text: string): void {
    this.bridge?.output(text);
  }

  /** The session ended: the connection goes, the text stays. */
  detach(): void {
    this.bridge = undefined;
    this.writer.fire('\r\n[kernel-qemu session ended]\r\n');
  }

  private start(): void {
    void this.bridge?.start().catch((error: unknown) => this.writer.fire(`kernel-qemu: ${String(error)}\r\n`));
  }
}

const slots = new TerminalSlots<SerialTerminal>();

function open(session: vscode.DebugSession): void {
  const name = `Kernel serial: ${session.name}`;
  const existing = slots.get(session.id);
  if (existing) return existing.terminal.show();
  const { terminal, reused } = slots.take(session.id, () => {
    const created: SerialTerminal = new SerialTerminal(name, () => slots.closed(created));
    return created;
  });
  terminal.attach(session, name, reused);
  terminal.terminal.show(true);
}

export function registerSerialTerminal(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.debug.onDidStartDebugSession((session) => {
      if (session.type !== DEBUG_TYPE || session.configuration.request !== 'launch') return;
      if (vscode.workspace.getConfiguration('kernelQemu').get<string>('serialTerminal', 'auto') === 'never') return;
      open(session);
    }),
    vscode.debug.onDidTerminateDebugSession((session) => slots.end(session.id)?.detach()),
    vscode.debug.onDidReceiveDebugSessionCustomEvent((event) => {
      if (event.event !== 'kernelQemu.serialOutput') return;
      slots.get(event.session.id)?.output((event.body as { text: string }).text);
    }),
    vscode.commands.registerCommand(KERNEL_COMMAND.showSerialConsole, () => {
      const session = vscode.debug.activeDebugSession;
      if (session?.type === DEBUG_TYPE) open(session);
    }),
  );
}
