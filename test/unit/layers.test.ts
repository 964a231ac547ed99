// The layers of src/ (../shared/DESIGN.md): mi, qemu, elf, build, guest and process know
// nothing of the DAP session or of VS Code; the adapter knows nothing of the extension; only
// src/extension imports `vscode`. Shared words (GuestArch, the cache root) sit below them all.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

const SRC = path.join(__dirname, '../../src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? sources(full) : entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every module a file imports, as a path relative to src/ (or the package name). */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^(?:import|export)[^'"]*from '([^']+)'/gm)].map((match) => {
    const spec = match[1]!;
    return spec.startsWith('.') ? path.relative(SRC, path.resolve(path.dirname(file), spec)) : spec;
  });
}

test('lower layers import neither the adapter nor the extension; the adapter not the extension; vscode only the extension', () => {
  const wrong: string[] = [];
  for (const file of sources(SRC)) {
    const layer = path.relative(SRC, file).split(path.sep)[0]!;
    for (const spec of imports(file)) {
      const target = spec.split('/')[0]!;
      const refused =
        (spec === 'vscode' && layer !== 'extension') ||
        (target === 'extension' && layer !== 'extension') ||
        (target === 'adapter' && !['adapter', 'extension'].includes(layer));
      if (refused) wrong.push(`${path.relative(SRC, file)} imports ${spec}`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('the check sees the imports it refuses (a lower layer reaching into the adapter)', () => {
  const file = path.join(SRC, 'build/targets.ts');
  assert.ok(imports(file).includes('arch'), 'targets.ts imports GuestArch from src/arch.ts');
  assert.ok(imports(path.join(SRC, 'adapter/launchArgs.ts')).includes('arch'));
});
