import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildQemuArgs, kernelCommandLine, type QemuPlan } from '../../src/qemu/args';

const base: QemuPlan = {
  arch: 'x86_64',
  accel: 'tcg',
  kernel: '/k/bzImage',
  initrd: '/k/initrd.gz',
  commandLine: 'console=ttyS0 nokaslr',
  memoryMiB: 512,
  smp: 1,
  gdbSocket: '/tmp/kq/gdb.sock',
  qmpSocket: '/tmp/kq/qmp.sock',
  extraArgs: [],
};

function valueAfter(args: string[], flag: string): string | undefined {
  const index = args.indexOf(flag);
  return index < 0 ? undefined : args[index + 1];
}

test('QEMU starts paused with its gdb stub and QMP on unix sockets, never on TCP', () => {
  const args = buildQemuArgs(base);
  assert.ok(args.includes('-S'));
  assert.equal(valueAfter(args, '-gdb'), 'chardev:gdbstub');
  assert.match(args.join(' '), /socket,id=gdbstub,path=\/tmp\/kq\/gdb\.sock,server=on,wait=off/);
  assert.equal(valueAfter(args, '-qmp'), 'unix:/tmp/kq/qmp.sock,server=on,wait=off');
  assert.ok(!args.includes('-s'), "the tutorials' -s listens on 0.0.0.0");
  assert.ok(!args.some((arg) => /tcp:/.test(arg)));
});

test('x86_64 defaults: tcg, no machine override, kernel/initrd/append passed as single argv elements', () => {
  const args = buildQemuArgs(base);
  assert.equal(valueAfter(args, '-accel'), 'tcg');
  assert.equal(valueAfter(args, '-machine'), undefined);
  assert.equal(valueAfter(args, '-kernel'), '/k/bzImage');
  assert.equal(valueAfter(args, '-initrd'), '/k/initrd.gz');
  assert.equal(valueAfter(args, '-append'), 'console=ttyS0 nokaslr');
  assert.equal(valueAfter(args, '-m'), '512');
});

test('aarch64 defaults to the virt machine and the max cpu; kvm uses the host cpu', () => {
  const args = buildQemuArgs({ ...base, arch: 'aarch64' });
  assert.equal(valueAfter(args, '-machine'), 'virt');
  assert.equal(valueAfter(args, '-cpu'), 'max');
  assert.equal(valueAfter(buildQemuArgs({ ...base, accel: 'kvm' }), '-cpu'), 'host');
  assert.equal(valueAfter(buildQemuArgs({ ...base, arch: 'aarch64', cpu: 'cortex-a72' }), '-cpu'), 'cortex-a72');
});

test('a rootfs becomes a virtio drive; commas in paths are escaped for QEMU option syntax', () => {
  const args = buildQemuArgs({ ...base, rootfs: { path: '/a,b/root fs.qcow2', format: 'qcow2' } });
  assert.equal(valueAfter(args, '-drive'), 'file=/a,,b/root fs.qcow2,format=qcow2,if=virtio');
});

test('user text with shell metacharacters stays one literal argv element', () => {
  const nasty = '/tmp/x; rm -rf $(echo /) `id` "q" \n ü';
  const args = buildQemuArgs({ ...base, kernel: nasty, extraArgs: ['-device', 'virtio-rng-pci'] });
  assert.equal(valueAfter(args, '-kernel'), nasty);
  assert.deepEqual(args.slice(-2), ['-device', 'virtio-rng-pci']);
});

test('kernel command line: console per arch, nokaslr unless kaslr, root for a disk', () => {
  assert.equal(kernelCommandLine({ arch: 'x86_64', hasRootfs: false }), 'console=ttyS0 nokaslr');
  assert.equal(
    kernelCommandLine({ arch: 'aarch64', hasRootfs: false }),
    'console=ttyAMA0 nokaslr arm64.nopauth',
    'gdb unwinds arm64 stacks only without pointer authentication',
  );
  assert.equal(
    kernelCommandLine({ arch: 'aarch64', append: 'id_aa64isar1.api=1', hasRootfs: false }),
    'console=ttyAMA0 id_aa64isar1.api=1 nokaslr',
    "the user's own choice about PAC",
  );
  assert.equal(kernelCommandLine({ arch: 'x86_64', kaslr: true, hasRootfs: false }), 'console=ttyS0');
  assert.equal(
    kernelCommandLine({ arch: 'x86_64', append: 'console=tty0 quiet', hasRootfs: true }),
    'console=tty0 quiet nokaslr root=/dev/vda rw',
  );
  assert.equal(
    kernelCommandLine({ arch: 'x86_64', append: 'root=/dev/sda nokaslr', hasRootfs: true }),
    'console=ttyS0 root=/dev/sda nokaslr',
  );
});

test('the serial console is on the session FIFOs when given (their path escaped), else on QEMU stdio', () => {
  assert.equal(
    valueAfter(buildQemuArgs({ ...base, serialPipe: '/tmp/kq,x/serial' }), '-chardev'),
    'pipe,id=console,path=/tmp/kq,,x/serial',
  );
  assert.equal(valueAfter(buildQemuArgs(base), '-chardev'), 'stdio,id=console,signal=off');
  assert.equal(valueAfter(buildQemuArgs(base), '-serial'), 'chardev:console');
});
