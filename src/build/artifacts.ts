// What a build produced (vmlinux, the bootable image, the rootfs, buildroot's cross gdb,
// vmlinux-gdb.py) and the launch settings made from it. Pure file checks, no vscode.
import { access, constants, readdir, realpath, stat } from 'node:fs/promises';
import * as path from 'node:path';
import type { GuestArch } from '../arch';
import { readElfSummary } from '../elf/elf';
import { buildrootArch, kernelConfigArch } from './doctor';
import { Kconfig } from './kconfig';
import { debianImageName, guestDir, INITRAMFS_NAME } from './rootfsTargets';
import { buildrootKernelDirs } from './targets';
import { isFile, kernelConfigFile, readText, type BuildrootBuildTree, type BuildTree, type KernelBuildTree } from './workspace';

export type ArtifactKind = 'vmlinux' | 'kernel' | 'rootfs' | 'initrd' | 'gdb' | 'gdb-scripts' | 'config';

export interface Artifact {
  kind: ArtifactKind;
  /** Absolute path. */
  path: string;
  size: number;
  mtimeMs: number;
}

/** Bootable image per arch, relative to a kernel tree's top (and its name in buildroot's images/). */
export const KERNEL_IMAGE: Readonly<Record<GuestArch, string>> = { x86_64: 'arch/x86/boot/bzImage', aarch64: 'arch/arm64/boot/Image' };

/** buildroot images/ root file systems, best first: qcow2 (snapshots), then ext4/ext2. */
const ROOTFS_IMAGES = ['rootfs.qcow2', 'rootfs.ext4', 'rootfs.ext2'];
const INITRD_IMAGES = ['rootfs.cpio.gz', 'rootfs.cpio.xz', 'rootfs.cpio.lz4', 'rootfs.cpio'];

/** The artifacts of a tree that exist, in a fixed order (vmlinux, kernel, rootfs/initrd, gdb, scripts, configs). */
export async function findArtifacts(tree: BuildTree): Promise<Artifact[]> {
  const candidates: Array<[ArtifactKind, string]> = tree.kind === 'kernel' ? kernelCandidates(tree) : await buildrootCandidates(tree);
  const found: Artifact[] = [];
  const seen = new Set<string>();
  for (const [kind, file] of candidates) {
    const info = await fileInfo(file);
    if (!info) continue;
    // rootfs.ext4 is a link to rootfs.ext2: list the file once, under the first name.
    const real = await realpath(file).catch(() => file);
    if (seen.has(real)) continue;
    seen.add(real);
    found.push({ kind, path: file, ...info });
  }
  return found;
}

function kernelCandidates(tree: KernelBuildTree): Array<[ArtifactKind, string]> {
  return [
    ['vmlinux', path.join(tree.objDir, 'vmlinux')],
    ['kernel', path.join(tree.objDir, KERNEL_IMAGE.x86_64)],
    ['kernel', path.join(tree.objDir, KERNEL_IMAGE.aarch64)],
    ['gdb-scripts', path.join(tree.objDir, 'vmlinux-gdb.py')],
    ['initrd', path.join(guestDir(tree), INITRAMFS_NAME)],
    ['rootfs', path.join(guestDir(tree), debianImageName('x86_64'))],
    ['rootfs', path.join(guestDir(tree), debianImageName('aarch64'))],
    ['config', kernelConfigFile(tree)],
  ];
}

async function buildrootCandidates(tree: BuildrootBuildTree): Promise<Array<[ArtifactKind, string]>> {
  const images = path.join(tree.outputDir, 'images');
  const [kernelDir] = await buildrootKernelDirs(tree);
  const gdb = await buildrootGdb(tree);
  return [
    ...(kernelDir ? [['vmlinux', path.join(kernelDir, 'vmlinux')] as [ArtifactKind, string]] : []),
    ['kernel', path.join(images, 'bzImage')],
    ['kernel', path.join(images, 'Image')],
    ...ROOTFS_IMAGES.map((name): [ArtifactKind, string] => ['rootfs', path.join(images, name)]),
    ...INITRD_IMAGES.map((name): [ArtifactKind, string] => ['initrd', path.join(images, name)]),
    ...(gdb ? [['gdb', gdb] as [ArtifactKind, string]] : []),
    ...(kernelDir ? [['gdb-scripts', path.join(kernelDir, 'vmlinux-gdb.py')] as [ArtifactKind, string]] : []),
    ...(tree.configFile ? [['config', tree.configFile] as [ArtifactKind, string]] : []),
    ...(kernelDir ? [['config', path.join(kernelDir, '.config')] as [ArtifactKind, string]] : []),
  ];
}

/**
 * buildroot's cross gdb: output/host/bin/<arch>-linux-gdb (the link buildroot makes), else
 * the <tuple>-gdb it links to. Only an executable counts.
 */
export async function buildrootGdb(tree: BuildrootBuildTree, arch?: GuestArch): Promise<string | undefined> {
  const bin = path.join(tree.outputDir, 'host/bin');
  let names: string[];
  try {
    names = await readdir(bin);
  } catch {
    return undefined;
  }
  const rank = (name: string) => (name === `${arch}-linux-gdb` ? 0 : /^\w+-linux-gdb$/.test(name) ? 1 : 2);
  const gdbs = names
    .filter((name) => /^[\w.]+-linux(?:-[\w.]+)*-gdb$/.test(name) && (!arch || name.startsWith(`${arch}-`)))
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  for (const name of gdbs) {
    const file = path.join(bin, name);
    if (await isExecutable(file)) return file;
  }
  return undefined;
}

