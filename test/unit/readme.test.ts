// The README a user reads against the repository it describes: its Layout names every folder,
// its Settings table every contributed setting, its launch table the defaults the code uses.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { DEFAULTS } from '../../src/adapter/launchArgs';

const ROOT = path.resolve(__dirname, '../..');
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** Not part of the repository: installed, built or written by runs (.gitignore). */
const NOT_SOURCE = new Set(['.git', 'node_modules', 'dist', 'out', 'test-output', 'bench-results', 'demo-workspace']);

function section(title: string): string {
  const start = README.indexOf(`\n## ${title}\n`);
  assert.ok(start >= 0, `README has no "## ${title}" section`);
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end < 0 ? undefined : end);
}

function folders(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !NOT_SOURCE.has(entry.name))
    .flatMap((entry) => {
      const folder = dir ? `${dir}/${entry.name}` : entry.name;
      // A fixture's own inside (a stand-in buildroot tree) is the fixture's README's business.
      return [folder, ...(/^test\/fixtures\/[^/]+$/.test(folder) ? [] : folders(folder))];
    });
}

test("the README's Layout names every folder of the repository", () => {
  const layout = section('Layout');
  const all = folders('');
  assert.ok(all.includes('src/adapter/kernel') && all.includes('test/fixtures/mi'), all.join(', '));
  const unnamed = all.filter((folder) => {
    const fixture = /^test\/fixtures\/([^/]+)$/.exec(folder);
    return !layout.includes(fixture ? `\`${fixture[1]}/\`` : `\`${folder}/\``);
  });
  assert.deepEqual(unnamed, []);
});

test("the README's Settings table has every contributed setting", () => {
  const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    contributes: { configuration: { properties: Record<string, unknown> } };
  };
  const settings = section('Settings');
  const keys = Object.keys(manifest.contributes.configuration.properties);
  assert.deepEqual(
    keys.filter((key) => !settings.includes(`| \`${key}\` |`)),
    [],
  );
});

test("the README's launch table states the defaults of src/adapter/launchArgs.ts", () => {
  const table = section('Launch configuration');
  const defaultOf = (keys: string) =>
    new RegExp(`^\\| ${keys.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\| ([^|]+) \\|`, 'm').exec(table)?.[1]?.trim();
  const scalar = ['accel', 'stopAtEntry', 'stopAtConnect', 'trace', 'kaslr', 'breakOnPanic', 'threads', 'network'] as const;
  const wrong = scalar.filter((key) => defaultOf(`\`${key}\``)?.replace(/[`"]/g, '') !== String(DEFAULTS[key]));
  assert.deepEqual(wrong, [], scalar.map((key) => `${key}: README ${defaultOf(`\`${key}\``)}, code ${String(DEFAULTS[key])}`).join('; '));
  assert.match(defaultOf('`machine`, `cpu`, `memory`, `smp`') ?? '', new RegExp(`, ${DEFAULTS.memory}, ${DEFAULTS.smp}$`));
  assert.equal(defaultOf('`hardwareBreakpoints`'), `\`{require: ${DEFAULTS.hardwareBreakpoints.require}}\``);
});
