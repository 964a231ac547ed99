// Kernel-tree discovery (F5 without launch.json) and the qemuPath/gdbPath settings defaults.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { discoverKernelTree, launchConfigFor, type KernelTree } from '../../src/extension/discovery';
import { applyToolSettings } from '../../src/extension/toolSettings';

const EM = { x86_64: 62, aarch64: 183 } as const;
const scratch = mkdtempSync(path.join(tmpdir(), 'kq-discovery-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A 64-byte little-endian ELF64 header for `machine` (no sections: enough for the arch). */
function elfHeader(machine: number): Buffer {
  const header = Buffer.alloc(64);
  header.writeUInt32BE(0x7f454c46, 0);
  header[4] = 2;
  header[5] = 1;
  header[6] = 1;
  header.writeUInt16LE(2, 16);
  header.writeUInt16LE(machine, 18);
  return header;
}

let trees = 0;
function tree(files: Record<string, Buffer | string>): string {
  const dir = path.join(scratch, `tree${trees++}`);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

function found(result: KernelTree | { problem: string }): KernelTree {
  assert.ok(!('problem' in result), 'problem' in result ? result.problem : '');
  return result;
}

function problem(result: KernelTree | { problem: string }): string {
  assert.ok('problem' in result, 'expected a problem');
  return result.problem;
}

test('x86_64 tree: vmlinux + bzImage, initramfs picked up', async () => {
  const dir = tree({ vmlinux: elfHeader(EM.x86_64), 'arch/x86/boot/bzImage': 'bz', 'initramfs.cpio.gz': 'cpio' });
  assert.deepEqual(found(await discoverKernelTree(dir)), {
    arch: 'x86_64',
    program: path.join(dir, 'vmlinux'),
    kernel: path.join(dir, 'arch/x86/boot/bzImage'),
    initrd: path.join(dir, 'initramfs.cpio.gz'),
  });
});

test('aarch64 tree: the ELF picks Image even when a stale bzImage is there', async () => {
  const dir = tree({ vmlinux: elfHeader(EM.aarch64), 'arch/x86/boot/bzImage': 'bz', 'arch/arm64/boot/Image': 'img' });
  const kernel = found(await discoverKernelTree(dir));
  assert.equal(kernel.arch, 'aarch64');
  assert.equal(kernel.kernel, path.join(dir, 'arch/arm64/boot/Image'));
  assert.equal(kernel.initrd, undefined);
});

test('no vmlinux: says what to open', async () => {
  assert.match(problem(await discoverKernelTree(tree({ README: 'x' }))), /has no vmlinux.*arch\/x86\/boot\/bzImage.*launch\.json/);
});

test('vmlinux without the image of its arch: names the make target', async () => {
  const dir = tree({ vmlinux: elfHeader(EM.x86_64), 'arch/arm64/boot/Image': 'img' });
  assert.match(problem(await discoverKernelTree(dir)), /x86_64 kernel but arch\/x86\/boot\/bzImage is missing.*make bzImage/);
});

test('launchConfigFor: a launch config with absolute paths', () => {
  const config = launchConfigFor({ arch: 'x86_64', program: '/k/vmlinux', kernel: '/k/arch/x86/boot/bzImage', initrd: undefined }, 'linux');
  assert.deepEqual(config, {
    type: 'kernel-qemu',
    request: 'launch',
    name: 'Kernel (QEMU): linux (x86_64)',
    arch: 'x86_64',
    program: '/k/vmlinux',
    kernel: '/k/arch/x86/boot/bzImage',
    stopAtEntry: true,
  });
});

test('settings fill gdbPath/qemuPath only where the configuration has none', async () => {
  const config: Record<string, unknown> = { request: 'launch', program: '/k/vmlinux', qemuPath: '/mine/qemu' };
  await applyToolSettings(config, { qemuPath: '/opt/qemu/bin/qemu-system-x86_64', gdbPath: '/opt/gdb' });
  assert.equal(config.qemuPath, '/mine/qemu');
  assert.equal(config.gdbPath, '/opt/gdb');

  const empty: Record<string, unknown> = { request: 'launch', program: '/k/vmlinux' };
  await applyToolSettings(empty, { qemuPath: '', gdbPath: '' });
  assert.deepEqual(empty, { request: 'launch', program: '/k/vmlinux' });
});

test('a qemuPath setting that is a directory gives qemu-system-<arch> of the guest', async () => {
  const dir = tree({ vmlinux: elfHeader(EM.aarch64), 'bin/qemu-system-aarch64': '#!/bin/sh\n' });
  chmodSync(path.join(dir, 'bin/qemu-system-aarch64'), 0o755);
  const fromElf: Record<string, unknown> = { request: 'launch', program: 'vmlinux', cwd: dir };
  await applyToolSettings(fromElf, { qemuPath: path.join(dir, 'bin'), gdbPath: '' });
  assert.equal(fromElf.qemuPath, path.join(dir, 'bin', 'qemu-system-aarch64'));

  const fromArch: Record<string, unknown> = { request: 'launch', program: 'vmlinux', cwd: dir, arch: 'x86_64' };
  await applyToolSettings(fromArch, { qemuPath: path.join(dir, 'bin'), gdbPath: '' });
  assert.equal(fromArch.qemuPath, path.join(dir, 'bin', 'qemu-system-x86_64'));
});

test('attach configurations get no qemuPath', async () => {
  const config: Record<string, unknown> = { request: 'attach', program: '/k/vmlinux', target: '127.0.0.1:1234' };
  await applyToolSettings(config, { qemuPath: '/usr/bin/qemu-system-x86_64', gdbPath: '' });
  assert.equal(config.qemuPath, undefined);
});
