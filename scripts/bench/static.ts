// Scenario 6 without a kernel: how long the extension takes to activate (its bundle loaded
// and activate() run, in a fresh Node process against a stand-in `vscode`), and how big
// the .vsix is.
import { execFileSync, spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { median, removeDir, ROOT, tempDir } from './common';

// Runs in a fresh `node`: every property of the stand-in vscode is callable, constructible
// and returns the stand-in, so activate() runs its registrations for real.
const ACTIVATE = `
const Module = require('node:module');
const { performance } = require('node:perf_hooks');
const handler = {
  get: (_, key) => key === 'then' ? undefined : key === Symbol.toPrimitive ? () => '' : key === Symbol.iterator ? function* () {} : stub,
  apply: () => stub,
  construct: () => stub,
  // Property writes (statusBarItem.text = ...) are taken and forgotten.
  set: () => true,
};
const stub = new Proxy(function () {}, handler);
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) { return request === 'vscode' ? 'vscode' : resolve.call(this, request, ...rest); };
// esbuild copies the module's own keys: give it every name the bundle reads from vscode.
const names = new Set([...require('node:fs').readFileSync(process.argv[1], 'utf8').matchAll(/\\bvscode\\d*\\.(\\w+)/g)].map((m) => m[1]));
require.cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: Object.fromEntries([...names].map((name) => [name, stub])) };
const uri = { fsPath: process.argv[2], path: process.argv[2], scheme: 'file', toString: () => 'file://' + process.argv[2] };
const context = new Proxy({ subscriptions: [], extensionUri: uri, extensionPath: process.argv[2], globalStorageUri: uri, storageUri: uri, logUri: uri }, {
  get: (target, key) => (key in target ? target[key] : stub),
});
const started = performance.now();
const extension = require(process.argv[1]);
const loaded = performance.now();
extension.activate(context);
const activated = performance.now();
process.stdout.write(JSON.stringify({ load: loaded - started, activate: activated - loaded, total: activated - started }));
`;

export interface ActivationTimes {
  load: number;
  activate: number;
  total: number;
}

/** Median over `runs` fresh processes of loading dist/extension.js and running activate(). */
export function measureActivation(runs = 7): ActivationTimes {
  const bundle = path.join(ROOT, 'dist/extension.js');
  const samples: ActivationTimes[] = [];
  for (let run = 0; run < runs; run++) {
    const result = spawnSync(process.execPath, ['-e', ACTIVATE, bundle, ROOT], { encoding: 'utf8', cwd: ROOT });
    if (result.status !== 0) throw new Error(`activation run failed: ${result.stderr}`);
    samples.push(JSON.parse(result.stdout) as ActivationTimes);
  }
  return {
    load: median(samples.map((sample) => sample.load)),
    activate: median(samples.map((sample) => sample.activate)),
    total: median(samples.map((sample) => sample.total)),
  };
}

/** Packs the extension as `npm run package` does (vsce, no dependencies) into a temp file; its size in bytes. */
export function measureVsix(): number {
  const dir = tempDir('vsix');
  try {
    const file = path.join(dir, 'kernel-qemu.vsix');
    execFileSync(path.join(ROOT, 'node_modules/.bin/vsce'), ['package', '--no-dependencies', '-o', file], { cwd: ROOT, stdio: 'pipe' });
    return statSync(file).size;
  } finally {
    removeDir(dir);
  }
}
