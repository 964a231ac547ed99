// Attach to a QEMU someone else started; and "accel": "auto" never hangs on a KVM that does.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { probeKvm } from '../../src/qemu/accel';
import { launch, launchConfig, sessionPids, startClient, stopClient, survivors, testKernel, topFrame } from './support';

describe('attach to a running QEMU', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kq-attach-'));
  const socket = path.join(dir, 'gdb.sock');
  let qemu: ChildProcess | undefined;

  after(() => {
    qemu?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  test('attaches over a unix socket, stops where the VM is, detaches leaving QEMU running', async () => {
    const kernel = testKernel('x86_64');
    qemu = spawn(
      'qemu-system-x86_64',
      [
        '-accel',
        'tcg',
        '-m',
        '512',
        '-display',
        'none',
        '-nodefaults',
        '-serial',
        'null',
        '-kernel',
        kernel.kernel,
        '-initrd',
        kernel.initrd,
        '-append',
        'console=ttyS0 nokaslr',
        '-chardev',
        `socket,id=g,path=${socket},server=on,wait=off`,
        '-gdb',
        'chardev:g',
      ],
      { stdio: 'ignore' },
    );
    for (let i = 0; i < 100 && !existsSync(socket); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    await new Promise((resolve) => setTimeout(resolve, 3000)); // let the kernel boot a little

    const client = await startClient();
    try {
      const stopped = await launch(client, {
        type: 'kernel-qemu',
        request: 'attach',
        name: 'attach',
        program: kernel.vmlinux,
        target: socket,
      });
      assert.equal(stopped.body.reason, 'entry');
      const frame = await topFrame(client, stopped.body.threadId ?? 1);
      assert.match(frame.instructionPointerReference ?? '', /^0x/);
      const comm = await client.evaluateRequest({ expression: 'init_task.comm', context: 'repl', frameId: frame.id });
      assert.match(comm.body.result, /swapper/);
      const gdbPids = sessionPids();
      assert.equal(gdbPids.length, 1, 'only gdb runs under the adapter when attached');
      await client.disconnectRequest({ terminateDebuggee: false });
      assert.deepEqual(await survivors(gdbPids), []);
      assert.equal(qemu.exitCode, null, 'the attached QEMU keeps running after disconnect');
    } finally {
      await stopClient(client);
    }
  });
});

describe('accelerator choice', () => {
  test("the KVM probe boots the kernel under KVM and decides within its timeout, whatever this host's KVM does", async () => {
    const kernel = testKernel('x86_64');
    // A TMPDIR of its own: the answer kept per host boot (in the shared tmpdir) must not stand in for a probe.
    const tmpdir = mkdtempSync(path.join(os.tmpdir(), 'kq-probe-'));
    const sharedTmpdir = process.env.TMPDIR;
    process.env.TMPDIR = tmpdir;
    try {
      const input = { qemuPath: 'qemu-system-x86_64', arch: 'x86_64', kernel: kernel.kernel } as const;
      const started = Date.now();
      const result = await probeKvm(input, 4000);
      // A liveness deadline (the probe's own 4 s plus QEMU's start and kill on a busy machine), not a speed claim.
      assert.ok(Date.now() - started < 20_000, `probe took ${Date.now() - started} ms`);
      // One of the probe's three outcomes, each with its evidence; not the cached answer.
      if (result.usable) assert.match(result.detail, /^the kernel printed its banner under KVM in \d+\.\d s$/);
      else
        assert.match(
          result.detail,
          /^(QEMU could not use KVM: .+|a KVM guest printed nothing in \d+\.\d s \(KVM present but not working, e\.g\. nested virtualization\))$/,
        );
      assert.equal(
        readdirSync(tmpdir).filter((file) => file.startsWith('kernel-qemu-kvm-probe-')).length,
        1,
        'the answer is kept for this boot',
      );
      const again = await probeKvm(input, 4000);
      assert.deepEqual(again, { usable: result.usable, detail: `${result.detail} (probed earlier since this host booted)` });
    } finally {
      if (sharedTmpdir === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = sharedTmpdir;
      rmSync(tmpdir, { recursive: true, force: true });
    }
  });

  test('"accel": "auto" reaches start_kernel and says which accelerator it chose', async () => {
    const client = await startClient();
    const output: string[] = [];
    client.on('output', (event: DebugProtocol.OutputEvent) => output.push(event.body.output));
    try {
      const pids: number[] = [];
      const stopped = await launch(client, launchConfig(testKernel('x86_64'), { accel: 'auto' }));
      pids.push(...sessionPids());
      assert.equal(pids.length, 2, 'QEMU and gdb run under the adapter');
      assert.equal(stopped.body.reason, 'entry');
      assert.equal((await topFrame(client, stopped.body.threadId ?? 1)).name, 'start_kernel');
      assert.match(output.join(''), /Accelerator: (KVM|TCG)[: ,]/);
      await stopClient(client);
      assert.deepEqual(await survivors(pids), []);
    } finally {
      await stopClient(client);
    }
  });
});
