// The hardware breakpoint/watchpoint budget of the target. x86_64 has four debug address
// registers shared by breakpoints and watchpoints; arm64 has separate breakpoint and
// watchpoint registers, counted in ID_AA64DFR0_EL1. Under TCG QEMU emulates as many as
// asked, so the budget only binds under KVM or when the user sets a limit.
import { mi } from '../mi/commands';
import type { MiConnection } from '../mi/connection';
import type { GuestArch } from '../arch';

export type SlotKind = 'breakpoint' | 'watchpoint';

export interface SlotLimits {
  breakpoints: number;
  watchpoints: number;
  /** x86: one pool for both kinds. */
  shared: boolean;
  /** Where the numbers come from, for messages. */
  origin: string;
}

export class HardwareSlots {
  private used: Record<SlotKind, number> = { breakpoint: 0, watchpoint: 0 };

  constructor(readonly limits: SlotLimits | undefined) {}

  take(kind: SlotKind): boolean {
    if (!this.free(kind)) return false;
    this.used[kind]++;
    return true;
  }

  release(kind: SlotKind): void {
    this.used[kind] = Math.max(0, this.used[kind] - 1);
  }

  free(kind: SlotKind): boolean {
    const limits = this.limits;
    if (!limits) return true;
    if (limits.shared) return this.used.breakpoint + this.used.watchpoint < limits.breakpoints;
    return this.used[kind] < (kind === 'breakpoint' ? limits.breakpoints : limits.watchpoints);
  }

  inUse(kind: SlotKind): number {
    return this.used[kind];
  }

  exhaustedMessage(kind: SlotKind, fallsBackToSoftware: boolean): string {
    const limits = this.limits!;
    const total = limits.shared ? limits.breakpoints : kind === 'breakpoint' ? limits.breakpoints : limits.watchpoints;
    const what = limits.shared ? 'hardware breakpoint/watchpoint slots' : `hardware ${kind} slots`;
    const inUse = limits.shared
      ? `${this.used.breakpoint} breakpoints and ${this.used.watchpoint} watchpoints`
      : `${this.used[kind]} ${kind}s`;
    const next = fallsBackToSoftware
      ? 'It will be placed as a software breakpoint once the kernel has booted (start_kernel).'
      : 'Remove another hardware breakpoint or watchpoint to place this one.';
    return `All ${total} ${what} are in use (${inUse}; ${limits.origin}). ${next}`;
  }
}

/** Reads arm64's ID_AA64DFR0_EL1: BRPs in bits 15:12 and WRPs in bits 23:20, each "count - 1". */
export function arm64DebugLimits(idAa64dfr0: bigint): { breakpoints: number; watchpoints: number } {
  return { breakpoints: Number((idAa64dfr0 >> 12n) & 0xfn) + 1, watchpoints: Number((idAa64dfr0 >> 20n) & 0xfn) + 1 };
}

export interface SlotPolicyInput {
  arch: GuestArch;
  accel: 'kvm' | 'tcg' | 'attach';
  userLimit: number;
  /** arm64 only: the target's ID_AA64DFR0_EL1, when it could be read. */
  idAa64dfr0?: bigint;
}

export function slotLimits(input: SlotPolicyInput): SlotLimits | undefined {
  if (input.userLimit > 0)
    return {
      breakpoints: input.userLimit,
      watchpoints: input.userLimit,
      shared: input.arch === 'x86_64',
      origin: 'hardwareBreakpoints.limit',
    };
  if (input.accel === 'tcg') return undefined;
  if (input.arch === 'x86_64') return { breakpoints: 4, watchpoints: 4, shared: true, origin: 'x86_64 has 4 debug address registers' };
  if (input.idAa64dfr0 !== undefined) return { ...arm64DebugLimits(input.idAa64dfr0), shared: false, origin: 'as ID_AA64DFR0_EL1 reports' };
  return { breakpoints: 2, watchpoints: 2, shared: false, origin: 'the arm64 architectural minimum; ID_AA64DFR0_EL1 was unreadable' };
}

/** arm64 counts its hardware breakpoints in ID_AA64DFR0_EL1; QEMU exposes it to gdb. */
export async function readDebugFeatures(connection: MiConnection, arch: GuestArch): Promise<{ idAa64dfr0?: bigint }> {
  if (arch !== 'aarch64') return {};
  try {
    const value = (await connection.send(mi.evaluate('$ID_AA64DFR0_EL1'))).results.str('value');
    return { idAa64dfr0: BigInt.asUintN(64, BigInt(value)) };
  } catch {
    return {};
  }
}
