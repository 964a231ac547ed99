// The one small interface through which the kernel-data readers (user memory, per-CPU values,
// lists) reach the guest: gdb's printed value of an expression and bytes at a kernel address.
// Both only read. Tests give the readers recorded answers instead of a gdb.
import { mi, type FrameContext } from '../../mi/commands';
import type { MiConnection } from '../../mi/connection';
import { chainCommand, type ChainQuery, type ChainRead, defineChainCommand, parseChain } from './chainWalk';

export interface KernelReader {
  /** gdb's printed value of `expression` (at `context`); rejects with gdb's reason. */
  value(expression: string, context?: FrameContext): Promise<string>;
  /** `length` bytes at kernel virtual address `address`; rejects when they cannot be read. */
  bytes(address: bigint, length: number): Promise<Uint8Array>;
  /** gdb's name for the type of `expression` (`struct rq`, `int [64]`), even where its value cannot be read. */
  type(expression: string, context?: FrameContext): Promise<string>;
  /**
   * The value of an expression that only the vmlinux's types decide (a member's offset, a
   * sizeof): asked once per session. Such a question about `struct task_struct` costs gdb
   * ~20 ms each time (the type lookup), and every list walk asks three. `ask` (at `context`)
   * is an expression gdb answers the same for it, asked instead (the first time).
   */
  layout?(expression: string, ask?: string, context?: FrameContext): Promise<string>;
  /** A chain of next pointers followed in one go (chainWalk.ts); undefined where this reader cannot (gdb without Python). */
  chain?(query: ChainQuery): Promise<ChainRead | undefined>;
}

export function readerFromGdb(connection: MiConnection): KernelReader {
  let python: Promise<boolean> | undefined;
  const layouts = new Map<string, Promise<string>>();
  const value = async (expression: string, context?: FrameContext) =>
    (await connection.send(mi.evaluate(expression, context))).results.str('value');
  return {
    layout: (expression, ask, context) => {
      let answer = layouts.get(expression);
      if (!answer) {
        answer = value(ask ?? expression, context);
        layouts.set(expression, answer);
        // A refusal is not kept: the next asker gets gdb's own answer again.
        answer.catch(() => layouts.delete(expression));
      }
      return answer;
    },
    chain: async (query) => {
      python ??= connection.send(defineChainCommand()).then(
        () => true,
        () => false,
      );
      if (!(await python)) return undefined;
      const answer = await connection.send(chainCommand(query)).catch(() => undefined);
      return answer ? parseChain(answer.console) : undefined;
    },
    value,
    bytes: async (address, length) => {
      const blocks = (await connection.send(mi.readMemoryBytes(hex(address), length))).results.tuples('memory');
      const data = Buffer.concat(blocks.map((block) => Buffer.from(block.str('contents'), 'hex')));
      if (data.length < length) throw new Error(`only ${data.length} of ${length} bytes readable at ${hex(address)}`);
      return new Uint8Array(data.subarray(0, length));
    },
    type: async (expression, context) => {
      // A var-object names the type without reading the value; it is deleted at once.
      const created = (await connection.send(mi.varCreate(expression, context))).results;
      void connection.send(mi.varDelete(created.str('name'))).catch(() => undefined);
      return created.str('type');
    },
  };
}

export function hex(value: bigint): string {
  return `0x${value.toString(16)}`;
}

/** gdb's print of an integer (decimal, or hex with 0x, maybe negative) as an unsigned 64-bit value. */
export function unsigned64(printed: string): bigint {
  const match = /^\s*(-?(?:0x[0-9a-f]+|\d+))/i.exec(printed);
  if (!match) throw new Error(`not a number: ${printed}`);
  const text = match[1]!;
  const negative = text.startsWith('-');
  const magnitude = BigInt(negative ? text.slice(1) : text);
  return BigInt.asUintN(64, negative ? -magnitude : magnitude);
}

/** A little-endian u64 from 8 bytes (both arches are little-endian here). */
export function littleEndian64(bytes: Uint8Array, offset = 0): bigint {
  let value = 0n;
  for (let index = 7; index >= 0; index--) value = (value << 8n) | BigInt(bytes[offset + index] ?? 0);
  return value;
}
