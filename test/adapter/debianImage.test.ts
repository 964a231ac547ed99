// A Debian image built by the extension's steps (Build Rootfs → Debian image: mmdebstrap,
// the customize hook, mke2fs -d, qcow2), for x86_64 and aarch64 (under qemu-user), booted
// with Debian's kernel and the kernel-qemu initramfs (it loads virtio_blk and virtio_net,
// which Debian builds as modules, then switches to the disk). The guest logs root in on the
// serial console; ssh from the host to the forwarded 127.0.0.1 port with the image's own key
// runs `uname -r`, and a breakpoint on the uname syscall stops in the task ssh started. A
// second build with the same options is served from the cache. Debian's kernels have virtiofs
// and no 9p: a share goes over virtiofs and is read over ssh; one asked for over 9p is refused
// by the guest with the options it needs.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { after, describe, test } from 'node:test';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { SNAPSHOT_REQUEST } from '../../src/adapter/snapshotProtocol';
import { runSteps } from '../../src/build/runner';
import { guestBusybox } from '../../src/guest/busybox';
import { sshKeyOf } from '../../src/guest/debianImage';
import { debianImageSteps } from '../../src/guest/debianImageSteps';
import { writeInitramfs } from '../../src/guest/initramfs';
import { sshArgs } from '../../src/guest/sshArgs';
import {
  type Arch,
  CACHE,
  launchConfig,
  launchRunning,
  outputMatching,
  sessionPids,
  startClient,
  stopClient,
  survivors,
  testKernel,
  threadName,
  topFrame,
} from './support';

const run = promisify(execFile);

