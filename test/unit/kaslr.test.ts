import assert from 'node:assert/strict';
import { test } from 'node:test';
import { idtBase, idtGateTarget, plausibleOffset } from '../../src/adapter/kernel/kaslr';
import { parseCString, stateLetter } from '../../src/adapter/kernel/tasks';
import { locationExpression } from '../../src/adapter/kernel/locations';

test('an x86_64 IDT gate decodes to its 64-bit handler address', () => {
  const gate = Buffer.alloc(16);
  gate.writeUInt16LE(0x1230, 0);
  gate.writeUInt16LE(0x0010, 2);
  gate.writeUInt16LE(0x8e00, 4);
  gate.writeUInt16LE(0x8abc, 6);
  gate.writeUInt32LE(0xffffffff, 8);
  assert.equal(idtGateTarget(gate), 0xffffffff8abc1230n);
});

test('the IDT base is read from HMP info registers', () => {
  const text = 'RIP=ffffffff81a17a0b RFL=00000246\nGDT=     fffffe0000001000 0000007f\nIDT=     fffffe0000000000 00000fff\nCR0=80050033';
  assert.equal(idtBase(text), 0xfffffe0000000000n);
  assert.equal(idtBase('nothing'), undefined);
});

test('only offsets KASLR could choose are accepted (aligned, in range, not negative)', () => {
  assert.equal(plausibleOffset('x86_64', 0xffffffff8b000000n, 0xffffffff81000000n), 0xa000000n);
  assert.equal(plausibleOffset('x86_64', 0xffffffff81001000n, 0xffffffff81000000n), undefined, 'not 2 MiB aligned');
  assert.equal(plausibleOffset('x86_64', 0xffffffff80000000n, 0xffffffff81000000n), undefined, 'negative');
  assert.equal(plausibleOffset('aarch64', 0xffffc49e8a010800n, 0xffff800008010800n), 0x449e82000000n);
});

test("task fields: comm from gdb's char array print, ps state letters", () => {
  assert.equal(parseCString('"swapper/0\\000\\000\\000\\000\\000\\000"'), 'swapper/0');
  assert.equal(parseCString('"sh", \'\\000\' <repeats 13 times>'), 'sh');
  assert.deepEqual(
    [0, 1, 2, 0x402, 4].map((state) => stateLetter(state, 0)),
    ['R', 'S', 'D', 'I', 'T'],
  );
  assert.equal(stateLetter(0, 0x10), 'Z');
});

test('oops trace locations become gdb address expressions', () => {
  assert.equal(locationExpression('do_sys_openat2+0x1a/0x40'), '(unsigned long)&do_sys_openat2 + 0x1a');
  assert.equal(locationExpression('0xffffffff8134a350'), '0xffffffff8134a350');
  assert.equal(locationExpression('nls_utf8_init+0x5/0x1000 [nls_utf8]'), '(unsigned long)&nls_utf8_init + 0x5');
  assert.throws(() => locationExpression('rm -rf /'), /not a kernel location/);
});
