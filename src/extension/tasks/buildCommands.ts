// The Build Kernel / Build Rootfs commands: pick the tree, then what to build — in a kernel
// tree with no .config the minimal QEMU configuration or defconfig (with their honest
// times), in a kernel tree the kind of root file system — run it as the task, and say
// what comes next when it is done.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { BUILD_ESTIMATES } from '../../build/minimalConfig';
import { planTarget, type TargetRef } from '../../build/targets';
import { kernelConfigFile } from '../../build/workspace';
import { planOptions, type BuildWorkspace, type FolderTree } from './buildWorkspace';
import { runTarget, type BuildTaskProvider } from './taskProvider';

type Command = 'build-kernel' | 'build-rootfs';

async function pickTree(workspace: BuildWorkspace, command: Command): Promise<FolderTree | undefined> {
  const all = await workspace.trees();
  const able = all.filter((entry) => entry.tree.kind === 'kernel' || entry.tree.makeDir);
  if (able.length === 0) {
    void vscode.window.showErrorMessage(
      'kernel-qemu: no kernel or buildroot tree in this workspace. Open the top of a kernel ' +
        'source tree (Kconfig, arch/, scripts/config) or a buildroot tree (Makefile, Config.in, ' +
        'configs/).',
    );
    return undefined;
  }
  if (able.length === 1) return able[0];
  const pick = await vscode.window.showQuickPick(
    able.map((candidate) => ({
      label: candidate.tree.name,
      description: candidate.tree.kind === 'kernel' ? 'kernel tree' : 'buildroot',
      detail: candidate.tree.kind === 'kernel' ? candidate.tree.objDir : (candidate.tree.topDir ?? candidate.tree.outputDir),
      candidate,
    })),
    { placeHolder: command === 'build-kernel' ? 'Build the kernel of which tree?' : 'Build the root file system of which tree?' },
  );
  return pick?.candidate;
}

/** What to run, in order: the user's choice for a fresh tree or a kernel tree's root file system. */
async function chooseTargets(entry: FolderTree, command: Command): Promise<TargetRef[] | undefined> {
  const tree = entry.tree;
  if (tree.kind !== 'kernel') return [{ id: command }];
  if (command === 'build-rootfs') {
    const pick = await vscode.window.showQuickPick(
      [
        {
          label: 'initramfs',
          description: 'busybox, seconds',
          detail: "A shell on the console, the network, shared folders, the tree's modules (modprobe works). Rebuilt in seconds.",
          id: 'initramfs' as const,
        },
        {
          label: 'Debian image',
          description: 'mmdebstrap, a minute or two',
          detail: 'Debian bookworm in qcow2 (snapshots work): systemd, root autologin on the serial console, ssh with a key made for it.',
          id: 'debian-image' as const,
        },
        {
          label: 'Arch Linux image',
          description: 'pacstrap',
          detail: 'Needs pacstrap and a reachable Arch mirror: checked before anything runs.',
          id: 'arch' as const,
        },
      ],
      { placeHolder: 'Which root file system for this kernel?' },
    );
    if (pick?.id === 'arch') {
      // Loaded when asked: it probes a mirror over https, nothing activation should pay for.
      const { archImageProblem } = await import('../../guest/archImage');
      void vscode.window.showErrorMessage(`kernel-qemu: ${await archImageProblem()}`);
      return undefined;
    }
    return pick && [{ id: pick.id }];
  }
  if (existsSync(kernelConfigFile(tree))) return [{ id: 'build-kernel' }];
  const pick = await vscode.window.showQuickPick(
    [
      {
        label: 'Minimal QEMU configuration',
        description: BUILD_ESTIMATES.minimal,
        detail: 'tinyconfig + DWARF, serial console, virtio disk and network, 9p/virtiofs, modules: what debugging in QEMU needs.',
        fresh: 'minimal' as const,
      },
      {
        label: 'defconfig',
        description: BUILD_ESTIMATES.defconfig,
        detail: "The architecture's default configuration with the debug options added.",
        fresh: 'defconfig' as const,
      },
    ],
    { placeHolder: 'This tree has no .config yet. Start from:' },
  );
  if (!pick) return undefined;
  return pick.fresh === 'minimal' ? [{ id: 'build-kernel' }] : [{ id: 'defconfig' }, { id: 'debug-config' }, { id: 'build-kernel' }];
}

export async function buildCommand(workspace: BuildWorkspace, provider: BuildTaskProvider, command: Command): Promise<void> {
  const entry = await pickTree(workspace, command);
  if (!entry) return;
  const targets = await chooseTargets(entry, command);
  if (!targets) return;
  // Fail early, with the plan's own message, rather than in a task terminal.
  try {
    await planTarget(entry.tree, targets[0]!, planOptions());
  } catch (error) {
    void vscode.window.showErrorMessage(`kernel-qemu: ${error instanceof Error ? error.message : String(error)}`);
    return;
  }
  const started = Date.now();
  for (const target of targets) await runTarget(provider, entry, target);
  if (entry.tree.kind === 'kernel' && command === 'build-kernel') {
    const vmlinux = path.join(entry.tree.objDir, 'vmlinux');
    if (existsSync(vmlinux) && (await vscode.workspace.fs.stat(vscode.Uri.file(vmlinux))).mtime >= started) {
      const next = existsSync(path.join(entry.tree.objDir, '.kernel-qemu', 'initramfs.cpio.gz'))
        ? 'Press F5 to boot it.'
        : 'Build Rootfs gives it a guest (initramfs in seconds); then F5 boots it.';
      void vscode.window.showInformationMessage(`kernel-qemu: the kernel is built. ${next}`);
    }
  }
}