/** What a launch of the build's outputs needs; paths absolute. */
export interface OutputsLaunch {
  arch: GuestArch;
  program: string;
  kernel: string;
  rootfs?: string;
  initrd?: string;
  gdbPath?: string;
}

/** The launch settings from buildroot's outputs, or what is missing (a sentence naming the fix). */
export async function buildrootLaunch(tree: BuildrootBuildTree): Promise<OutputsLaunch | { problem: string }> {
  const images = path.join(tree.outputDir, 'images');
  const kernelDirs = await buildrootKernelDirs(tree);
  let program: string | undefined;
  for (const dir of kernelDirs) {
    if (await fileInfo(path.join(dir, 'vmlinux'))) {
      program = path.join(dir, 'vmlinux');
      break;
    }
  }
  if (!program) {
    return {
      problem:
        `buildroot has not built the kernel yet (no ${path.join(tree.outputDir, 'build', 'linux-*', 'vmlinux')}` +
        `): run Build Kernel (make linux-rebuild) or Build All.`,
    };
  }
  const config = tree.configFile ? await readText(tree.configFile) : undefined;
  const arch = (await elfArch(program)) ?? (config ? buildrootArch(Kconfig.parse(config, 'BR2_')) : undefined);
  if (!arch) return { problem: `${program} is not an x86_64 or aarch64 kernel: kernel-qemu boots those two.` };
  const kernel = path.join(images, arch === 'x86_64' ? 'bzImage' : 'Image');
  if (!(await fileInfo(kernel)))
    return { problem: `buildroot's ${kernel} is missing: run Build Kernel (make linux-rebuild) or Build All.` };
  const launch: OutputsLaunch = { arch, program, kernel };
  const rootfs = await firstExisting(ROOTFS_IMAGES.map((name) => path.join(images, name)));
  if (rootfs) launch.rootfs = rootfs;
  else {
    const initrd = await firstExisting(INITRD_IMAGES.map((name) => path.join(images, name)));
    if (initrd) launch.initrd = initrd;
  }
  const gdb = await buildrootGdb(tree, arch);
  if (gdb) launch.gdbPath = gdb;
  return launch;
}

/** The launch settings from a kernel tree's outputs (in place or O=), or what is missing. */
export async function kernelTreeLaunch(tree: KernelBuildTree): Promise<OutputsLaunch | { problem: string }> {
  const program = path.join(tree.objDir, 'vmlinux');
  if (!(await fileInfo(program))) return { problem: `${tree.objDir} has no vmlinux yet: run Build Kernel.` };
  const config = await readText(kernelConfigFile(tree));
  const arch = (await elfArch(program)) ?? (config ? kernelConfigArch(Kconfig.parse(config)).arch : undefined);
  if (!arch) return { problem: `${program} is not an x86_64 or aarch64 kernel: kernel-qemu boots those two.` };
  const kernel = path.join(tree.objDir, KERNEL_IMAGE[arch]);
  if (!(await fileInfo(kernel))) return { problem: `${kernel} is missing: run Build Kernel.` };
  const launch: OutputsLaunch = { arch, program, kernel };
  // Build Rootfs's outputs: the initramfs loads the modules a disk root needs, then switches to it.
  const initrd = path.join(guestDir(tree), INITRAMFS_NAME);
  if (await fileInfo(initrd)) launch.initrd = initrd;
  const image = path.join(guestDir(tree), debianImageName(arch));
  if (await fileInfo(image)) launch.rootfs = image;
  return launch;
}

export async function outputsLaunch(tree: BuildTree): Promise<OutputsLaunch | { problem: string }> {
  return tree.kind === 'kernel' ? kernelTreeLaunch(tree) : buildrootLaunch(tree);
}

/** A kernel-qemu launch configuration for outputs (absolute paths: it works unsaved, too). */
export function launchConfigFromOutputs(
  launch: OutputsLaunch,
  name: string,
  extra: { preLaunchTask?: string } = {},
): Record<string, string | boolean> {
  const config: Record<string, string | boolean> = {
    type: 'kernel-qemu',
    request: 'launch',
    name,
    arch: launch.arch,
    program: launch.program,
    kernel: launch.kernel,
  };
  if (launch.rootfs) config.rootfs = launch.rootfs;
  if (launch.initrd) config.initrd = launch.initrd;
  if (launch.gdbPath) config.gdbPath = launch.gdbPath;
  config.stopAtEntry = true;
  if (extra.preLaunchTask) config.preLaunchTask = extra.preLaunchTask;
  return config;
}

async function firstExisting(files: readonly string[]): Promise<string | undefined> {
  for (const file of files) if (await fileInfo(file)) return file;
  return undefined;
}

async function fileInfo(file: string): Promise<{ size: number; mtimeMs: number } | undefined> {
  try {
    const info = await stat(file);
    return info.isFile() ? { size: info.size, mtimeMs: info.mtimeMs } : undefined;
  } catch {
    return undefined;
  }
}

function isExecutable(file: string): Promise<boolean> {
  return access(file, constants.X_OK).then(
    () => isFile(file),
    () => false,
  );
}

/** The guest arch of an ELF's header; undefined when it is not an ELF (or not readable). */
function elfArch(file: string): Promise<GuestArch | undefined> {
  return readElfSummary(file).then(
    (elf) => elf.arch,
    () => undefined,
  );
}
