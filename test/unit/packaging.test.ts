// `npm run package`'s .vsix: it builds (vsce refuses a README with links it cannot resolve),
// holds only the bundles, manifest, docs and assets, and stays small.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';

const ROOT = path.resolve(__dirname, '../..');
const VSCE = path.join(ROOT, 'node_modules/.bin/vsce');

test('the .vsix packs, under 1 MB, with the bundles and without sources, tests or source maps', { timeout: 120_000 }, () => {
  execFileSync(process.execPath, [path.join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, stdio: 'pipe' });
  const dir = mkdtempSync(path.join(tmpdir(), 'kq-vsix-'));
  try {
    const vsix = path.join(dir, 'kernel-qemu.vsix');
    execFileSync(VSCE, ['package', '--no-dependencies', '--allow-missing-repository', '-o', vsix], { cwd: ROOT, stdio: 'pipe' });
    const size = statSync(vsix).size;
    assert.ok(size < 1024 * 1024, `${size} bytes`);
    const files = execFileSync(VSCE, ['ls', '--no-dependencies'], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n');
    for (const needed of [
      'dist/extension.js',
      'dist/adapter.js',
      'package.json',
      'README.md',
      'CHANGELOG.md',
      'media/icon.png',
      'media/walkthrough/launch.md',
      'syntaxes/kernel-log.tmLanguage.json',
    ]) {
      assert.ok(files.includes(needed), `${needed} missing from the .vsix: ${files.join(', ')}`);
    }
    const unwanted = files.filter((file) => /^(src|test|scripts|node_modules)\/|\.map$|\.ts$/.test(file));
    assert.deepEqual(unwanted, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
