// The guest's planners: the cpio writer (read back by cpio(1)), the initramfs's entries,
// QEMU's network and share argv, the kq.* command line words, the launch keys' checks, and
// the Debian recipe. No VM: the boots are in test/adapter/guest.test.ts.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, test } from 'node:test';
import { resolveGuest } from '../../src/adapter/guestConfig';
import type { CallStep } from '../../src/build/runner';
import { planTarget } from '../../src/build/targets';
import { debianImageSteps } from '../../src/guest/debianImageSteps';
import { archImageProblem } from '../../src/guest/archImage';
import { gzipCpio, writeCpio } from '../../src/guest/cpio';
import { mmdebstrapArgv, recipeKey, sshKeyOf, invalidPackages } from '../../src/guest/debianImage';
import { guestCommandLineWords } from '../../src/guest/guestCommandLine';
import { initramfsEntries } from '../../src/guest/initramfs';
import { guestDeviceArgs } from '../../src/guest/qemuGuestArgs';
import { sshArgs } from '../../src/guest/sshArgs';
import { statusText } from '../../src/extension/sessionStatus';

const scratch = mkdtempSync(path.join(tmpdir(), 'kq-guest-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const at = (value: string) => path.resolve(scratch, value);

test('the cpio writer makes a newc archive cpio(1) lists and extracts, with modes, links and device nodes', async () => {
  const archive = await gzipCpio([
    { kind: 'dir', path: 'bin', mode: 0o755 },
    { kind: 'file', path: 'bin/hello', mode: 0o755, data: Buffer.from('#!/bin/sh\necho hi\n') },
    { kind: 'symlink', path: 'bin/sh', target: 'hello' },
    { kind: 'char', path: 'console', mode: 0o600, major: 5, minor: 1 },
    { kind: 'file', path: 'odd-size', mode: 0o644, data: Buffer.from('abc') },
  ]);
  const listing = execFileSync('cpio', ['-itv', '--quiet'], { input: gunzipSync(archive), encoding: 'utf8' });
  assert.match(listing, /^drwxr-xr-x .* bin$/m);
  assert.match(listing, /^-rwxr-xr-x .* 18 .* bin\/hello$/m);
  assert.match(listing, /^lrwxrwxrwx .* bin\/sh -> hello$/m);
  assert.match(listing, /^crw------- .* 5,\s+1 .* console$/m);
  const out = path.join(scratch, 'x');
  mkdirSync(out);
  execFileSync('cpio', ['-id', '--quiet', '--no-absolute-filenames'], {
    cwd: out,
    input: writeCpio([{ kind: 'file', path: '/odd', mode: 0o644, data: Buffer.from('abc') }]),
  });
  assert.equal(execFileSync('cat', [path.join(out, 'odd')], { encoding: 'utf8' }), 'abc');
});

test('the initramfs holds busybox, /init, /dev/console and the staged modules at /lib/modules/<release>', async () => {
  const busybox = path.join(scratch, 'busybox');
  writeFileSync(busybox, 'ELF');
  const modules = path.join(scratch, 'stage', 'lib', 'modules', '6.1.0-test');
  mkdirSync(path.join(modules, 'kernel', 'lib'), { recursive: true });
  writeFileSync(path.join(modules, 'kernel', 'lib', 'test_module.ko'), 'ko');
  writeFileSync(path.join(modules, 'modules.dep'), 'kernel/lib/test_module.ko:\n');
  const entries = await initramfsEntries({
    busybox,
    modulesRoot: path.join(scratch, 'stage'),
    extraFiles: [{ host: busybox, guest: '/opt/tools/bb' }],
  });
  const paths = entries.map((entry) => entry.path);
  for (const expected of [
    'init',
    'bin/busybox',
    'bin/sh',
    'dev/console',
    'lib/modules/6.1.0-test/modules.dep',
    'lib/modules/6.1.0-test/kernel/lib/test_module.ko',
    'opt',
    'opt/tools',
    'opt/tools/bb',
  ]) {
    assert.ok(paths.includes(expected), `${expected} in ${paths.join(' ')}`);
  }
  assert.ok(paths.indexOf('opt/tools') < paths.indexOf('opt/tools/bb'), 'parents come first');
  const init = entries.find((entry) => entry.path === 'init');
  assert.ok(init?.kind === 'file' && init.mode === 0o755 && init.data.toString().startsWith('#!/bin/sh'));
});

test('the network forwards bind 127.0.0.1 only; shares are virtio-9p devices, read-only unless asked', () => {
  const args = guestDeviceArgs(
    {
      network: 'user',
      forwards: [
        { host: 40022, guest: 22 },
        { host: 48080, guest: 80 },
      ],
      shares: [
        { host: '/src/a,b', guest: '/mnt/a', readOnly: true, transport: '9p', tag: 'kqshare0' },
        { host: '/src/c', guest: '/mnt/c', readOnly: false, transport: '9p', tag: 'kqshare1' },
      ],
    },
    512,
  );
  assert.deepEqual(args, [
    '-netdev',
    'user,id=kqnet,hostfwd=tcp:127.0.0.1:40022-:22,hostfwd=tcp:127.0.0.1:48080-:80',
    '-device',
    'virtio-net-pci,netdev=kqnet',
    '-fsdev',
    'local,id=kqshare0,path=/src/a,,b,security_model=none,readonly=on',
    '-device',
    'virtio-9p-pci,fsdev=kqshare0,mount_tag=kqshare0',
    '-fsdev',
    'local,id=kqshare1,path=/src/c,security_model=none',
    '-device',
    'virtio-9p-pci,fsdev=kqshare1,mount_tag=kqshare1',
  ]);
  assert.deepEqual(guestDeviceArgs({ network: 'none', forwards: [], shares: [] }, 512), []);
  // virtiofs: the guest's RAM shared with virtiofsd, and a vhost-user-fs device on its socket.
  assert.deepEqual(
    guestDeviceArgs(
      {
        network: 'none',
        forwards: [],
        shares: [
          { host: '/src/d', guest: '/mnt/d', readOnly: true, transport: 'virtiofs', tag: 'kqshare0', socket: '/run/kq/kqshare0.sock' },
        ],
      },
      768,
    ),
    [
      '-object',
      'memory-backend-memfd,id=kqmem,size=768M,share=on',
      '-numa',
      'node,memdev=kqmem',
      '-chardev',
      'socket,id=kqshare0fs,path=/run/kq/kqshare0.sock',
      '-device',
      'vhost-user-fs-pci,chardev=kqshare0fs,tag=kqshare0',
    ],
  );
});

test('the kq.* words carry the command as base64, the shares as tag:path:mode:transport', () => {
  const words = guestCommandLineWords({
    network: 'user',
    shares: [{ tag: 'kqshare0', guestPath: '/mnt/host', readOnly: true, transport: '9p' }],
    run: "echo 'a b' > /tmp/x",
    modules: ['test_module'],
  });
  assert.deepEqual(words.slice(0, 3), ['kq.net=user', 'kq.share=kqshare0:/mnt/host:ro:9p', 'kq.modules=test_module']);
  assert.equal(Buffer.from(words[3]!.replace('kq.run=', ''), 'base64').toString(), "echo 'a b' > /tmp/x");
  assert.ok(
    words.every((word) => !/\s/.test(word)),
    'no word has a space',
  );
});

test('guest keys: ssh gets a free loopback port; a taken port, a missing share and a bad mount point are named errors', async () => {
  const shared = path.join(scratch, 'shared');
  mkdirSync(shared);
  const guest = await resolveGuest({ shares: [{ host: 'shared', guest: '/mnt/host' }], ports: [{ host: 0, guest: 8080 }] }, at);
  assert.equal(guest.devices.network, 'user');
  assert.ok(guest.sshPort && guest.sshPort > 1024);
  assert.deepEqual(
    guest.devices.forwards.map((forward) => forward.guest),
    [8080, 22],
  );
  assert.deepEqual(guest.devices.shares[0], { host: shared, guest: '/mnt/host', readOnly: true, transport: '9p', tag: 'kqshare0' });
  assert.deepEqual((await resolveGuest({ network: 'none' }, at)).devices, { network: 'none', forwards: [], shares: [] });

  const busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  const port = (busy.address() as { port: number }).port;
  try {
    await assert.rejects(
      resolveGuest({ ports: [{ host: port, guest: 80 }] }, at),
      new RegExp(`127\\.0\\.0\\.1:${port} is already in use by another program`),
    );
  } finally {
    busy.close();
  }
  await assert.rejects(resolveGuest({ shares: [{ host: 'nowhere', guest: '/mnt/x' }] }, at), /'shares'\[0\]: .*nowhere does not exist/);
  await assert.rejects(resolveGuest({ shares: [{ host: 'shared', guest: 'mnt x' }] }, at), /must be an absolute path/);
  await assert.rejects(resolveGuest({ network: 'none', ports: [{ host: 0, guest: 80 }] }, at), /forwards need the network/);
  await assert.rejects(resolveGuest({ ports: [{ host: 0, guest: 0 }] }, at), /'ports'\[0\]\.guest must be a port number/);
  await assert.rejects(resolveGuest({ modprobe: ['x;reboot'] }, at), /not a module name/);
});

test('the Debian recipe: mmdebstrap minbase for the arch with ssh, to /dev/null through the hook; the key follows the options', () => {
  const argv = mmdebstrapArgv({ arch: 'aarch64', sizeMiB: 2048, packages: ['strace'] }, '/cache/hook.sh');
  assert.deepEqual(argv.slice(0, 3), ['mmdebstrap', '--variant=minbase', '--architectures=arm64']);
  assert.match(argv[3]!, /^--include=systemd-sysv,udev,openssh-server,.*,strace$/);
  assert.deepEqual(argv.slice(4), ['--customize-hook=/cache/hook.sh', 'bookworm', '/dev/null']);
  const base = { arch: 'x86_64' as const, sizeMiB: 2048, packages: ['a', 'b'] };
  assert.equal(recipeKey(base, 'key', ''), recipeKey({ ...base, packages: ['b', 'a'] }, 'key', ''));
  assert.notEqual(recipeKey(base, 'key', ''), recipeKey({ ...base, sizeMiB: 4096 }, 'key', ''));
  assert.notEqual(recipeKey(base, 'key', ''), recipeKey(base, 'other key', ''));
  assert.notEqual(recipeKey(base, 'key', ''), recipeKey(base, 'key', 'modules changed'));
  assert.deepEqual(invalidPackages(['strace', 'gdb', 'a;b', '-o']), ['a;b', '-o']);
  assert.equal(sshKeyOf('/t/.kernel-qemu/debian-x86_64.qcow2'), '/t/.kernel-qemu/debian-x86_64.id_ed25519');
});

test("ssh goes to 127.0.0.1 on the forwarded port with the image's key; the status bar shows the port", () => {
  assert.deepEqual(sshArgs({ port: 40022, key: '/t/debian-x86_64.id_ed25519' }, ['uname', '-r']), [
    '-i',
    '/t/debian-x86_64.id_ed25519',
    '-o',
    'IdentitiesOnly=yes',
    '-p',
    '40022',
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'LogLevel=ERROR',
    '-o',
    'BatchMode=yes',
    'root@127.0.0.1',
    'uname',
    '-r',
  ]);
  assert.ok(!sshArgs({ port: 1 }).includes('-i'));
  const status = statusText({ state: 'running', info: { arch: 'x86_64', accel: 'tcg', ssh: { port: 40022, withServer: true } } }, 'demo');
  assert.equal(status.text, '$(vm) x86_64 · TCG · running · ssh :40022');
  assert.match(status.tooltip, /forwarded from 127\.0\.0\.1:40022/);
});

test('the Debian image steps refuse, before anything runs, a missing mmdebstrap (naming the package), bad package names and too little free space', async () => {
  const first = (request: Parameters<typeof debianImageSteps>[0]) => debianImageSteps(request)[0] as CallStep;
  const request = {
    arch: 'x86_64' as const,
    output: path.join(scratch, 'img', 'debian-x86_64.qcow2'),
    cacheDir: path.join(scratch, 'cache'),
  };
  const savedPath = process.env.PATH;
  process.env.PATH = path.join(scratch, 'empty-bin');
  try {
    await assert.rejects(
      first(request).run(() => undefined),
      /needs mmdebstrap \(package mmdebstrap\), mke2fs \(package e2fsprogs\), qemu-img \(package qemu-utils\), ssh-keygen \(package openssh-client\): sudo apt-get install mmdebstrap e2fsprogs qemu-utils openssh-client/,
    );
  } finally {
    process.env.PATH = savedPath;
  }
  const tools = ['mmdebstrap', 'mke2fs', 'qemu-img', 'ssh-keygen'].every(
    (tool) => execFileSync('sh', ['-c', `command -v ${tool} || true`], { encoding: 'utf8' }).trim() !== '',
  );
  assert.ok(tools, 'the image tools are installed (scripts/install-system-deps.sh)');
  await assert.rejects(
    first({ ...request, packages: ['strace', 'x;y'] }).run(() => undefined),
    /Not Debian package names: x;y/,
  );
  await assert.rejects(
    first({ ...request, sizeMiB: 1024 * 1024 * 1024 }).run(() => undefined),
    /Not enough free space in .*: \d+ MiB free, a \d+ MiB image needs about \d+ MiB/,
  );
  assert.ok(!existsSync(request.output), 'nothing was written');
});

test('an Arch image is refused before anything runs, naming what is missing here (pacstrap, a mirror)', async () => {
  const savedPath = process.env.PATH;
  process.env.PATH = path.join(scratch, 'empty-bin');
  try {
    assert.match(
      await archImageProblem(),
      /cannot be made here: pacstrap is not installed \(Debian: sudo apt-get install arch-install-scripts\).*Build Rootfs → Debian image/,
    );
  } finally {
    process.env.PATH = savedPath;
  }
});

test("Build Rootfs → initramfs in a kernel tree writes .kernel-qemu/initramfs.cpio.gz with the task's extra files; a missing one is named", async () => {
  const tree = path.join(scratch, 'tree');
  mkdirSync(path.join(tree, 'tests'), { recursive: true });
  writeFileSync(path.join(tree, '.config'), 'CONFIG_64BIT=y\nCONFIG_X86_64=y\n');
  writeFileSync(path.join(tree, 'tests', 'run.sh'), '#!/bin/sh\necho hi\n');
  const kernelTree = { kind: 'kernel' as const, name: 'tree', srcDir: tree, objDir: tree };
  const options = {
    jobs: 1,
    hostArch: 'x86_64' as const,
    cacheDir: path.join(scratch, 'cache'),
    initramfsFiles: [{ host: 'tests', guest: '/opt/tests' }],
  };
  const steps = await planTarget(kernelTree, { id: 'initramfs' }, options);
  assert.equal(steps.length, 1, 'no modules in this tree: no modules_install');
  const said: string[] = [];
  await (steps[0] as CallStep).run((line) => said.push(line));
  assert.match(said.join('\n'), /Wrote .*\.kernel-qemu\/initramfs\.cpio\.gz/);
  const listing = execFileSync('cpio', ['-it', '--quiet'], {
    input: gunzipSync(readFileSync(path.join(tree, '.kernel-qemu', 'initramfs.cpio.gz'))),
    encoding: 'utf8',
  }).split('\n');
  assert.ok(listing.includes('opt/tests/run.sh') && listing.includes('init'), listing.join(' '));
  const missing = await planTarget(kernelTree, { id: 'initramfs' }, { ...options, initramfsFiles: [{ host: 'nowhere', guest: '/x' }] });
  await assert.rejects(
    (missing[0] as CallStep).run(() => undefined),
    /'files': .*nowhere does not exist/,
  );
});
