// Build Rootfs in a kernel tree: the kernel-qemu initramfs (busybox, the tree's modules)
// and a Debian image (src/guest/debianImage.ts), both into the tree's .kernel-qemu/ folder
// where the launch configurations find them. The modules come from `make modules_install`
// into a staging folder (INSTALL_MOD_PATH), so modprobe works in the guest.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import * as path from 'node:path';
import type { GuestArch } from '../arch';
import { defaultCacheRoot } from '../cacheRoot';
import { guestBusybox } from '../guest/busybox';
import { writeInitramfs } from '../guest/initramfs';
import { debianImageSteps as debianSteps } from '../guest/debianImageSteps';
import { Kconfig } from './kconfig';
import type { PlanOptions } from './targets';
import type { RunStep, Step } from './runner';
import { isFile, kernelConfigFile, readText, type KernelBuildTree } from './workspace';

/** Where a kernel tree's guest files go, relative to its build directory (hidden: the kernel's .gitignore skips it). */
export const KERNEL_TREE_GUEST_DIR = '.kernel-qemu';
export const INITRAMFS_NAME = 'initramfs.cpio.gz';

export function guestDir(tree: KernelBuildTree): string {
  return path.join(tree.objDir, KERNEL_TREE_GUEST_DIR);
}

export function debianImageName(arch: GuestArch): string {
  return `debian-${arch}.qcow2`;
}

/** The tree's modules, staged for the guest: make modules_install when the kernel has modules and they are built. */
async function modulesStaging(
  tree: KernelBuildTree,
  make: (title: string, args: readonly string[]) => RunStep,
): Promise<{ steps: Step[]; root?: string }> {
  const config = Kconfig.parse((await readText(kernelConfigFile(tree))) ?? '');
  if (!config.isOn('MODULES') || !(await isFile(path.join(tree.objDir, 'modules.order')))) return { steps: [] };
  const root = path.join(guestDir(tree), 'modules');
  return {
    root,
    steps: [
      { kind: 'call', title: `Clear ${root}`, run: async () => void (await rm(root, { recursive: true, force: true })) },
      // Stripped for the guest (it runs them, gdb reads the tree's own .ko with DWARF); uncompressed for busybox's modprobe.
      make('make modules_install (for the guest)', [
        'modules_install',
        `INSTALL_MOD_PATH=${root}`,
        'INSTALL_MOD_STRIP=1',
        'CONFIG_MODULE_COMPRESS_NONE=y',
      ]),
    ],
  };
}

export async function initramfsSteps(
  tree: KernelBuildTree,
  arch: GuestArch,
  options: PlanOptions,
  make: (title: string, args: readonly string[]) => RunStep,
): Promise<Step[]> {
  const output = path.join(guestDir(tree), INITRAMFS_NAME);
  const modules = await modulesStaging(tree, make);
  return [
    ...modules.steps,
    {
      kind: 'call',
      title: `initramfs for ${arch}: busybox, /init${modules.root ? ", the tree's modules" : ''}`,
      run: async (log) => {
        const started = Date.now();
        const busybox = await guestBusybox(arch, options.cacheDir ?? defaultCacheRoot(), log);
        const extraFiles = (options.initramfsFiles ?? []).map((file) => ({
          host: path.resolve(tree.srcDir, file.host),
          guest: file.guest,
        }));
        const missing = extraFiles.find((file) => !existsSync(file.host));
        if (missing) throw new Error(`'files': ${missing.host} does not exist (the task's files are relative to ${tree.srcDir}).`);
        const written = await writeInitramfs(output, { busybox, modulesRoot: modules.root, extraFiles });
        log(`Wrote ${output}: ${(written.bytes / 1024).toFixed(0)} KiB, ${written.entries} entries, in ${Date.now() - started} ms.`);
        log(
          'Press F5: the launch configuration of this tree boots it (its /init brings up the ' +
            'network, mounts the shares, runs the configured command).',
        );
      },
    },
  ];
}

export async function debianImageSteps(
  tree: KernelBuildTree,
  arch: GuestArch,
  options: PlanOptions,
  make: (title: string, args: readonly string[]) => RunStep,
): Promise<Step[]> {
  const modules = await modulesStaging(tree, make);
  const output = path.join(guestDir(tree), debianImageName(arch));
  return [...modules.steps, ...debianSteps({ arch, output, modulesRoot: modules.root, cacheDir: options.cacheDir ?? defaultCacheRoot() })];
}
