// The kernel log of a stopped guest, read from the printk ring buffer (the lockless
// printk_ringbuffer of 5.10+: descriptor ring + text data ring), the way the kernel's own
// lx-dmesg reads it, with struct layouts asked from gdb rather than assumed.
import { mi } from '../../mi/commands';
import type { MiConnection } from '../../mi/connection';
import { kernelErrors } from './kernelErrors';
import type { KernelLayout } from './kernelLayout';

const COMMITTED = 1n;
const FINALIZED = 2n;

export class KernelLog {
  constructor(
    private readonly mi: MiConnection,
    private readonly layout: () => Promise<KernelLayout>,
  ) {}

  async read(): Promise<string> {
    if (!(await this.layout()).printkRing) {
      throw kernelErrors.noPrintkRing();
    }
    const v = async (expression: string) => BigInt((await this.mi.send(mi.evaluate(expression))).results.str('value').split(' ')[0]!);
    const [countBits, descsAddress, infosAddress, tailId, headId, sizeBits, dataAddress] = await Promise.all([
      v('prb->desc_ring.count_bits'),
      v('(unsigned long)prb->desc_ring.descs'),
      v('(unsigned long)prb->desc_ring.infos'),
      v('prb->desc_ring.tail_id.counter'),
      v('prb->desc_ring.head_id.counter'),
      v('prb->text_data_ring.size_bits'),
      v('(unsigned long)prb->text_data_ring.data'),
    ]);
    const [descSize, infoSize, stateOffset, beginOffset, nextOffset, tsOffset, lenOffset, longBytes] = (
      await Promise.all([
        v('sizeof(struct prb_desc)'),
        v('sizeof(struct printk_info)'),
        v('(unsigned long)&((struct prb_desc *)0)->state_var'),
        v('(unsigned long)&((struct prb_desc *)0)->text_blk_lpos.begin'),
        v('(unsigned long)&((struct prb_desc *)0)->text_blk_lpos.next'),
        v('(unsigned long)&((struct printk_info *)0)->ts_nsec'),
        v('(unsigned long)&((struct printk_info *)0)->text_len'),
        v('sizeof(unsigned long)'),
      ])
    ).map(Number) as [number, number, number, number, number, number, number, number];
    const descCount = 1n << countBits;
    const dataSize = 1n << sizeBits;
    const [descs, infos, data] = await Promise.all([
      this.readMemory(descsAddress, Number(descCount) * descSize),
      this.readMemory(infosAddress, Number(descCount) * infoSize),
      this.readMemory(dataAddress, Number(dataSize)),
    ]);
    const word = (buffer: Buffer, at: number) => (longBytes === 8 ? buffer.readBigUInt64LE(at) : BigInt(buffer.readUInt32LE(at)));
    const bits = BigInt(longBytes * 8);
    const flagsShift = bits - 2n;
    const idMask = (1n << flagsShift) - 1n;
    const lines: string[] = [];
    for (let id = tailId, guard = 0n; guard <= descCount; guard++) {
      const index = Number(id % descCount);
      const descAt = index * descSize;
      const state = (word(descs, descAt + stateOffset) >> flagsShift) & 3n;
      if (state === COMMITTED || state === FINALIZED) {
        let begin = word(descs, descAt + beginOffset) % dataSize;
        const end = word(descs, descAt + nextOffset) % dataSize;
        let text = '';
        if ((begin & 1n) === 0n) {
          if (begin > end) begin = 0n;
          const start = Number(begin) + longBytes;
          const infoAt = index * infoSize;
          const length = Math.min(infos.readUInt16LE(infoAt + lenOffset), Math.max(0, Number(end) - start));
          text = data.toString('utf8', start, start + length);
        }
        const ns = infos.readBigUInt64LE(index * infoSize + tsOffset);
        const stamp = `[${String(ns / 1_000_000_000n).padStart(5)}.${String((ns % 1_000_000_000n) / 1000n).padStart(6, '0')}]`;
        for (const line of text.split('\n')) lines.push(`${stamp} ${line}`);
      }
      if (id === headId) break;
      id = (id + 1n) & idMask;
    }
    return lines.join('\n') + '\n';
  }

  private async readMemory(address: bigint, length: number): Promise<Buffer> {
    const result = await this.mi.send(mi.readMemoryBytes(`0x${address.toString(16)}`, length));
    return Buffer.concat(result.results.tuples('memory').map((block) => Buffer.from(block.str('contents'), 'hex')));
  }
}
