// The typed launch and attach arguments. This file is the single source of the
// debugger's configuration schema: package.json's `contributes.debuggers` is generated
// from it (npm run gen:schema) and a unit test checks that the two agree.
import type { DebugProtocol } from '@vscode/debugprotocol';

export type GuestArch = 'x86_64' | 'aarch64';
export type Accel = 'auto' | 'kvm' | 'tcg';

export interface SetupCommand {
  text: string;
  description?: string;
  ignoreFailures?: boolean;
}

export interface HardwareBreakpointsOption {
  require?: boolean;
  limit?: number;
}

/** Keys shared by launch and attach. */
export interface CommonArgs {
  program: string;
  arch?: GuestArch;
  gdbPath?: string;
  cwd?: string;
  setupCommands?: SetupCommand[];
  /** gdb commands run once gdb is connected to the stub (cppdbg's postRemoteConnectCommands). */
  postConnectCommands?: SetupCommand[];
  /** Extra arguments for gdb's command line. */
  gdbArgs?: string[];
  sourceFileMap?: Record<string, string>;
  sourceRoot?: string;
  /** true: stop at start_kernel; a function name: run to that function and stop there (cortex-debug's runToEntryPoint). */
  stopAtEntry?: boolean | string;
  stopAtConnect?: boolean;
  hardwareBreakpoints?: HardwareBreakpointsOption;
  /** Print every MI command and record to the Debug Console. */
  trace?: boolean;
  /** Directories searched for module .ko files with debug info. */
  moduleSearchPath?: string[];
  /** Stop at panic() when the kernel panics. */
  breakOnPanic?: boolean;
}

export interface LaunchArgs extends CommonArgs {
  kernel: string;
  initrd?: string;
  rootfs?: string;
  append?: string;
  kaslr?: boolean;
  accel?: Accel;
  machine?: string;
  cpu?: string;
  memory?: number;
  smp?: number;
  qemuPath?: string;
  serverArgs?: string[];
  /** Start from this VM snapshot (QEMU -loadvm) instead of booting. */
  snapshot?: string;
  /** qcow2 file that holds VM snapshots when no qcow2 rootfs can (initrd-only, raw rootfs). */
  stateDisk?: string;
}

export interface AttachArgs extends CommonArgs {
  target: string;
}

export type KernelQemuLaunchRequest = DebugProtocol.LaunchRequestArguments & LaunchArgs;
export type KernelQemuAttachRequest = DebugProtocol.AttachRequestArguments & AttachArgs;

export type SchemaType = 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'object';

/** A JSON-schema property as VS Code's launch.json IntelliSense reads it. */
export interface PropertySchema {
  /** One type, or several a value may have (JSON schema's type array). */
  type: SchemaType | readonly SchemaType[];
  description: string;
  default?: unknown;
  enum?: readonly string[];
  enumDescriptions?: readonly string[];
  items?: Record<string, unknown>;
  properties?: Record<string, unknown>;
  additionalProperties?: Record<string, unknown> | boolean;
  minimum?: number;
}

type SchemaOf<T> = { [K in keyof Required<T>]: PropertySchema };

/** A list of {text, description, ignoreFailures} gdb commands (setupCommands, postConnectCommands). */
function gdbCommandList(description: string): PropertySchema {
  return {
    type: 'array',
    description,
    items: {
      type: 'object',
      required: ['text'],
      properties: {
        text: { type: 'string', description: 'The gdb command.' },
        description: { type: 'string', description: 'What the command is for.' },
        ignoreFailures: { type: 'boolean', description: 'Go on when the command fails.', default: false },
      },
    },
    default: [],
  };
}

