// The typed launch and attach arguments. This file is the single source of the
// debugger's configuration schema: package.json's `contributes.debuggers` is generated
// from it (npm run gen:schema) and a unit test checks that the two agree.
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { GuestArch } from '../arch';

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
  /** 'tasks': every sleeping task is a thread too, with its kernel stack. */
  threads?: ThreadsMode;
}

export type ThreadsMode = 'vcpus' | 'tasks';

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
  /** The guest's network: user-mode (slirp) with ssh forwarded from 127.0.0.1, or none. */
  network?: 'user' | 'none';
  /** More TCP forwards from 127.0.0.1 to the guest. */
  ports?: Array<{ host: number; guest: number }>;
  /** Host folders the guest mounts (virtio-9p), read-only unless readOnly is false. */
  shares?: Array<{ host: string; guest: string; readOnly?: boolean; transport?: 'auto' | '9p' | 'virtiofs' }>;
  /** A shell command the kernel-qemu initramfs runs on the console once the guest is up. */
  guestCommand?: string;
  /** Modules the kernel-qemu initramfs loads (modprobe) before anything else. */
  modprobe?: string[];
  /** Record this run (QEMU record/replay): true for a new recording in the cache, or the recording's path. */
  record?: boolean | string;
  /** Replay this recording instead of running live: Step Back and Reverse Continue work. */
  replay?: string;
  /** At most this many snapshots saved along a replay, so reverse steps replay a short stretch (0: none). */
  replaySnapshots?: number;
}

export interface AttachArgs extends CommonArgs {
  /** The gdb stub; optional with a monitor, which then starts one. */
  target?: string;
  /** A QEMU monitor socket (HMP `-monitor unix:` or `-qmp unix:`): snapshots, and a gdb stub when there is none. */
  monitor?: string;
}

/**
 * What a configuration gets for a key it leaves out: the schema's `default` below and
 * resolveConfig's fallback (src/adapter/configCheck.ts, guestConfig.ts) both read it here.
 * Lists and maps default to empty and are not repeated.
 */
export const DEFAULTS = {
  stopAtEntry: true,
  stopAtConnect: false,
  hardwareBreakpoints: { require: false, limit: 0 },
  trace: false,
  breakOnPanic: true,
  threads: 'vcpus',
  kaslr: false,
  accel: 'auto',
  memory: 512,
  smp: 1,
  network: 'user',
  shareReadOnly: true,
  replaySnapshots: 8,
} as const satisfies {
  stopAtEntry: boolean;
  stopAtConnect: boolean;
  hardwareBreakpoints: Required<HardwareBreakpointsOption>;
  trace: boolean;
  breakOnPanic: boolean;
  threads: ThreadsMode;
  kaslr: boolean;
  accel: Accel;
  memory: number;
  smp: number;
  network: NonNullable<LaunchArgs['network']>;
  shareReadOnly: boolean;
  replaySnapshots: number;
};

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
  postConnectCommands: gdbCommandList(
    'gdb commands run once gdb is connected to the QEMU gdb stub, before the kernel runs (cppdbg: postRemoteConnectCommands).',
  ),
  gdbArgs: {
    type: 'array',
    items: { type: 'string' },
    description: 'Extra arguments for gdb\'s command line (after kernel-qemu\'s own; e.g. ["-iex", "set debug remote 1"]).',
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
    description:
      'true: stop at start_kernel. A function name ("do_sys_openat2"): boot, then run to that function and stop there. false: run.',
    default: DEFAULTS.stopAtEntry,
  },
  stopAtConnect: {
    type: 'boolean',
    description: 'Stop at the first instruction after reset, before the firmware or the kernel runs.',
    default: DEFAULTS.stopAtConnect,
  },
  hardwareBreakpoints: {
    type: 'object',
    description: 'Use hardware breakpoints: require = always, limit = number of hardware slots of the target.',
    properties: {
      require: {
        type: 'boolean',
        description: 'Insert every breakpoint as a hardware breakpoint.',
        default: DEFAULTS.hardwareBreakpoints.require,
      },
      limit: {
        type: 'integer',
        description: 'Hardware breakpoint slots available (0 = as the target reports).',
        default: DEFAULTS.hardwareBreakpoints.limit,
      },
    },
    default: DEFAULTS.hardwareBreakpoints,
  },
  trace: {
    type: 'boolean',
    description:
      "Log the gdb/MI and QMP traffic: in VS Code to the 'Kernel QEMU' output channel (also " +
      'shown at its Trace log level without this), in other editors the gdb/MI traffic to the ' +
      'Debug Console.',
    default: DEFAULTS.trace,
  },
  moduleSearchPath: {
    type: 'array',
    items: { type: 'string' },
    description:
      'Directories searched (recursively) for the .ko files of modules the guest loads, to add ' +
      "their symbols so breakpoints in modules hit. The directory of 'program' (the kernel tree) " +
      'is always searched.',
    default: [],
  },
  breakOnPanic: {
    type: 'boolean',
    description:
      "Start the session with the 'Kernel panic' exception filter on (the Breakpoints view " +
      "switches it, and 'Oops and BUG' and 'WARN', during the session): stop in panic() with the " +
      "kernel's formatted message. Off: the kernel halts and the panic is reported from the " +
      'serial console.',
    default: DEFAULTS.breakOnPanic,
  },
  threads: {
    type: 'string',
    enum: ['vcpus', 'tasks'],
    description:
      "'vcpus': one thread per vCPU, named by the task it runs. 'tasks': also one thread per " +
      "task that is not running ('pid 42 · sh'), whose call stack is its kernel stack unwound " +
      'from the context it saved when it switched out (source, locals, frames); stacks are read ' +
      'when expanded. Needs gdb with Python.',
    default: DEFAULTS.threads,
  },
};

