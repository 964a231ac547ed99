// Every bad launch input gets an error that names the problem and the fix, before anything starts.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import { launchConfig, sessionPids, startClient, stopClient, testKernel } from './support';

describe('bad launch input', () => {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'kq-bad-'));
  const notElf = path.join(scratch, 'bzImage-not-elf');
  writeFileSync(notElf, 'MZ this is not an ELF file');
  let client: DebugClient;

  before(async () => {
    client = await startClient();
  });
  after(async () => {
    await stopClient(client);
  });

  async function launchFails(extra: Record<string, unknown>, expected: RegExp): Promise<void> {
    const x86 = testKernel('x86_64');
    await assert.rejects(client.launch(launchConfig(x86, extra)), (error: Error) => {
      assert.match(error.message, expected);
      return true;
    });
    assert.deepEqual(sessionPids(), [], 'nothing was started');
  }

  test('missing vmlinux names the key and what to point it at', () =>
    launchFails({ program: path.join(scratch, 'no-such-vmlinux') }, /'program' .*no-such-vmlinux does not exist.*vmlinux/));

  test('a non-ELF program (a bzImage given as program) says to use vmlinux', () =>
    launchFails({ program: notElf }, /is not an ELF file.*vmlinux.*'kernel'/));

  test('an ELF without debug info says how to rebuild with DWARF', () =>
    launchFails({ program: '/bin/true' }, /has no debug info.*DEBUG_INFO/));

  test('arch different from the vmlinux says which one it is', () =>
    launchFails({ arch: 'aarch64' }, /is an x86_64 kernel but 'arch' is "aarch64"/));

  test('a missing kernel image', () => launchFails({ kernel: path.join(scratch, 'missing-bzImage') }, /'kernel' .*missing-bzImage does not exist/));

  test('a missing initrd', () => launchFails({ initrd: path.join(scratch, 'missing.cpio') }, /'initrd' .*missing\.cpio does not exist/));

  test('a qemuPath that is not installed says to install it or set qemuPath', () =>
    launchFails({ qemuPath: 'qemu-system-x86_64-not-installed' }, /qemu-system-x86_64-not-installed was not found.*set 'qemuPath'/));

  test('a gdbPath that is not installed says to install it or set gdbPath', () =>
    launchFails({ gdbPath: 'gdb-multiarch-not-installed' }, /gdb-multiarch-not-installed was not found.*'gdbPath'/));

  test('KVM for a foreign-arch guest is refused with the alternative', () =>
    launchFails({ program: testKernel('aarch64').vmlinux, kernel: testKernel('aarch64').kernel, accel: 'kvm' }, /"accel": "kvm" needs the guest arch to match the host.*"tcg"/));

  test('a mistyped value is refused with the expected type', () => launchFails({ memory: '512M' }, /'memory' must be an integer, not "512M"/));

  test('an unknown accel value lists the valid ones', () => launchFails({ accel: 'hvf' }, /'accel' must be one of "auto", "kvm", "tcg"/));

  test('a missing required key', () => launchFails({ kernel: undefined }, /'kernel' is required/));
});
