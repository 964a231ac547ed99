// Pure: a resolved launch configuration -> QEMU's argv. No I/O, so every option is unit-tested.
import type { GuestArch } from '../arch';
import { guestDeviceArgs, type GuestDevices } from '../guest/qemuGuestArgs';
import { STATE_DISK_NODE } from './vmSnapshots';

export interface QemuPlan {
  arch: GuestArch;
  accel: 'kvm' | 'tcg';
  kernel: string;
  initrd?: string;
  rootfs?: { path: string; format: 'raw' | 'qcow2' };
  commandLine: string;
  machine?: string;
  cpu?: string;
  memoryMiB: number;
  smp: number;
  gdbSocket: string;
  qmpSocket: string;
  /** Serial console on the FIFOs BASE.in/BASE.out (src/qemu/serialPipe.ts); QEMU's stdio without it. */
  serialPipe?: string;
  /** The console only writes BASE.out (no input read): what record/replay needs (recording.ts). */
  serialOutputOnly?: boolean;
  /** Start from this VM snapshot (`-loadvm`). */
  loadSnapshot?: string;
  /** qcow2 file for VM snapshots, attached with no guest device (node STATE_DISK_NODE). */
  stateDisk?: string;
  /** Network, port forwards (127.0.0.1 only) and shared folders. */
  guest?: GuestDevices;
  extraArgs: readonly string[];
}

export const DEFAULT_QEMU: Readonly<Record<GuestArch, string>> = {
  x86_64: 'qemu-system-x86_64',
  aarch64: 'qemu-system-aarch64',
};

const CONSOLE: Readonly<Record<GuestArch, string>> = { x86_64: 'ttyS0', aarch64: 'ttyAMA0' };

export function defaultMachine(arch: GuestArch): string | undefined {
  return arch === 'aarch64' ? 'virt' : undefined;
}

export function defaultCpu(arch: GuestArch, accel: 'kvm' | 'tcg'): string | undefined {
  if (accel === 'kvm') return 'host';
  return arch === 'aarch64' ? 'max' : undefined;
}

export interface CommandLineInput {
  arch: GuestArch;
  append?: string;
  kaslr?: boolean;
  hasRootfs: boolean;
}

/** The kernel command line: the user's text plus what debugging needs and they did not say. */
export function kernelCommandLine(input: CommandLineInput): string {
  const words = (input.append ?? '').split(/\s+/).filter(Boolean);
  const has = (key: string) => words.some((word) => word === key || word.startsWith(`${key}=`));
  if (!has('console')) words.unshift(`console=${CONSOLE[input.arch]}`);
  if (!input.kaslr && !has('nokaslr') && !has('kaslr')) words.push('nokaslr');
  // gdb cannot unwind return addresses signed by pointer authentication (QEMU's stub does not
  // give it the PAC masks): an arm64 stack would end two frames up at `??` (0xeccf8000… <- a signed LR).
  if (input.arch === 'aarch64' && !has('arm64.nopauth') && !words.some((word) => word.startsWith('id_aa64isar')))
    words.push('arm64.nopauth');
  if (input.hasRootfs && !has('root')) words.push('root=/dev/vda', 'rw');
  return words.join(' ');
}

export function buildQemuArgs(plan: QemuPlan): string[] {
  const args = ['-name', 'kernel-qemu,debug-threads=on', '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot', '-S'];
  args.push('-accel', plan.accel);
  const machine = plan.machine ?? defaultMachine(plan.arch);
  if (machine) args.push('-machine', machine);
  const cpu = plan.cpu ?? defaultCpu(plan.arch, plan.accel);
  if (cpu) args.push('-cpu', cpu);
  args.push('-m', String(plan.memoryMiB), '-smp', String(plan.smp));
  args.push('-kernel', plan.kernel);
  if (plan.initrd) args.push('-initrd', plan.initrd);
  args.push('-append', plan.commandLine);
  if (plan.rootfs) args.push('-drive', `file=${escapeOptionValue(plan.rootfs.path)},format=${plan.rootfs.format},if=virtio`);
  if (plan.stateDisk) {
    args.push('-blockdev', `driver=qcow2,node-name=${STATE_DISK_NODE},file.driver=file,file.filename=${escapeOptionValue(plan.stateDisk)}`);
  }
  // The serial console: the adapter streams it to the Debug Console and types into it.
  const pipeConsole = plan.serialOutputOnly
    ? `file,id=console,path=${escapeOptionValue(`${plan.serialPipe}.out`)}`
    : `pipe,id=console,path=${escapeOptionValue(plan.serialPipe ?? '')}`;
  args.push('-chardev', plan.serialPipe ? pipeConsole : 'stdio,id=console,signal=off', '-serial', 'chardev:console');
  // The gdb stub and QMP listen on unix sockets in a private 0700 directory: never on the network.
  args.push('-chardev', `socket,id=gdbstub,path=${escapeOptionValue(plan.gdbSocket)},server=on,wait=off`, '-gdb', 'chardev:gdbstub');
  args.push('-qmp', `unix:${escapeOptionValue(plan.qmpSocket)},server=on,wait=off`);
  if (plan.guest) args.push(...guestDeviceArgs(plan.guest, plan.memoryMiB));
  if (plan.loadSnapshot) args.push('-loadvm', plan.loadSnapshot);
  args.push(...plan.extraArgs);
  return args;
}

/** QEMU's option syntax splits on commas; a literal comma is written twice. */
export function escapeOptionValue(value: string): string {
  return value.replace(/,/g, ',,');
}