const launchOnlySchema: SchemaOf<Omit<LaunchArgs, keyof CommonArgs | keyof typeof guestSchema>> = {
  kernel: {
    type: 'string',
    description: 'Bootable kernel image: bzImage on x86_64, Image (or Image.gz) on aarch64.',
    default: '${workspaceFolder}/arch/x86/boot/bzImage',
  },
  initrd: { type: 'string', description: 'Initramfs (cpio archive, optionally compressed).' },
  rootfs: { type: 'string', description: 'Disk image attached as the root drive (raw/ext4 or qcow2).' },
  append: {
    type: 'string',
    description:
      "Kernel command line. Default: 'console=ttyS0' (x86_64) or 'console=ttyAMA0' (aarch64); " +
      "'nokaslr' is added unless kaslr is true, and on aarch64 'arm64.nopauth' (gdb cannot " +
      'unwind return addresses signed by pointer authentication) unless it names arm64.nopauth ' +
      'or an id_aa64isar override.',
  },
  kaslr: {
    type: 'boolean',
    description: "Let the kernel randomize its base address. Default false: 'nokaslr' is added to the command line.",
    default: DEFAULTS.kaslr,
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
    default: DEFAULTS.accel,
  },
  machine: { type: 'string', description: "QEMU machine type. Default: 'pc' (x86_64) or 'virt' (aarch64)." },
  cpu: { type: 'string', description: "QEMU CPU model. Default: QEMU's default (x86_64) or 'max' (aarch64)." },
  memory: { type: 'integer', description: 'Guest memory in MiB.', default: DEFAULTS.memory, minimum: 64 },
  smp: { type: 'integer', description: 'Number of vCPUs (each one is a thread in the debugger).', default: DEFAULTS.smp, minimum: 1 },
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
      'Start from this VM snapshot (QEMU -loadvm) instead of booting: the session stops where ' +
      'the snapshot was saved (or runs on when stopAtEntry is false). It is read from the qcow2 ' +
      'rootfs, else from the state disk.',
  },
  stateDisk: {
    type: 'string',
    description:
      'qcow2 file that holds VM snapshots when no qcow2 rootfs can (initrd only, or a raw ' +
      'rootfs, which is then not part of them): attached without a guest device, created when ' +
      'missing. Default: a file per configuration in ~/.local/state/kernel-qemu/state-disks, ' +
      'used once the Snapshots view created it.',
  },
  record: {
    type: ['boolean', 'string'],
    description:
      "Record this run with QEMU's record/replay (TCG only, initrd guests: no rootfs disk), to " +
      "replay it later with 'replay' and step backwards. true: a new recording in kernel-qemu's " +
      "cache directory (its path is printed in the Debug Console); a path: the recording's file " +
      '(replaced when it exists). Beside it go a qcow2 file with its snapshots and a manifest of ' +
      'the kernel, initrd and machine it ran.',
  },
  replay: {
    type: 'string',
    description:
      "Replay a recording made with 'record' instead of running live: the kernel runs exactly as " +
      'it did, and Step Back and Reverse Continue (also to the last write of a data breakpoint) ' +
      'work. The kernel, initrd, memory, smp, machine, cpu and command line must be those it was ' +
      'recorded with (checked against its manifest).',
  },
  replaySnapshots: {
    type: 'integer',
    description:
      'Replay sessions (and a record session once it goes back): at a stop far from the last ' +
      'snapshot before it, a VM snapshot is saved in the recording, so Step Back and Reverse ' +
      'Continue near there replay a short stretch instead of the whole run from its start. At ' +
      'most this many are kept (about the guest memory in use each); 0: none are saved.',
    default: DEFAULTS.replaySnapshots,
    minimum: 0,
  },
};

