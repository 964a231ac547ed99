// Scenario 9 (not run by default: --scenarios 9): the guest. kernel-qemu's steps against the
// plain commands, in the same run, on the same machine:
// - initramfs: writeInitramfs (busybox, /init, the Debian kernel's virtio modules) against a
//   staging folder packed with `find | cpio -o -H newc | gzip`;
// - Debian image, cold: the Build Rootfs steps (a new key, so nothing is cached) against
//   mmdebstrap with the same packages, mke2fs -d and qemu-img convert by hand; cached: the
//   steps again for the same output against a plain cp of a finished image;
// - boot to the autologin shell on that image: F5 through the adapter against raw QEMU with
//   the same kernel, initramfs, image and network.
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { runSteps } from '../../src/build/runner';
import { guestBusybox } from '../../src/guest/busybox';
import { BASE_PACKAGES } from '../../src/guest/debianImage';
import { debianImageSteps } from '../../src/guest/debianImageSteps';
import { writeInitramfs } from '../../src/guest/initramfs';
import { INIT_SCRIPT } from '../../src/guest/initScript';
import { type BenchKernel, now, removeDir, ROOT, sleep, tempDir } from './common';
import type { ToolName } from './tools';

const AUTOLOGIN = /login: root \(automatic login\)/;
const BOOT_TIMEOUT_MS = 300_000;

type Add = (metric: string, tool: ToolName, value: number) => void;

function cacheDir(): string {
  return process.env.KERNEL_QEMU_CACHE ?? path.join(process.env.HOME ?? '/root', '.cache/kernel-qemu');
}

async function initramfs(kernel: BenchKernel, dir: string, add: Add, reps: number): Promise<string> {
  const busybox = await guestBusybox(kernel.arch, cacheDir());
  const modules = path.join(path.dirname(kernel.vmlinux), 'guest-modules');
  const output = path.join(dir, 'initramfs.cpio.gz');
  for (let rep = 0; rep < reps; rep++) {
    let started = now();
    await writeInitramfs(output, { busybox, modulesRoot: modules });
    add('guest.initramfs', 'kq', now() - started);
    started = now();
    const stage = path.join(dir, `stage-${rep}`);
    mkdirSync(path.join(stage, 'bin'), { recursive: true });
    copyFileSync(busybox, path.join(stage, 'bin/busybox'));
    writeFileSync(path.join(stage, 'init'), INIT_SCRIPT, { mode: 0o755 });
    cpSync(path.join(modules, 'lib'), path.join(stage, 'lib'), { recursive: true });
    execFileSync('sh', ['-c', 'find . | cpio -o -H newc --quiet | gzip -6 > ../raw-initramfs.cpio.gz'], { cwd: stage });
    add('guest.initramfs', 'raw', now() - started);
  }
  return output;
}

async function images(kernel: BenchKernel, dir: string, add: Add): Promise<string> {
  const request = {
    arch: kernel.arch,
    output: path.join(dir, `debian-${kernel.arch}.qcow2`),
    modulesRoot: path.join(path.dirname(kernel.vmlinux), 'guest-modules'),
    cacheDir: cacheDir(),
  };
  let started = now();
  const cold = await runSteps(debianImageSteps(request), { output: () => undefined });
  if (!cold.ok) throw new Error(`Debian image: ${cold.failedStep}: ${cold.firstError}`);
  add('guest.image.cold', 'kq', now() - started);
  removeDir(request.output);
  started = now();
  await runSteps(debianImageSteps(request), { output: () => undefined });
  add('guest.image.cached', 'kq', now() - started);

  // By hand: the same packages, the same hook shape (root copied without mmdebstrap's /proc), ext4, qcow2.
  const raw = path.join(dir, 'raw.ext4');
  started = now();
  const hook = `cp -ax "$1/." "${dir}/raw-root/" && mke2fs -q -F -t ext4 -d "${dir}/raw-root" "${raw}" 2048M`;
  mkdirSync(path.join(dir, 'raw-root'));
  execFileSync(
    'mmdebstrap',
    [
      '--quiet',
      '--variant=minbase',
      `--architectures=${kernel.arch === 'x86_64' ? 'amd64' : 'arm64'}`,
      `--include=${BASE_PACKAGES.join(',')}`,
      `--customize-hook=${hook}`,
      'bookworm',
      '/dev/null',
    ],
    { stdio: 'ignore' },
  );
  execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, path.join(dir, 'raw.qcow2')]);
  add('guest.image.cold', 'raw', now() - started);
  started = now();
  copyFileSync(path.join(dir, 'raw.qcow2'), path.join(dir, 'raw-copy.qcow2'));
  add('guest.image.cached', 'raw', now() - started);
  return request.output;
}

