// The processes a session starts: literal argv, no core files, and a readable exit.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ManagedProcess } from '../../src/process/managedProcess';

function output(process: ManagedProcess): Promise<string[]> {
  const lines: string[] = [];
  process.onStdoutLine((line) => lines.push(line));
  return process.exited.then(() => lines);
}

test('a started process may not dump core (a crashing QEMU or gdb leaves no core in the user folder)', async () => {
  const lines = await output(ManagedProcess.start('shell', '/bin/sh', ['-c', 'ulimit -c; ulimit -Hc']));
  assert.deepEqual(lines, ['0', '0']);
});

test('arguments reach the program literally, one each, and the pid is the program itself', async () => {
  const weird = ['a b', '$(touch /tmp/x)', '`id`', '\'"', 'line\nbreak', 'ünï'];
  const started = ManagedProcess.start('shell', '/bin/sh', ['-c', 'printf "%s|" "$@"; echo; cat /proc/$$/comm', 'sh', ...weird]);
  const lines = await output(started);
  assert.equal(lines.slice(0, -1).join('\n'), `${weird.join('|')}|`);
  assert.equal(lines.at(-1), 'sh');
  assert.equal(started.describeExit(), 'shell exited with code 0');
});

test('kill() ends the whole tree: a grandchild the program started goes too (its process group)', { timeout: 20_000 }, async () => {
  // A program that starts a child of its own and waits, as QEMU helpers or a gdb shell command would.
  const parent = ManagedProcess.start('tree', '/bin/sh', ['-c', 'sleep 300 & echo $!; wait']);
  const grandchild = await new Promise<number>((resolve) => parent.onStdoutLine((line) => resolve(Number(line))));
  assert.ok(grandchild > 0 && isAlive(grandchild), 'the grandchild runs');
  await parent.kill(500);
  const deadline = Date.now() + 5_000;
  while (isAlive(grandchild) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(isAlive(grandchild), false, `grandchild ${grandchild} outlived kill()`);
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie (exited, not reaped yet) counts as gone.
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
