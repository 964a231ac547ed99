// The parser against gdb/MI text recorded from real kernel sessions (test/fixtures/mi).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { threadName } from '../../src/adapter/stack';
import { mapStop } from '../../src/adapter/stopReasons';
import { parseMiLine } from '../../src/mi/parser';
import type { MiRecord } from '../../src/mi/records';

const dir = path.join(__dirname, '../fixtures/mi');
const fixtures = readdirSync(dir).filter((name) => name.endsWith('.txt'));

function records(name: string): MiRecord[] {
  return readFileSync(path.join(dir, name), 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map(parseMiLine);
}

test('every recorded line of every real session parses', () => {
  assert.ok(fixtures.length >= 40, `${fixtures.length} fixtures`);
  let lines = 0;
  for (const name of fixtures) {
    for (const record of records(name)) {
      lines++;
      assert.notEqual(
        record.type,
        'parseError',
        `${name}: ${record.type === 'parseError' ? `${record.message}: ${record.line.slice(0, 120)}` : ''}`,
      );
    }
  }
  assert.ok(lines > 400, `${lines} lines`);
});

test('recorded -thread-info with -smp 2 names both vCPUs', () => {
  for (const arch of ['x86_64', 'aarch64']) {
    const result = records(`${arch}-thread-info-do_sys_openat2-smp2.txt`).find(
      (record) => record.type === 'result' && record.results.has('threads'),
    );
    assert.ok(result && result.type === 'result');
    assert.deepEqual(result.results.tuples('threads').map(threadName), ['CPU 0', 'CPU 1']);
  }
});

test('recorded stops map to DAP reasons: breakpoint, step, pause', () => {
  const firstStop = (name: string) => {
    const record = records(name).find((candidate) => candidate.type === 'exec' && candidate.asyncClass === 'stopped');
    assert.ok(record && record.type === 'exec', `no *stopped in ${name}`);
    return record.results;
  };
  assert.equal(mapStop(firstStop('x86_64-sw-break-do_sys_openat2-hit.txt'), false).reason, 'breakpoint');
  assert.equal(mapStop(firstStop('x86_64-exec-next-end.txt'), false).reason, 'step');
  assert.equal(mapStop(firstStop('aarch64-exec-interrupt-running.txt'), true).reason, 'pause');
  const hit = mapStop(firstStop('aarch64-sw-break-do_sys_openat2-hit.txt'), false);
  assert.equal(hit.frame?.str('func'), 'do_sys_openat2');
  assert.match(hit.frame?.str('addr') ?? '', /^0xffff8000[0-9a-f]{8}$/);
});

test('a KVM internal error arrives as SIGABRT and is reported as an exception with its meaning', () => {
  const stop = records('x86_64-kvm-internal-error-sigabrt.txt').find((record) => record.type === 'exec' && record.asyncClass === 'stopped');
  assert.ok(stop && stop.type === 'exec');
  const mapped = mapStop(stop.results, false);
  assert.equal(mapped.reason, 'exception');
  assert.match(mapped.description ?? '', /SIGABRT/);
});
