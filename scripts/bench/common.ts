// Shared pieces of the benchmark: the kernel under test, QEMU started exactly as the adapter
// starts it (same argv builder), timing, statistics and process memory.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildQemuArgs, DEFAULT_QEMU, kernelCommandLine, type QemuPlan } from '../../src/qemu/args';

export type Arch = 'x86_64' | 'aarch64';

export const ROOT = path.resolve(__dirname, '../..');

export interface BenchKernel {
  arch: Arch;
  vmlinux: string;
  kernel: string;
  initrd: string;
  qemu: string;
  gdb: string;
}

/** A kernel-qemu launch of the bench kernel as every DAP scenario starts it (TCG, the bench's QEMU and gdb). */
export function kqLaunchArguments(
  kernel: BenchKernel,
  name: string,
  extra: Readonly<Record<string, unknown>> = {},
): Record<string, unknown> {
  return {
    type: 'kernel-qemu',
    request: 'launch',
    name,
    program: kernel.vmlinux,
    kernel: kernel.kernel,
    initrd: kernel.initrd,
    accel: 'tcg',
    gdbPath: kernel.gdb,
    qemuPath: kernel.qemu,
    ...extra,
  };
}

/** The Debian debug kernel fetched by scripts/fetch-kernels.sh (the same one the adapter tests use). */
export function benchKernel(arch: Arch): BenchKernel {
  const cache = process.env.KERNEL_QEMU_CACHE ?? path.join(os.homedir(), '.cache/kernel-qemu');
  const dir = path.join(cache, 'kernels', arch);
  const kernel: BenchKernel = {
    arch,
    vmlinux: path.join(dir, 'vmlinux'),
    kernel: path.join(dir, 'kernel'),
    initrd: path.join(dir, 'initrd.gz'),
    qemu: DEFAULT_QEMU[arch],
    gdb: 'gdb-multiarch',
  };
  for (const file of [kernel.vmlinux, kernel.kernel, kernel.initrd]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run 'bash scripts/fetch-kernels.sh ${arch}' first`);
  }
  return kernel;
}

export const now = (): number => performance.now();

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `kq-bench-${prefix}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves when `file` exists (a QEMU socket), rejects after `timeoutMs`. */
export async function waitForPath(file: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`${file} did not appear within ${timeoutMs} ms`);
    await sleep(2);
  }
}

/** Rejects when `work` takes longer than `ms`, naming `what`. */
export async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Peak resident set size (VmHWM) of a live process, in MiB. */
export function peakRssMiB(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

export interface BenchQemu {
  process: ChildProcess;
  gdbSocket: string;
  qmpSocket: string;
  stop(): Promise<void>;
}

/**
 * QEMU as the adapter starts it: src/qemu/args.ts's argv (halted with -S, TCG, gdb stub and
 * QMP on unix sockets in a private directory), the serial console drained.
 */
export function startQemu(kernel: BenchKernel, runtimeDir: string, options: { stateDisk?: string; smp?: number } = {}): BenchQemu {
  const plan: QemuPlan = {
    arch: kernel.arch,
    accel: 'tcg',
    kernel: kernel.kernel,
    initrd: kernel.initrd,
    commandLine: kernelCommandLine({ arch: kernel.arch, hasRootfs: false }),
    memoryMiB: 512,
    smp: options.smp ?? 1,
    gdbSocket: path.join(runtimeDir, 'gdb.sock'),
    qmpSocket: path.join(runtimeDir, 'qmp.sock'),
    extraArgs: [],
    ...(options.stateDisk ? { stateDisk: options.stateDisk } : {}),
  };
  const child = spawn(kernel.qemu, buildQemuArgs(plan), { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdout?.resume();
  child.stderr?.resume();
  child.stdin?.on('error', () => undefined);
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return {
    process: child,
    gdbSocket: plan.gdbSocket,
    qmpSocket: plan.qmpSocket,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(2000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** An empty qcow2 file to hold VM snapshots (what the adapter's state disk is). */
export function createStateDisk(file: string): void {
  const result = spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', '--', file, '1M'], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`qemu-img create failed: ${result.stderr}`);
}
