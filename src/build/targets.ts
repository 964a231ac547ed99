// The build targets of a tree and the exact commands they run: make (with O=, ARCH,
// CROSS_COMPILE, -j), scripts/config / utils/config, buildroot's make targets. Plans are
// made when a target runs, from the tree as it is then (a Build Kernel in a fresh tree
// configures it first). Everything is an argv; nothing goes through a shell. Pure apart
// from reading the tree's files.
import { readdir, stat } from 'node:fs/promises';
import * as path from 'node:path';
import type { GuestArch } from '../arch';
import { allEdits, buildrootFindings, kernelConfigArch, kernelFindings, stillThere, type Finding } from './doctor';
import { configScriptArgs, fragmentLines, Kconfig, parseFragment, type ConfigEdit } from './kconfig';
import { BUILD_ESTIMATES, minimalConfigEdits, unkeptEdits } from './minimalConfig';
import { debianImageSteps, initramfsSteps, INITRAMFS_NAME, KERNEL_TREE_GUEST_DIR } from './rootfsTargets';
import { skipWhenUnchanged } from './upToDate';
import type { CallStep, RunStep, Step } from './runner';
import { isFile, kernelConfigFile, readText, type BuildrootBuildTree, type BuildTree, type KernelBuildTree } from './workspace';

export type TargetId =
  | 'defconfig'
  | 'tinyconfig'
  | 'olddefconfig'
  | 'menuconfig'
  | 'linux-menuconfig'
  | 'debug-config'
  | 'build-kernel'
  | 'build-rootfs'
  | 'build-all'
  | 'scripts-gdb'
  | 'minimal-config'
  | 'initramfs'
  | 'debian-image';

export const TARGET_IDS: readonly TargetId[] = [
  'defconfig', 'tinyconfig', 'olddefconfig', 'menuconfig', 'linux-menuconfig', 'debug-config', 'build-kernel', 'build-rootfs', 'build-all', 'scripts-gdb',
  'minimal-config', 'initramfs', 'debian-image',
];

export interface TargetRef {
  id: TargetId;
  /** buildroot 'defconfig': the configs/ file, e.g. 'qemu_x86_64_defconfig'. */
  defconfig?: string;
}

export interface TargetSpec extends TargetRef {
  /** The task's name, e.g. 'Build Kernel'. */
  label: string;
  /** What it runs, for lists, e.g. 'make -j8'. */
  detail: string;
  group: 'configure' | 'build';
  /** Needs a terminal the user types in (menuconfig): run as a process in a real terminal. */
  interactive: boolean;
}

export interface PlanOptions {
  /** make -j for kernel builds (the host's CPU count). */
  jobs: number;
  hostArch: GuestArch;
  /** Kernel trees: the arch to build for when .config does not say; default the host's. */
  arch?: GuestArch;
  /** Kernel trees built for another arch: the toolchain prefix (default aarch64-linux-gnu- / x86_64-linux-gnu-). */
  crossCompile?: string;
  /** Build Kernel in a tree with no .config: start from kernel-qemu's minimal configuration (default) or defconfig. */
  freshConfig?: 'minimal' | 'defconfig';
  /** Where busybox and the Debian packages are cached (guest root file systems). */
  cacheDir?: string;
  /** The initramfs target: host files or folders copied in (relative paths: from the tree's folder). */
  initramfsFiles?: ReadonlyArray<{ host: string; guest: string }>;
  /**
   * Build Kernel of a kernel tree: when its last build succeeded (ms since the epoch, with
   * nothing saved in the tree while make ran). make is skipped when no file changed since.
   */
  builtCleanAt?: number;
}

/** A problem that stops a target before anything runs, in words for the user. */
export class PlanError extends Error {}

/** The two defconfigs that boot in QEMU on the arches kernel-qemu debugs, offered first. */
export const BUILDROOT_QEMU_DEFCONFIGS: readonly string[] = ['qemu_x86_64_defconfig', 'qemu_aarch64_virt_defconfig'];

/** Where buildroot's kernel debug options go (relative to buildroot's top), merged by merge_config.sh. */
export const BUILDROOT_KERNEL_FRAGMENT = 'board/kernel-qemu/linux-debug.fragment';

export const LABELS: Readonly<Record<TargetId, string>> = {
  defconfig: 'defconfig',
  tinyconfig: 'tinyconfig',
  olddefconfig: 'olddefconfig',
  menuconfig: 'menuconfig',
  'linux-menuconfig': 'linux-menuconfig',
  'debug-config': 'Enable Debug Options',
  'build-kernel': 'Build Kernel',
  'build-rootfs': 'Build Rootfs',
  'build-all': 'Build All',
  'scripts-gdb': 'scripts_gdb',
  'minimal-config': 'Minimal QEMU Config',
  initramfs: 'Build Rootfs: initramfs',
  'debian-image': 'Build Rootfs: Debian image',
};

