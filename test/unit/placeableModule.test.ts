// A module whose sections carry addresses goes to gdb as a zeroed copy (see
// src/elf/placeableModule.ts); the module itself is never written, and others pass as they are.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { readElfSummary } from '../../src/elf/elf';
import { addressedSections, placeableModule } from '../../src/elf/placeableModule';
import { writeElf } from './elfFixture';

const EM_X86_64 = 62;
const work = mkdtempSync(path.join(os.tmpdir(), 'kq-placeable-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** A relocatable (ET_REL) file with .text, .data and .debug_info; `dataAddress` on .data as 6.12's modules have. */
async function writeModule(name: string, dataAddress: bigint): Promise<string> {
  const file = path.join(work, name);
  writeElf(file, EM_X86_64, ['.text', '.data', '.debug_info']);
  const bytes = readFileSync(file);
  bytes.writeUInt16LE(1, 16); // ET_REL
  writeFileSync(file, bytes);
  const data = (await readElfSummary(file)).sections.get('.data')!;
  bytes.writeBigUInt64LE(dataAddress, data.addressFieldOffset);
  writeFileSync(file, bytes);
  return file;
}

test('a module with an addressed section is given as a copy with that address zeroed; the module is untouched', async () => {
  const module = await writeModule('addressed.ko', 0x40n);
  const before = readFileSync(module);
  assert.deepEqual(
    (await addressedSections(module)).map((section) => section.name),
    ['.data'],
  );
  const placed = await placeableModule(module, path.join(work, 'cache'));
  assert.deepEqual(placed.zeroed, ['.data']);
  assert.notEqual(placed.file, module);
  assert.match(path.basename(placed.file), /^\d+-\d+-addressed\.ko$/);
  assert.deepEqual(await addressedSections(placed.file), []);
  assert.deepEqual(readFileSync(module), before, 'the module itself is not written');
  const copy = readFileSync(placed.file);
  assert.equal(copy.length, before.length);
  const differing = [...copy.keys()].filter((index) => copy[index] !== before[index]);
  const field = (await readElfSummary(module)).sections.get('.data')!.addressFieldOffset;
  assert.ok(
    differing.every((index) => index >= field && index < field + 8),
    'only the address field differs',
  );

  const mtime = statSync(placed.file).mtimeMs;
  const again = await placeableModule(module, path.join(work, 'cache'));
  assert.equal(again.file, placed.file);
  assert.equal(statSync(again.file).mtimeMs, mtime, 'the cached copy is reused');

  // A rebuilt module replaces its old copy instead of adding one.
  utimesSync(module, new Date(), new Date(Date.now() + 5000));
  const rebuilt = await placeableModule(module, path.join(work, 'cache'));
  assert.notEqual(rebuilt.file, placed.file);
  assert.deepEqual(readdirSync(path.dirname(rebuilt.file)), [path.basename(rebuilt.file)]);
});

test('a module with no addressed section (6.1 x86_64) and a vmlinux (ET_EXEC) are given as they are', async () => {
  const plain = await writeModule('plain.ko', 0n);
  assert.deepEqual(await placeableModule(plain, path.join(work, 'cache')), { file: plain, zeroed: [] });
  const executable = path.join(work, 'vmlinux');
  writeElf(executable, EM_X86_64, ['.text', '.debug_info']);
  assert.deepEqual(await addressedSections(executable), []);
});
