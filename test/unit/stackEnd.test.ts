// Stacks cut at the kernel's entry frame, on frames recorded from gdb 13 against Debian's 6.1
// kernels in QEMU.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMiLine } from '../../src/mi/parser';
import type { MiTuple } from '../../src/mi/records';
import { stackLength } from '../../src/adapter/stackEnd';
import { frameName } from '../../src/adapter/stack';

function frames(...list: Array<[addr: string, func: string]>): MiTuple[] {
  const line =
    `^done,stack=[${list.map(([addr, func], level) => `frame={level="${level}",addr="${addr}",func="${func}",arch="i386:x86-64"}`).join(',')}` +
    `]`;
  const record = parseMiLine(line);
  assert.equal(record.type, 'result');
  return record.results.tuples('stack');
}

const names = (stack: MiTuple[], arch: 'x86_64' | 'aarch64') => stack.slice(0, stackLength(stack, arch)).map((frame) => frame.str('func'));

test('x86_64: a syscall stack ends at entry_SYSCALL_64, not at fixed_percpu_data and ?? below it', () => {
  const syscall = frames(
    ['0xffffffff8134a350', 'do_sys_openat2'],
    ['0xffffffff81a03f4d', 'do_syscall_64'],
    ['0xffffffff81c00126', 'entry_SYSCALL_64'],
    ['0x0000000000000003', 'fixed_percpu_data'],
    ['0x0000000000000000', '??'],
  );
  assert.deepEqual(names(syscall, 'x86_64'), ['do_sys_openat2', 'do_syscall_64', 'entry_SYSCALL_64']);
});

test('x86_64: kthreads end at ret_from_fork, CPUs at secondary_startup_64, an interrupt from user space at its asm_ entry', () => {
  assert.deepEqual(
    names(
      frames(
        ['0xffffffff810b8270', 'process_one_work'],
        ['0xffffffff810bfbfa', 'kthread'],
        ['0xffffffff810032f2', 'ret_from_fork'],
        ['0x0000000000000000', '??'],
      ),
      'x86_64',
    ),
    ['process_one_work', 'kthread', 'ret_from_fork'],
  );
  assert.deepEqual(
    names(
      frames(['0xffffffff81061bfa', 'start_secondary'], ['0xffffffff81000159', 'secondary_startup_64'], ['0x0000000000000000', '??']),
      'x86_64',
    ),
    ['start_secondary', 'secondary_startup_64'],
  );
  const irq = frames(
    ['0xffffffff81063e80', '__sysvec_apic_timer_interrupt'],
    ['0xffffffff81a06535', 'sysvec_apic_timer_interrupt'],
    ['0xffffffff81c00ec6', 'asm_sysvec_apic_timer_interrupt'],
    ['0x0000000000057b93', '??'],
    ['0x0000000000000000', '??'],
  );
  assert.deepEqual(names(irq, 'x86_64'), [
    '__sysvec_apic_timer_interrupt',
    'sysvec_apic_timer_interrupt',
    'asm_sysvec_apic_timer_interrupt',
  ]);
});

test('x86_64 6.5+: a kthread ends at ret_from_fork_asm, which calls the C ret_from_fork (frames as arch/x86/entry/entry_64.S makes them)', () => {
  const kthread = frames(
    ['0xffffffff810bfbfa', 'kthread'],
    ['0xffffffff81003a4c', 'ret_from_fork'],
    ['0xffffffff810017ba', 'ret_from_fork_asm'],
    ['0x0000000000000000', '??'],
  );
  assert.deepEqual(names(kthread, 'x86_64'), ['kthread', 'ret_from_fork', 'ret_from_fork_asm']);
});

test('a kernel frame called from a user address ends the stack; a stop in user space keeps its frames; module frames stay', () => {
  assert.deepEqual(names(frames(['0xffffffff81000000', 'f'], ['0x00007f0000001000', 'g']), 'x86_64'), ['f']);
  assert.deepEqual(names(frames(['0x0000000000401000', 'main'], ['0x00007f0000001000', '__libc_start_main']), 'x86_64'), [
    'main',
    '__libc_start_main',
  ]);
  assert.deepEqual(names(frames(['0xffffffffc0001000', '??'], ['0xffffffff81000000', 'do_init_module']), 'x86_64'), [
    '??',
    'do_init_module',
  ]);
});

test('aarch64: the vectors, ret_from_fork and __primary_switched end a stack', () => {
  const at = (func: string) => ['0xffff800008011548', func] as [string, string];
  assert.deepEqual(names(frames(at('do_sys_openat2'), at('el0t_64_sync_handler'), at('el0t_64_sync'), at('junk')), 'aarch64'), [
    'do_sys_openat2',
    'el0t_64_sync_handler',
    'el0t_64_sync',
  ]);
  assert.deepEqual(names(frames(at('gic_handle_irq'), at('el1h_64_irq'), at('junk')), 'aarch64'), ['gic_handle_irq', 'el1h_64_irq']);
  assert.deepEqual(names(frames(at('start_kernel'), at('__primary_switched'), at('junk')), 'aarch64'), [
    'start_kernel',
    '__primary_switched',
  ]);
  assert.deepEqual(names(frames(at('kthread'), at('ret_from_fork'), at('junk')), 'aarch64'), ['kthread', 'ret_from_fork']);
});

test("x86_64 at the reset vector (before the kernel): the frame at 0xfff0 is the whole stack; gdb's ?? at 0 below it is not a caller", () => {
  const reset = frames(['0x000000000000fff0', 'exception_stacks'], ['0x0000000000000000', '??']);
  assert.deepEqual(names(reset, 'x86_64'), ['exception_stacks']);
});

test("a frame without a name is named by its address; outside the kernel without a source line, vmlinux's per-CPU symbol is not its name", () => {
  assert.equal(frameName('??', '0xffffffffc0001000', undefined), '0xffffffffc0001000');
  assert.equal(frameName(undefined, '0xffffffffc0001000', undefined), '0xffffffffc0001000');
  assert.equal(frameName('exception_stacks', '0x000000000000fff0', undefined), '0x000000000000fff0');
  assert.equal(frameName('fixed_percpu_data', '0x0000000000000003', undefined), '0x0000000000000003');
  assert.equal(frameName('main', '0x0000000000401000', '/src/prog.c'), 'main');
  assert.equal(frameName('do_sys_openat2', '0xffffffff8134a350', undefined), 'do_sys_openat2');
});
