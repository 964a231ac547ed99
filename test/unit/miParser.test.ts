import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMiLine } from '../../src/mi/parser';
import { MiTuple } from '../../src/mi/records';

test('a breakpoint-hit *stopped record parses into typed fields', () => {
  const record = parseMiLine(
    '*stopped,reason="breakpoint-hit",disp="keep",bkptno="1",frame={addr="0xffffffff82d4a8b0",func="start_kernel",args=[],file="init/main.c",fullname="/build/reproducible-path/linux-6.1.176/init/main.c",line="940",arch="i386:x86-64"},thread-id="1",stopped-threads="all"',
  );
  assert.equal(record.type, 'exec');
  if (record.type !== 'exec') return;
  assert.equal(record.asyncClass, 'stopped');
  assert.equal(record.results.str('reason'), 'breakpoint-hit');
  const frame = record.results.tuple('frame');
  assert.equal(frame.str('func'), 'start_kernel');
  assert.equal(frame.str('addr'), '0xffffffff82d4a8b0', '64-bit addresses stay strings');
  assert.equal(frame.int('line'), 940);
  assert.deepEqual(frame.list('args'), []);
});

test('result records carry their token and class', () => {
  const record = parseMiLine('42^done,bkpt={number="2",type="hw breakpoint",addr="0xffffffff8134d2f0",func="do_sys_openat2"}');
  assert.equal(record.type, 'result');
  if (record.type !== 'result') return;
  assert.equal(record.token, 42);
  assert.equal(record.resultClass, 'done');
  assert.equal(record.results.tuple('bkpt').str('type'), 'hw breakpoint');
});

test("an error result keeps gdb's message with escaped quotes", () => {
  const record = parseMiLine('7^error,msg="Function \\"no_such_function_xyz\\" not defined."');
  assert.equal(record.type, 'result');
  if (record.type !== 'result') return;
  assert.equal(record.resultClass, 'error');
  assert.equal(record.results.str('msg'), 'Function "no_such_function_xyz" not defined.');
});

test('lists of results drop the repeated names (stack=[frame=...,frame=...])', () => {
  const record = parseMiLine('5^done,stack=[frame={level="0",func="a"},frame={level="1",func="b"}]');
  assert.equal(record.type, 'result');
  if (record.type !== 'result') return;
  const frames = record.results.tuples('stack');
  assert.deepEqual(
    frames.map((frame) => frame.str('func')),
    ['a', 'b'],
  );
});

test('lists of values and empty containers', () => {
  const record = parseMiLine('3^done,register-names=["rax","rbx",""],empty={},none=[]');
  assert.equal(record.type, 'result');
  if (record.type !== 'result') return;
  assert.deepEqual(record.results.strings('register-names'), ['rax', 'rbx', '']);
  assert.ok(record.results.tuple('empty') instanceof MiTuple);
  assert.deepEqual(record.results.list('none'), []);
});

test('stream records decode C escapes, octal bytes as UTF-8', () => {
  const record = parseMiLine('~"swapper\\t\\"x\\"\\n\\303\\251"');
  assert.deepEqual(record, { type: 'console', text: 'swapper\t"x"\né' });
  assert.deepEqual(parseMiLine('@"target out"'), { type: 'target', text: 'target out' });
  assert.deepEqual(parseMiLine('&"warning: x\\n"'), { type: 'log', text: 'warning: x\n' });
});

test('strings mix plain runs, raw UTF-8 and escaped bytes in order; an invalid escaped byte becomes U+FFFD', () => {
  assert.deepEqual(parseMiLine('~"é\\303\\251✓ \\101\\102C \\377 😀\\\\"'), { type: 'console', text: 'éé✓ ABC \ufffd 😀\\' });
  assert.deepEqual(parseMiLine('~""'), { type: 'console', text: '' });
});

test('notify and status records', () => {
  const notify = parseMiLine('=thread-created,id="2",group-id="i1"');
  assert.equal(notify.type, 'notify');
  const status = parseMiLine('+download,section=".text"');
  assert.equal(status.type, 'status');
});

test('a bare *stopped with no results parses', () => {
  const record = parseMiLine('*stopped');
  assert.equal(record.type, 'exec');
  if (record.type === 'exec') assert.equal(record.results.optStr('reason'), undefined);
});

test('the prompt, with and without trailing space', () => {
  assert.deepEqual(parseMiLine('(gdb)'), { type: 'prompt' });
  assert.deepEqual(parseMiLine('(gdb) '), { type: 'prompt' });
});

test('malformed lines become parse error records, never exceptions', () => {
  for (const line of [
    '',
    'garbage',
    '^done,',
    '^done,a=',
    '^done,a="x',
    '^bogus',
    '*stopped,frame={a="1"',
    '~"unterminated',
    '12~"token on stream"',
    '^done,a=[b="1",',
    '\\',
    '^done,x="\\',
  ]) {
    const record = parseMiLine(line);
    assert.equal(record.type, 'parseError', `'${line}' should be a parse error`);
    if (record.type === 'parseError') {
      assert.equal(record.line, line);
      assert.ok(record.message.length > 0);
    }
  }
});

test('typed getters name the field that is missing or mistyped', () => {
  const record = parseMiLine('^done,a="1",t={}');
  assert.equal(record.type, 'result');
  if (record.type !== 'result') return;
  assert.throws(() => record.results.str('missing'), /MI field 'missing' is missing, expected a string/);
  assert.throws(() => record.results.tuple('a'), /MI field 'a' is the string '1', expected a tuple/);
  assert.throws(() => record.results.list('t'), /MI field 't' is a tuple, expected a list/);
});