/** The task name of a target; trees of a folder that holds several are told apart by name. */
export function taskLabel(target: TargetRef, treeName?: string): string {
  const base = target.id === 'defconfig' && target.defconfig ? target.defconfig : LABELS[target.id];
  return treeName ? `${base} (${treeName})` : base;
}

/** The targets a tree offers, in the order lists show them. */
export async function listTargets(tree: BuildTree, options: PlanOptions): Promise<TargetSpec[]> {
  if (tree.kind === 'kernel') {
    const make = formatMake(kernelMakeArgv(tree, [], await kernelArch(tree, options), options));
    const spec = (id: TargetId, detail: string, group: TargetSpec['group'], interactive = false): TargetSpec => ({ id, label: LABELS[id], detail, group, interactive });
    return [
      spec('build-kernel', `${make} -j${options.jobs}`, 'build'),
      spec('scripts-gdb', `${make} scripts_gdb`, 'build'),
      spec('initramfs', `busybox initramfs + make modules_install → ${KERNEL_TREE_GUEST_DIR}/${INITRAMFS_NAME}`, 'build'),
      spec('debian-image', `mmdebstrap bookworm (ssh, serial autologin) → ${KERNEL_TREE_GUEST_DIR}/debian-<arch>.qcow2`, 'build'),
      spec('minimal-config', `${make} tinyconfig + virtio, network, 9p/virtiofs, DWARF (${BUILD_ESTIMATES.minimal})`, 'configure'),
      spec('defconfig', `${make} defconfig`, 'configure'),
      spec('tinyconfig', `${make} tinyconfig`, 'configure'),
      spec('olddefconfig', `${make} olddefconfig`, 'configure'),
      spec('debug-config', 'scripts/config -e DEBUG_INFO -e GDB_SCRIPTS … && make olddefconfig', 'configure'),
      spec('menuconfig', `${make} menuconfig`, 'configure', true),
    ];
  }
  if (!tree.makeDir) return []; // outputs only: nothing to run make in
  const spec = (id: TargetId, detail: string, group: TargetSpec['group'], interactive = false): TargetSpec => ({ id, label: LABELS[id], detail, group, interactive });
  const targets: TargetSpec[] = [
    spec('build-kernel', 'make linux-rebuild', 'build'),
    spec('build-rootfs', `make ${(await rootfsTargets(tree)).join(' ') || 'all'}`, 'build'),
    spec('build-all', 'make', 'build'),
  ];
  for (const name of await buildrootDefconfigs(tree)) {
    targets.push({ id: 'defconfig', defconfig: name, label: name, detail: `make ${name}`, group: 'configure', interactive: false });
  }
  targets.push(
    spec('debug-config', 'utils/config -e ENABLE_DEBUG … + kernel debug fragment && make olddefconfig', 'configure'),
    spec('menuconfig', 'make menuconfig', 'configure', true),
    spec('linux-menuconfig', 'make linux-menuconfig', 'configure', true),
  );
  return targets;
}

/** The steps of a target, decided from the tree as it is now. Throws PlanError. */
export async function planTarget(tree: BuildTree, target: TargetRef, options: PlanOptions): Promise<Step[]> {
  return tree.kind === 'kernel' ? planKernelTarget(tree, target, options) : planBuildrootTarget(tree, target);
}

// ---------------------------------------------------------------------------------------
// Kernel trees

/** The arch a kernel tree builds for: what its .config says, else the option, else the host's. */
export async function kernelArch(tree: KernelBuildTree, options: PlanOptions): Promise<GuestArch> {
  const text = await readText(kernelConfigFile(tree));
  const fromConfig = text ? kernelConfigArch(Kconfig.parse(text)).arch : undefined;
  return fromConfig ?? options.arch ?? options.hostArch;
}

/** `make [O=dir] [ARCH=.. CROSS_COMPILE=..] ARGS`, run in the source tree. */
export function kernelMakeArgv(tree: KernelBuildTree, args: readonly string[], arch: GuestArch, options: Pick<PlanOptions, 'hostArch' | 'crossCompile'>): [string, ...string[]] {
  const argv: [string, ...string[]] = ['make'];
  if (path.resolve(tree.objDir) !== path.resolve(tree.srcDir)) argv.push(`O=${tree.objDir}`);
  if (arch !== options.hostArch) {
    argv.push(`ARCH=${arch === 'aarch64' ? 'arm64' : 'x86_64'}`, `CROSS_COMPILE=${options.crossCompile ?? (arch === 'aarch64' ? 'aarch64-linux-gnu-' : 'x86_64-linux-gnu-')}`);
  }
  argv.push(...args);
  return argv;
}

