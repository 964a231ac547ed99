// Finds a bootable kernel in a workspace folder, so F5 works in a kernel build tree
// without a launch.json. No vscode import: plain file checks, unit-testable.
import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import type { GuestArch } from '../arch';
import { readElfSummary } from '../elf/elf';
import { DEBUG_TYPE } from './contributes';

export interface KernelTree {
  arch: GuestArch;
  /** Absolute paths. */
  program: string;
  kernel: string;
  initrd: string | undefined;
}

/** Where a kernel build leaves the bootable image, per arch (relative to the tree's top). */
export const KERNEL_IMAGES: Readonly<Record<GuestArch, string>> = {
  x86_64: 'arch/x86/boot/bzImage',
  aarch64: 'arch/arm64/boot/Image',
};

/** Initramfs names looked for at the top of the tree, first match wins. */
export const INITRD_NAMES: readonly string[] = [
  '.kernel-qemu/initramfs.cpio.gz',
  'initramfs.cpio.gz',
  'initramfs.cpio',
  'initrd.img',
  'initrd.gz',
  'rootfs.cpio.gz',
];

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

async function elfArch(file: string): Promise<GuestArch | undefined> {
  try {
    return (await readElfSummary(file)).arch;
  } catch {
    return undefined;
  }
}

/**
 * The kernel build at the top of `folder`, or what is missing (one sentence naming the
 * fix). vmlinux's ELF header picks the arch, so a tree with images of both arches, or
 * a stale image of the other one, still gets the right pair.
 */
export async function discoverKernelTree(folder: string): Promise<KernelTree | { problem: string }> {
  const program = path.join(folder, 'vmlinux');
  const images = {
    x86_64: path.join(folder, KERNEL_IMAGES.x86_64),
    aarch64: path.join(folder, KERNEL_IMAGES.aarch64),
  };
  const [hasProgram, hasX86, hasArm64] = await Promise.all([isFile(program), isFile(images.x86_64), isFile(images.aarch64)]);
  if (!hasProgram) {
    return {
      problem:
        `${folder} has no vmlinux. Open the top of a built kernel tree (with vmlinux and ${KERNEL_IMAGES.x86_64}` +
        ` or ${KERNEL_IMAGES.aarch64}), or add a kernel-qemu configuration to launch.json.`,
    };
  }
  const arch = (await elfArch(program)) ?? (hasX86 ? 'x86_64' : hasArm64 ? 'aarch64' : undefined);
  if (!arch) {
    return {
      problem:
        `${folder} has a vmlinux but no ${KERNEL_IMAGES.x86_64} or ${KERNEL_IMAGES.aarch64}. Build ` +
        `the bootable image (make bzImage or make Image), or set 'kernel' in launch.json.`,
    };
  }
  if (!(arch === 'x86_64' ? hasX86 : hasArm64)) {
    const target = arch === 'x86_64' ? 'bzImage' : 'Image';
    return {
      problem:
        `${program} is an ${arch} kernel but ${KERNEL_IMAGES[arch]} is missing. Build it (make ${target}` +
        `), or set 'kernel' in launch.json.`,
    };
  }
  let initrd: string | undefined;
  for (const name of INITRD_NAMES) {
    if (await isFile(path.join(folder, name))) {
      initrd = path.join(folder, name);
      break;
    }
  }
  return { arch, program, kernel: images[arch], initrd };
}

/** A launch configuration for a discovered tree (absolute paths: it also works unsaved). */
export function launchConfigFor(tree: KernelTree, folderName: string): Record<string, string | boolean> {
  const config: Record<string, string | boolean> = {
    type: DEBUG_TYPE,
    request: 'launch',
    name: `Kernel (QEMU): ${folderName} (${tree.arch})`,
    arch: tree.arch,
    program: tree.program,
    kernel: tree.kernel,
    stopAtEntry: true,
  };
  if (tree.initrd) config.initrd = tree.initrd;
  return config;
}
