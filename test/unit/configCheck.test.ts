import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { checkConfig, resolveConfig } from '../../src/adapter/configCheck';
import { launchSchema } from '../../src/adapter/launchArgs';
import { ErrorCode } from '../../src/adapter/errors';
import { readElfSummary } from '../../src/elf/elf';
import { chooseAccel } from '../../src/qemu/accel';
import { writeElf } from './elfFixture';

const dir = mkdtempSync(path.join(os.tmpdir(), 'kq-config-'));
const x86Vmlinux = path.join(dir, 'vmlinux-x86');
const armVmlinux = path.join(dir, 'vmlinux-arm64');
const riscvVmlinux = path.join(dir, 'vmlinux-riscv');
writeElf(x86Vmlinux, 62, ['.text', '.debug_info']);
writeElf(armVmlinux, 183, ['.text', '.debug_info']);
writeElf(riscvVmlinux, 243, ['.text', '.debug_info']);

// A missing tool is found by searching PATH; an empty PATH stands for a machine without it.
let savedPath: string | undefined;
before(() => {
  savedPath = process.env.PATH;
  process.env.PATH = '/nonexistent';
});
after(() => {
  process.env.PATH = savedPath;
});

test('defaults are stated once: a configuration without a key gets the default its schema (IntelliSense) shows', async () => {
  const resolved = await resolveConfig('launch', {
    program: x86Vmlinux,
    kernel: '/bin/true',
    gdbPath: '/bin/true',
    qemuPath: '/bin/true',
    shares: [{ host: dir, guest: '/mnt/host', transport: '9p' }],
  });
  assert.equal(resolved.request, 'launch');
  if (resolved.request !== 'launch') return;
  const schema = launchSchema.properties;
  const got: Array<[string, unknown, unknown]> = [
    ['stopAtEntry', resolved.stopAtEntry, schema.stopAtEntry.default],
    ['stopAtConnect', resolved.stopAtConnect, schema.stopAtConnect.default],
    ['hardwareBreakpoints', resolved.hardwareBreakpoints, schema.hardwareBreakpoints.default],
    ['trace', resolved.trace, schema.trace.default],
    ['breakOnPanic', resolved.breakOnPanic, schema.breakOnPanic.default],
    ['threads', resolved.threads, schema.threads.default],
    ['kaslr', resolved.kaslr, schema.kaslr.default],
    ['accel', resolved.accel, schema.accel.default],
    ['memory', resolved.memory, schema.memory.default],
    ['smp', resolved.smp, schema.smp.default],
    ['network', resolved.guest.devices.network, schema.network.default],
    [
      'shares[].readOnly',
      resolved.guest.devices.shares[0]?.readOnly,
      (schema.shares.items?.properties as Record<string, { default?: unknown }>).readOnly?.default,
    ],
  ];
  for (const [key, value, stated] of got) {
    assert.notEqual(stated, undefined, `the schema states no default for ${key}`);
    assert.deepEqual(value, stated, key);
  }
});

const elfWithoutDebugInfo = { program: '/bin/true', kernel: '/bin/true' };

test('the ELF reader finds the machine and the DWARF section', async () => {
  const elf = await readElfSummary(x86Vmlinux);
  assert.equal(elf.arch, 'x86_64');
  assert.equal(elf.hasDebugInfo, true);
  assert.deepEqual([...elf.sections.keys()].filter(Boolean), ['.text', '.debug_info', '.shstrtab']);
  assert.equal((await readElfSummary(armVmlinux)).arch, 'aarch64');
});

test('no gdb on the machine: the error names the Debian package to install', async () => {
  const native = await checkConfig('launch', { program: x86Vmlinux, kernel: '/bin/true' });
  assert.equal(native?.code, ErrorCode.GdbNotFound);
  assert.match(native?.message ?? '', /apt-get install gdb-multiarch/);
  const foreign = await checkConfig('launch', { program: armVmlinux, kernel: '/bin/true' });
  assert.match(foreign?.message ?? '', /gdb-multiarch was not found\. Install it \(Debian\/Ubuntu: sudo apt-get install gdb-multiarch\)/);
});

test('no QEMU on the machine: the error names the Debian package per arch', async () => {
  const gdb = '/bin/true'; // any executable passes the gdb lookup
  const x86 = await checkConfig('launch', { program: x86Vmlinux, kernel: '/bin/true', gdbPath: gdb });
  assert.equal(x86?.code, ErrorCode.QemuNotFound);
  assert.match(
    x86?.message ?? '',
    /qemu-system-x86_64 was not found\. Install it \(Debian\/Ubuntu: sudo apt-get install qemu-system-x86\)/,
  );
  const arm = await checkConfig('launch', { program: armVmlinux, kernel: '/bin/true', gdbPath: gdb });
  assert.match(arm?.message ?? '', /apt-get install qemu-system-arm/);
});

test('a kernel for an unsupported arch is named', async () => {
  const error = await checkConfig('launch', { program: riscvVmlinux, kernel: '/bin/true' });
  assert.equal(error?.code, ErrorCode.ArchMismatch);
  assert.match(error?.message ?? '', /RISC-V ELF; kernel-qemu debugs x86_64 and aarch64/);
});

test('configuration must be an object', async () => {
  const error = await checkConfig('launch', null as unknown as Record<string, unknown>);
  assert.equal(error?.code, ErrorCode.BadArgument);
});

test('"program" that is not ELF vs one without DWARF give different errors', async () => {
  const notElf = await checkConfig('launch', { program: '/etc/hostname', kernel: '/bin/true' });
  assert.equal(notElf?.code, ErrorCode.ProgramNotElf);
  const noDwarf = await checkConfig('launch', elfWithoutDebugInfo);
  assert.equal(noDwarf?.code, ErrorCode.ProgramNoDebugInfo);
});

test('accel auto: a foreign-arch guest or a missing /dev/kvm means TCG, with the reason', async () => {
  const base = { qemuPath: 'qemu-system-x86_64', kernel: '/dev/null', kvmDevice: async () => true };
  const foreign = await chooseAccel({ ...base, accel: 'auto', arch: 'aarch64', hostArch: 'x86_64' });
  assert.deepEqual([foreign.accel, /aarch64 guest on an x86_64 host/.test(foreign.reason)], ['tcg', true]);
  const noDevice = await chooseAccel({ ...base, accel: 'auto', arch: 'x86_64', hostArch: 'x86_64', kvmDevice: async () => false });
  assert.deepEqual([noDevice.accel, /\/dev\/kvm/.test(noDevice.reason)], ['tcg', true]);
  const softwareKvm = await chooseAccel({
    ...base,
    accel: 'auto',
    arch: 'x86_64',
    hostArch: 'x86_64',
    hasVirtualizationFlags: async () => false,
  });
  assert.deepEqual([softwareKvm.accel, /no vmx\/svm/.test(softwareKvm.reason)], ['tcg', true]);
  assert.equal((await chooseAccel({ ...base, accel: 'tcg', arch: 'x86_64', hostArch: 'x86_64' })).accel, 'tcg');
  assert.equal((await chooseAccel({ ...base, accel: 'kvm', arch: 'x86_64', hostArch: 'x86_64' })).accel, 'kvm');
});
