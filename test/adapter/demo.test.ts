// `npm run demo`'s session (scripts/demo.ts) as a newcomer runs it: it stops at start_kernel
// and at do_sys_openat2 and prints each stop's source line from Debian's matching source
// tree, not "no source"; it ends cleanly and leaves a launch.json with that sourceRoot.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify, stripVTControlCharacters } from 'node:util';
import { test } from 'node:test';
import { ROOT } from './support';

test('npm run demo prints the source line at start_kernel and at do_sys_openat2', { timeout: 300_000 }, async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/demo.ts')], {
    cwd: ROOT,
    maxBuffer: 64 * 1024 * 1024,
    timeout: 280_000,
  });
  const text = stripVTControlCharacters(stdout);
  assert.match(text, /^\s*> main\.c:\d+ .*$/m, 'the source line at start_kernel');
  assert.match(text, /^\s*> open\.c:\d+ .*$/m, 'the source line at do_sys_openat2');
  assert.doesNotMatch(text, /no source for/);
  const workspace = /A workspace with this launch configuration: (\S+)/.exec(text)?.[1];
  assert.ok(workspace, text.slice(-1000));
  const launch = JSON.parse(readFileSync(path.join(workspace, '.vscode/launch.json'), 'utf8').replace(/^\s*\/\/.*$/gm, '')) as {
    configurations: Array<{ sourceRoot?: string }>;
  };
  assert.match(launch.configurations[0]?.sourceRoot ?? '', /\/src\/linux-/);
});