for (const arch of ['x86_64', 'aarch64'] as Arch[]) {
  describe(`Debian image, ${arch} guest`, () => {
    const kernel = testKernel(arch);
    const scratch = mkdtempSync(path.join(os.tmpdir(), `kq-debian-${arch}-`));
    const image = path.join(scratch, `debian-${arch}.qcow2`);
    const initrd = path.join(scratch, 'initramfs.cpio.gz');
    const request = { arch, output: image, modulesRoot: path.join(kernel.dir, 'guest-modules'), cacheDir: CACHE };
    let client: DebugClient | undefined;
    let pids: number[] = [];

    after(async () => {
      if (client) await stopClient(client);
      assert.deepEqual(await survivors(pids), []);
      rmSync(scratch, { recursive: true, force: true });
    });

    test(
      'Build Rootfs → Debian image makes a qcow2 image and its ssh key pair; the same options again are served from the cache',
      { timeout: 15 * 60_000 },
      async () => {
        const lines: string[] = [];
        const first = await runSteps(debianImageSteps(request), { output: (text) => lines.push(text) });
        assert.ok(first.ok, `the image build failed (${first.failedStep}): ${first.firstError}\n${lines.join('').slice(-3000)}`);
        assert.ok(existsSync(image) && existsSync(sshKeyOf(image)) && existsSync(`${sshKeyOf(image)}.pub`));
        const { stdout } = await run('qemu-img', ['info', '--output=json', image]);
        assert.equal((JSON.parse(stdout) as { format: string }).format, 'qcow2');
        // Built before with this key and these modules (another run of this test on this machine): the cache.
        rmSync(image);
        const again: string[] = [];
        const second = await runSteps(debianImageSteps(request), { output: (text) => again.push(text) });
        assert.ok(second.ok, again.join(''));
        assert.match(again.join(''), /Served from the cache: /);
        assert.doesNotMatch(again.join(''), /> mmdebstrap/);
        // And an image that is already the recipe's is kept as it is (its VM snapshots with it).
        const third: string[] = [];
        assert.ok((await runSteps(debianImageSteps(request), { output: (text) => third.push(text) })).ok);
        assert.match(third.join(''), /is up to date .*kept, with its snapshots/);
        console.log(
          `Debian ${arch} image: first build ${(first.durationMs / 1000).toFixed(1)} s, from the ` +
            `cache ${(second.durationMs / 1000).toFixed(1)} s`,
        );
      },
    );

    test(
      "F5 boots it to the autologin shell; ssh with the image's key runs uname -r, stopping at the uname syscall on the way",
      { timeout: 10 * 60_000 },
      async () => {
        const busybox = await guestBusybox(arch, CACHE);
        await writeInitramfs(initrd, { busybox, modulesRoot: request.modulesRoot });
        client = await startClient();
        const output: string[] = [];
        client.on('output', (event: DebugProtocol.OutputEvent) => output.push(event.body.output));
        // Debian's cloud kernels have VIRTIO_FS and no 9p: the share goes over virtiofs (a virtiofsd
        // beside QEMU); one asked for over 9p gets a message from the guest that names the options.
        writeFileSync(path.join(scratch, 'from-the-host.txt'), `host file ${process.pid}\n`);
        const shares = [
          { host: scratch, guest: '/mnt/host' },
          { host: scratch, guest: '/mnt/nine', transport: '9p' },
        ];
        await launchRunning(client, launchConfig(kernel, { initrd, rootfs: image, memory: 1024, stopAtEntry: false, shares }));
        pids = sessionPids();
        assert.ok(
          pids.some((pid) => readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('virtiofsd')),
          'a virtiofsd serves the share',
        );
        await outputMatching(output, /login: root \(automatic login\)/, 300_000);
        assert.match(output.join(''), /kernel-qemu: share kqshare0 mounted on \/mnt\/host \(ro\)/);
        assert.match(
          output.join(''),
          /kernel-qemu: cannot mount share kqshare1 on \/mnt\/nine: the kernel has no 9p \(CONFIG_NET_9P, CONFIG_NET_9P_VIRTIO, CONFIG_9P_FS\)/,
        );
        const named = /ssh -i (\S+) -p (\d+) root@127\.0\.0\.1/.exec(output.join(''));
        assert.ok(named, `the Debug Console names the ssh command: ${output.join('').slice(0, 3000)}`);
        assert.equal(named[1], sshKeyOf(image));
        const ssh = { port: Number(named[2]), key: named[1] };
        // sshd may still be starting behind the login prompt: wait until it answers.
        const deadline = Date.now() + 120_000;
        for (;;) {
          try {
            await run('ssh', sshArgs(ssh, ['true']), { timeout: 30_000 });
            break;
          } catch (error) {
            assert.ok(Date.now() < deadline, `ssh never answered: ${String(error)}`);
            await new Promise((resolve) => setTimeout(resolve, 2000));
          }
        }
        await client.setFunctionBreakpointsRequest({ breakpoints: [{ name: '__do_sys_newuname' }] });
        const uname = run('ssh', sshArgs(ssh, ['uname', '-r']), { timeout: 240_000 });
        // Other tasks may call uname too: go on until the one ssh started stops there.
        let stop: DebugProtocol.StoppedEvent | undefined;
        for (let hits = 0; hits < 20 && !stop; hits++) {
          const event = (await client.waitForEvent('stopped', 120_000)) as DebugProtocol.StoppedEvent;
          const threadId = event.body.threadId ?? 1;
          if (/uname/.test(await threadName(client, threadId))) stop = event;
          else await client.continueRequest({ threadId });
        }
        assert.ok(stop, 'the uname that ssh runs stopped at __do_sys_newuname');
        const frame = await topFrame(client, stop.body.threadId ?? 1);
        assert.equal(frame.name, '__do_sys_newuname');
        assert.match(frame.source?.path ?? '', /kernel\/sys\.c$/);
        await client.setFunctionBreakpointsRequest({ breakpoints: [] });
        await client.continueRequest({ threadId: stop.body.threadId ?? 1 });
        const { stdout } = await uname;
        assert.match(stdout.trim(), new RegExp(`^${arch === 'x86_64' ? '6\\.1\\.0-\\d+-cloud-amd64' : '6\\.1\\.0-\\d+-cloud-arm64'}$`));
        // The virtiofs share, read over ssh, after systemd took over the root: the host's file; read-only.
        const shared = await run('ssh', sshArgs(ssh, ['cat /mnt/host/from-the-host.txt; touch /mnt/host/x 2>&1 || true']), {
          timeout: 60_000,
        });
        assert.match(shared.stdout, new RegExp(`host file ${process.pid}`));
        assert.match(shared.stdout, /Read-only file system/);
        // QEMU cannot save the state of a vhost-user-fs device: the Snapshots view says so and what to do.
        await assert.rejects(
          client.customRequest(SNAPSHOT_REQUEST.save, { name: 'with-virtiofs' }),
          /cannot save a VM snapshot of a VM with a virtiofs share/,
        );
      },
    );
  });
}
