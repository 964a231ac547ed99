// The context keys that follow the workspace's trees: `kernelQemu.inKernelTree` while a
// workspace folder holds a kernel or buildroot tree (package.json scopes the plain-text
// breakpoints for the kernel's .S files and the Kernel QEMU views to it), and
// `kernelQemu.kernelFound` while a tree holds a built vmlinux or a Debian debug kernel is
// installed (the walkthrough's kernel step is done by it).
import { readdir } from 'node:fs/promises';
import * as vscode from 'vscode';
import { findArtifacts } from '../build/artifacts';
import { IN_KERNEL_TREE, KERNEL_FOUND } from './contextKeys';
import type { BuildWorkspace, FolderTree } from './tasks/buildWorkspace';

/** Where Debian's linux-image-*-dbg packages put vmlinux-<version>. */
const DEBUG_KERNELS = '/usr/lib/debug/boot';

export function registerKernelTreeContext(context: vscode.ExtensionContext, workspace: BuildWorkspace): void {
  const update = async (): Promise<void> => {
    const trees = await workspace.trees();
    await vscode.commands.executeCommand('setContext', IN_KERNEL_TREE, trees.length > 0);
    await vscode.commands.executeCommand('setContext', KERNEL_FOUND, (await treeHasVmlinux(trees)) || (await debugKernelInstalled()));
  };
  // The workspace changes after every build task too (a build refreshes it).
  context.subscriptions.push(workspace.onDidChange(() => void update()));
  void update();
}

async function treeHasVmlinux(trees: readonly FolderTree[]): Promise<boolean> {
  for (const { tree } of trees) if ((await findArtifacts(tree)).some((artifact) => artifact.kind === 'vmlinux')) return true;
  return false;
}

async function debugKernelInstalled(): Promise<boolean> {
  const names = await readdir(DEBUG_KERNELS).catch(() => []);
  return names.some((name) => name.startsWith('vmlinux-'));
}
