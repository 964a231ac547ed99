// The config doctor: what in a kernel .config or a buildroot .config stands in the way of
// debugging the kernel in QEMU (the seeds' tables: DEBUG_KERNEL, DEBUG_INFO, no
// DEBUG_INFO_REDUCED, GDB_SCRIPTS, FRAME_POINTER, KASLR, BR2_ENABLE_DEBUG, an ext4 rootfs,
// the target arch), each with the scripts/config / utils/config edits that fix it. The
// tools do the editing and `make olddefconfig` resolves the dependencies. Pure.
import type { GuestArch } from '../arch';
import { disable, enable, type Kconfig, type ConfigEdit } from './kconfig';

export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
  /** Stable id, e.g. 'debug-info'. */
  id: string;
  severity: Severity;
  message: string;
  /** The symbol (without prefix) whose line the diagnostic sits on; the file's top when absent. */
  symbol: string;
  /** Edits that fix it; empty when only an interactive step (menuconfig, a defconfig) can. */
  edits: ConfigEdit[];
  /** Short title of the fix, e.g. "Enable DEBUG_INFO". */
  fixTitle?: string;
  /** What to do when there are no edits. */
  hint?: string;
  /** A build target that addresses it when no edit can (a defconfig, menuconfig). */
  action?: { id: 'defconfig' | 'menuconfig'; defconfig?: string };
}

export interface KernelConfigArch {
  /** The guest arch kernel-qemu would boot it as; undefined when it cannot. */
  arch: GuestArch | undefined;
  /** The Kconfig arch found: 'x86_64', 'x86 (32-bit)', 'arm64', 'arm', 'riscv', ... */
  name: string;
}

/** Which architecture a kernel .config is for. */
export function kernelConfigArch(config: Kconfig): KernelConfigArch {
  // X86_64 is `def_bool y` on 64BIT: a .config edited but not yet through olddefconfig may have only 64BIT.
  if (config.isOn('X86_64') || (config.isOn('X86') && config.isOn('64BIT'))) return { arch: 'x86_64', name: 'x86_64' };
  if (config.isOn('X86') || config.isOn('X86_32')) return { arch: undefined, name: 'x86 (32-bit)' };
  if (config.isOn('ARM64')) return { arch: 'aarch64', name: 'arm64' };
  for (const name of ['ARM', 'RISCV', 'PPC', 'MIPS', 'S390', 'LOONGARCH', 'SPARC', 'M68K', 'UML']) {
    if (config.isOn(name)) return { arch: undefined, name: name.toLowerCase() };
  }
  return { arch: undefined, name: 'unknown' };
}

/** The edits that give a kernel DWARF debug info (6.x: the "Debug information" choice selects DEBUG_INFO). */
export const DEBUG_INFO_EDITS: readonly ConfigEdit[] = [
  enable('DEBUG_KERNEL'),
  disable('DEBUG_INFO_NONE'),
  enable('DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT'),
  enable('DEBUG_INFO'),
];

/** Symbols that must all be on for the guest to boot to a shell on the serial console from an initramfs. */
const BOOT_GROUPS: ReadonlyArray<{ id: string; symbols: (arch: GuestArch) => string[]; message: string }> = [
  { id: 'printk', symbols: () => ['PRINTK'], message: 'printk is off: the kernel prints nothing on the console (no boot log, no oops).' },
  {
    id: 'serial-console',
    symbols: (arch) =>
      arch === 'aarch64' ? ['TTY', 'SERIAL_AMBA_PL011', 'SERIAL_AMBA_PL011_CONSOLE'] : ['TTY', 'SERIAL_8250', 'SERIAL_8250_CONSOLE'],
    message: "No serial console: QEMU's console (ttyS0 / ttyAMA0) stays silent.",
  },
  {
    id: 'initramfs',
    symbols: () => ['BLK_DEV_INITRD', 'RD_GZIP'],
    message: 'No initramfs support (BLK_DEV_INITRD, RD_GZIP): an initrd cannot be booted.',
  },
  {
    id: 'exec-init',
    symbols: () => ['BINFMT_ELF', 'BINFMT_SCRIPT'],
    message: 'The kernel cannot run /init (BINFMT_ELF, BINFMT_SCRIPT): it panics after boot.',
  },
  {
    id: 'pseudo-fs',
    symbols: () => ['PROC_FS', 'SYSFS', 'DEVTMPFS'],
    message: 'No /proc, /sys or devtmpfs: the userspace of an initramfs or rootfs will not work.',
  },
];

