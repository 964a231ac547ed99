// What the Builds view says about targets and outputs, and the build state it reads.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TargetSpec } from '../../src/build/targets';
import { BuildStates, buildKey } from '../../src/extension/tasks/buildState';
import {
  artifactDescription,
  doctorSummary,
  formatAge,
  formatDuration,
  formatSize,
  opensInEditor,
  targetDescription,
  targetIcon,
  targetTooltip,
} from '../../src/extension/views/buildsModel';

const BUILD: TargetSpec = { id: 'build-kernel', label: 'Build Kernel', detail: 'make -j8', group: 'build', interactive: false };
const MENU: TargetSpec = { id: 'menuconfig', label: 'menuconfig', detail: 'make menuconfig', group: 'configure', interactive: true };

test('durations, ages and sizes read naturally', () => {
  assert.deepEqual([0, 45_400, 138_000, 3_840_000].map(formatDuration), ['0s', '45s', '2m 18s', '1h 04m']);
  assert.deepEqual([10_000, 300_000, 3 * 3_600_000, 50 * 3_600_000].map(formatAge), ['just now', '5 min ago', '3 h ago', '2 days ago']);
  assert.deepEqual([512, 2048, 42 * 1024 * 1024, 3 * 1024 ** 3].map(formatSize), ['512 B', '2.0 KiB', '42.0 MiB', '3.00 GiB']);
});

test('a target: never run → running with progress → succeeded with its duration → failed with the first error', () => {
  const states = new BuildStates();
  const key = buildKey('/src/linux', 'build-kernel');
  const changes: string[] = [];
  states.onChange((changed) => changes.push(changed));
  assert.equal(targetDescription(states.get(key), 0), 'never run');
  assert.equal(targetIcon(states.get(key), BUILD), 'tools');
  assert.equal(targetIcon(states.get(key), MENU), 'terminal');

  states.start(key, 1_000);
  states.progress(key, 'CC init/main.o (12)');
  assert.equal(targetDescription(states.get(key), 66_000), 'running 1m 05s · CC init/main.o (12)');
  assert.equal(targetIcon(states.get(key), BUILD), 'sync~spin');
  assert.ok(states.anyRunning());

  states.finish(key, { ok: true, cancelled: false, durationMs: 138_000 }, 200_000);
  assert.equal(targetDescription(states.get(key), 200_000 + 120_000), 'succeeded in 2m 18s · 2 min ago');
  assert.equal(targetIcon(states.get(key), BUILD), 'pass');

  states.start(key, 300_000);
  states.finish(key, { ok: false, cancelled: false, firstError: '/src/linux/init/main.c:12: expected ‘;’' }, 310_000);
  assert.equal(targetDescription(states.get(key), 311_000), 'failed: /src/linux/init/main.c:12: expected ‘;’');
  assert.match(targetTooltip(BUILD, states.get(key), 311_000), /Build Kernel: make -j8\nFailed after 10s: \/src\/linux\/init\/main\.c:12/);
  assert.equal(targetIcon(states.get(key), BUILD), 'error');

  states.start(key, 400_000);
  states.finish(key, { ok: false, cancelled: true, firstError: 'cancelled' }, 407_000);
  assert.equal(targetDescription(states.get(key), 407_000), 'cancelled after 7s');
  assert.equal(changes.length, 7);
});

test('finished states survive a reload; one that was running did not finish', () => {
  const states = new BuildStates();
  states.start('a', 0);
  states.finish('a', { ok: true, cancelled: false, durationMs: 5 }, 10);
  states.start('b', 20);
  const saved = JSON.parse(JSON.stringify(states.toJSON())) as ReturnType<BuildStates['toJSON']>;
  assert.deepEqual(Object.keys(saved), ['a']);
  const reloaded = new BuildStates({ ...saved, b: { state: 'running', startedAt: 20 } });
  assert.equal(reloaded.get('a').state, 'succeeded');
  assert.equal(reloaded.get('b').state, 'idle');
});

test('artifacts and doctor summaries', () => {
  assert.equal(
    artifactDescription({ kind: 'vmlinux', path: '/k/vmlinux', size: 42 * 1024 * 1024, mtimeMs: 0 }, 600_000),
    'vmlinux (symbols) · 42.0 MiB · 10 min ago',
  );
  assert.ok(opensInEditor({ kind: 'config' }) && opensInEditor({ kind: 'gdb-scripts' }) && !opensInEditor({ kind: 'vmlinux' }));
  const finding = (severity: 'error' | 'warning' | 'info') => ({ id: severity, severity, message: '', symbol: '', edits: [] });
  assert.equal(doctorSummary([finding('error'), finding('error'), finding('warning'), finding('info')]), '2 errors, 1 warning, 1 note');
  assert.equal(doctorSummary([]), 'debug options OK');
});
