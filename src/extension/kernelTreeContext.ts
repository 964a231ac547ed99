// The `kernelQemu.inKernelTree` context key: true while a workspace folder holds a kernel or
// buildroot tree. package.json scopes the plain-text breakpoints (the kernel's .S files when no
// assembly extension is installed) to it, so F5 from such a file reaches kernel-qemu there and
// nowhere else.
import * as vscode from 'vscode';
import { IN_KERNEL_TREE } from './contributes';
import type { BuildWorkspace } from './tasks/buildWorkspace';

export function registerKernelTreeContext(context: vscode.ExtensionContext, workspace: BuildWorkspace): void {
  const update = async (): Promise<void> => {
    const inTree = (await workspace.trees()).length > 0;
    await vscode.commands.executeCommand('setContext', IN_KERNEL_TREE, inTree);
  };
  context.subscriptions.push(workspace.onDidChange(() => void update()));
  void update();
}
