// Validates a kernel-qemu launch/attach configuration and resolves its defaults, before
// anything is started. Every problem becomes a UserError that names the fix. Used by
// the adapter and by the extension's configuration provider (so F5 fails fast).
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { MACHINE_NAMES, NotElfError, readElfSummary } from '../elf/elf';
import { findExecutable } from '../process/which';
import { DEFAULT_QEMU, kernelCommandLine } from '../qemu/args';
import { checkQcow2Image, diskFormat, findQemuImg, listImageSnapshots, snapshotStorage, stateDiskDirectory } from '../qemu/qemuImg';
import type { RecordReplaySetup } from '../qemu/recordReplay';
import { UserError } from './errors';
import { launchErrors, type LaunchFileKey, type ToolKey } from './launchErrors';
import { resolveGuest, type ResolvedGuest } from './guestConfig';
import { TRUST_ARGUMENT } from './sessionProtocol';
import type { GuestArch } from '../arch';
import { withRecordReplay } from './recordReplayConfig';
import {
  attachSchema,
  DEFAULTS,
  launchSchema,
  type Accel,
  type HardwareBreakpointsOption,
  type PropertySchema,
  type SetupCommand,
  type ThreadsMode,
} from './launchArgs';

interface ResolvedCommon {
  program: string;
  arch: GuestArch;
  gdbPath: string;
  cwd: string | undefined;
  setupCommands: SetupCommand[];
  postConnectCommands: SetupCommand[];
  gdbArgs: string[];
  sourceFileMap: Record<string, string>;
  sourceRoot: string | undefined;
  stopAtEntry: boolean;
  /** The function the entry stop is at, when not start_kernel (stopAtEntry named it). */
  entryFunction: string | undefined;
  stopAtConnect: boolean;
  hardwareBreakpoints: Required<HardwareBreakpointsOption>;
  trace: boolean;
  moduleSearchPath: string[];
  breakOnPanic: boolean;
  /** The kernel's gdb scripts beside the program may run (the workspace is trusted, see TRUST_ARGUMENT). */
  loadGdbScripts: boolean;
  threads: ThreadsMode;
}

export interface ResolvedLaunch extends ResolvedCommon {
  request: 'launch';
  kernel: string;
  initrd: string | undefined;
  rootfs: { path: string; format: 'raw' | 'qcow2' } | undefined;
  commandLine: string;
  kaslr: boolean;
  accel: Accel;
  machine: string | undefined;
  cpu: string | undefined;
  memory: number;
  smp: number;
  qemuPath: string;
  serverArgs: string[];
  /** Start from this VM snapshot (checked to exist in `snapshotImage`). */
  snapshot: string | undefined;
  /** The image whose snapshots are the VM's: the qcow2 rootfs or the state disk, if any. */
  snapshotImage: string | undefined;
  /** The state disk to attach at launch (created when it does not exist yet). */
  stateDisk: string | undefined;
  /** True when `stateDisk` was found beside the kernel's earlier sessions, not named in the configuration. */
  stateDiskFound: boolean;
  /** Where a state disk is created when the user asks for one during the session. */
  proposedStateDisk: string;
  /** The network, port forwards and shares, and the kq.* command line words. */
  guest: ResolvedGuest;
  /** 'record' or 'replay' (recordReplayConfig.ts). */
  recordReplay?: RecordReplaySetup;
}

export interface ResolvedAttach extends ResolvedCommon {
  request: 'attach';
  target: string | undefined;
  /** A monitor socket (HMP or QMP) of the QEMU. */
  monitor: string | undefined;
}

export type ResolvedConfig = ResolvedLaunch | ResolvedAttach;

export const HOST_ARCH: GuestArch | undefined = process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : undefined;

const DEBIAN_PACKAGE: Readonly<Record<string, string>> = {
  'qemu-system-x86_64': 'qemu-system-x86',
  'qemu-system-aarch64': 'qemu-system-arm',
  'gdb-multiarch': 'gdb-multiarch',
  gdb: 'gdb',
};

