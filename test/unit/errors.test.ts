// The adapter's error codes: distinct, each one raised somewhere under src/ (no code left
// unused), and the shared messages built by one factory each.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { dapMessageOf, ErrorCode, errors, showsUser, UserError } from '../../src/adapter/errors';

const SRC = path.resolve(__dirname, '../../src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    return entry.isDirectory() ? sources(file) : entry.name.endsWith('.ts') ? [readFileSync(file, 'utf8')] : [];
  });
}

const names = Object.keys(ErrorCode).filter((key) => Number.isNaN(Number(key))) as Array<keyof typeof ErrorCode>;

test('error codes are distinct numbers', () => {
  const codes = names.map((name) => ErrorCode[name]);
  assert.equal(new Set(codes).size, codes.length);
});

test('every error code is raised by code under src/ (besides errors.ts itself)', () => {
  const text = sources(SRC)
    .filter((source) => !source.includes('export enum ErrorCode'))
    .join('\n');
  const unused = names.filter((name) => !new RegExp(`ErrorCode\\.${name}\\b`).test(text) && !factoryRaises(name));
  assert.deepEqual(unused, []);
});

function factoryRaises(name: keyof typeof ErrorCode): boolean {
  const made = {
    noSession: errors.noSession(),
    kernelRunning: errors.kernelRunning(),
    staleReference: errors.staleReference('frameId', 1),
    notResponding: errors.notResponding({ name: 'gdb', pid: 1 }, '-thread-info', undefined, 2000),
    monitorClosed: errors.monitorClosed('Restart'),
  };
  const text = sources(SRC).join('\n');
  // An error no handler named (a bug) is answered as Internal by dapMessageOf, which session.ts calls.
  if (dapMessageOf(new TypeError('a bug')).id === (ErrorCode[name] as number) && text.includes('dapMessageOf(')) return true;
  return Object.entries(made).some(([factory, error]) => error.code === ErrorCode[name] && text.includes(`errors.${factory}(`));
}

test('the shared messages: a session that has not started, a running kernel, a stale reference', () => {
  const none = errors.noSession();
  assert.ok(none instanceof UserError);
  assert.equal(none.code, ErrorCode.NoSession);
  assert.match(none.message, /No kernel-qemu session is running/);
  assert.equal(errors.kernelRunning().code, ErrorCode.NotStopped);
  assert.match(errors.kernelRunning().message, /pause it first/);
  const stale = errors.staleReference('variablesReference', 7);
  assert.equal(stale.code, ErrorCode.UnknownReference);
  assert.match(stale.message, /Unknown variablesReference 7 \(the target ran since it was shown\)/);
  assert.equal(showsUser(stale.code), false, 'VS Code asks with stale references after every step: no notification');
});
