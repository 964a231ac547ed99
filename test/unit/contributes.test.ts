// package.json's `contributes` must be what src/adapter/launchArgs.ts says: a schema edit
// without `npm run gen:schema` fails here.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { attachSchema, launchSchema } from '../../src/adapter/launchArgs';
import { buildContributes, DEBUG_TYPE } from '../../src/extension/contributes';

interface Manifest {
  icon?: string;
  contributes: {
    debuggers: Array<{
      type: string;
      languages: string[];
      configurationAttributes: Record<'launch' | 'attach', { required: string[]; properties: Record<string, Schema> }>;
      initialConfigurations: Array<Record<string, unknown>>;
      configurationSnippets: Array<{ label: string; body: Record<string, unknown> }>;
    }>;
    configuration: { properties: Record<string, Schema> };
    breakpoints: Array<{ language: string; when?: string }>;
    languages: Array<{ id: string; filenames?: string[]; extensions?: string[] }>;
  };
}

interface Schema {
  description?: string;
  markdownDescription?: string;
  enum?: string[];
  properties?: Record<string, Schema>;
  items?: Schema;
}

const root = path.join(__dirname, '..', '..');
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as Manifest;
const debuggerEntry = manifest.contributes.debuggers.find((d) => d.type === DEBUG_TYPE)!;

test('package.json contributes is generated from launchArgs.ts (run npm run gen:schema)', () => {
  assert.deepEqual(manifest.contributes, JSON.parse(JSON.stringify(buildContributes())));
});

test('the debugger contributes launch and attach with the schema keys', () => {
  assert.ok(debuggerEntry, `no debugger of type ${DEBUG_TYPE}`);
  const { launch, attach } = debuggerEntry.configurationAttributes;
  assert.deepEqual(Object.keys(launch.properties).sort(), Object.keys(launchSchema.properties).sort());
  assert.deepEqual(Object.keys(attach.properties).sort(), Object.keys(attachSchema.properties).sort());
});

test("required keys: program + kernel (launch), program (attach: 'target' or 'monitor', checked by the adapter)", () => {
  const { launch, attach } = debuggerEntry.configurationAttributes;
  assert.deepEqual([...launch.required].sort(), ['kernel', 'program']);
  assert.deepEqual([...attach.required].sort(), ['program']);
  assert.ok('target' in attach.properties && 'monitor' in attach.properties);
});

function undescribed(properties: Record<string, Schema>, where: string): string[] {
  const missing: string[] = [];
  for (const [key, schema] of Object.entries(properties)) {
    const at = `${where}.${key}`;
    if (!(schema.description ?? schema.markdownDescription)?.trim()) missing.push(at);
    if (schema.properties) missing.push(...undescribed(schema.properties, at));
    if (schema.items?.properties) missing.push(...undescribed(schema.items.properties, `${at}[]`));
  }
  return missing;
}

test('every property and setting has a description', () => {
  const { launch, attach } = debuggerEntry.configurationAttributes;
  assert.deepEqual(
    [
      ...undescribed(launch.properties, 'launch'),
      ...undescribed(attach.properties, 'attach'),
      ...undescribed(manifest.contributes.configuration.properties, 'settings'),
    ],
    [],
  );
});

test('arch and accel are enums', () => {
  const { launch, attach } = debuggerEntry.configurationAttributes;
  assert.deepEqual(launch.properties.arch!.enum, ['x86_64', 'aarch64']);
  assert.deepEqual(attach.properties.arch!.enum, ['x86_64', 'aarch64']);
  assert.deepEqual(launch.properties.accel!.enum, ['auto', 'kvm', 'tcg']);
});

test('initial configuration and snippets name only known keys and set every required one', () => {
  const { launch, attach } = debuggerEntry.configurationAttributes;
  const configs = [...debuggerEntry.initialConfigurations, ...debuggerEntry.configurationSnippets.map((s) => s.body)];
  assert.equal(debuggerEntry.configurationSnippets.length, 4);
  for (const config of configs) {
    assert.equal(config.type, DEBUG_TYPE);
    const attrs = config.request === 'attach' ? attach : launch;
    for (const key of attrs.required) assert.ok(key in config, `${String(config.name)} lacks required '${key}'`);
    for (const key of Object.keys(config)) {
      if (['type', 'request', 'name'].includes(key)) continue;
      assert.ok(key in attrs.properties, `${String(config.name)} sets unknown key '${key}'`);
    }
  }
});

test('snippet paths keep ${workspaceFolder} literal (escaped for snippet syntax)', () => {
  for (const { body } of debuggerEntry.configurationSnippets) {
    for (const value of Object.values(body)) {
      if (typeof value === 'string' && value.includes('workspaceFolder')) {
        assert.match(value, /^\^".*\\\$\{workspaceFolder\}.*"$/);
      }
    }
  }
});

test('settings: qemuPath, gdbPath, cacheDirectory, adapterMode, buildBeforeLaunch, serialTerminal, shareWorkspace', () => {
  assert.deepEqual(Object.keys(manifest.contributes.configuration.properties).sort(), [
    'kernelQemu.adapterMode',
    'kernelQemu.buildBeforeLaunch',
    'kernelQemu.cacheDirectory',
    'kernelQemu.gdbPath',
    'kernelQemu.qemuPath',
    'kernelQemu.serialTerminal',
    'kernelQemu.shareWorkspace',
  ]);
});

test('breakpoints are enabled for C and assembly', () => {
  const languages = manifest.contributes.breakpoints.map((b) => b.language);
  for (const language of ['c', 'asm', 'arm', 'arm64']) assert.ok(languages.includes(language), language);
});

test('F5 reaches kernel-qemu from every editor of a kernel tree (VS Code offers the Marketplace for a language no debugger claims)', () => {
  // The languages VS Code gives a kernel tree's files: .config/Kconfig (this extension's), C, headers (C++).
  const kconfig = manifest.contributes.languages.find((language) => language.filenames?.includes('.config'));
  assert.ok(kconfig, 'a language for .config');
  for (const language of [kconfig.id, 'c', 'cpp', 'asm', 'gas']) assert.ok(debuggerEntry.languages.includes(language), language);
  // .S files are plain text without an assembly extension: breakpoints there, in kernel trees only.
  const plain = manifest.contributes.breakpoints.filter((b) => b.language === 'plaintext');
  assert.deepEqual(plain, [{ language: 'plaintext', when: 'kernelQemu.inKernelTree' }]);
  assert.ok(!debuggerEntry.languages.includes('plaintext'), 'kernel-qemu does not claim plain text everywhere');
});