/** The configuration's first problem, or undefined when it can be launched. */
export async function checkConfig(request: 'launch' | 'attach', args: Record<string, unknown>): Promise<UserError | undefined> {
  try {
    await resolveConfig(request, args);
    return undefined;
  } catch (error) {
    if (error instanceof UserError) return error;
    return launchErrors.unreadable(error);
  }
}

export async function resolveConfig(request: 'launch' | 'attach', args: Record<string, unknown>): Promise<ResolvedConfig> {
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    throw launchErrors.notAnObject();
  }
  const schema = request === 'launch' ? launchSchema : attachSchema;
  checkShapes(schema.properties, schema.required, args);
  checkSingleLines(args);
  const cwd = optString(args.cwd);
  const at = (value: string) => path.resolve(cwd ?? process.cwd(), value);

  const program = at(args.program as string);
  const elfArch = await checkProgram(program);
  const arch = (optString(args.arch) as GuestArch | undefined) ?? elfArch;
  if (arch !== elfArch) {
    throw launchErrors.archMismatch(program, elfArch, arch);
  }
  const common: ResolvedCommon = {
    program,
    arch,
    gdbPath: resolveGdb(optString(args.gdbPath), arch),
    cwd,
    setupCommands: (args.setupCommands as SetupCommand[] | undefined) ?? [],
    sourceFileMap: (args.sourceFileMap as Record<string, string> | undefined) ?? {},
    sourceRoot: optString(args.sourceRoot) === undefined ? undefined : at(args.sourceRoot as string),
    ...entryOf(args.stopAtEntry as boolean | string | undefined),
    postConnectCommands: (args.postConnectCommands as SetupCommand[] | undefined) ?? [],
    gdbArgs: (args.gdbArgs as string[] | undefined) ?? [],
    stopAtConnect: (args.stopAtConnect as boolean | undefined) ?? DEFAULTS.stopAtConnect,
    hardwareBreakpoints: { ...DEFAULTS.hardwareBreakpoints, ...(args.hardwareBreakpoints as HardwareBreakpointsOption | undefined) },
    trace: (args.trace as boolean | undefined) ?? DEFAULTS.trace,
    moduleSearchPath: [path.dirname(program), ...((args.moduleSearchPath as string[] | undefined) ?? []).map(at)],
    breakOnPanic: (args.breakOnPanic as boolean | undefined) ?? DEFAULTS.breakOnPanic,
    loadGdbScripts: args[TRUST_ARGUMENT] !== false,
    threads: (args.threads as ThreadsMode | undefined) ?? DEFAULTS.threads,
  };
  if (request === 'attach') {
    const target = optString(args.target);
    const monitor = optString(args.monitor) === undefined ? undefined : at(args.monitor as string);
    if (!target && !monitor) {
      throw launchErrors.attachNeedsTarget();
    }
    return { ...common, request, target, monitor };
  }

  const kernel = at(args.kernel as string);
  await checkFile(kernel, 'kernel');
  const initrd = optString(args.initrd) === undefined ? undefined : at(args.initrd as string);
  if (initrd) await checkFile(initrd, 'initrd');
  const rootfsPath = optString(args.rootfs) === undefined ? undefined : at(args.rootfs as string);
  if (rootfsPath) await checkFile(rootfsPath, 'rootfs');
  const accel = (optString(args.accel) as Accel | undefined) ?? DEFAULTS.accel;
  if (accel === 'kvm' && args.record === undefined && args.replay === undefined) await checkKvm(arch); // record/replay refuses KVM itself
  const qemuPath = resolveTool(optString(args.qemuPath) ?? DEFAULT_QEMU[arch], 'qemuPath');
  const kaslr = (args.kaslr as boolean | undefined) ?? DEFAULTS.kaslr;
  const rootfs = rootfsPath ? { path: rootfsPath, format: await diskFormat(rootfsPath) } : undefined;
  if (rootfs?.format === 'qcow2') await checkRootfsImage(rootfs.path, qemuPath);
  const storage = snapshotStorage({
    kernel,
    initrd,
    rootfs: rootfs?.path,
    rootfsFormat: rootfs?.format,
    stateDisk: optString(args.stateDisk) === undefined ? undefined : at(args.stateDisk as string),
    stateDiskDirectory: stateDiskDirectory(),
  });
  const snapshot = optString(args.snapshot);
  if (snapshot !== undefined) await checkLaunchSnapshot(snapshot, storage.image, qemuPath);
  // QEMU 7.2 records no network device and no shared folder: a recorded run has neither.
  const recording = (args.record !== undefined && args.record !== false) || typeof args.replay === 'string';
  if (
    recording &&
    (args.network === 'user' ||
      (Array.isArray(args.ports) && args.ports.length > 0) ||
      (Array.isArray(args.shares) && args.shares.length > 0))
  ) {
    throw launchErrors.recordingWithGuestNetwork();
  }
  const guest = await resolveGuest(recording ? { ...args, network: 'none' } : args, at);
  const userLine = kernelCommandLine({ arch, append: optString(args.append), kaslr, hasRootfs: rootfsPath !== undefined });
  return withRecordReplay(
    {
      ...common,
      request,
      kernel,
      initrd,
      rootfs,
      commandLine: [userLine, ...guest.commandLineWords].join(' '),
      kaslr,
      accel,
      machine: optString(args.machine),
      cpu: optString(args.cpu),
      memory: (args.memory as number | undefined) ?? DEFAULTS.memory,
      smp: (args.smp as number | undefined) ?? DEFAULTS.smp,
      qemuPath,
      serverArgs: (args.serverArgs as string[] | undefined) ?? [],
      snapshot,
      snapshotImage: storage.image,
      stateDisk: storage.attachStateDisk,
      stateDiskFound: storage.attachStateDisk !== undefined && optString(args.stateDisk) === undefined,
      proposedStateDisk: storage.proposedStateDisk,
      guest,
    },
    args,
  );
}

