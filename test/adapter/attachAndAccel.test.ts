// Attach to a QEMU someone else started; and "accel": "auto" never hangs on a KVM that does.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
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
    qemu = spawn('qemu-system-x86_64', [
      '-accel', 'tcg', '-m', '512', '-display', 'none', '-nodefaults', '-serial', 'null',
      '-kernel', kernel.kernel, '-initrd', kernel.initrd, '-append', 'console=ttyS0 nokaslr',
      '-chardev', `socket,id=g,path=${socket},server=on,wait=off`, '-gdb', 'chardev:g',
    ], { stdio: 'ignore' });
    for (let i = 0; i < 100 && !existsSync(socket); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    await new Promise((resolve) => setTimeout(resolve, 3000)); // let the kernel boot a little

    const client = await startClient();
    try {
      const stopped = await launch(client, { type: 'kernel-qemu', request: 'attach', name: 'attach', program: kernel.vmlinux, target: socket });
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
  test('the KVM probe decides within its timeout, whatever this host\'s KVM does', async () => {
    const kernel = testKernel('x86_64');
    const started = Date.now();
    const result = await probeKvm({ qemuPath: 'qemu-system-x86_64', arch: 'x86_64', kernel: kernel.kernel }, 4000);
    assert.ok(Date.now() - started < 7000, `probe took ${Date.now() - started} ms`);
    assert.match(result.detail, /KVM|kvm/);
  });

  test('"accel": "auto" reaches start_kernel and says which accelerator it chose', async () => {
    const client = await startClient();
    const output: string[] = [];
    client.on('output', (event: DebugProtocol.OutputEvent) => output.push(event.body.output));
    try {
      const pids: number[] = [];
      const stopped = await launch(client, launchConfig(testKernel('x86_64'), { accel: 'auto' }));
      pids.push(...sessionPids());
      assert.equal(stopped.body.reason, 'entry');
      assert.match(output.join(''), /Accelerator: (KVM|TCG)/);
      await stopClient(client);
      assert.deepEqual(await survivors(pids), []);
    } finally {
      await stopClient(client);
    }
  });
});
