// F5 on a configuration with no initrd and no rootfs would boot into "VFS: Unable to mount
// root fs" and a panic. Before QEMU starts, the user is offered a guest: build the tree's
// initramfs (Build Rootfs → initramfs, seconds), pick an initramfs file, or boot anyway.
import * as path from 'node:path';
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { guestDir, INITRAMFS_NAME } from '../build/rootfsTargets';
import { detectTree } from '../build/workspace';
import { TASK_TYPE } from './tasks/tasksContributes';
import { executeAndWait } from './tasks/taskProvider';

const BUILD = 'Build initramfs';
const PICK = 'Choose an initrd…';
const ANYWAY = 'Boot anyway';

/** The tree vmlinux belongs to (its folder, or the folder above an O= directory), if it is one. */
async function treeOf(program: string) {
  const tree = await detectTree(path.dirname(program));
  return tree?.kind === 'kernel' ? tree : undefined;
}

/** Fills config.initrd when the user chose one; false when the launch should not go on. */
export async function offerGuest(config: vscode.DebugConfiguration): Promise<boolean> {
  if (config.request !== 'launch' || config.initrd || config.rootfs) return true;
  const program = path.resolve(String(config.cwd ?? ''), String(config.program));
  const tree = await treeOf(program);
  const choice = await vscode.window.showWarningMessage(
    'kernel-qemu: this configuration boots the kernel with no initrd and no rootfs, so it will ' +
      'panic at "VFS: Unable to mount root fs" once it has booted.',
    {
      modal: true,
      detail: tree
        ? "Build initramfs makes a busybox guest with the tree's modules in seconds (Build Rootfs → initramfs) and boots it."
        : "Set 'initrd' or 'rootfs' in launch.json, or choose an initramfs file now.",
    },
    ...(tree ? [BUILD] : []),
    PICK,
    ANYWAY,
  );
  if (choice === ANYWAY) return true;
  if (choice === PICK) {
    const [file] =
      (await vscode.window.showOpenDialog({
        canSelectMany: false,
        openLabel: 'Boot with this initrd',
        filters: { 'initramfs (cpio)': ['gz', 'cpio', 'img', 'xz', 'lz4', 'zst'], 'All files': ['*'] },
      })) ?? [];
    if (!file) return false;
    config.initrd = file.fsPath;
    return true;
  }
  if (choice !== BUILD || !tree) return false;
  const task = (await vscode.tasks.fetchTasks({ type: TASK_TYPE })).find(
    (candidate) =>
      candidate.definition.target === 'initramfs' &&
      typeof candidate.scope === 'object' &&
      path.resolve(candidate.scope.uri.fsPath, String(candidate.definition.tree ?? '.')) === tree.objDir,
  );
  if (!task) {
    void vscode.window.showErrorMessage(
      `kernel-qemu: ${tree.objDir} is not a kernel tree of this workspace: open it as a folder ` +
        `to build its initramfs, or set 'initrd' in launch.json.`,
    );
    return false;
  }
  await executeAndWait(task);
  const built = path.join(guestDir(tree), INITRAMFS_NAME);
  if (!existsSync(built)) {
    void vscode.window.showErrorMessage('kernel-qemu: the initramfs was not built: the Build Rootfs: initramfs terminal says why.');
    return false;
  }
  config.initrd = built;
  return true;
}
