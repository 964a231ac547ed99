// Reads just enough of an ELF file to check it before gdb spends seconds loading it:
// class, machine (guest arch) and whether it carries DWARF.
import { open } from 'node:fs/promises';
import type { GuestArch } from '../arch';

export interface ElfSection {
  offset: bigint;
  size: bigint;
  /** sh_addr: 0 for every section of a plain relocatable object. */
  address: bigint;
  /** Where this section's sh_addr field sits in the file. */
  addressFieldOffset: number;
}

export interface ElfSummary {
  is64: boolean;
  littleEndian: boolean;
  machine: number;
  arch: GuestArch | undefined;
  /** ET_REL: a relocatable object, such as a kernel module. */
  relocatable: boolean;
  sections: ReadonlyMap<string, ElfSection>;
  hasDebugInfo: boolean;
}

export class NotElfError extends Error {}

const EM_X86_64 = 62;
const EM_AARCH64 = 183;

export const MACHINE_NAMES: Readonly<Record<number, string>> = {
  3: 'i386',
  8: 'MIPS',
  20: 'PowerPC',
  21: 'PowerPC64',
  22: 's390',
  40: 'ARM (32-bit)',
  62: 'x86_64',
  183: 'aarch64',
  243: 'RISC-V',
};

export async function readElfSummary(path: string): Promise<ElfSummary> {
  const file = await open(path, 'r');
  try {
    const header = Buffer.alloc(64);
    const { bytesRead } = await file.read(header, 0, 64, 0);
    if (bytesRead < 52 || header.readUInt32BE(0) !== 0x7f454c46) throw new NotElfError(`${path} is not an ELF file`);
    const is64 = header[4] === 2;
    const little = header[5] === 1;
    const u16 = (buf: Buffer, at: number) => (little ? buf.readUInt16LE(at) : buf.readUInt16BE(at));
    const u32 = (buf: Buffer, at: number) => BigInt(little ? buf.readUInt32LE(at) : buf.readUInt32BE(at));
    const u64 = (buf: Buffer, at: number) => (little ? buf.readBigUInt64LE(at) : buf.readBigUInt64BE(at));
    const word = (buf: Buffer, at: number) => (is64 ? u64(buf, at) : u32(buf, at));
    const machine = u16(header, 18);
    const ET_REL = 1;
    const relocatable = u16(header, 16) === ET_REL;
    const shoff = word(header, is64 ? 0x28 : 0x20);
    const shentsize = u16(header, is64 ? 0x3a : 0x2e);
    const shnum = u16(header, is64 ? 0x3c : 0x30);
    const shstrndx = u16(header, is64 ? 0x3e : 0x32);
    const sections = new Map<string, ElfSection>();
    if (shoff > 0n && shnum > 0 && shstrndx < shnum) {
      const table = Buffer.alloc(shentsize * shnum);
      await file.read(table, 0, table.length, Number(shoff));
      const entry = (index: number) => {
        const base = index * shentsize;
        return {
          name: Number(u32(table, base)),
          address: word(table, base + (is64 ? 0x10 : 0x0c)),
          addressFieldOffset: Number(shoff) + base + (is64 ? 0x10 : 0x0c),
          offset: word(table, base + (is64 ? 0x18 : 0x10)),
          size: word(table, base + (is64 ? 0x20 : 0x14)),
        };
      };
      const strtab = entry(shstrndx);
      const names = Buffer.alloc(Number(strtab.size));
      await file.read(names, 0, names.length, Number(strtab.offset));
      for (let index = 0; index < shnum; index++) {
        const section = entry(index);
        const end = names.indexOf(0, section.name);
        const name = names.toString('latin1', section.name, end < 0 ? undefined : end);
        sections.set(name, {
          offset: section.offset,
          size: section.size,
          address: section.address,
          addressFieldOffset: section.addressFieldOffset,
        });
      }
    }
    const debugInfo = sections.get('.debug_info');
    const arch: GuestArch | undefined = machine === EM_X86_64 ? 'x86_64' : machine === EM_AARCH64 ? 'aarch64' : undefined;
    return {
      is64,
      littleEndian: little,
      machine,
      arch,
      relocatable,
      sections,
      hasDebugInfo: debugInfo !== undefined && debugInfo.size > 0n,
    };
  } finally {
    await file.close();
  }
}