async function bootThroughAdapter(kernel: BenchKernel, initrd: string, image: string, add: Add): Promise<void> {
  const client = new DebugClient('node', path.join(ROOT, 'dist/adapter.js'), 'kernel-qemu', { stdio: ['pipe', 'pipe', 'pipe'] }, true);
  await client.start();
  const output: string[] = [];
  client.on('output', (event: DebugProtocol.OutputEvent) => output.push(event.body.output));
  try {
    const started = now();
    await client.initializeRequest({ adapterID: 'kernel-qemu' });
    const launched = client.launchRequest({
      type: 'kernel-qemu',
      request: 'launch',
      name: 'bench',
      program: kernel.vmlinux,
      kernel: kernel.kernel,
      initrd,
      rootfs: image,
      memory: 1024,
      accel: 'tcg',
      stopAtEntry: false,
    } as DebugProtocol.LaunchRequestArguments);
    await client.waitForEvent('initialized');
    await client.configurationDoneRequest();
    await launched;
    const deadline = Date.now() + BOOT_TIMEOUT_MS;
    while (!AUTOLOGIN.test(output.join(''))) {
      if (Date.now() > deadline) throw new Error('kernel-qemu: no autologin');
      await sleep(100);
    }
    add('guest.boot', 'kq', now() - started);
  } finally {
    await client.terminateRequest().catch(() => undefined);
    await client.stop();
  }
}

async function bootRaw(kernel: BenchKernel, initrd: string, image: string, add: Add): Promise<void> {
  const serial = kernel.arch === 'x86_64' ? 'ttyS0' : 'ttyAMA0';
  const machine = kernel.arch === 'x86_64' ? [] : ['-machine', 'virt', '-cpu', 'max'];
  const started = now();
  const qemu = spawn(
    kernel.qemu,
    [
      '-accel',
      'tcg',
      ...machine,
      '-m',
      '1024',
      '-nodefaults',
      '-display',
      'none',
      '-serial',
      'stdio',
      '-kernel',
      kernel.kernel,
      '-initrd',
      initrd,
      '-append',
      `console=${serial} nokaslr root=/dev/vda rw kq.net=user${kernel.arch === 'aarch64' ? ' arm64.nopauth' : ''}`,
      '-drive',
      `file=${image},format=qcow2,if=virtio`,
      '-netdev',
      'user,id=n',
      '-device',
      'virtio-net-pci,netdev=n',
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  let text = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('raw QEMU: no autologin')), BOOT_TIMEOUT_MS);
      qemu.stdout.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (AUTOLOGIN.test(text)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    add('guest.boot', 'raw', now() - started);
  } finally {
    qemu.kill('SIGKILL');
  }
}

export async function guestScenario(
  kernel: BenchKernel,
  tools: readonly ToolName[],
  reps: number,
  add: Add,
  note: (key: string, text: string) => void,
): Promise<void> {
  const dir = tempDir('guest');
  try {
    const initrd = await initramfs(kernel, dir, add, reps);
    const image = await images(kernel, dir, add);
    note(
      'guest',
      `Debian bookworm minbase + ${BASE_PACKAGES.length} packages, 2 GiB ext4 in qcow2; cold ` +
        `builds once per tool; boot = launch to the serial autologin, ${kernel.arch}, TCG`,
    );
    // A copy each, so neither boot changes the image the other boots.
    const copy = (name: string) => {
      copyFileSync(image, path.join(dir, name));
      return path.join(dir, name);
    };
    if (tools.includes('kq')) await bootThroughAdapter(kernel, initrd, copy('kq-boot.qcow2'), add);
    if (tools.includes('raw')) await bootRaw(kernel, initrd, copy('raw-boot.qcow2'), add);
  } finally {
    removeDir(dir);
  }
}
