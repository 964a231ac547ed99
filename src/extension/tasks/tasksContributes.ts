// package.json contributions of the build tasks: the `kernel-qemu` task type (what a
// tasks.json entry may say), the problem matcher its builds use, and the Build Kernel /
// Build Rootfs commands. Pure: src/extension/contributes.ts merges them into `contributes`.
import type { GuestArch } from '../../arch';
import { TARGET_IDS, type TargetId } from '../../build/targets';

export const TASK_TYPE = 'kernel-qemu';

/** `$kernel-qemu-gcc`: gcc's pattern; the build runner prints every path absolute. */
export const PROBLEM_MATCHER = 'kernel-qemu-gcc';

export const BUILD_COMMAND = {
  buildKernel: 'kernelQemu.build.kernel',
  buildRootfs: 'kernelQemu.build.rootfs',
} as const;

/** A `kernel-qemu` task's definition (tasks.json). */
export interface KernelQemuTaskDefinition {
  type: typeof TASK_TYPE;
  target: TargetId;
  /** The tree, relative to the workspace folder ('.' or absent: the folder, or its only tree). */
  tree?: string;
  defconfig?: string;
  arch?: GuestArch;
  jobs?: number;
  crossCompile?: string;
  /** initramfs: host files or folders copied in, relative to the kernel tree's source folder. */
  files?: Array<{ host: string; guest: string }>;
}

const TARGET_DESCRIPTIONS: Readonly<Record<TargetId, string>> = {
  defconfig: 'Kernel: make defconfig. buildroot: make <defconfig> (see "defconfig").',
  tinyconfig: 'Kernel: make tinyconfig (the smallest kernel; add the debug options after).',
  olddefconfig: 'make olddefconfig: new symbols get their defaults.',
  menuconfig: 'make menuconfig, in a terminal.',
  'linux-menuconfig': "buildroot: make linux-menuconfig (the kernel's menuconfig), in a terminal.",
  'debug-config':
    "The config doctor's fixes: scripts/config (kernel) or utils/config + a kernel fragment (buildroot), then make olddefconfig.",
  'build-kernel':
    "Kernel: make -j<CPUs> (a tree with no .config gets kernel-qemu's minimal QEMU configuration first). buildroot: make linux-rebuild.",
  'build-rootfs': 'buildroot: make rootfs-ext2 (or the root file systems the configuration enables).',
  'build-all': 'buildroot: make (toolchain, packages, kernel, images).',
  'scripts-gdb': 'Kernel: make scripts_gdb (vmlinux-gdb.py for the lx-* commands).',
  'minimal-config':
    'Kernel: make tinyconfig + what QEMU and the guest need (virtio disk and network, 9p/virtiofs, DWARF, modules): builds in minutes.',
  initramfs: "Kernel: the kernel-qemu initramfs (busybox, /init, the tree's modules) in .kernel-qemu/initramfs.cpio.gz.",
  'debian-image':
    'Kernel: a Debian bookworm image (mmdebstrap; serial autologin, ssh with its own key, the ' +
    "tree's modules) in .kernel-qemu/debian-<arch>.qcow2.",
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function taskDefinitions(): Json[] {
  return [
    {
      type: TASK_TYPE,
      required: ['target'],
      properties: {
        target: {
          type: 'string',
          enum: [...TARGET_IDS],
          enumDescriptions: TARGET_IDS.map((id) => TARGET_DESCRIPTIONS[id]),
          description: 'What to build or configure.',
        },
        tree: {
          type: 'string',
          description:
            'The kernel tree (Kconfig, arch/, scripts/config; or an O= build directory) or buildroot ' +
            'tree, relative to the workspace folder. Default: the folder itself, or the only tree in ' +
            'it.',
        },
        defconfig: {
          type: 'string',
          description: "buildroot 'defconfig' target: the configs/ file to start from. Default: qemu_x86_64_defconfig.",
        },
        arch: {
          type: 'string',
          enum: ['x86_64', 'aarch64'],
          description:
            "Kernel trees: the arch to build for when .config does not say. Another arch than the host's adds ARCH= and CROSS_COMPILE=.",
        },
        jobs: { type: 'integer', minimum: 1, description: 'Kernel trees: make -j. Default: the number of CPUs.' },
        crossCompile: {
          type: 'string',
          description: 'Kernel trees built for another arch: CROSS_COMPILE. Default: aarch64-linux-gnu- (or x86_64-linux-gnu-).',
        },
        files: {
          type: 'array',
          description:
            "The 'initramfs' target: host files or folders (relative to the kernel tree's source " +
            'folder) copied into the initramfs, e.g. test programs or scripts.',
          items: {
            type: 'object',
            required: ['host', 'guest'],
            properties: {
              host: { type: 'string', description: 'A host file or folder.' },
              guest: { type: 'string', description: 'Its path in the guest, e.g. /opt/tests.' },
            },
          },
        },
      },
    },
  ];
}

/** The matcher's line pattern: `file:line:col: error|warning: message`. */
export const DIAGNOSTIC_PATTERN = '^(.+?):(\\d+):(\\d+):\\s+(?:fatal\\s+)?(error|warning):\\s+(.*)$';

export function problemMatchers(): Json[] {
  return [
    {
      name: PROBLEM_MATCHER,
      label: 'kernel-qemu: gcc errors and warnings of a kernel or buildroot build',
      owner: 'kernel-qemu',
      source: 'gcc',
      // Absolute: the runner prints every diagnostic's path absolute, and autoDetect would ask
      // the file system about each one after the task may already have ended.
      fileLocation: 'absolute',
      // Our own pattern: VS Code has no built-in $gcc (the C/C++ extension brings it), and a
      // matcher whose base is missing is dropped. `file:line:col: error|warning: message`.
      pattern: {
        regexp: DIAGNOSTIC_PATTERN,
        file: 1,
        line: 2,
        column: 3,
        severity: 4,
        message: 5,
      },
    },
  ];
}

export function buildTaskCommands(): Json[] {
  const category = 'Kernel QEMU';
  return [
    { command: BUILD_COMMAND.buildKernel, title: 'Build Kernel', category, icon: '$(tools)' },
    { command: BUILD_COMMAND.buildRootfs, title: 'Build Rootfs', category, icon: '$(package)' },
  ];
}
