// arm64 user addresses, translated by walking the task's page tables ourselves. gdb reads
// through QEMU's stub as the vCPU would, and a kernel stop runs with PAN set (privileged
// access never), so every read of a user page fails ("Cannot access memory"). The tables
// and the user's pages are also in the kernel's linear map, which PAN does not cover: each
// level is read there, and so is the data. Pure: the reads come from a function.

/** What the walk needs from the stopped vCPU and the kernel. */
export interface Arm64Translation {
  /** TCR_EL1: size of the user half (T0SZ), granule (TG0), LPA2 descriptors (DS), top-byte-ignore (TBI0). */
  tcr: bigint;
  /** The task's `mm->pgd`: the top table, at its linear-map address. */
  pgd: bigint;
  /** `memstart_addr`: the physical address the linear map starts from. */
  memstart: bigint;
  /** PAGE_OFFSET: the linear map's virtual base (see pageOffsetOf). */
  pageOffset: bigint;
}

export type Arm64Walk =
  | { kind: 'mapped'; physical: bigint; linear: bigint; pageEnd: bigint }
  | { kind: 'not-present'; level: number }
  | { kind: 'not-user'; reason: string };

const MASK64 = (1n << 64n) - 1n;
const PAGE_SHIFT = 12;

/**
 * PAGE_OFFSET from any linear-map address: the linear map is the lower half of the kernel's
 * -(1 << VA_BITS) region, so its addresses have exactly 64 - VA_BITS leading one bits.
 */
export function pageOffsetOf(linearAddress: bigint): bigint {
  let ones = 0;
  while (ones < 64 && ((linearAddress >> BigInt(63 - ones)) & 1n) === 1n) ones++;
  return (MASK64 << BigInt(64 - ones)) & MASK64;
}

/** The linear-map address of physical address `physical` (the kernel's __phys_to_virt). */
export function linearAddress(translation: Arm64Translation, physical: bigint): bigint {
  return ((physical - translation.memstart) & MASK64) | translation.pageOffset;
}

/** Translates user address `address` with 8-byte reads of kernel memory. */
export async function walkUserAddress(
  address: bigint,
  translation: Arm64Translation,
  read64: (kernelAddress: bigint) => Promise<bigint>,
): Promise<Arm64Walk> {
  const tcr = translation.tcr;
  const t0sz = Number(tcr & 0x3fn);
  const granule = Number((tcr >> 14n) & 3n);
  if (granule !== 0)
    return { kind: 'not-user', reason: `this kernel uses ${granule === 1 ? '64' : '16'} KiB pages; only 4 KiB pages are walked` };
  const lpa2 = ((tcr >> 59n) & 1n) === 1n;
  const topByteIgnored = ((tcr >> 37n) & 1n) === 1n;
  const vaBits = 64 - t0sz;
  const va = topByteIgnored ? address & 0x00ff_ffff_ffff_ffffn : address;
  if (va >> BigInt(vaBits) !== 0n)
    return { kind: 'not-user', reason: `0x${address.toString(16)} is above the ${vaBits}-bit user address space` };
  const levels = Math.ceil((vaBits - PAGE_SHIFT) / 9);
  const startLevel = 4 - levels;
  let table = translation.pgd;
  for (let level = startLevel; level <= 3; level++) {
    const shift = PAGE_SHIFT + 9 * (3 - level);
    const indexBits = level === startLevel ? vaBits - shift : 9;
    const index = (va >> BigInt(shift)) & ((1n << BigInt(indexBits)) - 1n);
    const descriptor = await read64(table + index * 8n);
    if ((descriptor & 1n) === 0n) return { kind: 'not-present', level };
    const output = lpa2 ? (descriptor & 0x0003_ffff_ffff_f000n) | (((descriptor >> 8n) & 3n) << 50n) : descriptor & 0x0000_ffff_ffff_f000n;
    const isTable = (descriptor & 2n) === 2n;
    if (level === 3 && !isTable) return { kind: 'not-present', level }; // a reserved encoding at the last level
    if (level < 3 && isTable) {
      table = linearAddress(translation, output);
      continue;
    }
    // A page (level 3) or a block (a 2 MiB or 1 GiB mapping at a higher level).
    const span = 1n << BigInt(shift);
    const physical = (output & ~(span - 1n)) | (va & (span - 1n));
    const linear = linearAddress(translation, physical);
    return { kind: 'mapped', physical, linear, pageEnd: linear - (va & (span - 1n)) + span };
  }
  return { kind: 'not-present', level: 3 };
}
