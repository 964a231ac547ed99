// Fuzz: 1,000 random malformed launch configurations → each refused with a named error
// (a UserError with an ErrorCode), never a crash, before anything is started.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { resolveConfig } from '../../src/adapter/configCheck';
import { ErrorCode, UserError } from '../../src/adapter/errors';
import { fuzzConfig } from './configFuzz';
import { writeElf } from './elfFixture';
import { seededRandom } from '../adapter/lifecycleCycles';

const dir = mkdtempSync(path.join(os.tmpdir(), 'kq-fuzz-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const program = path.join(dir, 'vmlinux');
writeElf(program, 62, ['.text', '.debug_info']);
const kernel = path.join(dir, 'bzImage');
writeFileSync(kernel, 'MZ not an ELF');
const initrd = path.join(dir, 'initrd.gz');
writeFileSync(initrd, 'cpio');
const base = { program, kernel, initrd, dir, notElf: kernel };
const CODES = new Set(Object.values(ErrorCode).filter((value) => typeof value === 'number'));

test('the fuzz base itself is a valid configuration (so each fault is what is refused)', async () => {
  const resolved = await resolveConfig('launch', {
    type: 'kernel-qemu',
    request: 'launch',
    name: 'fuzz',
    program,
    kernel,
    initrd,
    accel: 'tcg',
  });
  assert.equal(resolved.request, 'launch');
});

test('1,000 malformed launch configurations: each a named error, no crash', async () => {
  const random = seededRandom(7);
  const byCode = new Map<number, number>();
  for (let i = 0; i < 1000; i++) {
    const { config, faults } = fuzzConfig(random, base);
    let error: unknown;
    try {
      await resolveConfig('launch', config as Record<string, unknown>);
    } catch (caught) {
      error = caught;
    }
    const what = `case ${i} (${faults.join(', ')}): ${JSON.stringify(config)?.slice(0, 300)}`;
    assert.ok(error !== undefined, `accepted: ${what}`);
    assert.ok(error instanceof UserError, `not a UserError (${error instanceof Error ? error.message : JSON.stringify(error)}): ${what}`);
    assert.ok(CODES.has(error.code), `unknown code ${error.code}: ${what}`);
    assert.ok(error.message.length > 10, `empty message: ${what}`);
    byCode.set(error.code, (byCode.get(error.code) ?? 0) + 1);
  }
  console.log(
    `1000 malformed configs refused: ${[...byCode]
      .sort((a, b) => b[1] - a[1])
      .map(([code, n]) => `${ErrorCode[code]}×${n}`)
      .join(' ')}`,
  );
  // Many kinds of refusal, not one catch-all.
  assert.ok(byCode.size >= 6, `codes seen: ${[...byCode].map(([code, n]) => `${ErrorCode[code]}×${n}`).join(' ')}`);
});
