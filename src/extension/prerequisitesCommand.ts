// "Kernel QEMU: Check Prerequisites" (also the walkthrough's first step): says which QEMU and
// gdb were found, or what is missing with the install command for this distribution, which
// the user can copy or have typed (not run) into a terminal.
import * as vscode from 'vscode';
import { TOOLS_FOUND } from './contextKeys';
import { checkPrerequisites, type PrerequisiteReport } from './prerequisites';
import { CHECK_PREREQUISITES_COMMAND } from './walkthroughContributes';

/** Looks for the tools and sets `kernelQemu.toolsFound` (the walkthrough's first step is done by it). */
function checkTools(): PrerequisiteReport {
  const settings = vscode.workspace.getConfiguration('kernelQemu');
  const report = checkPrerequisites({ qemuDirectory: settings.get<string>('qemuPath', ''), gdbPath: settings.get<string>('gdbPath', '') });
  void vscode.commands.executeCommand('setContext', TOOLS_FOUND, report.missing.length === 0);
  return report;
}

async function check(): Promise<void> {
  const report = checkTools();
  const found = report.found.map(({ tool, path }) => `${tool} (${path})`).join(', ');
  if (!report.missing.length) {
    void vscode.window.showInformationMessage(`Kernel QEMU: everything is installed: ${found}.`);
    return;
  }
  const missing = `Kernel QEMU: missing ${report.missing.join(', ')}.`;
  if (!report.installCommand) {
    void vscode.window.showWarningMessage(
      `${missing} Install QEMU and gdb with your distribution's package manager, or set kernelQemu.qemuPath / kernelQemu.gdbPath.`,
    );
    return;
  }
  const choice = await vscode.window.showWarningMessage(
    `${missing} Install with: ${report.installCommand}`,
    'Type in Terminal',
    'Copy Command',
  );
  if (choice === 'Copy Command') await vscode.env.clipboard.writeText(report.installCommand);
  if (choice === 'Type in Terminal') {
    const terminal = vscode.window.createTerminal('Kernel QEMU: install');
    terminal.show();
    // Typed, not run: the user reads it and presses Enter.
    terminal.sendText(report.installCommand, false);
  }
}

export function registerPrerequisitesCommand(context: vscode.ExtensionContext): void {
  context.subscriptions.push(vscode.commands.registerCommand(CHECK_PREREQUISITES_COMMAND, check));
  // After activation's other work: a PATH search per tool, a few milliseconds.
  setTimeout(checkTools, 0);
}
