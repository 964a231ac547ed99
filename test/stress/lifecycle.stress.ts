// npm run stress: 100 launch → stop → end cycles against the real adapter, QEMU and gdb,
// mixing terminate, disconnect, kill -9 of QEMU, of gdb and of the adapter, SIGSTOP of QEMU or
// gdb (a request still answered, then disconnect), at each moment (while launching, stopped,
// running, stepping). Requires 0 orphaned processes, 0 leftover
// runtime directories or sockets, and every unexpected death reported with its stderr tail.
// STRESS_CYCLES and STRESS_SEED repeat or resize a run.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { freshTmpdir, leftoversIn, removeDir } from '../adapter/faultSupport';
import {
  ENDINGS,
  makeWrappers,
  MOMENTS,
  runCycle,
  seededRandom,
  type CycleResult,
  type Ending,
  type Moment,
  type Wrappers,
} from '../adapter/lifecycleCycles';
import { testKernel } from '../adapter/support';

const CYCLES = Number(process.env.STRESS_CYCLES ?? 100);
const SEED = Number(process.env.STRESS_SEED ?? 20240901);

let tmpdir: string;
let wrappers: Wrappers;

before(() => {
  tmpdir = freshTmpdir('kq-stress-');
  wrappers = makeWrappers(tmpdir);
});
after(() => removeDir(tmpdir));

test(`${CYCLES} lifecycle cycles: no orphan, no leftover, every death reported`, { timeout: CYCLES * 60_000 }, async () => {
  const random = seededRandom(SEED);
  const results: CycleResult[] = [];
  const kernel = testKernel('x86_64');
  const started = Date.now();
  for (let i = 0; i < CYCLES; i++) {
    // The last cycle is a plain terminate: it proves the directories of killed adapters are swept.
    const last = i === CYCLES - 1;
    const ending: Ending = last ? 'terminate' : ENDINGS[i % ENDINGS.length]!;
    const moment: Moment = last ? 'stopped' : MOMENTS[Math.floor(random() * MOMENTS.length)]!;
    const wrapped = i % 2 === 0;
    const result = await runCycle(ending, moment, { kernel, tmpdir, random, ...(wrapped ? { wrappers } : {}) });
    results.push(result);
    const bad = result.problems.length + result.orphans.length + result.leftovers.length;
    console.log(
      `cycle ${String(i + 1).padStart(3)} ${ending.padEnd(12)} while ${moment.padEnd(9)} ${wrapped ? 'wrapped' : 'plain  '}` +
        ` ${String(result.ms).padStart(6)} ms` +
        (bad
          ? `  PROBLEMS: ${[...result.problems, ...result.orphans.map((p) => `orphan ${p.pid} ${p.comm}`), ...result.leftovers.map((f) => `left ${f}`)].join('; ')}`
          : ''),
    );
  }
  const seconds = (Date.now() - started) / 1000;
  const deaths = results.filter((r) => r.ending === 'kill-qemu' || r.ending === 'kill-gdb');
  const reported = deaths.filter((r) => r.report && !r.problems.some((p) => /report/.test(p)));
  const orphans = results.reduce((sum, r) => sum + r.orphans.length, 0);
  const leftovers = results.reduce((sum, r) => sum + r.leftovers.length, 0);
  const finalLeft = leftoversIn(tmpdir).filter((entry) => entry.startsWith('kernel-qemu-'));
  const counts = Object.fromEntries(ENDINGS.map((ending) => [ending, results.filter((r) => r.ending === ending).length]));
  console.log(
    `\n${results.length} cycles in ${seconds.toFixed(0)} s (${(seconds / results.length).toFixed(1)}` +
      ` s each, seed ${SEED}): ${JSON.stringify(counts)}`,
  );
  console.log(
    `orphaned processes: ${orphans}; leftover files: ${leftovers}; left at the end: ${finalLeft.length}` +
      `; deaths reported with stderr: ${reported.length}/${deaths.length}`,
  );
  assert.deepEqual(
    results.flatMap((r) => r.problems.map((p) => `${r.ending} while ${r.moment}: ${p}`)),
    [],
  );
  assert.equal(orphans, 0, 'orphaned processes');
  assert.equal(leftovers, 0, 'leftover runtime files');
  assert.deepEqual(finalLeft, [], 'runtime directories left after the run');
  assert.equal(reported.length, deaths.length, 'unreported deaths');
});
