// The evaluation policy on a scripted gdb: the read-only window's lines, what it restores,
// and what it refuses itself where gdb cannot guard the registers (gdb 13).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mi } from '../../src/mi/commands';
import { MiConnection } from '../../src/mi/connection';
import { EvaluationPolicy, writesDollarName } from '../../src/adapter/evaluationPolicy';
import { classify } from '../../src/adapter/stopCache';

/** A gdb that answers -gdb-show from `settings`, refuses -gdb-set of `fixed`, and ^done to the rest. */
function scriptedGdb(settings: Record<string, string>, fixed: readonly string[]): { conn: MiConnection; sent: string[] } {
  const sent: string[] = [];
  const conn: MiConnection = new MiConnection((line) => {
    sent.push(line.replace(/^\d+/, ''));
    const token = /^\d+/.exec(line)![0];
    const show = /-gdb-show (\S+)/.exec(line);
    const set = /-gdb-set (\S+) (\S+)/.exec(line);
    let answer = '^done';
    if (show) answer = `^done,value="${settings[show[1]!]}"`;
    else if (line.includes('nosuchvar')) answer = '^error,msg="No symbol \\"nosuchvar\\" in current context."';
    else if (set && fixed.includes(set[1]!)) answer = '^error,msg="Cannot change this setting while the inferior is running."';
    else if (set) settings[set[1]!] = set[2]!;
    setImmediate(() => conn.handleLine(`${token}${answer}`)); // each answer a separate I/O event, as from gdb
  });
  return { conn, sent };
}

test('an evaluation goes out between switching writes and calls off and back, in one tick', async () => {
  const { conn, sent } = scriptedGdb({ 'may-write-memory': 'on', 'may-write-registers': 'on', 'may-call-functions': 'on' }, []);
  const policy = new EvaluationPolicy(conn);
  const [answer] = await policy.readOnly([mi.evaluate('init_task.pid')] as const);
  assert.equal(answer.status, 'fulfilled');
  const window = sent.slice(sent.indexOf('-gdb-set may-write-memory off'));
  assert.deepEqual(window, [
    '-gdb-set may-write-memory off',
    '-gdb-set may-write-registers off',
    '-gdb-set may-call-functions off',
    '-data-evaluate-expression "init_task.pid"',
    '-gdb-set may-write-memory on',
    '-gdb-set may-write-registers on',
    '-gdb-set may-call-functions on',
  ]);
  assert.equal(await policy.refusal('$rax = 1'), undefined, 'gdb guards the registers itself');
});

test("the user's own settings are restored, and one gdb cannot change is left alone", async () => {
  const { conn, sent } = scriptedGdb({ 'may-write-memory': 'off', 'may-write-registers': 'on', 'may-call-functions': 'on' }, [
    'may-write-registers',
  ]);
  const policy = new EvaluationPolicy(conn);
  await policy.readOnly([mi.evaluate('x')] as const);
  const window = sent.slice(sent.indexOf('-data-evaluate-expression "x"') - 1);
  assert.deepEqual(window, ['-gdb-set may-call-functions off', '-data-evaluate-expression "x"', '-gdb-set may-call-functions on']);
  assert.match((await policy.refusal('$rax = 1')) ?? '', /cannot forbid register writes/);
  assert.equal(await policy.refusal('init_task.pid = 1'), undefined, "memory writes are gdb's to refuse");
  assert.equal(await policy.refusal('$_strlen(init_task.comm)'), undefined);
});

test('a refused evaluation is an answer, not an unhandled rejection', async () => {
  const { conn } = scriptedGdb({ 'may-write-memory': 'on', 'may-write-registers': 'on', 'may-call-functions': 'on' }, []);
  const unhandled: unknown[] = [];
  const record = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', record);
  try {
    const [created, printed] = await new EvaluationPolicy(conn).readOnly([mi.varCreate('nosuchvar'), mi.evaluate('nosuchvar')] as const);
    assert.equal(created.status, 'rejected');
    assert.equal(printed.status === 'rejected' && (printed.reason as Error).message, 'No symbol "nosuchvar" in current context.');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', record);
  }
});

test('assignments to $ names, and what is not one', () => {
  for (const writes of ['$rax = 1', '$pc += 4', '$x++', '--$sp', '$xmm0.v4_int32[0] = 1', '($rax=2) + 1', '$eflags |= 1', '$a <<= 1'])
    assert.equal(writesDollarName(writes), true, writes);
  for (const reads of [
    '$rax == 1',
    '$pc >= 4',
    '$sp <= $fp',
    '$rax != 0',
    '$_strlen("$a = 1")',
    'init_task.pid = 1',
    '$lx_current().pid',
    "'$' == 36",
  ])
    assert.equal(writesDollarName(reads), false, reads);
});

test('the stop cache keeps what was read under the policy, and the switches do not empty it', () => {
  assert.equal(classify({ ...mi.evaluate('$lx_current()'), readOnly: true }), 'cached');
  assert.equal(classify(mi.evaluate('$lx_current()')), 'changes', 'outside the policy a call may change the kernel');
  assert.equal(classify(mi.gdbSet('may-write-memory', 'off')), 'neutral');
  assert.equal(classify(mi.gdbShow('may-call-functions')), 'neutral');
  assert.equal(classify(mi.gdbSet('var', 'x')), 'changes');
  assert.equal(classify(mi.helpFor('init_task.pid')), 'neutral', 'asking gdb whether a word is a command');
});
