// Every bad launch input gets an error that names the problem and the fix, before anything starts.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, writeFileSync, writeSync } from 'node:fs';
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

  test('a missing kernel image', () =>
    launchFails({ kernel: path.join(scratch, 'missing-bzImage') }, /'kernel' .*missing-bzImage does not exist/));

  test('a missing initrd', () => launchFails({ initrd: path.join(scratch, 'missing.cpio') }, /'initrd' .*missing\.cpio does not exist/));

  test('a qemuPath that is not installed says to install it or set qemuPath', () =>
    launchFails({ qemuPath: 'qemu-system-x86_64-not-installed' }, /qemu-system-x86_64-not-installed was not found.*set 'qemuPath'/));

  test('a gdbPath that is not installed says to install it or set gdbPath', () =>
    launchFails({ gdbPath: 'gdb-multiarch-not-installed' }, /gdb-multiarch-not-installed was not found.*'gdbPath'/));

  test('KVM for a foreign-arch guest is refused with the alternative', () =>
    launchFails(
      { program: testKernel('aarch64').vmlinux, kernel: testKernel('aarch64').kernel, accel: 'kvm' },
      /"accel": "kvm" needs the guest arch to match the host.*"tcg"/,
    ));

  test('a mistyped value is refused with the expected type', () =>
    launchFails({ memory: '512M' }, /'memory' must be an integer, not "512M"/));

  test('an unknown accel value lists the valid ones', () => launchFails({ accel: 'hvf' }, /'accel' must be one of "auto", "kvm", "tcg"/));

  test('a missing required key', () => launchFails({ kernel: undefined }, /'kernel' is required/));

  describe('a damaged qcow2 rootfs is refused before QEMU starts, with the reason, and left as it was', () => {
    /** A small qcow2 with data in it (an L2 table, data clusters): what a damaged real image looks like in miniature. */
    function qcow2WithData(name: string): string {
      const image = path.join(scratch, name);
      execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', image, '16M']);
      execFileSync('qemu-io', ['-c', 'write -P 0xab 0 128k', image]);
      return image;
    }
    function sha256(file: string): string {
      return createHash('sha256').update(readFileSync(file)).digest('hex');
    }
    async function refused(image: string, expected: RegExp): Promise<void> {
      const before = sha256(image);
      await launchFails({ rootfs: image }, expected);
      assert.equal(sha256(image), before, 'the image is unchanged');
    }

    test('refcounts zeroed (QEMU would boot it and overwrite data): the corruptions qemu-img check counts', async () => {
      const image = qcow2WithData('refcounts-zeroed.qcow2');
      // The header's refcount_table_offset (at byte 48) → the table's first entry → that refcount block.
      const fd = openSync(image, 'r+');
      const word = Buffer.alloc(8);
      readSync(fd, word, 0, 8, 48);
      readSync(fd, word, 0, 8, Number(word.readBigUInt64BE()));
      writeSync(fd, Buffer.alloc(65536), 0, 65536, Number(word.readBigUInt64BE()));
      closeSync(fd);
      await refused(
        image,
        /'rootfs' .*refcounts-zeroed\.qcow2 is a damaged qcow2 image: qemu-img check found 10 corruptions .*refcount=0 reference=1.*has not changed it.*qemu-img check -r all COPY/,
      );
    });

    test("a header QEMU cannot read: qemu-img's reason", async () => {
      const image = qcow2WithData('bad-header.qcow2');
      const fd = openSync(image, 'r+');
      writeSync(fd, Buffer.from([0, 0, 0, 9]), 0, 4, 4); // version 9
      closeSync(fd);
      await refused(
        image,
        /'rootfs' .*bad-header\.qcow2 is a damaged qcow2 image: qemu-img check could not read it: .*Unsupported qcow2 version 9/,
      );
    });
  });
});
