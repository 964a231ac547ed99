// readMemory / writeMemory with 64-bit addresses (BigInt; never JS numbers).
import type { DebugProtocol } from '@vscode/debugprotocol';
import { mi } from '../mi/commands';
import type { MiConnection } from '../mi/connection';
import { errors } from './errors';

/** One request never reads more than this; VS Code pages through larger views. */
export const MAX_READ_BYTES = 1 << 20;

export function parseMemoryReference(reference: string, offset = 0): bigint {
  const text = reference.trim();
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(text)) throw errors.notAnAddress(reference);
  const address = BigInt(text) + BigInt(offset);
  if (address < 0n || address >= 1n << 64n) throw errors.outsideAddressSpace(reference, offset);
  return address;
}

export function hexAddress(address: bigint): string {
  return `0x${address.toString(16)}`;
}

export class MemoryService {
  constructor(private readonly mi: MiConnection) {}

  async read(args: DebugProtocol.ReadMemoryArguments): Promise<DebugProtocol.ReadMemoryResponse['body']> {
    const start = parseMemoryReference(args.memoryReference, args.offset ?? 0);
    const count = Math.max(0, Math.min(args.count, MAX_READ_BYTES));
    if (count === 0) return { address: hexAddress(start), data: '' };
    let blocks;
    try {
      blocks = (await this.mi.send(mi.readMemoryBytes(hexAddress(start), count))).results.tuples('memory');
    } catch {
      // Nothing readable there (unmapped kernel address): say so rather than fail the view.
      return { address: hexAddress(start), unreadableBytes: count };
    }
    // gdb returns the readable blocks; keep the leading contiguous run from `start`.
    const bytes: Buffer[] = [];
    let cursor = start;
    for (const block of blocks.sort((a, b) => (BigInt(a.str('begin')) < BigInt(b.str('begin')) ? -1 : 1))) {
      if (BigInt(block.str('begin')) !== cursor) break;
      const data = Buffer.from(block.str('contents'), 'hex');
      bytes.push(data);
      cursor += BigInt(data.length);
    }
    const data = Buffer.concat(bytes);
    return {
      address: hexAddress(start),
      data: data.toString('base64'),
      ...(data.length < count ? { unreadableBytes: count - data.length } : {}),
    };
  }

  async write(args: DebugProtocol.WriteMemoryArguments): Promise<DebugProtocol.WriteMemoryResponse['body']> {
    const start = parseMemoryReference(args.memoryReference, args.offset ?? 0);
    const data = Buffer.from(args.data, 'base64');
    if (data.length === 0) return { bytesWritten: 0 };
    if (data.length > MAX_READ_BYTES) throw errors.writeTooLarge(MAX_READ_BYTES);
    await this.mi.send(mi.writeMemoryBytes(hexAddress(start), data.toString('hex')));
    return { offset: args.offset ?? 0, bytesWritten: data.length };
  }
}
