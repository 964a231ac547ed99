// The build targets of a buildroot tree (targets.ts has the kernel tree's): buildroot's make
// targets, utils/config edits of its .config, and the kernel debug options as a config
// fragment buildroot merges. Everything is an argv; nothing goes through a shell.
import { readdir, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { allEdits, buildrootFindings, kernelFindings, type Finding } from './doctor';
import { configScriptArgs, fragmentLines, Kconfig, parseFragment, type ConfigEdit } from './kconfig';
import { blocking, PlanError, readConfig, verifyStep, type TargetRef } from './planSteps';
import type { CallStep, RunStep, Step } from './runner';
import { isFile, readText, type BuildrootBuildTree } from './workspace';

/** The two defconfigs that boot in QEMU on the arches kernel-qemu debugs, offered first. */
export const BUILDROOT_QEMU_DEFCONFIGS: readonly string[] = ['qemu_x86_64_defconfig', 'qemu_aarch64_virt_defconfig'];

/** Where buildroot's kernel debug options go (relative to buildroot's top), merged by merge_config.sh. */
export const BUILDROOT_KERNEL_FRAGMENT = 'board/kernel-qemu/linux-debug.fragment';

function buildrootMake(tree: BuildrootBuildTree, title: string, ...args: string[]): RunStep {
  return { kind: 'run', title, argv: ['make', ...args], cwd: tree.makeDir! };
}

export async function planBuildrootTarget(tree: BuildrootBuildTree, target: TargetRef): Promise<Step[]> {
  if (!tree.makeDir)
    throw new PlanError(`${tree.outputDir} is a buildroot output directory without its buildroot tree: open the buildroot tree to build.`);
  switch (target.id) {
    case 'defconfig': {
      const name = target.defconfig ?? BUILDROOT_QEMU_DEFCONFIGS[0]!;
      if (!/^[\w.+-]+_defconfig$/.test(name)) throw new PlanError(`'${name}' is not a buildroot defconfig name (configs/*_defconfig).`);
      if (tree.topDir && !(await isFile(path.join(tree.topDir, 'configs', name)))) throw new PlanError(`buildroot has no configs/${name}.`);
      return [buildrootMake(tree, name, name)];
    }
    case 'menuconfig':
      return [buildrootMake(tree, 'menuconfig', 'menuconfig')];
    case 'linux-menuconfig':
      return [buildrootMake(tree, 'linux-menuconfig', 'linux-menuconfig')];
    case 'olddefconfig':
      return [buildrootMake(tree, 'olddefconfig', 'olddefconfig')];
    case 'build-all':
      return [buildrootMake(tree, 'Build All')];
    case 'build-kernel':
      return [buildrootMake(tree, 'Build Kernel', 'linux-rebuild')];
    case 'build-rootfs': {
      const targets = await rootfsTargets(tree);
      return [buildrootMake(tree, 'Build Rootfs', ...targets)];
    }
    case 'debug-config':
      return [buildrootDoctorFixStep(tree)];
    default:
      throw new PlanError(`A buildroot tree has no '${target.id}' target (it is a kernel tree target).`);
  }
}

/** make targets that build the root file system images the configuration enables. */
export async function rootfsTargets(tree: BuildrootBuildTree): Promise<string[]> {
  const text = tree.configFile ? await readText(tree.configFile) : undefined;
  if (!text) return [];
  const config = Kconfig.parse(text, 'BR2_');
  const kinds: Array<[symbol: string, target: string]> = [
    ['TARGET_ROOTFS_EXT2', 'rootfs-ext2'],
    ['TARGET_ROOTFS_CPIO', 'rootfs-cpio'],
    ['TARGET_ROOTFS_SQUASHFS', 'rootfs-squashfs'],
    ['TARGET_ROOTFS_BTRFS', 'rootfs-btrfs'],
    ['TARGET_ROOTFS_EROFS', 'rootfs-erofs'],
  ];
  return kinds.filter(([symbol]) => config.isOn(symbol)).map(([, target]) => target);
}

/** configs/ defconfigs to offer: the two QEMU ones first, then other x86_64/aarch64 QEMU boards. */
export async function buildrootDefconfigs(tree: BuildrootBuildTree): Promise<string[]> {
  if (!tree.topDir) return [];
  let names: string[];
  try {
    names = await readdir(path.join(tree.topDir, 'configs'));
  } catch {
    return [];
  }
  const qemu = names.filter((name) => /^qemu_(x86_64|aarch64)\w*_defconfig$/.test(name)).sort();
  return [
    ...BUILDROOT_QEMU_DEFCONFIGS.filter((name) => qemu.includes(name)),
    ...qemu.filter((name) => !BUILDROOT_QEMU_DEFCONFIGS.includes(name)),
  ];
}

/** buildroot's utils/config, or undefined for a buildroot older than 2022.02 that has none. */
export async function buildrootConfigTool(tree: BuildrootBuildTree): Promise<string | undefined> {
  if (!tree.topDir) return undefined;
  const tool = path.join(tree.topDir, 'utils/config');
  return (await isFile(tool)) ? tool : undefined;
}

/** The kernel trees buildroot unpacked (output/build/linux-X, not linux-headers-X and the like). */
export async function buildrootKernelDirs(tree: BuildrootBuildTree): Promise<string[]> {
  const buildDir = path.join(tree.outputDir, 'build');
  let names: string[];
  try {
    names = await readdir(buildDir);
  } catch {
    return [];
  }
  const dirs = names
    .filter((name) => /^linux-/.test(name) && !/^linux-(headers|firmware|tools|pam|zigbee)/.test(name))
    .map((name) => path.join(buildDir, name));
  const withTimes = await Promise.all(dirs.map(async (dir) => ({ dir, time: await mtime(path.join(dir, '.config')) })));
  // Newest configured first: after a version bump the old directory may linger.
  return withTimes.sort((a, b) => b.time - a.time).map((entry) => entry.dir);
}

/** utils/config EDITS on buildroot's .config, then make olddefconfig, then a check. */
export async function buildrootEditSteps(
  tree: BuildrootBuildTree,
  edits: readonly ConfigEdit[],
  findings: readonly Finding[],
): Promise<Step[]> {
  if (!tree.makeDir || !tree.configFile)
    throw new PlanError('This buildroot output has no buildroot tree to configure: open the buildroot tree.');
  const tool = await buildrootConfigTool(tree);
  if (!tool)
    throw new PlanError('This buildroot has no utils/config (buildroot 2022.02 or later has it): set the options in make menuconfig.');
  return [
    { kind: 'run', title: 'utils/config', argv: ['bash', tool, ...configScriptArgs(tree.configFile, edits)], cwd: tree.makeDir },
    buildrootMake(tree, 'olddefconfig', 'olddefconfig'),
    verifyStep(tree.configFile, 'BR2_', findings, (config) => buildrootFindings(config)),
  ];
}

/**
 * Kernel options under buildroot: they go into a config fragment that buildroot merges
 * into the kernel's .config (BR2_LINUX_KERNEL_CONFIG_FRAGMENT_FILES), so they survive
 * linux-dirclean and reconfiguration. Build Kernel (make linux-rebuild) applies them.
 */
export async function buildrootKernelEditSteps(tree: BuildrootBuildTree, edits: readonly ConfigEdit[]): Promise<Step[]> {
  if (!tree.topDir || !tree.configFile || !tree.makeDir)
    throw new PlanError('This buildroot output has no buildroot tree to configure: open the buildroot tree.');
  const tool = await buildrootConfigTool(tree);
  if (!tool)
    throw new PlanError(
      `This buildroot has no utils/config: add the options to a kernel config fragment and list ` +
        `it in BR2_LINUX_KERNEL_CONFIG_FRAGMENT_FILES (make menuconfig).`,
    );
  const fragment = path.join(tree.topDir, BUILDROOT_KERNEL_FRAGMENT);
  const configFile = tree.configFile;
  const write: CallStep = {
    kind: 'call',
    title: `Write the kernel debug options to ${BUILDROOT_KERNEL_FRAGMENT}`,
    run: async (log) => {
      const { mkdir, writeFile } = await import('node:fs/promises');
      const previous = parseFragment((await readText(fragment)) ?? '');
      const lines = fragmentLines([...previous, ...edits]);
      await mkdir(path.dirname(fragment), { recursive: true });
      await writeFile(fragment, `# Kernel debug options written by kernel-qemu's config doctor.\n${lines.join('\n')}\n`);
      log(lines.join('\n'));
      const config = Kconfig.parse((await readText(configFile)) ?? '', 'BR2_');
      const listed = (config.get('LINUX_KERNEL_CONFIG_FRAGMENT_FILES') ?? '').split(/\s+/).filter(Boolean);
      if (listed.some((entry) => path.resolve(tree.topDir!, entry) === fragment)) return [];
      const value = [...listed, BUILDROOT_KERNEL_FRAGMENT].join(' ');
      return [
        {
          kind: 'run',
          title: 'utils/config',
          argv: ['bash', tool, ...configScriptArgs(configFile, [{ op: 'set-str', symbol: 'LINUX_KERNEL_CONFIG_FRAGMENT_FILES', value }])],
          cwd: tree.makeDir!,
        },
      ];
    },
  };
  return [
    write,
    buildrootMake(tree, 'olddefconfig', 'olddefconfig'),
    {
      kind: 'call',
      title: 'Next',
      run: async (log) => {
        log('Build Kernel (make linux-rebuild) merges the fragment into the kernel .config and rebuilds.');
      },
    },
  ];
}

/** buildroot's "Enable Debug Options": BR2 findings with edits, and the kernel's debug options as a fragment. */
export function buildrootDoctorFixStep(tree: BuildrootBuildTree): CallStep {
  return {
    kind: 'call',
    title: 'Config doctor: buildroot and kernel debug options',
    run: async (log) => {
      if (!tree.configFile || !(await isFile(tree.configFile)))
        throw new PlanError('buildroot has no .config yet: run qemu_x86_64_defconfig or qemu_aarch64_virt_defconfig first.');
      const config = await readConfig(tree.configFile, 'BR2_');
      const findings = blocking(buildrootFindings(config));
      const steps: Step[] = [];
      for (const finding of findings) log(`  ${finding.id}: ${finding.message}`);
      if (allEdits(findings).length) steps.push(...(await buildrootEditSteps(tree, allEdits(findings), findings)));
      const kernelEdits = await buildrootKernelDebugEdits(tree, config);
      if (kernelEdits.length) steps.push(...(await buildrootKernelEditSteps(tree, kernelEdits)));
      if (steps.length === 0) log('Nothing to change: buildroot and its kernel have the debug options.');
      return steps;
    },
  };
}

/** The kernel edits buildroot's kernel needs: from its .config when configured, else the standard debug set. */
async function buildrootKernelDebugEdits(tree: BuildrootBuildTree, config: Kconfig): Promise<ConfigEdit[]> {
  const [dir] = await buildrootKernelDirs(tree);
  const text = dir ? await readText(path.join(dir, '.config')) : undefined;
  if (text) return allEdits(blocking(kernelFindings(Kconfig.parse(text))));
  if (!config.isOn('LINUX_KERNEL')) return [];
  // Not configured yet: the debug options, plus the frame-pointer unwinder on x86_64.
  const assumed = Kconfig.parse(config.isOn('aarch64') ? 'CONFIG_ARM64=y\n' : 'CONFIG_X86_64=y\n');
  return allEdits(
    kernelFindings(assumed).filter((finding) => ['debug-kernel', 'debug-info', 'gdb-scripts', 'frame-pointer'].includes(finding.id)),
  );
}

async function mtime(file: string): Promise<number> {
  try {
    return (await stat(file)).mtimeMs;
  } catch {
    return 0;
  }
}
