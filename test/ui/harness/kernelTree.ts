// A small stand-in for a kernel tree: what the extension recognizes as one (Kconfig, arch/,
// scripts/config, a .config) with an init/main.c and a Makefile that really runs.
import { chmodSync, cpSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { VsCode } from './fixture';
import type { Kernel } from './kernels';
import { ROOT } from './tools';

function write(file: string, text: string, mode?: number): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  if (mode !== undefined) chmodSync(file, mode);
}

export function kernelTreeStandIn(dir: string, files: { mainC: string; makefile: readonly string[] }): void {
  write(path.join(dir, 'Kconfig'), '# test stand-in\n');
  write(path.join(dir, 'arch/x86/Kconfig'), '');
  write(path.join(dir, 'scripts/config'), '#!/bin/sh\n# test stand-in\nexit 0\n', 0o755);
  write(path.join(dir, 'init/main.c'), files.mainC);
  write(path.join(dir, 'Makefile'), [...files.makefile, ''].join('\n'));
  cpSync(path.join(ROOT, 'test/fixtures/kconfig/x86_64-defconfig.config'), path.join(dir, '.config'));
}

/** The stand-in as a built tree: a fetched kernel's vmlinux at the top and its bzImage where make leaves it. */
export function builtKernelTreeStandIn(dir: string, kernel: Kernel, makefile: readonly string[] = ['all:', '\t@true']): void {
  kernelTreeStandIn(dir, { mainC: 'int start_kernel(void) { return 0; }\n', makefile });
  mkdirSync(path.join(dir, 'arch/x86/boot'), { recursive: true });
  symlinkSync(kernel.vmlinux, path.join(dir, 'vmlinux'));
  symlinkSync(kernel.kernel, path.join(dir, 'arch/x86/boot/bzImage'));
}

/** code-server on a stand-in tree, which cannot really build: launches skip the Build Kernel task. */
export function openOnStandInTree(name: string, folder: string): Promise<VsCode> {
  return VsCode.open({
    name,
    folder,
    extension: 'vsix',
    settings: { 'kernelQemu.buildBeforeLaunch': false, 'kernelQemu.serialTerminal': 'never' },
  });
}

/** Ends what openOnStandInTree opened, then removes the tree. */
export async function closeStandInTree(vscode: VsCode | undefined, folder: string): Promise<void> {
  try {
    await vscode?.close();
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
