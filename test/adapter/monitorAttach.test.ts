// Attach through the monitor of a QEMU started as seed 000 does it: `-monitor
// unix:…,server,nowait`, no -s, no -gdb. The adapter starts a gdb stub through HMP on a
// private unix socket, stops the kernel, and VM snapshots are saved and loaded through the
// same monitor (savevm/loadvm); at the end the stub is closed and QEMU runs on. The same
// through a QMP socket (-qmp unix:…), with QMP's snapshot jobs.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { SNAPSHOT_REQUEST, type SnapshotListBody } from '../../src/adapter/snapshotProtocol';
import { connectMonitor } from '../../src/qemu/monitor';
import { launch, sessionPids, startClient, stopClient, survivors, testKernel, topFrame } from './support';

for (const protocol of ['hmp', 'qmp'] as const) {
  describe(`attach through a QEMU ${protocol.toUpperCase()} monitor socket, no gdb stub`, () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), `kq-monitor-${protocol}-`));
    const socket = path.join(dir, 'qemu-monitor-socket');
    const disk = path.join(dir, 'disk.qcow2');
    let qemu: ChildProcess | undefined;

    after(() => {
      qemu?.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    });

    test(
      'the adapter starts a stub through the monitor, stops the kernel, saves and loads a snapshot there, and leaves QEMU running without the stub',
      { timeout: 180_000 },
      async () => {
        const kernel = testKernel('x86_64');
        execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', disk, '64M']);
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
            '-drive',
            `file=${disk},if=none,id=disk0,format=qcow2`,
            ...(protocol === 'hmp' ? ['-monitor', `unix:${socket},server,nowait`] : ['-qmp', `unix:${socket},server,nowait`]),
          ],
          { stdio: 'ignore' },
        );
        for (let i = 0; i < 100 && !existsSync(socket); i++) await new Promise((resolve) => setTimeout(resolve, 50));
        await new Promise((resolve) => setTimeout(resolve, 3000)); // let the kernel boot a little

        const client = await startClient();
        const output: string[] = [];
        client.on('output', (event: DebugProtocol.OutputEvent) => output.push(event.body.output));
        try {
          const stopped = await launch(client, {
            type: 'kernel-qemu',
            request: 'attach',
            name: 'monitor',
            program: kernel.vmlinux,
            monitor: socket,
          });
          assert.equal(stopped.body.reason, 'entry');
          const text = output.join('');
          assert.match(text, new RegExp(`Connected to the QEMU monitor .* \\(${protocol.toUpperCase()}\\)`));
          const stub = /Started a gdb stub in that QEMU on the private socket (\S+)\./.exec(text)?.[1];
          assert.ok(stub && stub.startsWith(os.tmpdir()) && !stub.startsWith(dir), `a stub on a private socket: ${text}`);
          const threadId = stopped.body.threadId ?? 1;
          const before = (await topFrame(client, threadId)).instructionPointerReference;

          await client.customRequest(SNAPSHOT_REQUEST.save, { name: 'seed-000' });
          const listed = (await client.customRequest(SNAPSHOT_REQUEST.list)).body as SnapshotListBody;
          assert.ok(
            listed.snapshots.some((snapshot) => snapshot.name === 'seed-000'),
            JSON.stringify(listed.snapshots),
          );
          // Run on, stop elsewhere, load: the stop is the saved one again.
          await client.continueRequest({ threadId });
          await new Promise((resolve) => setTimeout(resolve, 1500));
          const paused = client.waitForEvent('stopped', 30_000);
          await client.pauseRequest({ threadId });
          await paused;
          await client.customRequest(SNAPSHOT_REQUEST.load, { name: 'seed-000', resume: false });
          assert.equal((await topFrame(client, threadId)).instructionPointerReference, before);
          await assert.rejects(client.customRequest(SNAPSHOT_REQUEST.load, { name: 'no-such' }), /There is no snapshot "no-such"/);

          const gdbPids = sessionPids();
          await client.disconnectRequest({ terminateDebuggee: false });
          assert.deepEqual(await survivors(gdbPids), []);
          assert.equal(qemu.exitCode, null, 'the attached QEMU keeps running after disconnect');
          assert.ok(!existsSync(stub), 'the private stub directory is gone');
          // The stub the adapter started is closed again, and the monitor still answers.
          const monitor = await connectMonitor(socket);
          try {
            assert.doesNotMatch(await monitor.command('info status'), /error/i);
            assert.match(await monitor.command('info snapshots'), /seed-000/);
          } finally {
            monitor.close();
          }
        } finally {
          await stopClient(client);
        }
      },
    );
  });
}

test('an attach with neither target nor monitor, or a monitor socket that is not there, is refused with the fix', async () => {
  const kernel = testKernel('x86_64');
  const refusal = async (config: Record<string, unknown>, pattern: RegExp) => {
    const client = await startClient();
    try {
      await client.initializeRequest({ adapterID: 'kernel-qemu' });
      await assert.rejects(
        client.attachRequest({
          type: 'kernel-qemu',
          request: 'attach',
          name: 'refused',
          program: kernel.vmlinux,
          ...config,
        } as DebugProtocol.AttachRequestArguments),
        pattern,
      );
    } finally {
      await stopClient(client);
    }
  };
  await refusal({}, /needs 'target' .* or 'monitor'/);
  await refusal(
    { monitor: '/nonexistent/qemu-monitor-socket' },
    /No monitor socket at \/nonexistent\/qemu-monitor-socket: is QEMU running with -monitor unix:/,
  );
});
