// A newc ("070701") cpio archive writer: the format the kernel unpacks an initramfs from.
// Written here rather than run through cpio(1) so an initramfs is built from a plan in
// memory, with owners and modes chosen by the plan (root:root), without a staging tree.
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';

export type CpioEntry =
  | { kind: 'file'; path: string; mode: number; data: Buffer }
  | { kind: 'dir'; path: string; mode: number }
  | { kind: 'symlink'; path: string; target: string }
  | { kind: 'char'; path: string; mode: number; major: number; minor: number };

const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;
const TRAILER = 'TRAILER!!!';

function hex8(value: number): string {
  return (value >>> 0).toString(16).padStart(8, '0');
}

function pad4(length: number): Buffer {
  return Buffer.alloc((4 - (length % 4)) % 4);
}

function header(fields: {
  ino: number;
  mode: number;
  size: number;
  nameSize: number;
  rdevMajor?: number;
  rdevMinor?: number;
  nlink: number;
}): Buffer {
  const values = [
    fields.ino,
    fields.mode,
    0,
    0,
    fields.nlink,
    0,
    fields.size,
    0,
    0,
    fields.rdevMajor ?? 0,
    fields.rdevMinor ?? 0,
    fields.nameSize,
    0,
  ];
  return Buffer.from(`070701${values.map(hex8).join('')}`, 'ascii');
}

function member(ino: number, name: string, mode: number, data: Buffer, nlink: number, rdev?: { major: number; minor: number }): Buffer[] {
  const nameBytes = Buffer.from(`${name}\0`, 'utf8');
  const head = header({ ino, mode, size: data.length, nameSize: nameBytes.length, nlink, rdevMajor: rdev?.major, rdevMinor: rdev?.minor });
  return [head, nameBytes, pad4(head.length + nameBytes.length), data, pad4(data.length)];
}

/** Entries in order (parents before children) → the archive, ending with the trailer. */
export function writeCpio(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  for (const entry of entries) {
    const name = entry.path.replace(/^\/+/, '');
    if (!name) throw new Error(`cpio: an entry has no path (${entry.path})`);
    switch (entry.kind) {
      case 'file':
        parts.push(...member(ino++, name, S_IFREG | (entry.mode & 0o7777), entry.data, 1));
        break;
      case 'dir':
        parts.push(...member(ino++, name, S_IFDIR | (entry.mode & 0o7777), Buffer.alloc(0), 2));
        break;
      case 'symlink':
        parts.push(...member(ino++, name, S_IFLNK | 0o777, Buffer.from(entry.target, 'utf8'), 1));
        break;
      case 'char':
        parts.push(...member(ino++, name, S_IFCHR | (entry.mode & 0o7777), Buffer.alloc(0), 1, entry));
        break;
    }
  }
  parts.push(...member(0, TRAILER, 0, Buffer.alloc(0), 1));
  return Buffer.concat(parts);
}

export async function gzipCpio(entries: readonly CpioEntry[]): Promise<Buffer> {
  return promisify(gzip)(writeCpio(entries), { level: 6 });
}