function kernelMake(tree: KernelBuildTree, title: string, args: readonly string[], arch: GuestArch, options: PlanOptions): RunStep {
  return { kind: 'run', title, argv: kernelMakeArgv(tree, args, arch, options), cwd: tree.srcDir };
}

async function planKernelTarget(tree: KernelBuildTree, target: TargetRef, options: PlanOptions): Promise<Step[]> {
  const arch = await kernelArch(tree, options);
  const make = (title: string, ...args: string[]) => kernelMake(tree, title, args, arch, options);
  const hasConfig = await isFile(kernelConfigFile(tree));
  const minimal = async (title: string): Promise<Step[]> => minimalConfigSteps(tree, title, arch, options);
  const configureFirst = async (): Promise<Step[]> => {
    if (hasConfig) return [];
    if (options.freshConfig === 'defconfig') return [make('No .config yet: start from defconfig', 'defconfig'), kernelDoctorFixStep(tree, options)];
    return minimal("No .config yet: kernel-qemu's minimal QEMU configuration (tinyconfig + guest options)");
  };
  switch (target.id) {
    case 'defconfig':
      return [make('defconfig', 'defconfig')];
    case 'tinyconfig':
      return [make('tinyconfig', 'tinyconfig')];
    case 'olddefconfig':
      return [make('olddefconfig', 'olddefconfig')];
    case 'menuconfig':
      return [make('menuconfig', 'menuconfig')];
    case 'debug-config':
      return hasConfig ? [kernelDoctorFixStep(tree, options)] : configureFirst();
    case 'minimal-config':
      return minimal('Minimal QEMU configuration: tinyconfig');
    case 'build-kernel': {
      const build = make('Build Kernel', `-j${Math.max(1, options.jobs)}`);
      return hasConfig && options.builtCleanAt !== undefined ? [skipWhenUnchanged(tree, options.builtCleanAt, [build])] : [...(await configureFirst()), build];
    }
    case 'scripts-gdb':
      return [make('scripts_gdb', 'scripts_gdb')];
    case 'initramfs':
      return initramfsSteps(tree, arch, options, (title, args) => make(title, ...args));
    case 'debian-image':
      return debianImageSteps(tree, arch, options, (title, args) => make(title, ...args));
    default:
      throw new PlanError(`A kernel tree has no '${target.id}' target (it is a buildroot target).`);
  }
}

/**
 * Runs the config doctor on the tree's .config and, when it finds something, applies the
 * edits of its errors and warnings with scripts/config, then make olddefconfig, then checks.
 */
export function kernelDoctorFixStep(tree: KernelBuildTree, options: PlanOptions, only?: readonly Finding[]): CallStep {
  return {
    kind: 'call',
    title: 'Config doctor: debug options in .config',
    run: async (log) => {
      const findings = only ?? blocking(kernelFindings(await readConfig(kernelConfigFile(tree), 'CONFIG_')));
      const edits = allEdits(findings);
      if (edits.length === 0) {
        log('Nothing to change: the .config has the debug options.');
        return [];
      }
      for (const finding of findings) log(`  ${finding.id}: ${finding.message}`);
      return kernelEditSteps(tree, edits, options, findings);
    },
  };
}

/** scripts/config EDITS, make olddefconfig, then a check that the findings are gone. */
export async function kernelEditSteps(tree: KernelBuildTree, edits: readonly ConfigEdit[], options: PlanOptions, findings: readonly Finding[]): Promise<Step[]> {
  const arch = await kernelArch(tree, options);
  const config = kernelConfigFile(tree);
  return [
    { kind: 'run', title: 'scripts/config', argv: ['bash', path.join(tree.srcDir, 'scripts/config'), ...configScriptArgs(config, edits)], cwd: tree.srcDir },
    kernelMake(tree, 'olddefconfig', ['olddefconfig'], arch, options),
    verifyStep(config, 'CONFIG_', findings, (kconfig) => kernelFindings(kconfig)),
  ];
}

/** tinyconfig, the minimal configuration's edits, olddefconfig, and a check of what stuck. */
function minimalConfigSteps(tree: KernelBuildTree, title: string, arch: GuestArch, options: PlanOptions): Step[] {
  const config = kernelConfigFile(tree);
  const edits = minimalConfigEdits(arch);
  return [
    kernelMake(tree, title, ['tinyconfig'], arch, options),
    { kind: 'run', title: 'scripts/config: the guest and debug options', argv: ['bash', path.join(tree.srcDir, 'scripts/config'), ...configScriptArgs(config, edits)], cwd: tree.srcDir },
    kernelMake(tree, 'olddefconfig', ['olddefconfig'], arch, options),
    {
      kind: 'call',
      title: 'Check the result',
      run: async (log) => {
        // A symbol that did not stick is reported, not fatal: it depends on something this kernel version spells otherwise.
        const missing = unkeptEdits(await readConfig(config, 'CONFIG_'), edits);
        log(missing.length ? `Not set after olddefconfig (unmet dependencies on this kernel version): ${missing.join(', ')}` : `All ${edits.length} options are set.`);
      },
    },
  ];
}

