// The kernel-layout probe on gdb's real answers: each transcript in test/fixtures/kernel-layouts
// was recorded by scripts/record-kernel-layouts.sh from the DWARF of a real vmlinux (Debian's
// 6.1 and 6.12, both arches) or of the 6.14+ structure shapes compiled with -g. A kernel that
// changes one of these structures again fails here first, in milliseconds.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import {
  type KernelLayout,
  LAYOUT_QUESTIONS,
  moduleRegionExpressions,
  probeKernelLayout,
  type GdbAnswer,
  perCpuAddress,
} from '../../src/adapter/kernel/kernelLayout';
import { parseMiLine } from '../../src/mi/parser';

const dir = path.join(__dirname, '../fixtures/kernel-layouts');

/** The recorded transcript as gdb: ^done gives its value, ^error undefined; an unrecorded question fails the test. */
function replay(fixture: string): { ask: GdbAnswer; asked: Set<string> } {
  const answers = new Map<string, string | undefined>();
  const lines = readFileSync(path.join(dir, fixture), 'utf8').split('\n');
  lines.forEach((line, index) => {
    if (!line.startsWith('> ')) return;
    const record = parseMiLine(lines[index + 1] ?? '');
    assert.equal(record.type, 'result', `${fixture}: no MI result after ${line}`);
    if (record.type === 'result') answers.set(line.slice(2), record.resultClass === 'done' ? record.results.str('value') : undefined);
  });
  const asked = new Set<string>();
  const ask: GdbAnswer = async (expression) => {
    assert.ok(answers.has(expression), `${fixture} has no answer to ${expression}: re-run scripts/record-kernel-layouts.sh`);
    asked.add(expression);
    return answers.get(expression);
  };
  return { ask, asked };
}

const expected: Record<string, { arch: 'x86_64' | 'aarch64'; layout: KernelLayout }> = {
  'debian-6.1.0-57-cloud-amd64.txt': {
    arch: 'x86_64',
    layout: {
      moduleSections: 'attrs-address',
      moduleMemory: 'layouts',
      taskState: '__state',
      currentTask: 'current_task',
      printkRing: true,
      perCpuZeroBased: true,
    },
  },
  'debian-6.1.0-57-cloud-arm64.txt': {
    arch: 'aarch64',
    layout: {
      moduleSections: 'attrs-address',
      moduleMemory: 'layouts',
      taskState: '__state',
      currentTask: '__entry_task',
      printkRing: true,
      perCpuZeroBased: false,
    },
  },
  'debian-6.12.117+deb12-cloud-amd64.txt': {
    arch: 'x86_64',
    layout: {
      moduleSections: 'attrs-address',
      moduleMemory: 'mem',
      taskState: '__state',
      currentTask: 'pcpu_hot.current_task',
      printkRing: true,
      perCpuZeroBased: true,
    },
  },
  'debian-6.12.117+deb12-cloud-arm64.txt': {
    arch: 'aarch64',
    layout: {
      moduleSections: 'attrs-address',
      moduleMemory: 'mem',
      taskState: '__state',
      currentTask: '__entry_task',
      printkRing: true,
      perCpuZeroBased: false,
    },
  },
  'mainline-6.14-shapes.txt': {
    arch: 'x86_64',
    // The shapes say nothing of where per-CPU data is linked (a .o starts everything at 0): no __per_cpu_start in them.
    layout: {
      moduleSections: 'bin-attrs-private',
      moduleMemory: 'mem',
      taskState: '__state',
      currentTask: 'current_task',
      printkRing: true,
      perCpuZeroBased: false,
    },
  },
};

for (const [fixture, { arch, layout }] of Object.entries(expected)) {
  test(`layout of ${fixture.replace(/\.txt$/, '')}`, async () => {
    const { ask, asked } = replay(fixture);
    assert.deepEqual(await probeKernelLayout(ask, arch), layout);
    assert.ok(asked.has(LAYOUT_QUESTIONS.moduleMem), 'the module memory question was asked');
  });
}

test('every recorded transcript has its expected layout', () => {
  const fixtures = readdirSync(dir).filter((name) => name.endsWith('.txt'));
  assert.deepEqual(
    fixtures.filter((name) => !(name in expected)),
    [],
    'a new recording needs its expected layout here',
  );
});

test('a kernel without any of the asked structures: no section table, no regions, the older state field', async () => {
  const layout = await probeKernelLayout(async () => undefined, 'aarch64');
  assert.deepEqual(layout, {
    moduleSections: 'none',
    moduleMemory: 'unknown',
    taskState: 'state',
    currentTask: undefined,
    printkRing: false,
    perCpuZeroBased: false,
  });
  assert.equal(moduleRegionExpressions(layout.moduleMemory, 'm'), undefined);
});

test('module code regions where the section table is missing: mem[] since 6.4, the two layouts before', () => {
  assert.deepEqual(moduleRegionExpressions('mem', '((struct module *)0x1)'), {
    text: '(unsigned long)((struct module *)0x1)->mem[MOD_TEXT].base',
    initText: '(unsigned long)((struct module *)0x1)->mem[MOD_INIT_TEXT].base',
  });
  assert.deepEqual(moduleRegionExpressions('layouts', 'm'), {
    text: '(unsigned long)m->core_layout.base',
    initText: '(unsigned long)m->init_layout.base',
  });
});

test('the address of a per-CPU variable: relative to __per_cpu_start where per-CPU data is zero-based, as is elsewhere', async () => {
  const zeroBased = await probeKernelLayout(replay('debian-6.12.117+deb12-cloud-amd64.txt').ask, 'x86_64');
  assert.equal(
    perCpuAddress(zeroBased, 'pcpu_hot.current_task', 1),
    '(((char *)&pcpu_hot.current_task - (char *)&__per_cpu_start) + __per_cpu_offset[1])',
  );
  const absolute = await probeKernelLayout(replay('debian-6.12.117+deb12-cloud-arm64.txt').ask, 'aarch64');
  assert.equal(perCpuAddress(absolute, '__entry_task', 0), '((char *)&__entry_task + __per_cpu_offset[0])');
});
