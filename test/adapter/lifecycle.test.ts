// Lifecycle: every way a session ends, once each (the 100-cycle mix is `npm run stress`).
// After each: no QEMU, gdb or adapter process left, no runtime directory or socket left
// (a SIGKILLed adapter's is swept by the next launch), and a QEMU or gdb that died is
// reported to the user with the last lines of its stderr.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freshTmpdir, leftoversIn, removeDir } from './faultSupport';
import { makeWrappers, runCycle, type CycleResult, type Ending, type Moment, type Wrappers } from './lifecycleCycles';
import { testKernel } from './support';

describe('session lifecycle: each way a session ends', () => {
  let tmpdir: string;
  let wrappers: Wrappers;

  before(() => {
    tmpdir = freshTmpdir('kq-life-');
    wrappers = makeWrappers(tmpdir);
  });
  after(() => removeDir(tmpdir));

  function check(result: CycleResult): void {
    assert.deepEqual(result.problems, [], `${result.ending} while ${result.moment}`);
    assert.deepEqual(
      result.orphans.map((p) => `${p.pid} ${p.comm}`),
      [],
      'orphaned processes',
    );
    assert.deepEqual(result.leftovers, [], 'leftover runtime directories or sockets');
  }

  const cases: Array<[Ending, Moment, boolean]> = [
    ['terminate', 'stopped', false],
    ['terminate', 'launching', false],
    ['disconnect', 'running', false],
    ['kill-qemu', 'running', true],
    ['kill-qemu', 'launching', true],
    ['kill-gdb', 'stepping', true],
    ['kill-gdb', 'launching', true],
    ['kill-adapter', 'stepping', false],
  ];
  for (const [ending, moment, wrapped] of cases) {
    test(`${ending} while ${moment}`, async () => {
      const result = await runCycle(ending, moment, { kernel: testKernel('x86_64'), tmpdir, ...(wrapped ? { wrappers } : {}) });
      check(result);
      if (ending === 'kill-qemu' || ending === 'kill-gdb') assert.ok(result.report, 'the death was reported');
    });
  }

  test('the next launch sweeps the runtime directory of the SIGKILLed adapter', async () => {
    assert.ok(
      leftoversIn(tmpdir).some((entry) => /^kernel-qemu-[^/]+$/.test(entry)),
      'the killed adapter left its directory',
    );
    check(await runCycle('terminate', 'stopped', { kernel: testKernel('x86_64'), tmpdir }));
    assert.deepEqual(
      leftoversIn(tmpdir).filter((entry) => entry.startsWith('kernel-qemu-')),
      [],
    );
  });
});