/** What kernel-qemu's guest features need: missing ones are info (the kernel still boots and debugs). */
const GUEST_GROUPS: ReadonlyArray<{ id: string; needs: readonly string[][]; edits: readonly string[]; message: string }> = [
  {
    id: 'guest-network',
    needs: [['NET'], ['INET'], ['VIRTIO_PCI'], ['VIRTIO_NET']],
    edits: ['NET', 'INET', 'NETDEVICES', 'NET_CORE', 'PCI', 'VIRTIO_MENU', 'VIRTIO_PCI', 'VIRTIO_NET'],
    message: "No virtio network (VIRTIO_PCI, VIRTIO_NET): the guest gets no network, so no ssh and no 'ports' forwards.",
  },
  {
    id: 'guest-disk',
    needs: [['VIRTIO_PCI'], ['VIRTIO_BLK'], ['EXT4_FS']],
    edits: ['PCI', 'VIRTIO_MENU', 'VIRTIO_PCI', 'BLOCK', 'BLK_DEV', 'VIRTIO_BLK', 'EXT4_FS'],
    message:
      'No virtio disk with ext4 (VIRTIO_BLK, EXT4_FS): a rootfs image (Build Rootfs → Debian image) ' + 'cannot be the root file system.',
  },
  {
    id: 'guest-shares',
    needs: [
      ['NET_9P_VIRTIO', 'VIRTIO_FS'],
      ['9P_FS', 'VIRTIO_FS'],
    ],
    edits: ['NET', 'NET_9P', 'NET_9P_VIRTIO', '9P_FS'],
    message: "No 9p or virtiofs (NET_9P_VIRTIO + 9P_FS, or VIRTIO_FS): 'shares' cannot be mounted in the guest.",
  },
];

/** Findings on a kernel .config, most important first. */
export function kernelFindings(config: Kconfig): Finding[] {
  const findings: Finding[] = [];
  if (config.size === 0) {
    return [
      {
        id: 'empty',
        severity: 'error',
        symbol: '',
        edits: [],
        message: 'This .config sets nothing: generate one first (defconfig or tinyconfig).',
        hint: 'Run the defconfig or tinyconfig task.',
        action: { id: 'defconfig' },
      },
    ];
  }
  const { arch, name } = kernelConfigArch(config);
  if (name === 'x86 (32-bit)') {
    findings.push({
      id: 'arch-64bit',
      severity: 'error',
      symbol: '64BIT',
      edits: [enable('64BIT')],
      fixTitle: 'Enable 64BIT (x86_64)',
      message:
        'A 32-bit x86 kernel (CONFIG_64BIT is off): kernel-qemu boots x86_64 and aarch64 guests. ' +
        'tinyconfig/allnoconfig turn it off unless ARCH=x86_64.',
    });
  } else if (!arch) {
    findings.push({
      id: 'arch',
      severity: 'error',
      symbol: name === 'unknown' ? '' : name.toUpperCase(),
      edits: [],
      message:
        `A kernel for ${name}: kernel-qemu boots x86_64 and aarch64 guests. Configure the tree for ` +
        `one of them (make ARCH=arm64 defconfig, or make x86_64_defconfig).`,
      hint: 'Run defconfig for x86_64 or arm64.',
      action: { id: 'defconfig' },
    });
  }
  // 32-bit x86 is fixed to x86_64 by the first finding: check the rest as x86_64.
  const guest: GuestArch = arch ?? 'x86_64';

  if (!config.isOn('DEBUG_KERNEL')) {
    findings.push({
      id: 'debug-kernel',
      severity: 'warning',
      symbol: 'DEBUG_KERNEL',
      edits: [enable('DEBUG_KERNEL')],
      fixTitle: 'Enable DEBUG_KERNEL',
      message: 'Kernel debugging (DEBUG_KERNEL) is off: the debug options below depend on it.',
    });
  }
  const hasDebugInfo = config.isOn('DEBUG_INFO');
  if (!hasDebugInfo) {
    findings.push({
      id: 'debug-info',
      severity: 'error',
      symbol: config.has('DEBUG_INFO_NONE') ? 'DEBUG_INFO_NONE' : 'DEBUG_INFO',
      edits: [...DEBUG_INFO_EDITS],
      fixTitle: 'Enable DEBUG_INFO (DWARF)',
      message: 'No debug info (DEBUG_INFO): vmlinux will have no DWARF, so gdb knows no source lines, types or variables.',
    });
  }
  if (config.isOn('DEBUG_INFO_REDUCED')) {
    findings.push({
      id: 'debug-info-reduced',
      severity: 'error',
      symbol: 'DEBUG_INFO_REDUCED',
      edits: [disable('DEBUG_INFO_REDUCED')],
      fixTitle: 'Disable DEBUG_INFO_REDUCED',
      message: 'Reduced debug info (DEBUG_INFO_REDUCED) drops struct layouts: gdb cannot show most variables.',
    });
  }
  if (!config.isOn('GDB_SCRIPTS')) {
    findings.push({
      id: 'gdb-scripts',
      severity: 'warning',
      symbol: 'GDB_SCRIPTS',
      edits: [...(hasDebugInfo ? [] : DEBUG_INFO_EDITS), enable('GDB_SCRIPTS')],
      fixTitle: 'Enable GDB_SCRIPTS',
      message: "No gdb scripts (GDB_SCRIPTS): no vmlinux-gdb.py, so the lx-* commands, vCPU task names and dmesg don't work.",
    });
  }
  if (!config.isOn('FRAME_POINTER')) {
    // x86_64: frame pointers come with the frame-pointer unwinder (a choice against ORC).
    const edits =
      guest === 'x86_64'
        ? [disable('UNWINDER_ORC'), disable('UNWINDER_GUESS'), enable('UNWINDER_FRAME_POINTER'), enable('FRAME_POINTER')]
        : [enable('FRAME_POINTER')];
    findings.push({
      id: 'frame-pointer',
      severity: 'warning',
      symbol: 'FRAME_POINTER',
      edits: [...(config.isOn('DEBUG_KERNEL') ? [] : [enable('DEBUG_KERNEL')]), ...edits],
      fixTitle: guest === 'x86_64' ? 'Use the frame-pointer unwinder (FRAME_POINTER)' : 'Enable FRAME_POINTER',
      message: 'No frame pointers (FRAME_POINTER): call stacks through assembly and oops traces are less reliable.',
    });
  }
  for (const group of BOOT_GROUPS) {
    const missing = group.symbols(guest).filter((symbol) => !config.isOn(symbol));
    if (missing.length === 0) continue;
    findings.push({
      id: group.id,
      severity: 'warning',
      symbol: missing[0]!,
      edits: missing.map(enable),
      fixTitle: `Enable ${missing.join(', ')}`,
      message: group.message,
    });
  }
  // Each need is a list of alternatives, any of which (built in or a module) will do.
  const present = (symbol: string) => config.isOn(symbol) || config.get(symbol) === 'm';
  for (const group of GUEST_GROUPS) {
    const unmet = group.needs.filter((alternatives) => !alternatives.some(present));
    if (unmet.length === 0) continue;
    const missing = group.edits.filter((symbol) => !present(symbol));
    findings.push({
      id: group.id,
      severity: 'info',
      symbol: unmet[0]![0]!,
      edits: missing.map(enable),
      fixTitle: `Enable ${missing.join(', ')}`,
      message: group.message,
    });
  }
  if (config.isOn('RANDOMIZE_BASE')) {
    findings.push({
      id: 'kaslr',
      severity: 'info',
      symbol: 'RANDOMIZE_BASE',
      edits: [disable('RANDOMIZE_BASE')],
      fixTitle: 'Disable RANDOMIZE_BASE (KASLR)',
      message:
        "KASLR (RANDOMIZE_BASE) is on. kernel-qemu handles it: it boots with 'nokaslr' (or rebases " +
        'the symbols with kaslr: true). Turn it off to debug the same way outside kernel-qemu.',
    });
  }
  return findings;
}

