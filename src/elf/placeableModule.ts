// gdb places the sections of a relocatable object (a kernel module) apart from each other
// before it applies the DWARF relocations, but only when every section's address is 0: if
// one is not, it skips the placement ("we do not expect this to happen", default_symfile_offsets)
// and relocates the DWARF of every section as if it started where .text does. Modules of 6.12
// come with addresses on .data and __patchable_function_entries, so the line table put an
// init function into .text and a breakpoint in it stopped with no source. Such a module is
// given to gdb as a copy whose section addresses are zeroed: nothing else differs.
import { createHash } from 'node:crypto';
import { copyFile, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { readElfSummary } from './elf';

export interface PlaceableModule {
  /** The file to give add-symbol-file: the module itself, or the copy. */
  file: string;
  /** Sections whose addresses were zeroed in the copy (empty: the module itself is used). */
  zeroed: string[];
}

/** Sections of a relocatable ELF file that carry an address, which stops gdb from placing them. */
export async function addressedSections(file: string): Promise<{ name: string; fieldOffset: number }[]> {
  const elf = await readElfSummary(file);
  if (!elf.relocatable) return [];
  return [...elf.sections]
    .filter(([, section]) => section.address !== 0n)
    .map(([name, section]) => ({ name, fieldOffset: section.addressFieldOffset }));
}

/**
 * The module as gdb can place it. The copy is kept under `cacheDir`, one folder per module
 * path holding only the copy of its current build (size and time in the name).
 */
export async function placeableModule(file: string, cacheDir: string): Promise<PlaceableModule> {
  const addressed = await addressedSections(file);
  if (addressed.length === 0) return { file, zeroed: [] };
  const elf = await readElfSummary(file);
  const info = await stat(file);
  const dir = path.join(cacheDir, 'modules', createHash('sha256').update(path.resolve(file)).digest('hex').slice(0, 16));
  const copy = path.join(dir, `${info.size}-${Math.trunc(info.mtimeMs)}-${path.basename(file)}`);
  const zeroed = addressed.map((section) => section.name);
  const existing = await readdir(dir).catch(() => [] as string[]);
  if (existing.includes(path.basename(copy))) return { file: copy, zeroed };
  // An earlier build's copy: gone, so rebuilding a module all day does not fill the disk.
  await Promise.all(existing.map((name) => rm(path.join(dir, name), { force: true })));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const partial = `${copy}.${process.pid}.partial`;
  await copyFile(file, partial);
  const handle = await open(partial, 'r+');
  try {
    const zero = Buffer.alloc(elf.is64 ? 8 : 4);
    for (const section of addressed) await handle.write(zero, 0, zero.length, section.fieldOffset);
  } finally {
    await handle.close();
  }
  await rename(partial, copy);
  return { file: copy, zeroed };
}
