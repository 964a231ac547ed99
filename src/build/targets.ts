// The build targets of a tree and the exact commands they run: make (with O=, ARCH,
// CROSS_COMPILE, -j), scripts/config / utils/config, buildroot's make targets. Plans are
// made when a target runs, from the tree as it is then (a Build Kernel in a fresh tree
// configures it first); buildroot's are in buildrootTargets.ts. Everything is an argv;
// nothing goes through a shell. Pure apart from reading the tree's files.
import * as path from 'node:path';
import type { GuestArch } from '../arch';
import { allEdits, kernelConfigArch, kernelFindings, type Finding } from './doctor';
import { configScriptArgs, Kconfig, type ConfigEdit } from './kconfig';
import { BUILD_ESTIMATES, minimalConfigEdits, unkeptEdits } from './minimalConfig';
import { debianImageSteps, initramfsSteps, INITRAMFS_NAME, KERNEL_TREE_GUEST_DIR } from './rootfsTargets';
import { skipWhenUnchanged } from './upToDate';
import { blocking, PlanError, readConfig, verifyStep, type TargetId, type TargetRef } from './planSteps';
import { buildrootDefconfigs, planBuildrootTarget, rootfsTargets } from './buildrootTargets';
import type { CallStep, RunStep, Step } from './runner';
import { isFile, kernelConfigFile, readText, type BuildTree, type KernelBuildTree } from './workspace';

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
    const spec = (id: TargetId, detail: string, group: TargetSpec['group'], interactive = false): TargetSpec => ({
      id,
      label: LABELS[id],
      detail,
      group,
      interactive,
    });
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
  const spec = (id: TargetId, detail: string, group: TargetSpec['group'], interactive = false): TargetSpec => ({
    id,
    label: LABELS[id],
    detail,
    group,
    interactive,
  });
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
export function kernelMakeArgv(
  tree: KernelBuildTree,
  args: readonly string[],
  arch: GuestArch,
  options: Pick<PlanOptions, 'hostArch' | 'crossCompile'>,
): [string, ...string[]] {
  const argv: [string, ...string[]] = ['make'];
  if (path.resolve(tree.objDir) !== path.resolve(tree.srcDir)) argv.push(`O=${tree.objDir}`);
  if (arch !== options.hostArch) {
    argv.push(
      `ARCH=${arch === 'aarch64' ? 'arm64' : 'x86_64'}`,
      `CROSS_COMPILE=${options.crossCompile ?? (arch === 'aarch64' ? 'aarch64-linux-gnu-' : 'x86_64-linux-gnu-')}`,
    );
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
    if (options.freshConfig === 'defconfig')
      return [make('No .config yet: start from defconfig', 'defconfig'), kernelDoctorFixStep(tree, options)];
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
      return hasConfig && options.builtCleanAt !== undefined
        ? [skipWhenUnchanged(tree, options.builtCleanAt, [build])]
        : [...(await configureFirst()), build];
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
export async function kernelEditSteps(
  tree: KernelBuildTree,
  edits: readonly ConfigEdit[],
  options: PlanOptions,
  findings: readonly Finding[],
): Promise<Step[]> {
  const arch = await kernelArch(tree, options);
  const config = kernelConfigFile(tree);
  return [
    {
      kind: 'run',
      title: 'scripts/config',
      argv: ['bash', path.join(tree.srcDir, 'scripts/config'), ...configScriptArgs(config, edits)],
      cwd: tree.srcDir,
    },
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
    {
      kind: 'run',
      title: 'scripts/config: the guest and debug options',
      argv: ['bash', path.join(tree.srcDir, 'scripts/config'), ...configScriptArgs(config, edits)],
      cwd: tree.srcDir,
    },
    kernelMake(tree, 'olddefconfig', ['olddefconfig'], arch, options),
    {
      kind: 'call',
      title: 'Check the result',
      run: async (log) => {
        // A symbol that did not stick is reported, not fatal: it depends on something this kernel version spells otherwise.
        const missing = unkeptEdits(await readConfig(config, 'CONFIG_'), edits);
        log(
          missing.length
            ? `Not set after olddefconfig (unmet dependencies on this kernel version): ${missing.join(', ')}`
            : `All ${edits.length} options are set.`,
        );
      },
    },
  ];
}

function formatMake(argv: readonly string[]): string {
  return argv.map((arg) => (arg.startsWith('O=') ? `O=${path.basename(arg.slice(2))}` : arg)).join(' ');
}

// What the rest of the extension imports from here.
export { blocking, PlanError, TARGET_IDS, type TargetId, type TargetRef } from './planSteps';
export {
  BUILDROOT_KERNEL_FRAGMENT,
  BUILDROOT_QEMU_DEFCONFIGS,
  buildrootEditSteps,
  buildrootKernelDirs,
  buildrootKernelEditSteps,
  rootfsTargets,
} from './buildrootTargets';
