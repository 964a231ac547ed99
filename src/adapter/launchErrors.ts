// What a launch or attach configuration can get wrong (configCheck.ts, guestConfig.ts,
// recordReplayConfig.ts): each problem with its code and its words, which name the key, the
// value and the fix. Refused before QEMU or gdb starts.
import { ErrorCode, errorText, UserError } from './errors';

/** The files a launch names: the code when one is missing, and what the key should point at. */
export const LAUNCH_FILES = {
  program: { code: ErrorCode.ProgramMissing, what: 'the vmlinux built with CONFIG_DEBUG_INFO (not the compressed bzImage)' },
  kernel: { code: ErrorCode.KernelMissing, what: 'the bootable image (arch/x86/boot/bzImage or arch/arm64/boot/Image)' },
  initrd: { code: ErrorCode.InitrdMissing, what: 'an initramfs (cpio archive)' },
  rootfs: { code: ErrorCode.RootfsMissing, what: 'a disk image (ext4/raw or qcow2)' },
} as const;

export type LaunchFileKey = keyof typeof LAUNCH_FILES;

const TOOL_CODES = { qemuPath: ErrorCode.QemuNotFound, gdbPath: ErrorCode.GdbNotFound } as const;

export type ToolKey = keyof typeof TOOL_CODES;

/** `'replay'` or `'record'`: the key a record/replay problem is about. */
type RecordingKey = "'record'" | "'replay'";

