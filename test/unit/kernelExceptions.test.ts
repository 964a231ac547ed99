// The kernel's reports as the exception filters read them from the log: where the last report
// starts, and its telling line. The log text has the kernel's own line formats (kernel/panic.c
// __warn, arch/x86/mm/fault.c page_fault_oops, arch/arm64/kernel/traps.c die).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cString, describeReport, lastReport } from '../../src/adapter/kernel/kernelExceptions';

const x86Oops = [
  '[    2.100000] Run /init as init process',
  '[    5.310211] BUG: kernel NULL pointer dereference, address: 0000000000000000',
  '[    5.310540] #PF: supervisor write access in kernel mode',
  '[    5.310709] #PF: error_code(0x0002) - not-present page',
  '[    5.310896] PGD 0 P4D 0 ',
  '[    5.311003] Oops: 0002 [#1]',
  '[    5.311150] CPU: 0 PID: 23 Comm: sh Not tainted 6.1.192 #1',
  '[    5.311300] RIP: 0010:lkdtm_EXCEPTION+0x5/0xb',
  '[    5.311900] Call Trace:',
  '[    5.312000]  <TASK>',
  '[    5.312100]  lkdtm_do_action+0x11/0x1b',
  '[    5.312900] ---[ end trace 0000000000000000 ]---',
].join('\n');

const warn = [
  '[    3.000000] something before',
  '[    4.215386] ------------[ cut here ]------------',
  '[    4.215622] WARNING: CPU: 0 PID: 22 at drivers/misc/lkdtm/bugs.c:85 lkdtm_WARNING+0x8/0xb',
  '[    4.216020] Call Trace:',
  '[    4.216500] ---[ end trace 0000000000000000 ]---',
].join('\n');

test('the last report starts at its first line, BUG before the #PF lines and the Oops line', () => {
  const report = lastReport(x86Oops);
  assert.ok(report?.startsWith('[    5.310211] BUG: kernel NULL pointer dereference'), report);
  assert.ok(report?.endsWith('---[ end trace 0000000000000000 ]---'));
  assert.equal(describeReport('oops', report), 'Oops: BUG: kernel NULL pointer dereference, address: 0000000000000000');
});

test('a WARN report starts at its cut-here line and is told by its WARNING line', () => {
  const report = lastReport(`${x86Oops}\n${warn}`);
  assert.ok(report?.startsWith('[    4.215386] ------------[ cut here ]'), report);
  assert.equal(describeReport('warn', report), 'WARN: WARNING: CPU: 0 PID: 22 at drivers/misc/lkdtm/bugs.c:85 lkdtm_WARNING+0x8/0xb');
});

test('an arm64 die() report, a bare Oops, and a log without a report', () => {
  const arm64 =
    '[ 9.1] Unable to handle kernel NULL pointer dereference at virtual address ' +
    '0000000000000000\n[ 9.2] Mem abort info:\n[ 9.3] Internal error: Oops: 0000000096000045 ' +
    '[#1] SMP';
  assert.equal(
    describeReport('oops', lastReport(arm64)),
    'Oops: Unable to handle kernel NULL pointer dereference at virtual address 0000000000000000',
  );
  assert.equal(describeReport('oops', '[ 1.0] Oops: 0002 [#1]'), 'Oops: 0002 [#1]');
  assert.equal(lastReport('[ 0.0] Linux version 6.1\n[ 0.1] Run /init as init process'), undefined);
  assert.equal(describeReport('warn', undefined), 'Kernel WARN');
});

test('a C string as gdb prints it: pointer, char array with repeats, escapes', () => {
  assert.equal(cString('0xffffffff82a0 "VFS: Unable to mount root fs on %s"'), 'VFS: Unable to mount root fs on %s');
  assert.equal(
    cString(`"VFS: Unable to mount root fs on unknown-block(0,0)", '\\000' <repeats 971 times>`),
    'VFS: Unable to mount root fs on unknown-block(0,0)',
  );
  assert.equal(cString('"sysrq triggered crash\\n"'), 'sysrq triggered crash');
  assert.equal(cString(`'\\000' <repeats 1023 times>`), undefined);
});
