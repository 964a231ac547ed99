// The kernel-log grammar's patterns and the oops link finder on a real panic trace.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { findOopsLocations } from '../../src/extension/oopsLocations';

const grammar = JSON.parse(readFileSync(path.join(__dirname, '../../syntaxes/kernel-log.tmLanguage.json'), 'utf8')) as {
  scopeName: string;
  repository: Record<string, { match: string; name?: string }>;
};

const panic = `[    5.102934] sysrq: Trigger a crash
[    5.103410] Kernel panic - not syncing: sysrq triggered crash
[    5.104012] CPU: 0 PID: 1 Comm: sh Not tainted 6.1.0-56-cloud-amd64 #1  Debian 6.1.192-2
[    5.104801] Call Trace:
[    5.105002]  <TASK>
[    5.105133]  dump_stack_lvl+0x44/0x5c
[    5.105420]  panic+0x118/0x2ed
[    5.105672]  sysrq_handle_crash+0x16/0x20
[    5.105913] RIP: 0010:sysrq_handle_crash+0x16/0x20 [nls_utf8]`;

function matches(rule: string, text: string): string[] {
  const pattern = new RegExp(grammar.repository[rule]!.match, 'gm');
  return [...text.matchAll(pattern)].map((match) => match[0]);
}

test('the grammar marks timestamps, panic markers, frames and modules', () => {
  assert.equal(grammar.scopeName, 'text.log.kernel');
  assert.equal(matches('timestamp', panic).length, 9);
  assert.deepEqual(matches('panic', panic), ['Kernel panic - not syncing:', 'Call Trace:', 'RIP:']);
  assert.deepEqual(matches('frame', panic), ['dump_stack_lvl+0x44/0x5c', 'panic+0x118/0x2ed', 'sysrq_handle_crash+0x16/0x20', 'sysrq_handle_crash+0x16/0x20']);
  assert.deepEqual(matches('module', panic), ['[nls_utf8]']);
  assert.deepEqual(matches('address', 'RIP=ffffffff8134a350 x'), ['ffffffff8134a350']);
});

test('oops frames and kernel addresses in a terminal line become links', () => {
  assert.deepEqual(findOopsLocations('[    5.105420]  panic+0x118/0x2ed'), [{ startIndex: 16, length: 17, location: 'panic+0x118/0x2ed' }]);
  assert.deepEqual(findOopsLocations('RIP=ffffffff8134a350').map((link) => link.location), ['0xffffffff8134a350']);
  assert.deepEqual(findOopsLocations('no links here 0x1234'), []);
});

const kconfig = JSON.parse(readFileSync(path.join(__dirname, '../../syntaxes/kconfig.tmLanguage.json'), 'utf8')) as typeof grammar;

function kconfigMatches(rule: string, text: string): string[] {
  return [...text.matchAll(new RegExp(kconfig.repository[rule]!.match, 'gm'))].map((match) => match[0]);
}

test('the Kconfig grammar marks Kconfig blocks, types and attributes, and .config settings', () => {
  const kconfigText = 'config DEBUG_INFO\n\tbool "Compile the kernel with debug info"\n\tdepends on DEBUG_KERNEL\n\tselect DEBUG_INFO_DWARF5\n\thelp\n\t  Text.\n';
  assert.deepEqual(kconfigMatches('block', kconfigText), ['config']);
  assert.deepEqual(kconfigMatches('type', kconfigText).map((text) => text.trim()), ['bool']);
  assert.deepEqual(kconfigMatches('attribute', kconfigText).map((text) => text.trim()), ['depends on', 'select']);
  const dotconfig = '#\n# Automatically generated file; DO NOT EDIT.\nCONFIG_DEBUG_INFO=y\n# CONFIG_RANDOMIZE_BASE is not set\nBR2_ENABLE_DEBUG=y\n';
  assert.deepEqual(kconfigMatches('dotconfigSet', dotconfig), ['CONFIG_DEBUG_INFO=y', 'BR2_ENABLE_DEBUG=y']);
  assert.deepEqual(kconfigMatches('dotconfigUnset', dotconfig), ['# CONFIG_RANDOMIZE_BASE is not set']);
  assert.equal(kconfigMatches('comment', dotconfig).length, 2, 'plain comments, not the unset lines');
});
