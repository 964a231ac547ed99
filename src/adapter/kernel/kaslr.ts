// KASLR: the kernel moved itself by a random offset, so vmlinux's addresses are wrong and
// breakpoints never hit. The running kernel gives its offset away through a vector table
// only it can have set up: x86_64's IDT (vector 0's handler) and arm64's VBAR_EL1. Once
// known, the symbols are reloaded at that offset and gdb re-places every breakpoint.
import { mi } from '../../mi/commands';
import type { MiConnection } from '../../mi/connection';
import type { QmpClient } from '../../qemu/qmp';
import type { GuestArch } from '../../arch';

export interface KaslrOffset {
  offset: bigint;
  /** Found through the early boot table: start_kernel has not run yet. */
  beforeStartKernel: boolean;
}

const KERNEL_SPACE = 0xffff000000000000n;
/** x86_64 moves the kernel within 1 GiB; arm64 anywhere in the upper half of vmalloc space. */
const MAX_OFFSET: Readonly<Record<GuestArch, bigint>> = { x86_64: 1n << 30n, aarch64: 1n << 48n };
const ALIGNMENT: Readonly<Record<GuestArch, bigint>> = { x86_64: 0x200000n, aarch64: 0x10000n };

/** The offset that maps `linkAddress` to `runtimeAddress`, if it is one KASLR could have chosen. */
export function plausibleOffset(arch: GuestArch, runtimeAddress: bigint, linkAddress: bigint): bigint | undefined {
  const offset = runtimeAddress - linkAddress;
  if (offset < 0n || offset >= MAX_OFFSET[arch] || offset % ALIGNMENT[arch] !== 0n) return undefined;
  return offset;
}

/** Vector 0's handler from a 16-byte x86_64 IDT gate. */
export function idtGateTarget(gate: Buffer): bigint {
  return BigInt(gate.readUInt16LE(0)) | (BigInt(gate.readUInt16LE(6)) << 16n) | (BigInt(gate.readUInt32LE(8)) << 32n);
}

/** "IDT=     fffffe0000000000 00000fff" from HMP `info registers`. */
export function idtBase(infoRegisters: string): bigint | undefined {
  const match = /^IDT=\s*([0-9a-f]+)\s/im.exec(infoRegisters);
  return match ? BigInt(`0x${match[1]}`) : undefined;
}

export class KaslrDetector {
  private links: Map<string, bigint> | undefined;

  constructor(
    private readonly mi: MiConnection,
    private readonly arch: GuestArch,
    private readonly qmp: QmpClient | undefined,
  ) {}

  /** The running kernel's offset, or undefined while it has not set up its vector table yet. Target stopped. */
  async detect(): Promise<KaslrOffset | undefined> {
    const links = await this.linkAddresses();
    const handler = this.arch === 'x86_64' ? await this.x86Vector0() : await this.arm64Vectors();
    if (handler === undefined || handler < KERNEL_SPACE) return undefined;
    for (const [symbol, link] of links) {
      const offset = plausibleOffset(this.arch, handler, link);
      if (offset !== undefined) return { offset, beforeStartKernel: symbol === 'early_idt_handler_array' };
    }
    return undefined;
  }

  /** Reloads vmlinux's symbols at the offset; gdb re-places breakpoints against them. */
  async rebase(program: string, offset: bigint): Promise<void> {
    await this.mi.send(mi.consoleCommand(`symbol-file -o 0x${offset.toString(16)} ${program}`));
  }

  private async linkAddresses(): Promise<Map<string, bigint>> {
    if (this.links) return this.links;
    const symbols = this.arch === 'x86_64' ? ['asm_exc_divide_error', 'early_idt_handler_array'] : ['vectors'];
    const links = new Map<string, bigint>();
    for (const symbol of symbols) {
      try {
        links.set(symbol, BigInt((await this.mi.send(mi.evaluate(`(unsigned long)&${symbol}`))).results.str('value')));
      } catch {
        // not in this kernel
      }
    }
    this.links = links;
    return links;
  }

  private async x86Vector0(): Promise<bigint | undefined> {
    if (!this.qmp) return undefined;
    const base = idtBase(await this.qmp.humanMonitorCommand('info registers'));
    if (base === undefined || base < KERNEL_SPACE) return undefined;
    try {
      const memory = await this.mi.send(mi.readMemoryBytes(`0x${base.toString(16)}`, 16));
      const contents = memory.results.tuples('memory')[0]?.str('contents');
      return contents ? idtGateTarget(Buffer.from(contents, 'hex')) : undefined;
    } catch {
      return undefined;
    }
  }

  /** QEMU 7.2 names the register VBAR (the AArch32 name); later versions may say VBAR_EL1. */
  private async arm64Vectors(): Promise<bigint | undefined> {
    for (const register of ['$VBAR', '$VBAR_EL1']) {
      try {
        const value = (await this.mi.send(mi.evaluate(register))).results.str('value');
        if (/^-?\d+$/.test(value)) return BigInt.asUintN(64, BigInt(value));
      } catch {
        // try the other name
      }
    }
    return undefined;
  }
}