/** A damaged qcow2 rootfs is refused here, with qemu-img's reason, before QEMU boots it (and writes to it). ~10 ms for 1.3 GB of data. */
async function checkRootfsImage(image: string, qemuPath: string): Promise<void> {
  const qemuImg = findQemuImg(qemuPath);
  if (!qemuImg) return; // QEMU itself refuses an image it cannot open
  const check = await checkQcow2Image(qemuImg, image);
  if (check.ok) return;
  throw launchErrors.rootfsDamaged(image, check.problem);
}

/** A launch from a snapshot fails here, naming what exists, instead of QEMU exiting at start. */
async function checkLaunchSnapshot(name: string, image: string | undefined, qemuPath: string): Promise<void> {
  if (!image) {
    throw launchErrors.snapshotWithoutDisk(name);
  }
  const qemuImg = findQemuImg(qemuPath);
  if (!qemuImg) return; // QEMU itself reports a missing snapshot
  let snapshots;
  try {
    snapshots = await listImageSnapshots(qemuImg, image);
  } catch (error) {
    throw launchErrors.snapshotsUnreadable(name, image, error);
  }
  const found = snapshots.find((snapshot) => snapshot.name === name);
  const names = snapshots.filter((snapshot) => snapshot.vmStateSize > 0).map((snapshot) => `"${snapshot.name}"`);
  if (!found) {
    throw launchErrors.snapshotNotInImage(name, image, names);
  }
  if (found.vmStateSize === 0) {
    throw launchErrors.snapshotDiskOnly(name, image);
  }
}

function optString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** Checks each known key against its schema type, so a typo'd value fails here and not deep in QEMU. */
function checkShapes(properties: Record<string, PropertySchema>, required: readonly string[], args: Record<string, unknown>): void {
  for (const key of required) {
    if (typeof args[key] !== 'string' || args[key].trim() === '') {
      throw launchErrors.required(key, properties[key]!.description);
    }
  }
  for (const [key, property] of Object.entries(properties)) {
    const value = args[key];
    if (value === undefined || value === null) continue;
    const problem = shapeProblem(property, value);
    if (problem) throw launchErrors.badValue(key, problem, property.description);
  }
}