/** After olddefconfig: says which findings a fix did not clear (an unmet Kconfig dependency). */
function verifyStep(file: string, prefix: string, fixed: readonly Finding[], recheck: (config: Kconfig) => Finding[]): CallStep {
  return {
    kind: 'call',
    title: 'Check the result',
    run: async (log) => {
      const left = stillThere(fixed, recheck(await readConfig(file, prefix)));
      if (left.length === 0) {
        log(`Fixed: ${fixed.map((finding) => finding.id).join(', ')}.`);
        return;
      }
      for (const finding of left) {
        log(`Still there after olddefconfig (a dependency is not met; search ${finding.symbol} in menuconfig): ${finding.message}`);
      }
    },
  };
}

// ---------------------------------------------------------------------------------------
// buildroot

function buildrootMake(tree: BuildrootBuildTree, title: string, ...args: string[]): RunStep {
  return { kind: 'run', title, argv: ['make', ...args], cwd: tree.makeDir! };
}

async function planBuildrootTarget(tree: BuildrootBuildTree, target: TargetRef): Promise<Step[]> {
  if (!tree.makeDir) throw new PlanError(`${tree.outputDir} is a buildroot output directory without its buildroot tree: open the buildroot tree to build.`);
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
  return [...BUILDROOT_QEMU_DEFCONFIGS.filter((name) => qemu.includes(name)), ...qemu.filter((name) => !BUILDROOT_QEMU_DEFCONFIGS.includes(name))];
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
  const dirs = names.filter((name) => /^linux-/.test(name) && !/^linux-(headers|firmware|tools|pam|zigbee)/.test(name)).map((name) => path.join(buildDir, name));
  const withTimes = await Promise.all(dirs.map(async (dir) => ({ dir, time: await mtime(path.join(dir, '.config')) })));
  // Newest configured first: after a version bump the old directory may linger.
  return withTimes.sort((a, b) => b.time - a.time).map((entry) => entry.dir);
}

/** utils/config EDITS on buildroot's .config, then make olddefconfig, then a check. */
export async function buildrootEditSteps(tree: BuildrootBuildTree, edits: readonly ConfigEdit[], findings: readonly Finding[]): Promise<Step[]> {
  if (!tree.makeDir || !tree.configFile) throw new PlanError('This buildroot output has no buildroot tree to configure: open the buildroot tree.');
  const tool = await buildrootConfigTool(tree);
  if (!tool) throw new PlanError('This buildroot has no utils/config (buildroot 2022.02 or later has it): set the options in make menuconfig.');
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
  if (!tree.topDir || !tree.configFile || !tree.makeDir) throw new PlanError('This buildroot output has no buildroot tree to configure: open the buildroot tree.');
  const tool = await buildrootConfigTool(tree);
  if (!tool) throw new PlanError(`This buildroot has no utils/config: add the options to a kernel config fragment and list it in BR2_LINUX_KERNEL_CONFIG_FRAGMENT_FILES (make menuconfig).`);
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
      return [{ kind: 'run', title: 'utils/config', argv: ['bash', tool, ...configScriptArgs(configFile, [{ op: 'set-str', symbol: 'LINUX_KERNEL_CONFIG_FRAGMENT_FILES', value }])], cwd: tree.makeDir! }];
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
      if (!tree.configFile || !(await isFile(tree.configFile))) throw new PlanError('buildroot has no .config yet: run qemu_x86_64_defconfig or qemu_aarch64_virt_defconfig first.');
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
  return allEdits(kernelFindings(assumed).filter((finding) => ['debug-kernel', 'debug-info', 'gdb-scripts', 'frame-pointer'].includes(finding.id)));
}

// ---------------------------------------------------------------------------------------

/** Findings a "fix all" applies: errors and warnings that have edits. */
export function blocking(findings: readonly Finding[]): Finding[] {
  return findings.filter((finding) => finding.severity !== 'info' && finding.edits.length > 0);
}

async function readConfig(file: string, prefix: string): Promise<Kconfig> {
  const text = await readText(file);
  if (text === undefined) throw new PlanError(`${file} does not exist: configure the tree first (defconfig).`);
  return Kconfig.parse(text, prefix);
}

async function mtime(file: string): Promise<number> {
  try {
    return (await stat(file)).mtimeMs;
  } catch {
    return 0;
  }
}

function formatMake(argv: readonly string[]): string {
  return argv.map((arg) => (arg.startsWith('O=') ? `O=${path.basename(arg.slice(2))}` : arg)).join(' ');
}
