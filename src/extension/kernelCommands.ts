// Commands that read the stopped kernel through the adapter: its log (dmesg) and task list,
// shown as read-only documents.
import * as vscode from 'vscode';
import { DEBUG_TYPE } from './contributes';
import { KERNEL_COMMAND, KERNEL_LOG_LANGUAGE } from './kernelContributes';
import { KERNEL_REQUEST, kernelRequest } from '../adapter/kernelProtocol';

function activeKernelSession(): vscode.DebugSession | undefined {
  const session = vscode.debug.activeDebugSession;
  if (session?.type === DEBUG_TYPE) return session;
  void vscode.window.showInformationMessage('Start a kernel-qemu session (and stop the kernel) first.');
  return undefined;
}

async function showDocument(content: string, language: string): Promise<void> {
  const document = await vscode.workspace.openTextDocument({ content, language });
  await vscode.window.showTextDocument(document, { preview: true });
}

async function run(work: (session: vscode.DebugSession) => Promise<void>): Promise<void> {
  const session = activeKernelSession();
  if (!session) return;
  try {
    await work(session);
  } catch (error) {
    void vscode.window.showErrorMessage(error instanceof Error ? error.message : String(error));
  }
}

export function registerKernelCommands(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(KERNEL_COMMAND.showDmesg, () =>
      run(async (session) => {
        const { text } = await kernelRequest(session, KERNEL_REQUEST.dmesg);
        await showDocument(text, KERNEL_LOG_LANGUAGE);
      }),
    ),
    vscode.commands.registerCommand(KERNEL_COMMAND.listTasks, () =>
      run(async (session) => {
        const { tasks } = await kernelRequest(session, KERNEL_REQUEST.tasks);
        const rows = tasks.map((task) => `${String(task.pid).padStart(7)}  ${task.state}  ${task.comm}`);
        await showDocument(['    PID  S  COMMAND', ...rows].join('\n') + '\n', 'plaintext');
      }),
    ),
  );
}
