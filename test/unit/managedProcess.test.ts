// The processes a session starts: literal argv, no core files, and a readable exit.
import assert from 'node:assert/strict';
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
  const weird = ['a b', '$(touch /tmp/x)', '`id`', "'\"", 'line\nbreak', 'ünï'];
  const started = ManagedProcess.start('shell', '/bin/sh', ['-c', 'printf "%s|" "$@"; echo; cat /proc/$$/comm', 'sh', ...weird]);
  const lines = await output(started);
  assert.equal(lines.slice(0, -1).join('\n'), `${weird.join('|')}|`);
  assert.equal(lines.at(-1), 'sh');
  assert.equal(started.describeExit(), 'shell exited with code 0');
});
