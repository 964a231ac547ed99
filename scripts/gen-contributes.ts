// Writes package.json's `contributes` from src/adapter/launchArgs.ts (via
// src/extension/contributes.ts). `npm run gen:schema` after any schema edit;
// `tsx scripts/gen-contributes.ts --check` exits 1 when package.json is out of date.
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildContributes } from '../src/extension/contributes';

const file = path.join(__dirname, '..', 'package.json');
const before = readFileSync(file, 'utf8');
const manifest = JSON.parse(before) as Record<string, unknown>;
// Assigning an existing key keeps its place, so the rest of package.json is untouched.
manifest.contributes = buildContributes();
const after = JSON.stringify(manifest, null, 2) + '\n';

if (process.argv.includes('--check')) {
  if (after !== before) {
    console.error('package.json contributes is out of date: run npm run gen:schema');
    process.exit(1);
  }
  console.log('package.json contributes is up to date');
} else if (after === before) {
  console.log('package.json contributes already up to date');
} else {
  writeFileSync(file, after);
  console.log('package.json contributes written');
}
