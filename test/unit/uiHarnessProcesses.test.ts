// The UI harness's leftover check (test/ui/harness/processes.ts) on real processes: a gdb
// whose parent has exited (reparented, out of every tree) is still found by the marker the
// harness puts in code-server's environment; one without the marker is not.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { alive, descendants, INSTANCE_VARIABLE, markedSessionProcesses, waitGone } from '../ui/harness/processes';
import { findExecutable } from '../../src/process/which';

const GDB = findExecutable('gdb') ?? findExecutable('gdb-multiarch');

/** Starts a gdb that sleeps (in its own Python: no child to leave behind), from a parent that exits at once: the gdb is orphaned. Returns its pid. */
function orphanGdb(env: NodeJS.ProcessEnv): number {
  const parent = `
    const { spawn } = require('node:child_process');
    const child = spawn(${JSON.stringify(GDB)}, ['-nx', '-q', '-batch', '-ex', 'python import time; time.sleep(30)'], { detached: true, stdio: 'ignore' });
    child.unref();
    console.log(child.pid);`;
  const result = spawnSync(process.execPath, ['-e', parent], { env, encoding: 'utf8' });
  return Number(result.stdout.trim());
}

test(
  'a session process that outlived its parent is found by the instance marker, not by the tree',
  { skip: GDB ? false : 'no gdb installed (sudo apt-get install gdb)' },
  async () => {
    const marker = `/tmp/kernel-qemu-ui-test${process.pid}`;
    const marked = orphanGdb({ ...process.env, [INSTANCE_VARIABLE]: marker });
    const unmarked = orphanGdb({ ...process.env, [INSTANCE_VARIABLE]: `${marker}-other` });
    try {
      assert.ok(marked > 0 && alive(marked) && alive(unmarked), 'both gdbs run');
      // Its parent is gone: it is below no process of this test.
      assert.ok(!descendants(process.pid).some((p) => p.pid === marked), 'the orphan is not a descendant');
      const found = markedSessionProcesses(marker).map((p) => p.pid);
      assert.deepEqual(found, [marked]);
    } finally {
      for (const pid of [marked, unmarked]) if (pid > 0) process.kill(pid, 'SIGKILL');
      assert.deepEqual(await waitGone([marked, unmarked], 5_000), []);
    }
  },
);

test('a session process whose command line names a path in the test dir is found', () => {
  const process_ = {
    pid: 1_000_000,
    ppid: 1,
    comm: 'qemu-system-x86',
    cmdline: 'qemu-system-x86_64 -qmp unix:/tmp/kernel-qemu-ui-Ab12Cd/home/q.sock',
  };
  assert.equal(markedSessionProcesses('/tmp/kernel-qemu-ui-Ab12Cd', [process_]).length, 1);
  assert.equal(markedSessionProcesses('/tmp/kernel-qemu-ui-Ab12', [process_]).length, 0, 'a prefix of another dir is not that dir');
  assert.equal(
    markedSessionProcesses('/tmp/kernel-qemu-ui-Ab12Cd', [{ ...process_, comm: 'sh' }]).length,
    0,
    'only QEMU, gdb and virtiofsd count',
  );
});
