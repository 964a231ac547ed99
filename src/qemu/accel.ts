// Chooses KVM or TCG. /dev/kvm can exist and still hang every guest (nested virtualization
// on cloud machines does exactly that), so "auto" boots the kernel under KVM once with an
// early console and uses KVM only if the kernel speaks within a few seconds. The answer is
// kept per host boot, so only the first launch pays for the probe.
import { readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { GuestArch } from '../arch';
import { ManagedProcess } from '../process/managedProcess';

export const KVM_PROBE_TIMEOUT_MS = 4000;

export interface AccelChoice {
  accel: 'kvm' | 'tcg';
  /** Why, for the Debug Console. */
  reason: string;
  /** KVM was asked for by name, and the probe found that it does not run guests here. */
  unusable?: string;
}

export interface ProbeInput {
  qemuPath: string;
  arch: GuestArch;
  kernel: string;
}

export async function probeKvm(input: ProbeInput, timeoutMs = KVM_PROBE_TIMEOUT_MS): Promise<{ usable: boolean; detail: string }> {
  const cached = readCache();
  if (cached) return { usable: cached.usable, detail: `${cached.detail} (probed earlier since this host booted)` };
  const earlyConsole = input.arch === 'x86_64' ? 'earlyprintk=serial,ttyS0,115200 console=ttyS0' : 'earlycon console=ttyAMA0';
  const args = ['-accel', 'kvm', '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot', '-m', '256'];
  if (input.arch === 'aarch64') args.push('-machine', 'virt', '-cpu', 'host');
  args.push(
    '-kernel',
    input.kernel,
    '-append',
    `${earlyConsole} panic=-1 nokaslr`,
    '-chardev',
    'stdio,id=console,signal=off',
    '-serial',
    'chardev:console',
  );
  const started = Date.now();
  const probe = ManagedProcess.start('QEMU (KVM probe)', input.qemuPath, args);
  const spoke = new Promise<boolean>((resolve) => {
    let seen = '';
    probe.onStdoutData((text) => {
      seen = (seen + text).slice(-4096);
      if (seen.includes('Linux version')) resolve(true);
    });
    void probe.exited.then(() => resolve(false));
    setTimeout(() => resolve(false), timeoutMs).unref();
  });
  const usable = await spoke;
  const exitedOnItsOwn = probe.hasExited;
  await probe.kill(500);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const detail = usable
    ? `the kernel printed its banner under KVM in ${seconds} s`
    : exitedOnItsOwn
      ? `QEMU could not use KVM: ${probe.stderrTail().split('\n').pop() ?? 'it exited'}`
      : `a KVM guest printed nothing in ${seconds} s (KVM present but not working, e.g. nested virtualization)`;
  writeCache({ usable, detail });
  return { usable, detail };
}

interface ProbeResult {
  usable: boolean;
  detail: string;
}

function cacheFile(): string | undefined {
  try {
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    return path.join(os.tmpdir(), `kernel-qemu-kvm-probe-${process.getuid?.() ?? 0}-${bootId}.json`);
  } catch {
    return undefined;
  }
}

function readCache(): ProbeResult | undefined {
  const file = cacheFile();
  if (!file) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<ProbeResult>;
    return typeof parsed.usable === 'boolean' && typeof parsed.detail === 'string'
      ? { usable: parsed.usable, detail: parsed.detail }
      : undefined;
  } catch {
    return undefined;
  }
}

function writeCache(result: ProbeResult): void {
  const file = cacheFile();
  if (!file) return;
  try {
    writeFileSync(file, JSON.stringify(result), { mode: 0o600 });
  } catch {
    // a missing cache only costs the next launch another probe
  }
}

export interface AccelRequest extends ProbeInput {
  accel: 'auto' | 'kvm' | 'tcg';
  hostArch: GuestArch | undefined;
  kvmDevice: () => Promise<boolean>;
  /** x86: whether /proc/cpuinfo shows hardware virtualization (vmx or svm). */
  hasVirtualizationFlags?: () => Promise<boolean>;
}

async function cpuHasVirtualization(): Promise<boolean> {
  try {
    return /^flags\s*:.*\b(vmx|svm)\b/m.test(await readFile('/proc/cpuinfo', 'utf8'));
  } catch {
    return true; // cannot tell: let the probe decide
  }
}

export async function chooseAccel(request: AccelRequest): Promise<AccelChoice> {
  if (request.accel === 'tcg') return { accel: 'tcg', reason: 'TCG (software emulation), as configured' };
  if (request.accel === 'kvm') {
    // Asked for by name, KVM still gets the probe (kept per host boot): a KVM that hangs
    // guests is refused with the reason, instead of a session that never stops.
    const probe = await probeKvm(request);
    return probe.usable
      ? { accel: 'kvm', reason: 'KVM, as configured' }
      : { accel: 'kvm', reason: 'KVM, as configured', unusable: probe.detail };
  }
  if (request.arch !== request.hostArch)
    return { accel: 'tcg', reason: `TCG: an ${request.arch} guest on an ${request.hostArch ?? 'unknown'} host cannot use KVM` };
  if (!(await request.kvmDevice())) return { accel: 'tcg', reason: 'TCG: /dev/kvm is missing or not accessible to this user' };
  if (request.arch === 'x86_64' && !(await (request.hasVirtualizationFlags ?? cpuHasVirtualization)())) {
    // /dev/kvm without vmx/svm is a software KVM (e.g. kvm_pvm in cloud sandboxes): slower than TCG and it dies on some instructions.
    return { accel: 'tcg', reason: 'TCG: /dev/kvm exists but the CPU has no vmx/svm, so it is a software KVM that is slower than TCG' };
  }
  const probe = await probeKvm(request);
  return probe.usable
    ? { accel: 'kvm', reason: `KVM: ${probe.detail}` }
    : { accel: 'tcg', reason: `TCG, falling back from KVM: ${probe.detail}` };
}
