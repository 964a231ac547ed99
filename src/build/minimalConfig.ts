// The minimal kernel configuration a fresh tree is offered first (what virtme-ng's --kconfig
// does): tinyconfig plus what debugging in QEMU and kernel-qemu's guest need — DWARF, the
// serial console, an initramfs, virtio PCI with a disk and a network card, 9p and virtiofs
// for shared folders, modules. It builds in minutes where defconfig takes a quarter of an
// hour on 2 cores. Pure.
import type { GuestArch } from '../arch';
import { DEBUG_INFO_EDITS } from './doctor';
import { asModule, disable, enable, type ConfigEdit } from './kconfig';

/** Measured on 2 cores (linux 6.1, x86_64): what the Build Kernel choice says. */
export const BUILD_ESTIMATES = {
  minimal: 'about 5 minutes on 2 cores',
  defconfig: 'about 18 minutes on 2 cores, more with its modules',
} as const;

const COMMON = [
  // The console, an initramfs, and what busybox's /init needs.
  'PRINTK',
  'PRINTK_TIME',
  'TTY',
  'BLK_DEV_INITRD',
  'RD_GZIP',
  'BINFMT_ELF',
  'BINFMT_SCRIPT',
  'PROC_FS',
  'SYSFS',
  'DEVTMPFS',
  'SHMEM',
  'TMPFS',
  'MULTIUSER',
  'FUTEX',
  'EPOLL',
  'POSIX_TIMERS',
  'FILE_LOCKING',
  'SMP',
  // Debugging: DWARF comes from DEBUG_INFO_EDITS; the kernel's gdb scripts, frame pointers, symbols for oopses.
  'GDB_SCRIPTS',
  'FRAME_POINTER',
  'KALLSYMS',
  'BUG',
  'DEBUG_FS',
  'MODULES',
  'MODULE_UNLOAD',
  'RUNTIME_TESTING_MENU',
  // virtio on PCI: a disk, a network card (user-mode network, ssh), shared folders.
  'PCI',
  'VIRTIO_MENU',
  'VIRTIO_PCI',
  'BLOCK',
  'BLK_DEV',
  'VIRTIO_BLK',
  'EXT4_FS',
  'NET',
  'INET',
  'UNIX',
  'PACKET',
  'NETDEVICES',
  'NET_CORE',
  'VIRTIO_NET',
  'NET_9P',
  'NET_9P_VIRTIO',
  '9P_FS',
  'FUSE_FS',
  'VIRTIO_FS',
];

const PER_ARCH: Readonly<Record<GuestArch, readonly ConfigEdit[]>> = {
  // Frame pointers come with the frame-pointer unwinder, a choice against ORC.
  x86_64: [
    ...['64BIT', 'SERIAL_8250', 'SERIAL_8250_CONSOLE'].map(enable),
    disable('UNWINDER_ORC'),
    disable('UNWINDER_GUESS'),
    enable('UNWINDER_FRAME_POINTER'),
  ],
  aarch64: ['SERIAL_AMBA_PL011', 'SERIAL_AMBA_PL011_CONSOLE', 'PCI_HOST_GENERIC'].map(enable),
};

/** The edits on top of tinyconfig. TEST_LKM (lib/test_module.c) is a module, so the tree has one to load. */
export function minimalConfigEdits(arch: GuestArch): ConfigEdit[] {
  return [...DEBUG_INFO_EDITS, ...PER_ARCH[arch], ...COMMON.map(enable), asModule('TEST_LKM')];
}

/** The edits olddefconfig did not keep (a dependency this list misses on this kernel version). */
export function unkeptEdits(config: { get(symbol: string): string | undefined }, edits: readonly ConfigEdit[]): string[] {
  return edits
    .filter((edit) =>
      edit.op === 'enable'
        ? config.get(edit.symbol) !== 'y'
        : edit.op === 'module'
          ? !['m', 'y'].includes(config.get(edit.symbol) ?? 'n')
          : false,
    )
    .map((edit) => edit.symbol);
}