const guestSchema: SchemaOf<Pick<LaunchArgs, 'network' | 'ports' | 'shares' | 'guestCommand' | 'modprobe'>> = {
  network: {
    type: 'string',
    enum: ['user', 'none'],
    enumDescriptions: [
      "QEMU's user-mode network on a virtio-net card: the guest reaches the host as 10.0.2.2; " +
        'its ssh port is forwarded from a free port on 127.0.0.1',
      'No network card',
    ],
    description:
      "The guest's network. The kernel needs VIRTIO_PCI and VIRTIO_NET (the kernel-qemu initramfs loads them when they are modules).",
    default: DEFAULTS.network,
  },
  ports: {
    type: 'array',
    description: 'TCP ports forwarded from 127.0.0.1 (never another address) to the guest, besides ssh.',
    items: {
      type: 'object',
      required: ['host', 'guest'],
      properties: {
        host: { type: 'integer', description: 'Port on 127.0.0.1; 0 picks a free one.' },
        guest: { type: 'integer', description: "The guest's port." },
      },
    },
    default: [],
  },
  shares: {
    type: 'array',
    description:
      "Host folders shared with the guest, mounted by the kernel-qemu initramfs's /init: over " +
      'virtio-9p (the kernel needs NET_9P, NET_9P_VIRTIO and 9P_FS), or virtiofs for kernels ' +
      'that have only VIRTIO_FS. QEMU cannot save a VM snapshot while one is mounted.',
    items: {
      type: 'object',
      required: ['host', 'guest'],
      properties: {
        host: { type: 'string', description: 'The host folder.' },
        guest: { type: 'string', description: 'Where the guest mounts it, e.g. /mnt/host.' },
        readOnly: { type: 'boolean', description: 'The guest cannot write to it (default).', default: DEFAULTS.shareReadOnly },
        transport: {
          type: 'string',
          enum: ['auto', '9p', 'virtiofs'],
          description:
            "auto: 9p when the kernel's .config beside vmlinux has 9P_FS, virtiofs when it has only " +
            "VIRTIO_FS (Debian's kernels; needs virtiofsd, run as root).",
          default: 'auto',
        },
      },
    },
    default: [],
  },
  guestCommand: {
    type: 'string',
    description:
      'A shell command the kernel-qemu initramfs runs on the console once the guest is up (network and shares ready); a shell follows.',
  },
  modprobe: {
    type: 'array',
    items: { type: 'string' },
    description:
      "Modules the kernel-qemu initramfs loads with modprobe first (from its /lib/modules: Build Rootfs puts the tree's modules there).",
    default: [],
  },
};

const attachOnlySchema: SchemaOf<Omit<AttachArgs, keyof CommonArgs>> = {
  target: {
    type: 'string',
    description:
      "gdb stub of a running QEMU: 'host:port' (e.g. 127.0.0.1:1234) or a unix socket path. Not " +
      "needed with 'monitor': the adapter starts a stub on a private unix socket.",
    default: '127.0.0.1:1234',
  },
  monitor: {
    type: 'string',
    description:
      "The running QEMU's monitor socket, HMP (-monitor unix:PATH,server,nowait) or QMP (-qmp " +
      "unix:PATH,server,nowait): VM snapshots go through it, and without 'target' the adapter " +
      'starts a gdb stub through it.',
  },
};

export const launchSchema = {
  required: ['program', 'kernel'] as const,
  properties: { ...commonSchema, ...launchOnlySchema, ...guestSchema },
};

export const attachSchema = {
  required: ['program'] as const,
  properties: { ...commonSchema, ...attachOnlySchema },
};
