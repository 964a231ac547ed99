import assert from 'node:assert/strict';
import { test } from 'node:test';
import { splitPrintedStruct } from '../../src/adapter/printedValue';
import { childrenFromPrint, expands } from '../../src/adapter/printedChildren';
import { parseStructLayout, type StructMember } from '../../src/adapter/structLayout';

test('a printed struct splits into its members; strings, chars and <...> annotations stay whole', () => {
  assert.deepEqual(
    splitPrintedStruct(
      `{a = 1, b = {c = 2, d = "x}, y"}, {e = 3}, comm = "init", '\\000' <repeats 11 times>, p = ` +
        `0x10 <init_task+16>, q = <error: Cannot access memory at address 0x10>, ch = 44 ','}`,
    ),
    [
      { name: 'a', text: '1' },
      { name: 'b', text: '{c = 2, d = "x}, y"}' },
      { name: undefined, text: '{e = 3}' },
      { name: 'comm', text: `"init", '\\000' <repeats 11 times>` },
      { name: 'p', text: '0x10 <init_task+16>' },
      { name: 'q', text: '<error: Cannot access memory at address 0x10>' },
      { name: 'ch', text: "44 ','" },
    ],
  );
  assert.deepEqual(splitPrintedStruct('{}'), []);
  assert.deepEqual(splitPrintedStruct('{x = "a\\"}, b"}'), [{ name: 'x', text: '"a\\"}, b"' }], 'an escaped quote does not end the string');
});

test('anything but a printed struct is not split', () => {
  assert.equal(splitPrintedStruct('42'), undefined);
  assert.equal(splitPrintedStruct('{1, 2, 3}'), undefined, 'an array has no member names');
  assert.equal(splitPrintedStruct('{a = {b = 1}'), undefined, 'unbalanced');
  assert.equal(splitPrintedStruct('{a = "open}'), undefined, 'unterminated string');
});

const member = (name: string | undefined, type: string, kind: StructMember['kind'], count = 0, union = false): StructMember => ({
  name,
  type,
  kind,
  count,
  union,
});

test('children: values of scalars and pointers as printed, structs and arrays as {type}, anonymous members named as var-objects name them', () => {
  const layout = [
    member('state', 'unsigned int', 'scalar'),
    member('comm', 'char [16]', 'array', 16),
    member(undefined, 'union {...}', 'aggregate', 2, true),
    member('next', 'struct task_struct *', 'pointer'),
    member('fn', 'void (*)(void)', 'opaque'),
  ];
  const children = childrenFromPrint(
    `{state = 0, comm = "init", '\\000' <repeats 11 times>, {a = 1, b = 2}, next = 0xffff888003df8880, fn = 0xffffffff81000000 <start>}`,
    layout,
  )!;
  assert.deepEqual(
    children.map((child) => [child.exp, child.value]),
    [
      ['state', '0'],
      ['comm', '{char [16]}'],
      ['<anonymous union>', '{union {...}}'],
      ['next', '0xffff888003df8880'],
      ['fn', '0xffffffff81000000 <start>'],
    ],
  );
  assert.equal(children[2]!.text, '{a = 1, b = 2}', 'a struct member keeps its own print for its children');
});

test('a print that does not line up with the members gives no children (the caller uses var-objects)', () => {
  const layout = [member('a', 'int', 'scalar'), member('b', 'int', 'scalar')];
  assert.equal(childrenFromPrint('{a = 1}', layout), undefined, 'fewer members printed');
  assert.equal(childrenFromPrint('{a = 1, c = 2}', layout), undefined, 'another type of the same name');
  assert.equal(childrenFromPrint('0x0', layout), undefined);
});

test("layouts: gdb's JSON answer, or nothing", () => {
  assert.deepEqual(parseStructLayout('[["pid", "pid_t", "scalar", 0, false], [null, "struct {...}", "aggregate", 3, false]]\n'), [
    member('pid', 'pid_t', 'scalar'),
    member(undefined, 'struct {...}', 'aggregate', 3),
  ]);
  assert.equal(parseStructLayout('Python scripting is not supported in this copy of GDB.'), undefined);
  assert.equal(parseStructLayout('[["pid", "pid_t", "weird", 0, false]]'), undefined);
});

test('what expands is what a var-object would expand, but for pointers to types never completed', () => {
  assert.equal(expands(member('se', 'struct sched_entity', 'aggregate', 15)), true);
  assert.equal(expands(member('empty', 'struct {...}', 'aggregate', 0)), false);
  assert.equal(expands(member('comm', 'char [16]', 'array', 16)), true);
  assert.equal(expands(member('cpu_bitmap', 'unsigned long []', 'array', 1)), false, 'a flexible array');
  assert.equal(expands(member('parent', 'struct task_struct *', 'pointer')), true);
  assert.equal(expands(member('stack', 'void *', 'opaque')), false);
  assert.equal(expands(member('pid', 'pid_t', 'scalar')), false);
});
