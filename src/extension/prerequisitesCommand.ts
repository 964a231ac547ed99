// "Kernel QEMU: Check Prerequisites" (also the walkthrough's first step): says which QEMU and
// gdb were found, or what is missing with the install command for this distribution, which
// the user can copy or have typed (not run) into a terminal.
import * as vscode from 'vscode';
import { checkPrerequisites } from './prerequisites';
import { CHECK_PREREQUISITES_COMMAND } from './walkthroughContributes';

async function check(): Promise<void> {
  const settings = vscode.workspace.getConfiguration('kernelQemu');
  const report = checkPrerequisites({ qemuDirectory: settings.get<string>('qemuPath', ''), gdbPath: settings.get<string>('gdbPath', '') });
  const found = report.found.map(({ tool, path }) => `${tool} (${path})`).join(', ');
  if (!report.missing.length) {
    void vscode.window.showInformationMessage(`Kernel QEMU: everything is installed: ${found}.`);
    return;
  }
  const missing = `Kernel QEMU: missing ${report.missing.join(', ')}.`;
  if (!report.installCommand) {
    void vscode.window.showWarningMessage(`${missing} Install QEMU and gdb with your distribution's package manager, or set kernelQemu.qemuPath / kernelQemu.gdbPath.`);
    return;
  }
  const choice = await vscode.window.showWarningMessage(`${missing} Install with: ${report.installCommand}`, 'Type in Terminal', 'Copy Command');
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
}