export const launchErrors = {
  // The configuration's shape
  notAnObject: () => new UserError(ErrorCode.BadArgument, 'The kernel-qemu configuration must be an object.'),
  /** A check that threw something other than a UserError: still the configuration's problem to the user. */
  unreadable: (error: unknown) => new UserError(ErrorCode.BadArgument, `Invalid kernel-qemu configuration: ${String(error)}`),
  required: (key: string, description: string) => new UserError(ErrorCode.BadArgument, `'${key}' is required: ${description}`),
  badValue: (key: string, problem: string, description: string) =>
    new UserError(ErrorCode.BadArgument, `'${key}' ${problem}. ${description}`),
  lineBreak: (key: string, text: string) =>
    new UserError(
      ErrorCode.BadArgument,
      `'${key}' ${JSON.stringify(text)} contains a line break, which gdb cannot take (one gdb ` +
        `command or path per entry; rename a file whose name has one).`,
    ),
  badEntryFunction: (value: string) =>
    new UserError(
      ErrorCode.BadArgument,
      `'stopAtEntry' "${value}" is not a function name: give true, false or a kernel function such as "do_sys_openat2".`,
    ),
  attachNeedsTarget: () =>
    new UserError(
      ErrorCode.BadArgument,
      "An attach needs 'target' (QEMU's gdb stub, e.g. 127.0.0.1:1234 or a unix socket) or " +
        "'monitor' (its -monitor unix: or -qmp unix: socket; the adapter then starts a stub).",
    ),

  // Files and tools
  fileMissing: (key: LaunchFileKey, file: string) =>
    new UserError(LAUNCH_FILES[key].code, `'${key}' ${file} does not exist. Set '${key}' to ${LAUNCH_FILES[key].what}.`),
  notAFile: (key: LaunchFileKey, file: string) =>
    new UserError(LAUNCH_FILES[key].code, `'${key}' ${file} is not a file. Set '${key}' to ${LAUNCH_FILES[key].what}.`),
  fileUnreadable: (key: LaunchFileKey, file: string) =>
    new UserError(LAUNCH_FILES[key].code, `'${key}' ${file} is not readable by this user.`),
  /** `debianPackage`: the package that has the tool, when it is a known one. */
  toolMissing: (key: ToolKey, name: string, debianPackage: string | undefined) =>
    new UserError(
      TOOL_CODES[key],
      `${name} was not found.${debianPackage ? ` Install it (Debian/Ubuntu: sudo apt-get install ${debianPackage})` : ' Install it'}` +
        ` or set '${key}' to its path.`,
    ),

  // The program
  programNotElf: (program: string) =>
    new UserError(
      ErrorCode.ProgramNotElf,
      `'program' ${program} is not an ELF file. Point it at vmlinux (the uncompressed kernel at ` +
        `the top of the build tree), not at a bzImage/Image; put the bootable image in 'kernel'.`,
    ),
  programOtherMachine: (program: string, machine: string) =>
    new UserError(ErrorCode.ArchMismatch, `'program' ${program} is a ${machine} ELF; kernel-qemu debugs x86_64 and aarch64 kernels.`),
  archMismatch: (program: string, elfArch: string, arch: string) =>
    new UserError(
      ErrorCode.ArchMismatch,
      `'program' ${program} is an ${elfArch} kernel but 'arch' is "${arch}". Set "arch": "${elfArch}` +
        `" or point 'program' at the ${arch} vmlinux.`,
    ),
  noDebugInfo: (program: string) =>
    new UserError(
      ErrorCode.ProgramNoDebugInfo,
      `'program' ${program} has no debug info (.debug_info). Rebuild with ` +
        `CONFIG_DEBUG_INFO_DWARF5=y (or DWARF4) and CONFIG_DEBUG_INFO_REDUCED off (scripts/config ` +
        `-e DEBUG_INFO_DWARF5 -d DEBUG_INFO_REDUCED && make olddefconfig), or on Debian/Ubuntu use ` +
        `the linux-image-*-dbg package's vmlinux.`,
    ),

  // Acceleration
  kvmOtherArch: (hostArch: string, arch: string) =>
    new UserError(
      ErrorCode.AccelUnusable,
      `"accel": "kvm" needs the guest arch to match the host (${hostArch}); an ${arch} guest runs under "tcg".`,
    ),
  kvmUnusable: () =>
    new UserError(
      ErrorCode.AccelUnusable,
      `"accel": "kvm" but /dev/kvm is missing or not accessible. Enable virtualization, add ` +
        `yourself to the kvm group (sudo usermod -aG kvm $USER), or use "accel": "auto".`,
    ),

  // The rootfs and a launch from a snapshot
  rootfsDamaged: (image: string, problem: string) =>
    new UserError(
      ErrorCode.RootfsDamaged,
      `'rootfs' ${image} is a damaged qcow2 image: ${problem}. kernel-qemu does not boot ` +
        `it (the guest's writes would damage it further) and has not changed it. Repair a copy (cp ` +
        `it, then qemu-img check -r all COPY) and point 'rootfs' at the copy, or rebuild the image.`,
    ),
  snapshotWithoutDisk: (name: string) =>
    new UserError(
      ErrorCode.SnapshotNoStorage,
      `'snapshot' "${name}": this configuration has no disk that holds VM snapshots. Set ` +
        `'rootfs' to a qcow2 image, or save a snapshot in a session first (the Snapshots view ` +
        `offers a state disk).`,
    ),
  snapshotsUnreadable: (name: string, image: string, error: unknown) =>
    new UserError(ErrorCode.SnapshotMissing, `'snapshot' "${name}": cannot read the snapshots of ${image}: ${errorText(error)}`),
  /** `names`: the image's snapshots with VM state, quoted. */
  snapshotNotInImage: (name: string, image: string, names: string[]) =>
    new UserError(
      ErrorCode.SnapshotMissing,
      `'snapshot' "${name}" is not in ${image}. ${names.length ? `It has ${names.join(', ')}.` : 'It has no VM snapshots.'}`,
    ),
  snapshotDiskOnly: (name: string, image: string) =>
    new UserError(ErrorCode.SnapshotMissing, `'snapshot' "${name}" in ${image} is a disk-only snapshot (no VM state to start from).`),

  // The guest: network, ports, shares, modules
  portTaken: (host: number, errorCode: string | undefined, error: unknown) =>
    new UserError(
      ErrorCode.PortTaken,
      errorCode === 'EADDRINUSE'
        ? `'ports': 127.0.0.1:${host} is already in use by another program. Pick another host port, or 0 for any free one.`
        : `'ports': cannot listen on 127.0.0.1:${host} (${errorCode ?? String(error)}). Ports ` +
            `below 1024 need root: pick a port above 1024, or 0 for any free one.`,
    ),
  badPort: (index: number, side: 'host' | 'guest', lowest: number) =>
    new UserError(
      ErrorCode.BadArgument,
      `'ports'[${index}].${side} must be a port number ${lowest}–65535${side === 'host' ? ' (0: any free port)' : ''}.`,
    ),
  portsWithoutNetwork: () =>
    new UserError(ErrorCode.BadArgument, `'ports' forwards need the network: remove them or set "network": "user".`),
  shareMissing: (index: number, host: string, exists: boolean) =>
    new UserError(
      ErrorCode.ShareMissing,
      `'shares'[${index}]: ${host} ${exists ? 'is not a folder' : 'does not exist'}. A share is a host folder: create it or fix 'host'.`,
    ),
  badShareMountPoint: (index: number, guest: string) =>
    new UserError(
      ErrorCode.BadArgument,
      `'shares'[${index}].guest "${guest}" must be an absolute path of letters, digits ` +
        `and . / _ - + @ (it goes on the kernel command line), e.g. "/mnt/host".`,
    ),
  /** `asked`: the share asked for virtiofs (otherwise the kernel's config chose it); `problem`: why it cannot run. */
  virtiofsUnusable: (index: number, asked: boolean, problem: string) =>
    new UserError(
      ErrorCode.BadArgument,
      `'shares'[${index}] goes over virtiofs (${asked ? 'asked for' : 'the kernel has VIRTIO_FS and no 9P_FS'}` +
        `), but ${problem}. Use a kernel with 9p (CONFIG_NET_9P_VIRTIO, CONFIG_9P_FS: ` +
        `kernel-qemu's minimal configuration has them) or fix that.`,
    ),
  badModuleName: (name: string) =>
    new UserError(ErrorCode.BadArgument, `'modprobe': "${name}" is not a module name (letters, digits, _ and -).`),

  // Starting: QEMU, gdb, the stub, the monitor
  diskInUse: (file: string) =>
    new UserError(
      ErrorCode.DiskInUse,
      `${file} is in use by another QEMU (another kernel-qemu session?): end that session, or give this one a disk of its own.`,
    ),
  /** `hint`: for an attach, what to check on the user's QEMU (empty for a launch). */
  stubUnreachable: (endpoint: string, error: unknown, hint: string) =>
    new UserError(ErrorCode.TargetUnreachable, `gdb could not connect to the QEMU gdb stub at ${endpoint}: ${errorText(error)}.${hint}`),
  symbolsUnloadable: (program: string, error: unknown) =>
    new UserError(ErrorCode.ProgramNoDebugInfo, `gdb could not load ${program}: ${errorText(error)}`),
  /** A 'setupCommands' or 'postConnectCommands' entry gdb refused (one without ignoreFailures). */
  setupCommandFailed: (key: string, text: string, error: unknown) =>
    new UserError(ErrorCode.GdbCommandFailed, `${key}: "${text}" failed: ${errorText(error)}`),
  /** `exit`: how it ended (its code or signal, and its last words). */
  qemuExitedAtStart: (exit: string) => new UserError(ErrorCode.QemuExited, `QEMU stopped while the session started: ${exit}`),
  gdbExitedAtStart: (exit: string) => new UserError(ErrorCode.GdbExited, `gdb stopped while the session started: ${exit}`),
  kvmNotRunning: (why: string) =>
    new UserError(
      ErrorCode.AccelUnusable,
      `"accel": "kvm" but KVM does not run guests on this host: ${why}. Use "accel": "auto" (it falls back to TCG) or "tcg".`,
    ),
  monitorUnreachable: (problem: string) => new UserError(ErrorCode.TargetUnreachable, `'monitor': ${problem}`),
  /** `answer`: the monitor's reply to gdbserver, if any. */
  monitorStartedNoStub: (socket: string, answer: string) =>
    new UserError(
      ErrorCode.TargetUnreachable,
      `The QEMU monitor ${socket} did not start a gdb stub: ${answer || 'no answer'}. Start QEMU ` +
        `with -gdb unix:PATH,server=on,wait=off and set 'target' to PATH instead.`,
    ),

  // Record and replay
  recordingNeedsQemuImg: () =>
    new UserError(
      ErrorCode.QemuNotFound,
      "'record' needs qemu-img for the recording's snapshot disk: install it (Debian/Ubuntu: sudo apt-get install qemu-utils).",
    ),
  recordingWithGuestNetwork: () =>
    new UserError(
      ErrorCode.BadArgument,
      "'record' and 'replay' runs have no network and no shared folders (QEMU 7.2 records " +
        "neither): remove 'network', 'ports' and 'shares' from this configuration.",
    ),
  recordAndReplay: () =>
    new UserError(
      ErrorCode.BadArgument,
      "'record' and 'replay' cannot both be set: record a run first, then replay it in another session.",
    ),
  recordingUnderKvm: (key: RecordingKey) =>
    new UserError(
      ErrorCode.AccelUnusable,
      `${key}: QEMU records and replays TCG runs only, not KVM ones. Set "accel": "tcg" (or leave it at "auto", which then picks TCG).`,
    ),
  recordingWithRootfs: (key: RecordingKey) =>
    new UserError(
      ErrorCode.BadArgument,
      `${key}: a guest with a 'rootfs' disk cannot be recorded here (its reads and writes would ` +
        `need QEMU's blkreplay driver, which kernel-qemu does not set up). Record an initrd-only ` +
        `guest: remove 'rootfs'.`,
    ),
  recordingFromSnapshot: (key: RecordingKey) =>
    new UserError(
      ErrorCode.BadArgument,
      `${key}: a recorded or replayed run starts from its own first instruction, not from a VM snapshot: remove 'snapshot'.`,
    ),
  recordingWithStateDisk: (key: RecordingKey) =>
    new UserError(
      ErrorCode.BadArgument,
      `${key}: a recorded or replayed run keeps its snapshots in the recording's own disk, not in a state disk: remove 'stateDisk'.`,
    ),
  recordingMismatch: (log: string, differences: string[], manifest: string) =>
    new UserError(
      ErrorCode.RecordingMismatch,
      `'replay' ${log} was recorded with another kernel or machine, and replaying it with ` +
        `this one would run a different guest: ${differences.join('; ')}. Use the configuration it ` +
        `was recorded with (its manifest is ${manifest}), or record again.`,
    ),
  recordingMissing: (log: string) =>
    new UserError(
      ErrorCode.RecordingMissing,
      `'replay' ${log} does not exist. Record a run first ("record": true, or "record": "${log}` +
        `"), then replay the path the Debug Console printed.`,
    ),
  /** `what`: the file beside the recording that is gone (its snapshot disk, its manifest). */
  recordingPartMissing: (log: string, what: string, file: string) =>
    new UserError(
      ErrorCode.RecordingMissing,
      `'replay' ${log}: ${what} ${file} is missing (kernel-qemu writes it beside the ` +
        `recording). Without it the recording cannot be replayed: record again.`,
    ),
  manifestUnreadable: (log: string, manifest: string, problem: string) =>
    new UserError(ErrorCode.RecordingMissing, `'replay' ${log}: its manifest ${manifest} cannot be read: ${problem}. Record again.`),
};
