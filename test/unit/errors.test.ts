// The adapter's error codes: distinct, each one raised somewhere under src/ (no code left
// unused); every UserError made by a named factory (js-debug's errors.ts is the model), and no
// factory left unused.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ErrorCode, errors, showsUser, UserError } from '../../src/adapter/errors';
import { kernelErrors } from '../../src/adapter/kernel/kernelErrors';
import { launchErrors } from '../../src/adapter/launchErrors';
import { reverseErrors } from '../../src/adapter/reverseErrors';
import { snapshotErrors } from '../../src/adapter/snapshotErrors';

const SRC = path.resolve(__dirname, '../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(file) : entry.name.endsWith('.ts') ? [file] : [];
  });
}

function sources(dir: string): string[] {
  return sourceFiles(dir).map((file) => readFileSync(file, 'utf8'));
}

const names = Object.keys(ErrorCode).filter((key) => Number.isNaN(Number(key))) as Array<keyof typeof ErrorCode>;

test('error codes are distinct numbers', () => {
  const codes = names.map((name) => ErrorCode[name]);
  assert.equal(new Set(codes).size, codes.length);
});

/** The modules that make UserErrors: each problem's code and words, in one factory. */
const FACTORIES = {
  errors: { file: 'adapter/errors.ts', factories: errors },
  launchErrors: { file: 'adapter/launchErrors.ts', factories: launchErrors },
  snapshotErrors: { file: 'adapter/snapshotErrors.ts', factories: snapshotErrors },
  reverseErrors: { file: 'adapter/reverseErrors.ts', factories: reverseErrors },
  kernelErrors: { file: 'adapter/kernel/kernelErrors.ts', factories: kernelErrors },
};

test('every error code is raised under src/ (its declaration aside)', () => {
  const text = sources(SRC)
    .map((source) => source.replace(/export enum ErrorCode \{[^}]*\}/, ''))
    .join('\n');
  const unused = names.filter((name) => !new RegExp(`ErrorCode\\.${name}\\b`).test(text));
  assert.deepEqual(unused, []);
});

test('a UserError is made by a factory of an errors module, or from a gdb or QEMU refusal in errors.ts', () => {
  const factoryFiles = new Set(Object.values(FACTORIES).map(({ file }) => path.join(SRC, file)));
  const inline = sourceFiles(SRC).filter((file) => !factoryFiles.has(file) && /new UserError\(/.test(readFileSync(file, 'utf8')));
  assert.deepEqual(
    inline.map((file) => path.relative(SRC, file)),
    [],
  );
});

test('every error factory is called under src/ (none left unused)', () => {
  const text = sources(SRC).join('\n');
  const unused = Object.entries(FACTORIES).flatMap(([object, { factories }]) =>
    Object.keys(factories)
      .filter((factory) => !text.includes(`${object}.${factory}(`))
      .map((factory) => `${object}.${factory}`),
  );
  assert.deepEqual(unused, []);
});

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