/** What buildroot's output holds, for the checks that depend on it. */
export interface BuildrootOutputs {
  /** output/images/rootfs.ext2 (or .ext4) exists. */
  rawRootfs?: string;
  /** output/images/rootfs.qcow2 exists. */
  qcow2Rootfs?: string;
}

/** Findings on buildroot's .config (BR2_ symbols, without the prefix). */
export function buildrootFindings(config: Kconfig, outputs: BuildrootOutputs = {}): Finding[] {
  const findings: Finding[] = [];
  const arch = buildrootArch(config);
  if (!arch) {
    const symbol = config.get('ARCH') !== undefined ? 'ARCH' : '';
    findings.push({
      id: 'br-arch',
      severity: 'error',
      symbol,
      edits: [],
      message:
        `buildroot targets ${config.get('ARCH') ?? 'an unknown architecture'}: kernel-qemu boots ` +
        `x86_64 and aarch64 guests. Start from qemu_x86_64_defconfig or ` +
        `qemu_aarch64_virt_defconfig.`,
      hint: 'Run the qemu_x86_64_defconfig or qemu_aarch64_virt_defconfig task.',
      action: { id: 'defconfig', defconfig: 'qemu_x86_64_defconfig' },
    });
  }
  if (!config.isOn('LINUX_KERNEL')) {
    findings.push({
      id: 'br-linux',
      severity: 'warning',
      symbol: 'LINUX_KERNEL',
      edits: [],
      message: 'buildroot builds no kernel (Kernel → Linux Kernel is off): there is no vmlinux to debug.',
      hint: 'Enable Kernel → Linux Kernel in make menuconfig (it needs a version and a configuration).',
      action: { id: 'menuconfig' },
    });
  }
  if (!config.isOn('ENABLE_DEBUG')) {
    findings.push({
      id: 'br-debug',
      severity: 'warning',
      symbol: 'ENABLE_DEBUG',
      edits: [enable('ENABLE_DEBUG')],
      fixTitle: 'Enable BR2_ENABLE_DEBUG',
      message: 'Packages are built without debugging symbols (Build options → build packages with debugging symbols).',
    });
  }
  const ext = config.isOn('TARGET_ROOTFS_EXT2');
  const initramfs = config.isOn('TARGET_ROOTFS_CPIO') || config.isOn('TARGET_ROOTFS_INITRAMFS');
  if (!ext && !initramfs) {
    findings.push({
      id: 'br-rootfs',
      severity: 'warning',
      symbol: 'TARGET_ROOTFS_EXT2',
      edits: [enable('TARGET_ROOTFS_EXT2'), enable('TARGET_ROOTFS_EXT2_4')],
      fixTitle: 'Build an ext4 root file system',
      message: 'No root file system image to boot (Filesystem images: ext2/3/4 or cpio).',
    });
  }
  if (ext && !config.isOn('TARGET_ROOTFS_EXT2_4') && (config.isOn('TARGET_ROOTFS_EXT2_2') || config.isOn('TARGET_ROOTFS_EXT2_3'))) {
    const symbol = config.isOn('TARGET_ROOTFS_EXT2_3') ? 'TARGET_ROOTFS_EXT2_3' : 'TARGET_ROOTFS_EXT2_2';
    findings.push({
      id: 'br-ext4',
      severity: 'info',
      symbol,
      edits: [
        disable('TARGET_ROOTFS_EXT2_2r0'),
        disable('TARGET_ROOTFS_EXT2_2r1'),
        disable('TARGET_ROOTFS_EXT2_3'),
        enable('TARGET_ROOTFS_EXT2_4'),
      ],
      fixTitle: 'Use an ext4 root file system',
      message: 'The root file system is ext2/ext3; ext4 (rootfs.ext4) is what the kernel configs of the qemu defconfigs expect.',
    });
  }
  const compressed = ['GZIP', 'BZIP2', 'LZ4', 'LZMA', 'LZO', 'XZ'].find((method) => config.isOn(`TARGET_ROOTFS_EXT2_${method}`));
  if (ext && compressed) {
    findings.push({
      id: 'br-rootfs-compressed',
      severity: 'warning',
      symbol: `TARGET_ROOTFS_EXT2_${compressed}`,
      edits: [disable(`TARGET_ROOTFS_EXT2_${compressed}`), enable('TARGET_ROOTFS_EXT2_NONE')],
      fixTitle: 'Do not compress the rootfs image',
      message: `The ext image is ${compressed.toLowerCase()}-compressed: QEMU cannot attach it as a disk.`,
    });
  }
  if (outputs.rawRootfs && !outputs.qcow2Rootfs) {
    findings.push({
      id: 'br-qcow2',
      severity: 'info',
      symbol: 'TARGET_ROOTFS_EXT2',
      edits: [],
      fixTitle: 'Convert the rootfs to qcow2',
      message:
        'VM snapshots need a qcow2 disk: convert output/images/rootfs.ext2 to rootfs.qcow2 ' +
        '(qemu-img convert); launches then use the qcow2.',
    });
  }
  if (!config.isOn('PACKAGE_HOST_GDB')) {
    findings.push({
      id: 'br-host-gdb',
      severity: 'info',
      symbol: 'PACKAGE_HOST_GDB',
      edits: [enable('PACKAGE_HOST_GDB'), enable('PACKAGE_HOST_GDB_PYTHON3')],
      fixTitle: 'Build a cross gdb (BR2_PACKAGE_HOST_GDB)',
      message: 'No cross gdb under output/host/bin: gdb-multiarch (or the host gdb) is used instead. Needs the buildroot toolchain.',
    });
  }
  return findings;
}

/** The guest arch of a buildroot configuration. */
export function buildrootArch(config: Kconfig): GuestArch | undefined {
  if (config.isOn('x86_64')) return 'x86_64';
  if (config.isOn('aarch64')) return 'aarch64';
  return undefined;
}

/** The union of the findings' edits, in order (the "fix all" edit list). */
export function allEdits(findings: readonly Finding[]): ConfigEdit[] {
  return findings.flatMap((finding) => finding.edits);
}

/** Findings of `before` that `after` still has (a fix that make olddefconfig undid: an unmet dependency). */
export function stillThere(before: readonly Finding[], after: readonly Finding[]): Finding[] {
  return before.filter((finding) => after.some((other) => other.id === finding.id));
}
