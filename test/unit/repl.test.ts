// The Debug Console's reading of a line, the way gdb's CLI reads it, and what it shows of gdb's output.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { commandWord, completionItems, failureText, parseInput, Repl } from '../../src/adapter/repl';
import type { MiCommand } from '../../src/mi/commands';
import type { MiConnection, MiResult } from '../../src/mi/connection';
import { MiTuple } from '../../src/mi/records';
import { showsUnsolicited } from '../../src/adapter/gdbOutput';

test("the command word is what gdb's CLI would look up: letters, digits, -, _ and .", () => {
  assert.equal(commandWord('init_task.pid'), 'init_task.pid');
  assert.equal(commandWord('info registers rip'), 'info');
  assert.equal(commandWord('lx-dmesg'), 'lx-dmesg');
  assert.equal(commandWord('p/x jiffies'), 'p');
  assert.equal(commandWord('(char)init_task.comm[1]'), '');
  assert.equal(commandWord('*(int *)0'), '');
  assert.equal(commandWord('$rip'), '');
});

test('a line is MI, a command, an expression, or up to gdb to tell', () => {
  assert.deepEqual(parseInput('  -break-list '), { kind: 'mi', command: '-break-list' });
  assert.deepEqual(parseInput('-exec info registers'), { kind: 'command', command: 'info registers' });
  assert.deepEqual(parseInput('-exec -break-list'), { kind: 'mi', command: '-break-list' });
  assert.deepEqual(parseInput('-exec-continue'), { kind: 'mi', command: '-exec-continue' }, 'an MI command that starts like the prefix');
  assert.deepEqual(parseInput('-exec'), { kind: 'empty' });
  assert.deepEqual(parseInput(''), { kind: 'empty' });
  assert.deepEqual(parseInput('(char)init_task.comm[1]'), { kind: 'expression', text: '(char)init_task.comm[1]' });
  assert.deepEqual(parseInput('init_task.pid'), { kind: 'commandOrExpression', word: 'init_task.pid', text: 'init_task.pid' });
  assert.deepEqual(parseInput('bt 3'), { kind: 'commandOrExpression', word: 'bt', text: 'bt 3' });
});

test("a failed command shows what it printed, then gdb's error once", () => {
  assert.equal(
    failureText('Undefined command: "inof".  Try "help".\n', 'Undefined command: "inof".  Try "help".'),
    'Undefined command: "inof".  Try "help".',
  );
  assert.equal(
    failureText('#0  f ()\n#1  g ()\nCannot access memory at address 0x8\n', 'Cannot access memory at address 0x8'),
    '#0  f ()\n#1  g ()\nCannot access memory at address 0x8',
  );
  assert.equal(failureText('', 'No symbol "x" in current context.'), 'No symbol "x" in current context.');
});

test("gdb's completion lines become the word being completed and the typed part it replaces", () => {
  assert.deepEqual(completionItems('info regi', ['info registers']), [{ label: 'registers', start: 5, length: 4 }]);
  assert.deepEqual(completionItems('init_task.pi', ['init_task.pid', 'init_task.pi_lock', 'init_task.pid']), [
    { label: 'pid', start: 10, length: 2 },
    { label: 'pi_lock', start: 10, length: 2 },
  ]);
  assert.deepEqual(completionItems('p x', []), []);
});

test("at a stop, gdb's missing-source line and its stale-location bookkeeping are not shown; its warnings and errors are", () => {
  assert.equal(showsUnsolicited({ type: 'log', text: '1306\tfs/open.c: No such file or directory.\n' }), false);
  assert.equal(
    showsUnsolicited({ type: 'log', text: 'warning: location number not found for breakpoint 6 address 0xffff80000814fb3c.\n' }),
    false,
  );
  assert.equal(showsUnsolicited({ type: 'log', text: 'warning: Unable to find dynamic linker breakpoint function.\n' }), true);
  assert.equal(showsUnsolicited({ type: 'log', text: 'Error in testing breakpoint condition:\n' }), true);
  assert.equal(showsUnsolicited({ type: 'console', text: 'Thread 2 hit Breakpoint 2, do_sys_openat2 () at fs/open.c:1306\n' }), false);
  assert.equal(showsUnsolicited({ type: 'console', text: '1306\t\treturn do_sys_openat2(dfd, filename, &how);\n' }), false);
});

test('a frame variable named like a command is evaluated; the command runs otherwise, and only a bare name counts', async () => {
  const sent: string[] = [];
  const host = {
    mi: {
      send: async (command: MiCommand) => {
        sent.push(command.text);
        return { results: new MiTuple({}), resultClass: 'done', console: '', transcript: 'stepped\n' } as MiResult;
      },
    } as unknown as MiConnection,
    evaluate: async (expression: string) => ({ result: `value of ${expression}`, variablesReference: 0 }),
    beforeCommand: async () => undefined,
    afterCommand: () => undefined,
    frameVariables: async () => ['s', 'next'],
  };
  const repl = new Repl(host);
  const frame = { threadId: 1, frameLevel: 0 };
  assert.equal((await repl.evaluate('s', frame)).result, 'value of s');
  assert.equal((await repl.evaluate('next', frame)).result, 'value of next');
  assert.deepEqual(sent, [], 'gdb ran no command');
  assert.equal((await repl.evaluate('s', undefined)).result, 'stepped', "no frame: gdb's command");
  assert.equal((await repl.evaluate('s 2', frame)).result, 'stepped', 'with arguments it is a command');
  assert.deepEqual(sent, [
    '-interpreter-exec console "help s"',
    '-interpreter-exec console "s"',
    '-interpreter-exec console "help s"',
    '-interpreter-exec console "s 2"',
  ]);
});

test('a line longer than gdb reads in reasonable time is refused before it reaches gdb', async () => {
  const sent: string[] = [];
  const host = {
    mi: { send: async (command: MiCommand) => void sent.push(command.text) } as unknown as MiConnection,
    evaluate: async (expression: string) => ({ result: `value of ${expression}`, variablesReference: 0 }),
    beforeCommand: async () => undefined,
    afterCommand: () => undefined,
    frameVariables: async () => [],
  };
  const repl = new Repl(host);
  await assert.rejects(repl.evaluate('x'.repeat(100_000), { threadId: 1, frameLevel: 0 }), (error: Error) => {
    assert.match(error.message, /100000 characters long; kernel-qemu sends at most 4096 to gdb/);
    return true;
  });
  assert.deepEqual(sent, []);
  assert.equal(
    (await repl.evaluate(`(init_task.pid) + ${'0'.repeat(4000)}`, undefined)).result,
    'value of (init_task.pid) + ' + '0'.repeat(4000),
  );
});