/**
 * What goes to gdb over MI (the program path, source maps, setup commands) cannot hold a
 * newline: an MI command is one line and its c-strings have no newline escape. Refused here,
 * rather than gdb opening a different file. (QEMU's paths and append take newlines: argv.)
 */
function checkSingleLines(args: Record<string, unknown>): void {
  const texts: Array<[string, unknown]> = [
    ['program', args.program],
    ...Object.entries((args.sourceFileMap as Record<string, unknown> | undefined) ?? {}).flatMap(([from, to]): Array<[string, unknown]> => [
      ['sourceFileMap', from],
      ['sourceFileMap', to],
    ]),
    ...((args.setupCommands as SetupCommand[] | undefined) ?? []).map((command): [string, unknown] => ['setupCommands', command.text]),
    ...((args.postConnectCommands as SetupCommand[] | undefined) ?? []).map((command): [string, unknown] => [
      'postConnectCommands',
      command.text,
    ]),
    ['stopAtEntry', args.stopAtEntry],
  ];
  for (const [key, text] of texts) {
    if (typeof text === 'string' && /[\r\n]/.test(text)) {
      throw launchErrors.lineBreak(key, text);
    }
  }
}

function shapeProblem(property: PropertySchema, value: unknown): string | undefined {
  if (typeof property.type !== 'string') {
    const types = property.type;
    const fits = types.some((type) => shapeProblem({ ...property, type }, value) === undefined);
    return fits
      ? undefined
      : `must be ${types.map((type) => (type === 'boolean' ? 'true or false' : `a ${type}`)).join(' or ')}, not ${JSON.stringify(value)}`;
  }
  switch (property.type) {
    case 'string':
      if (typeof value !== 'string') return `must be a string, not ${JSON.stringify(value)}`;
      if (value.includes('\0')) return 'must not contain a NUL character';
      if (property.enum && !property.enum.includes(value))
        return `must be one of ${property.enum.map((v) => `"${v}"`).join(', ')}, not "${value}"`;
      return undefined;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `must be true or false, not ${JSON.stringify(value)}`;
    case 'integer':
    case 'number':
      if (typeof value !== 'number' || !Number.isInteger(value)) return `must be an integer, not ${JSON.stringify(value)}`;
      if (property.minimum !== undefined && value < property.minimum) return `must be at least ${property.minimum}, not ${value}`;
      if (value > 1_048_576) return `is too large (${value})`;
      return undefined;
    case 'array':
      if (!Array.isArray(value)) return `must be an array, not ${JSON.stringify(value)}`;
      if ((property.items as { type?: string } | undefined)?.type === 'string') {
        return value.every((item) => typeof item === 'string' && !item.includes('\0')) ? undefined : 'must be an array of strings';
      }
      {
        // Arrays of objects (setupCommands, shares, ports): each item an object with the required members.
        const required = (property.items as { required?: string[] } | undefined)?.required ?? [];
        const complete = (item: unknown) =>
          typeof item === 'object' &&
          item !== null &&
          !Array.isArray(item) &&
          required.every((key) => (item as Record<string, unknown>)[key] !== undefined);
        if (!value.every(complete)) return `must be an array of {${required.map((key) => `"${key}": "..."`).join(', ')}} objects`;
      }
      return nestedProblem(property.items?.properties as NestedSchema | undefined, value);
    case 'object':
      if (typeof value !== 'object' || Array.isArray(value)) return `must be an object, not ${JSON.stringify(value)}`;
      if (typeof property.additionalProperties === 'object') {
        const type = (property.additionalProperties as { type?: string }).type;
        const bad = Object.entries(value as Record<string, unknown>).find(
          ([, item]) => typeof item !== type || (typeof item === 'string' && item.includes('\0')),
        );
        if (bad) return `must map each key to a ${type}; "${bad[0]}" maps to ${JSON.stringify(bad[1])}`;
      }
      return nestedProblem(property.properties as NestedSchema | undefined, [value]);
  }
}