const commonSchema: SchemaOf<CommonArgs> = {
  program: {
    type: 'string',
    description: 'Path to vmlinux with DWARF debug info (the ELF gdb loads symbols from).',
    default: '${workspaceFolder}/vmlinux',
  },
  arch: {
    type: 'string',
    enum: ['x86_64', 'aarch64'],
    enumDescriptions: ['64-bit x86 guest (qemu-system-x86_64)', '64-bit Arm guest (qemu-system-aarch64)'],
    description: "Guest architecture. Default: read from the program's ELF header.",
  },
  gdbPath: {
    type: 'string',
    description: "gdb to run. Default: 'gdb' when the guest architecture is the host's, otherwise 'gdb-multiarch'.",
  },
  cwd: { type: 'string', description: 'Working directory of gdb and QEMU.', default: '${workspaceFolder}' },
  setupCommands: gdbCommandList('gdb commands run after the symbols are loaded and before connecting to the target.'),
  postConnectCommands: gdbCommandList('gdb commands run once gdb is connected to the QEMU gdb stub, before the kernel runs (cppdbg: postRemoteConnectCommands).'),
  gdbArgs: {
    type: 'array',
    items: { type: 'string' },
    description: "Extra arguments for gdb's command line (after kernel-qemu's own; e.g. [\"-iex\", \"set debug remote 1\"]).",
    default: [],
  },
  sourceFileMap: {
    type: 'object',
    description: 'Maps source paths recorded in the DWARF (keys) to paths on this machine (values).',
    additionalProperties: { type: 'string' },
    default: {},
  },
  sourceRoot: {
    type: 'string',
    description: 'Kernel source tree the vmlinux was built from, when its DWARF names another directory.',
  },
  stopAtEntry: {
    type: ['boolean', 'string'],
    description: "true: stop at start_kernel. A function name (\"do_sys_openat2\"): boot, then run to that function and stop there. false: run.",
    default: true,
  },
  stopAtConnect: {
    type: 'boolean',
    description: 'Stop at the first instruction after reset, before the firmware or the kernel runs.',
    default: false,
  },
  hardwareBreakpoints: {
    type: 'object',
    description: 'Use hardware breakpoints: require = always, limit = number of hardware slots of the target.',
    properties: {
      require: { type: 'boolean', description: 'Insert every breakpoint as a hardware breakpoint.', default: false },
      limit: { type: 'integer', description: 'Hardware breakpoint slots available (0 = as the target reports).', default: 0 },
    },
    default: { require: false, limit: 0 },
  },
  trace: { type: 'boolean', description: "Log the gdb/MI and QMP traffic: in VS Code to the 'Kernel QEMU' output channel (also shown at its Trace log level without this), in other editors the gdb/MI traffic to the Debug Console.", default: false },
  moduleSearchPath: {
    type: 'array',
    items: { type: 'string' },
    description:
      "Directories searched (recursively) for the .ko files of modules the guest loads, to add their symbols so breakpoints in modules hit. The directory of 'program' (the kernel tree) is always searched.",
    default: [],
  },
  breakOnPanic: {
    type: 'boolean',
    description:
      "Start the session with the 'Kernel panic' exception filter on (the Breakpoints view switches it, and 'Oops and BUG' and 'WARN', during the session): stop in panic() with the kernel's formatted message. Off: the kernel halts and the panic is reported from the serial console.",
    default: true,
  },
};

const launchOnlySchema: SchemaOf<Omit<LaunchArgs, keyof CommonArgs>> = {
  kernel: {
    type: 'string',
    description: 'Bootable kernel image: bzImage on x86_64, Image (or Image.gz) on aarch64.',
    default: '${workspaceFolder}/arch/x86/boot/bzImage',
  },
  initrd: { type: 'string', description: 'Initramfs (cpio archive, optionally compressed).' },
  rootfs: { type: 'string', description: 'Disk image attached as the root drive (raw/ext4 or qcow2).' },
  append: {
    type: 'string',
    description: "Kernel command line. Default: 'console=ttyS0' (x86_64) or 'console=ttyAMA0' (aarch64); 'nokaslr' is added unless kaslr is true, and on aarch64 'arm64.nopauth' (gdb cannot unwind return addresses signed by pointer authentication) unless it names arm64.nopauth or an id_aa64isar override.",
  },
  kaslr: {
    type: 'boolean',
    description: "Let the kernel randomize its base address. Default false: 'nokaslr' is added to the command line.",
    default: false,
  },
  accel: {
    type: 'string',
    enum: ['auto', 'kvm', 'tcg'],
    enumDescriptions: [
      'KVM when it is usable for this guest, otherwise TCG (a hanging KVM is detected and replaced by TCG)',
      'KVM hardware virtualization (guest arch must match the host)',
      'TCG software emulation (always works, slower)',
    ],
    description: 'QEMU accelerator.',
    default: 'auto',
  },
  machine: { type: 'string', description: "QEMU machine type. Default: 'pc' (x86_64) or 'virt' (aarch64)." },
  cpu: { type: 'string', description: "QEMU CPU model. Default: QEMU's default (x86_64) or 'max' (aarch64)." },
  memory: { type: 'integer', description: 'Guest memory in MiB.', default: 512, minimum: 64 },
  smp: { type: 'integer', description: 'Number of vCPUs (each one is a thread in the debugger).', default: 1, minimum: 1 },
  qemuPath: {
    type: 'string',
    description: "QEMU binary. Default: 'qemu-system-x86_64' or 'qemu-system-aarch64' for the guest arch.",
  },
  serverArgs: {
    type: 'array',
    items: { type: 'string' },
    description: 'Extra QEMU arguments, one argv element each (no shell).',
    default: [],
  },
  snapshot: {
    type: 'string',
    description:
      "Start from this VM snapshot (QEMU -loadvm) instead of booting: the session stops where the snapshot was saved (or runs on when stopAtEntry is false). It is read from the qcow2 rootfs, else from the state disk.",
  },
  stateDisk: {
    type: 'string',
    description:
      "qcow2 file that holds VM snapshots when no qcow2 rootfs can (initrd only, or a raw rootfs, which is then not part of them): attached without a guest device, created when missing. Default: a file per configuration in ~/.local/state/kernel-qemu/state-disks, used once the Snapshots view created it.",
  },
};

const attachOnlySchema: SchemaOf<Omit<AttachArgs, keyof CommonArgs>> = {
  target: {
    type: 'string',
    description: "gdb stub of a running QEMU: 'host:port' (e.g. 127.0.0.1:1234) or a unix socket path.",
    default: '127.0.0.1:1234',
  },
};

export const launchSchema = {
  required: ['program', 'kernel'] as const,
  properties: { ...commonSchema, ...launchOnlySchema },
};

export const attachSchema = {
  required: ['program', 'target'] as const,
  properties: { ...commonSchema, ...attachOnlySchema },
};
