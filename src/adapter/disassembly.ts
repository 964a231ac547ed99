// The disassemble request: instructions around an address, with source lines interleaved,
// exactly instructionCount of them (padding with "invalid" rows where nothing decodes).
import * as path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { mi } from '../mi/commands';
import type { MiConnection } from '../mi/connection';
import type { MiTuple } from '../mi/records';
import type { GuestArch } from '../arch';
import { hexAddress, parseMemoryReference } from './memory';
import type { SourceMapper } from './sourceMap';

const MAX_X86_INSTRUCTION = 15n;
const MAX_INSTRUCTIONS = 4096;

export interface DecodedInstruction {
  address: bigint;
  instruction: DebugProtocol.DisassembledInstruction;
}

/** Flattens -data-disassemble mode 5 output (with or without source groups). */
export function parseDisassembly(results: MiTuple, sources: SourceMapper | undefined): DecodedInstruction[] {
  const decoded: DecodedInstruction[] = [];
  for (const item of results.tuples('asm_insns')) {
    if (item.has('line_asm_insn')) {
      const file = item.optStr('fullname') ?? item.optStr('file');
      const line = item.optInt('line');
      const location: DebugProtocol.Source | undefined = file
        ? { name: path.basename(file), path: sources ? sources.toLocal(file) : file }
        : undefined;
      item
        .tuples('line_asm_insn')
        .forEach((insn, index) => decoded.push(toInstruction(insn, index === 0 ? location : undefined, index === 0 ? line : undefined)));
    } else {
      decoded.push(toInstruction(item, undefined, undefined));
    }
  }
  return decoded;
}

function toInstruction(insn: MiTuple, location: DebugProtocol.Source | undefined, line: number | undefined): DecodedInstruction {
  const address = BigInt(insn.str('address'));
  const func = insn.optStr('func-name');
  const offset = insn.optStr('offset');
  const instruction: DebugProtocol.DisassembledInstruction = {
    address: hexAddress(address),
    instruction: insn.str('inst'),
    ...(insn.optStr('opcodes') ? { instructionBytes: insn.str('opcodes') } : {}),
    ...(func ? { symbol: offset && offset !== '0' ? `${func}+${offset}` : func } : {}),
    ...(location ? { location } : {}),
    ...(line !== undefined ? { line } : {}),
  };
  return { address, instruction };
}

export class DisassemblyService {
  constructor(
    private readonly mi: MiConnection,
    private readonly arch: GuestArch,
    private readonly sources: SourceMapper,
  ) {}

  async disassemble(args: DebugProtocol.DisassembleArguments): Promise<DebugProtocol.DisassembledInstruction[]> {
    const anchor = parseMemoryReference(args.memoryReference, args.offset ?? 0);
    const count = Math.max(0, Math.min(args.instructionCount, MAX_INSTRUCTIONS));
    const skip = args.instructionOffset ?? 0;
    if (count === 0) return [];
    const before = skip < 0 ? await this.instructionsBefore(anchor, -skip) : [];
    const forwardNeeded = count + Math.max(0, skip) - before.length;
    const after = forwardNeeded > 0 ? await this.instructionsFrom(anchor, forwardNeeded) : [];
    const all = [...before, ...after].slice(Math.max(0, skip));
    return padTo(all.slice(0, count), count, anchor, skip);
  }

  private width(): bigint {
    return this.arch === 'aarch64' ? 4n : MAX_X86_INSTRUCTION;
  }

  private async decode(start: bigint, end: bigint): Promise<DecodedInstruction[]> {
    if (end <= start) return [];
    try {
      const result = await this.mi.send(mi.disassemble(hexAddress(start), hexAddress(end), 5));
      return parseDisassembly(result.results, this.sources);
    } catch {
      return [];
    }
  }

  private async instructionsFrom(start: bigint, count: number): Promise<DebugProtocol.DisassembledInstruction[]> {
    const decoded = await this.decode(start, start + BigInt(count) * this.width());
    return decoded
      .filter((item) => item.address >= start)
      .slice(0, count)
      .map((item) => item.instruction);
  }

  /** The `count` instructions that end exactly at `anchor`. x86 decodes from a little further back until it lands on it. */
  private async instructionsBefore(anchor: bigint, count: number): Promise<DebugProtocol.DisassembledInstruction[]> {
    if (this.arch === 'aarch64') {
      const start = anchor - BigInt(count) * 4n;
      return (await this.decode(start < 0n ? 0n : start, anchor)).map((item) => item.instruction);
    }
    for (const slack of [0n, 3n, 7n, 11n]) {
      const start = anchor - BigInt(count) * MAX_X86_INSTRUCTION - slack;
      const decoded = await this.decode(start < 0n ? 0n : start, anchor);
      const last = decoded[decoded.length - 1];
      if (last && lands(decoded, anchor)) return decoded.slice(-count).map((item) => item.instruction);
    }
    return [];
  }
}

/** True when the decoded run's last instruction ends at `anchor` (so it is in sync with it). */
function lands(decoded: readonly DecodedInstruction[], anchor: bigint): boolean {
  const last = decoded[decoded.length - 1]!;
  const bytes = (last.instruction.instructionBytes ?? '').replace(/\s+/g, '').length / 2;
  return bytes > 0 && last.address + BigInt(bytes) === anchor;
}

function padTo(
  list: DebugProtocol.DisassembledInstruction[],
  count: number,
  anchor: bigint,
  skip: number,
): DebugProtocol.DisassembledInstruction[] {
  const padded = [...list];
  if (skip < 0 && list.length < count) {
    // Rows before the anchor that could not be decoded go first.
    const missingBefore = Math.min(-skip, count) - list.filter((item) => BigInt(item.address) < anchor).length;
    for (let index = 0; index < missingBefore; index++) padded.unshift(invalid(anchor - BigInt(index + 1)));
  }
  let next = padded.length > 0 ? BigInt(padded[padded.length - 1]!.address) + 1n : anchor;
  while (padded.length < count) padded.push(invalid(next++));
  return padded.slice(0, count);
}

function invalid(address: bigint): DebugProtocol.DisassembledInstruction {
  return { address: hexAddress(address < 0n ? 0n : address), instruction: '??', presentationHint: 'invalid' };
}
