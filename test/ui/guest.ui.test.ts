// The guest in a real VS Code: "Kernel QEMU: Build Rootfs" in a kernel tree offers the kinds
// of root file system and builds the initramfs into the tree's .kernel-qemu/ folder; then a
// Debian image (built by the Build Rootfs steps) boots with F5, the status bar shows the ssh
// forward, and "Kernel QEMU: Open SSH Terminal in Guest" opens ssh in a terminal, where
// `uname -r` answers with the guest's kernel.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { runSteps } from '../../src/build/runner';
import { guestBusybox } from '../../src/guest/busybox';
import { debianImageSteps } from '../../src/guest/debianImageSteps';
import { writeInitramfs } from '../../src/guest/initramfs';
import { sshArgs } from '../../src/guest/sshArgs';
import { DebugViews } from './harness/debugViews';
import type { VsCode } from './harness/fixture';
import { builtKernelTreeStandIn, closeStandInTree, openOnStandInTree } from './harness/kernelTree';
import { fetchedKernel } from './harness/kernels';
import { until } from './harness/waitFor';
import { SELECTORS } from './harness/workbench';

const folder = mkdtempSync(path.join(os.tmpdir(), 'kernel-qemu-ui-guest-'));
const CACHE = process.env.KERNEL_QEMU_CACHE ?? path.join(os.homedir(), '.cache/kernel-qemu');
const kernel = fetchedKernel('x86_64');
const image = path.join(folder, '.kernel-qemu', 'debian-x86_64.qcow2');
let vscode: VsCode;

before(async () => {
  builtKernelTreeStandIn(folder, kernel);
  // The image the second test boots: Build Rootfs's Debian steps, with Debian's kernel modules.
  const built = await runSteps(
    debianImageSteps({
      arch: 'x86_64',
      output: image,
      modulesRoot: path.join(path.dirname(kernel.vmlinux), 'guest-modules'),
      cacheDir: CACHE,
    }),
    { output: () => undefined },
  );
  assert.ok(built.ok, `the Debian image: ${built.failedStep}: ${built.firstError}`);
  vscode = await openOnStandInTree('guest', folder);
});

after(() => closeStandInTree(vscode, folder));

test('Build Rootfs in a kernel tree offers initramfs and a Debian image, and builds the initramfs', { timeout: 300_000 }, async () => {
  const { workbench } = vscode;
  await vscode.step('Build Rootfs offers the kinds', async () => {
    await workbench.runCommand('Kernel QEMU: Build Rootfs');
    const offered = await workbench.waitForText(
      SELECTORS.quickInputRows,
      /initramfs[\s\S]*Debian image[\s\S]*Arch Linux image/,
      'the kinds of root file system',
      30_000,
    );
    assert.match(offered, /busybox, seconds/);
  });
  await vscode.step('initramfs builds in the task terminal', async () => {
    await workbench.pickQuickInputRow('initramfs');
    await workbench.waitForText('.terminal-wrapper.active .xterm-rows', /Wrote .*initramfs\.cpio\.gz/, 'the initramfs written', 120_000);
    assert.ok(existsSync(path.join(folder, '.kernel-qemu', 'initramfs.cpio.gz')));
  });
});

test(
  "F5 boots the Debian image; the status bar shows the ssh port and 'Open SSH Terminal in Guest' runs a shell in the guest",
  { timeout: 600_000 },
  async () => {
    const { workbench } = vscode;
    const page = workbench.page;
    const debug = new DebugViews(workbench);
    // The tree's launch configuration: its initramfs (just built) loads virtio_blk and switches to the image.
    mkdirSync(path.join(folder, '.vscode'), { recursive: true });
    writeFileSync(
      path.join(folder, '.vscode/launch.json'),
      JSON.stringify({
        version: '0.2.0',
        configurations: [
          {
            type: 'kernel-qemu',
            request: 'launch',
            name: 'Debian guest',
            program: kernel.vmlinux,
            kernel: kernel.kernel,
            initrd: '${workspaceFolder}/.kernel-qemu/initramfs.cpio.gz',
            rootfs: '${workspaceFolder}/.kernel-qemu/debian-x86_64.qcow2',
            memory: 1024,
            stopAtEntry: false,
            accel: 'tcg',
          },
        ],
      }),
    );
    await vscode.step("the initramfs gets the kernel's modules for the disk", async () => {
      // The stand-in tree has no modules of its own: the Debian kernel's virtio modules go in.
      await writeInitramfs(path.join(folder, '.kernel-qemu', 'initramfs.cpio.gz'), {
        busybox: await guestBusybox('x86_64', CACHE),
        modulesRoot: path.join(path.dirname(kernel.vmlinux), 'guest-modules'),
      });
    });
    let port = '';
    await vscode.step('F5: the status bar shows the forwarded ssh port', async () => {
      await workbench.press('F5');
      const status = await workbench.waitForText(
        '.statusbar',
        /running · ssh :\d+/,
        'the running guest and its ssh port in the status bar',
        120_000,
      );
      port = /ssh :(\d+)/.exec(status)![1]!;
    });
    await vscode.step('the guest boots to systemd and its ssh server', async () => {
      const key = path.join(folder, '.kernel-qemu', 'debian-x86_64.id_ed25519');
      await until(
        'the guest ssh server',
        () =>
          new Promise<true | undefined>((resolve) =>
            execFile('ssh', sshArgs({ port: Number(port), key }, ['true']), { timeout: 20_000 }, (error) =>
              resolve(error ? undefined : true),
            ),
          ),
        300_000,
      );
    });
    await vscode.step('Open SSH Terminal in Guest: uname -r in the guest', async () => {
      await workbench.runCommand('Kernel QEMU: Open SSH Terminal in Guest');
      await workbench.waitForText(
        '.part.panel .single-terminal-tab, .part.panel .terminal-tabs-entry',
        /ssh: Debian guest/,
        'the ssh terminal',
        30_000,
      );
      await workbench.waitForText('.terminal-wrapper.active .xterm-rows', /root@kernel-qemu/, 'the guest shell prompt', 60_000);
      await page.keyboard.type('uname -r\n');
      // The answer after the command (the login banner names the release too).
      await workbench.waitForText(
        '.terminal-wrapper.active .xterm-rows',
        /uname -r\s*6\.1\.0-\d+-cloud-amd64/,
        "uname's answer: the guest kernel's release",
        30_000,
      );
    });
    await vscode.step('Shift+F5 ends it, nothing left running', async () => {
      await workbench.press('Shift+F5');
      await debug.waitForNoSession(60_000);
      await until('QEMU and gdb to exit', async () => (vscode.sessionProcesses().length === 0 ? true : undefined), 30_000);
    });
  },
);
