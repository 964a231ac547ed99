// Writes a minimal 64-bit little-endian ELF with the named sections: enough for the
// config checks (machine, .debug_info) without a real kernel.
import { writeFileSync } from 'node:fs';

export function writeElf(file: string, machine: number, sectionNames: readonly string[]): void {
  const names = ['', ...sectionNames, '.shstrtab'];
  const strtab = Buffer.from(names.map((name) => `${name}\0`).join(''), 'latin1');
  const headerSize = 64;
  const shentsize = 64;
  const dataOffset = headerSize;
  const shoff = dataOffset + strtab.length + 8;
  const buffer = Buffer.alloc(shoff + shentsize * names.length);
  buffer.writeUInt32BE(0x7f454c46, 0);
  buffer[4] = 2; // ELFCLASS64
  buffer[5] = 1; // little endian
  buffer[6] = 1;
  buffer.writeUInt16LE(2, 16); // ET_EXEC
  buffer.writeUInt16LE(machine, 18);
  buffer.writeBigUInt64LE(BigInt(shoff), 0x28);
  buffer.writeUInt16LE(shentsize, 0x3a);
  buffer.writeUInt16LE(names.length, 0x3c);
  buffer.writeUInt16LE(names.length - 1, 0x3e);
  strtab.copy(buffer, dataOffset);
  let nameOffset = 0;
  names.forEach((name, index) => {
    const base = shoff + index * shentsize;
    buffer.writeUInt32LE(nameOffset, base);
    nameOffset += name.length + 1;
    const isStrtab = name === '.shstrtab';
    buffer.writeBigUInt64LE(BigInt(isStrtab ? dataOffset : dataOffset), base + 0x18);
    buffer.writeBigUInt64LE(BigInt(isStrtab ? strtab.length : index === 0 ? 0 : 4), base + 0x20);
  });
  writeFileSync(file, buffer);
}
