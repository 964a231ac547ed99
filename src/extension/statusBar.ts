// A status bar item while a kernel-qemu session is the active one: guest arch, accelerator
// and VM state; a click opens the guest's serial console.
import * as vscode from 'vscode';
import { DEBUG_TYPE } from './contributes';
import { KERNEL_COMMAND } from './kernelContributes';
import type { SessionInfo } from '../adapter/sessionProtocol';
import { nextStatus, STARTING, statusText, type SessionStatus } from './sessionStatus';

/** Returns what each running session said about itself (the ssh terminal command reads it). */
export function registerStatusBar(context: vscode.ExtensionContext): (session: vscode.DebugSession) => SessionInfo | undefined {
  const item = vscode.window.createStatusBarItem('kernelQemu.session', vscode.StatusBarAlignment.Left, 50);
  item.name = 'Kernel QEMU session';
  item.command = KERNEL_COMMAND.showSerialConsole;
  const statuses = new Map<string, SessionStatus>();

  const show = () => {
    const session = vscode.debug.activeDebugSession;
    const status = session && statuses.get(session.id);
    if (!session || !status) return item.hide();
    const { text, tooltip } = statusText(status, session.name);
    item.text = text;
    item.tooltip = tooltip;
    item.show();
  };

  context.subscriptions.push(
    item,
    vscode.debug.registerDebugAdapterTrackerFactory(DEBUG_TYPE, {
      createDebugAdapterTracker: (session) => {
        statuses.set(session.id, STARTING);
        show();
        return {
          onDidSendMessage: (message: { type: string }) => {
            const before = statuses.get(session.id);
            if (!before) return;
            const after = nextStatus(before, message as Parameters<typeof nextStatus>[1]);
            if (after === before) return;
            statuses.set(session.id, after);
            show();
          },
          onExit: () => {
            statuses.delete(session.id);
            show();
          },
        };
      },
    }),
    vscode.debug.onDidChangeActiveDebugSession(show),
    vscode.debug.onDidTerminateDebugSession((session) => {
      statuses.delete(session.id);
      show();
    }),
  );
  return (session) => statuses.get(session.id)?.info;
}