type NestedSchema = Record<string, { type?: string }>;

/** The known members of nested objects (hardwareBreakpoints, each setupCommands item) have their declared types. */
function nestedProblem(properties: NestedSchema | undefined, objects: readonly unknown[]): string | undefined {
  if (!properties) return undefined;
  for (const object of objects) {
    for (const [key, schema] of Object.entries(properties)) {
      const member = (object as Record<string, unknown>)[key];
      if (member === undefined || member === null) continue; // as at the top level: null is "not set"
      const ok =
        schema.type === 'integer'
          ? typeof member === 'number' && Number.isInteger(member) && member >= 0 && member <= 1_048_576
          : schema.type === 'string'
            ? typeof member === 'string' && !member.includes('\0')
            : typeof member === schema.type;
      if (!ok) {
        const wanted = schema.type === 'integer' ? 'a non-negative integer' : `a ${schema.type}`;
        return `has '${key}': ${JSON.stringify(member)}, which must be ${wanted}`;
      }
    }
  }
  return undefined;
}

async function checkFile(file: string, key: LaunchFileKey): Promise<void> {
  let info;
  try {
    info = await stat(file);
  } catch {
    throw launchErrors.fileMissing(key, file);
  }
  if (!info.isFile()) throw launchErrors.notAFile(key, file);
  try {
    await access(file, constants.R_OK);
  } catch {
    throw launchErrors.fileUnreadable(key, file);
  }
}

async function checkProgram(program: string): Promise<GuestArch> {
  await checkFile(program, 'program');
  let elf;
  try {
    elf = await readElfSummary(program);
  } catch (error) {
    if (!(error instanceof NotElfError)) throw error;
    throw launchErrors.programNotElf(program);
  }
  if (!elf.arch) {
    throw launchErrors.programOtherMachine(program, MACHINE_NAMES[elf.machine] ?? `machine ${elf.machine}`);
  }
  if (!elf.hasDebugInfo) {
    throw launchErrors.noDebugInfo(program);
  }
  return elf.arch;
}

function resolveTool(name: string, key: ToolKey): string {
  const found = findExecutable(name);
  if (found) return found;
  throw launchErrors.toolMissing(key, name, DEBIAN_PACKAGE[path.basename(name)]);
}

function resolveGdb(configured: string | undefined, arch: GuestArch): string {
  if (configured) return resolveTool(configured, 'gdbPath');
  // The host's gdb only debugs the host's arch; gdb-multiarch debugs both.
  if (arch === HOST_ARCH) {
    const native = findExecutable('gdb') ?? findExecutable('gdb-multiarch');
    if (native) return native;
  }
  return resolveTool('gdb-multiarch', 'gdbPath');
}

async function checkKvm(arch: GuestArch): Promise<void> {
  if (arch !== HOST_ARCH) {
    throw launchErrors.kvmOtherArch(HOST_ARCH ?? process.arch, arch);
  }
  try {
    await access('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    throw launchErrors.kvmUnusable();
  }
}

export async function kvmDeviceUsable(): Promise<boolean> {
  try {
    await access('/dev/kvm', constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** stopAtEntry: true/false, or the name of the function to run to (start_kernel is the same as true). */
function entryOf(value: boolean | string | undefined): { stopAtEntry: boolean; entryFunction: string | undefined } {
  if (typeof value !== 'string') return { stopAtEntry: value ?? DEFAULTS.stopAtEntry, entryFunction: undefined };
  const name = value.trim();
  if (!/^[A-Za-z_][\w.]*$/.test(name)) {
    throw launchErrors.badEntryFunction(value);
  }
  return { stopAtEntry: true, entryFunction: name === 'start_kernel' ? undefined : name };
}
