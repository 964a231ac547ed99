// An xarray (also a radix tree, an IDR's idr_rt) walked to its entries, as the kernel's
// xa_for_each would: xa_head is one entry or a node (pointer | 2); a node's 64 slots hold
// entries or child nodes `shift` bits further down the index. Value entries (bit 0 set) are
// numbers, other internal entries (retry, sibling, zero) are skipped. Bounded, loop-safe.
import { type KernelReader, littleEndian64, unsigned64 } from './kernelReader';

export interface XarrayEntry {
  index: bigint;
  /** The entry as stored (a pointer, or a value entry). */
  entry: bigint;
  /** Set for a value entry (xa_mk_value): the number it holds. */
  value?: bigint;
}

const INTERNAL_LIMIT = 4096n;

function isNode(entry: bigint): boolean {
  return (entry & 3n) === 2n && entry > INTERNAL_LIMIT;
}

/** Walks the xarray whose address is `xarray`; stops at `limit` entries. */
export async function walkXarray(
  reader: KernelReader,
  xarray: bigint,
  limit: number,
): Promise<{ entries: XarrayEntry[]; stopped?: string }> {
  const [headOffset, slotsOffset, slotsSize] = await Promise.all([
    reader.value('(unsigned long)&((struct xarray *)0)->xa_head').then(unsigned64),
    reader.value('(unsigned long)&((struct xa_node *)0)->slots').then(unsigned64),
    reader.value('sizeof(((struct xa_node *)0)->slots)').then(Number),
  ]);
  const slotCount = slotsSize / 8;
  const entries: XarrayEntry[] = [];
  const seen = new Set<bigint>();
  let stopped: string | undefined;
  const visit = async (entry: bigint, base: bigint): Promise<void> => {
    if (stopped || entry === 0n) return;
    if (isNode(entry)) {
      const node = entry - 2n;
      if (seen.has(node)) {
        stopped = `node 0x${node.toString(16)} is reached twice`;
        return;
      }
      seen.add(node);
      const shift = BigInt((await reader.bytes(node, 1))[0]!); // xa_node.shift is its first byte
      const slots = await reader.bytes(node + slotsOffset, slotsSize);
      for (let slot = 0; slot < slotCount && !stopped; slot++) await visit(littleEndian64(slots, slot * 8), base + (BigInt(slot) << shift));
      return;
    }
    if ((entry & 3n) === 2n) return; // retry, sibling or zero entry: no entry of its own here
    if (entries.length >= limit) {
      stopped = `walk stopped at ${limit} entries`;
      return;
    }
    entries.push({ index: base, entry, ...((entry & 1n) === 1n ? { value: entry >> 1n } : {}) });
  };
  await visit(littleEndian64(await reader.bytes(xarray + headOffset, 8)), 0n);
  return stopped ? { entries, stopped } : { entries };
}
