// The guest of a plain kernel tree, end to end on the tree kernelBuild.test.ts built (the
// minimal QEMU configuration: virtio-net, 9p, modules, TEST_LKM as a module): Build Rootfs →
// initramfs (make modules_install + busybox), then F5 on the tree's outputs. The guest runs
// the configured command with the network up, reads a file written on the host through a
// share, is refused a write to the read-only share, writes through the read-write one, and
// modprobes the tree's test_module, whose init function stops at a breakpoint with its source.
// With the network on, QEMU listens on loopback only.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { kernelTreeLaunch, launchConfigFromOutputs } from '../../src/build/artifacts';
import { runSteps } from '../../src/build/runner';
import { planTarget, type PlanOptions } from '../../src/build/targets';
import type { KernelBuildTree } from '../../src/build/workspace';
import { SNAPSHOT_REQUEST } from '../../src/adapter/snapshotProtocol';
import { CACHE, launchRunning, outputMatching, ROOT, sessionPids, startClient, stopClient, survivors, topFrame } from './support';

const SRC = execFileSync('bash', [path.join(ROOT, 'scripts/fetch-kernel-source.sh')], { encoding: 'utf8' }).trim();
const OBJ = path.join(CACHE, 'build', `${path.basename(SRC)}-x86_64-debug`);
const OPTIONS: PlanOptions = { jobs: Math.max(2, os.availableParallelism()), hostArch: 'x86_64', arch: 'x86_64' };
const INITRAMFS = path.join(OBJ, '.kernel-qemu', 'initramfs.cpio.gz');

/** TCP sockets a process listens on, as "address:port" (from /proc/net/tcp{,6} and its fds). */
function tcpListeners(pid: number): string[] {
  const inodes = new Set(
    readdirSync(`/proc/${pid}/fd`)
      .map((fd) => {
        try {
          return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
        } catch {
          return undefined;
        }
      })
      .filter((inode): inode is string => inode !== undefined),
  );
  const listening: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || fields[3] !== '0A' || !inodes.has(fields[9]!)) continue;
      const [address, port] = fields[1]!.split(':');
      const readable = address === '0100007F' ? '127.0.0.1' : address === '00000000000000000000000001000000' ? '::1' : address!;
      listening.push(`${readable}:${parseInt(port!, 16)}`);
    }
  }
  return listening;
}

describe("a kernel tree's guest: Build Rootfs → initramfs, network, shares, the tree's modules", () => {
  const tree: KernelBuildTree = { kind: 'kernel', name: path.basename(OBJ), srcDir: SRC, objDir: OBJ };
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'kq-guest-'));
  let client: DebugClient | undefined;
  let pids: number[] = [];

  before(() =>
    assert.ok(
      existsSync(path.join(OBJ, 'vmlinux')),
      `${OBJ}/vmlinux is missing: test/adapter/kernelBuild.test.ts builds it (run it first)`,
    ),
  );
  after(async () => {
    if (client) await stopClient(client);
    assert.deepEqual(await survivors(pids), []);
    rmSync(scratch, { recursive: true, force: true });
  });

  test(
    "Build Rootfs → initramfs stages the tree's modules with make modules_install and packs busybox, /init and test_module.ko",
    { timeout: 5 * 60_000 },
    async () => {
      rmSync(INITRAMFS, { force: true });
      const lines: string[] = [];
      const result = await runSteps(await planTarget(tree, { id: 'initramfs' }, OPTIONS), { output: (text) => lines.push(text) });
      assert.ok(result.ok, `initramfs failed (${result.failedStep}): ${result.firstError}\n${lines.join('').slice(-3000)}`);
      assert.match(lines.join(''), /> make \(modules_install for the guest\)|modules_install INSTALL_MOD_PATH=/);
      const listing = execFileSync('cpio', ['-it', '--quiet'], { input: gunzipSync(readFileSync(INITRAMFS)), encoding: 'utf8' }).split(
        '\n',
      );
      for (const wanted of ['init', 'bin/busybox', 'dev/console']) assert.ok(listing.includes(wanted), `${wanted} in the initramfs`);
      assert.ok(
        listing.some((entry) => /^lib\/modules\/[^/]+\/kernel\/lib\/test_module\.ko$/.test(entry)),
        `test_module.ko in the initramfs:\n${listing.filter((entry) => entry.startsWith('lib/')).join('\n')}`,
      );
      assert.ok(
        listing.some((entry) => /^lib\/modules\/[^/]+\/modules\.dep$/.test(entry)),
        'modules.dep (from modules_install) in the initramfs',
      );
      // A rebuild after a module changed is the archive alone: no full rebuild.
      const again = await runSteps(await planTarget(tree, { id: 'initramfs' }, OPTIONS), { output: () => undefined });
      assert.ok(again.ok);
      console.log(`initramfs: first ${(result.durationMs / 1000).toFixed(1)} s, again ${(again.durationMs / 1000).toFixed(1)} s`);
    },
  );

  test(
    'F5 on the outputs: the configured command runs with the network up and the shares mounted; test_module is modprobed and its init stops with source',
    { timeout: 5 * 60_000 },
    async () => {
      const outputs = await kernelTreeLaunch(tree);
      assert.ok(!('problem' in outputs), 'problem' in outputs ? outputs.problem : '');
      assert.equal(outputs.initrd, INITRAMFS, 'the launch configuration of the tree boots its initramfs');
      const readOnly = path.join(scratch, 'ro');
      const readWrite = path.join(scratch, 'rw');
      mkdirSync(readOnly);
      mkdirSync(readWrite);
      writeFileSync(path.join(readOnly, 'hello.txt'), `written on the host ${process.pid}\n`);
      const guestCommand = [
        'ip -4 addr show eth0; ip route',
        'cat /mnt/ro/hello.txt',
        'echo x > /mnt/ro/denied 2>/dev/null && echo RO-WRITE-ALLOWED || echo RO-WRITE-REFUSED',
        'echo from-the-guest > /mnt/rw/written && echo RW-WRITE-OK',
        'modprobe test_module && echo MODPROBE-OK',
      ].join('; ');
      const config = {
        ...launchConfigFromOutputs(outputs, 'kernel tree guest'),
        accel: 'tcg',
        stopAtEntry: false,
        stateDisk: path.join(scratch, 'state.qcow2'),
        guestCommand,
        shares: [
          { host: readOnly, guest: '/mnt/ro' },
          { host: readWrite, guest: '/mnt/rw', readOnly: false },
        ],
      };
      client = await startClient();
      const output: string[] = [];
      client.on('output', (event: DebugProtocol.OutputEvent) => output.push(event.body.output));
      const source = path.join(SRC, 'lib/test_module.c');
      const initLine =
        readFileSync(source, 'utf8')
          .split('\n')
          .findIndex((line) => line.includes('pr_warn("Hello, world')) + 1;
      let placed: DebugProtocol.Breakpoint[] = [];
      const stopped = client.waitForEvent('stopped', 180_000) as Promise<DebugProtocol.StoppedEvent>;
      await launchRunning(client, config, async () => {
        placed = (await client!.setBreakpointsRequest({ source: { path: source }, breakpoints: [{ line: initLine }] })).body.breakpoints;
      });
      pids = sessionPids();
      assert.equal(placed.length, 1);
      const stop = await stopped;
      assert.equal(stop.body.reason, 'breakpoint');
      const frame = await topFrame(client, stop.body.threadId ?? 1);
      assert.equal(frame.name, 'test_module_init');
      assert.equal(frame.source?.path, source);
      assert.equal(frame.line, initLine);

      // While the guest runs with its network: QEMU listens on loopback only (the ssh forward).
      const qemu = pids.find((pid) => readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('qemu-system'));
      assert.ok(qemu, 'QEMU runs');
      const listeners = tcpListeners(qemu);
      assert.ok(listeners.length >= 1, 'the ssh forward listens');
      assert.deepEqual(
        listeners.filter((listener) => !listener.startsWith('127.0.0.1:')),
        [],
        `QEMU listens only on 127.0.0.1: ${listeners.join(', ')}`,
      );
      assert.deepEqual(
        tcpListeners(Number(readFileSync(`/proc/${qemu}/stat`, 'utf8').split(') ')[1]!.split(' ')[1])),
        [],
        'the adapter listens on nothing',
      );
      const sshLine = /ssh: 127\.0\.0\.1:(\d+) → the guest's ssh port/.exec(output.join(''));
      assert.ok(
        sshLine && listeners.includes(`127.0.0.1:${sshLine[1]}`),
        `the Debug Console names the forwarded port: ${output.join('').slice(-1500)}`,
      );

      await client.continueRequest({ threadId: stop.body.threadId ?? 1 });
      await outputMatching(output, /kernel-qemu: command exited with status 0/, 120_000);
      const text = output.join('');
      assert.match(text, /inet 10\.0\.2\.15\/24/);
      assert.match(text, /default via 10\.0\.2\.2 dev eth0/);
      assert.match(text, new RegExp(`written on the host ${process.pid}`));
      assert.match(text, /RO-WRITE-REFUSED/);
      assert.match(text, /RW-WRITE-OK/);
      assert.match(text, /MODPROBE-OK/);
      assert.equal(readFileSync(path.join(readWrite, 'written'), 'utf8'), 'from-the-guest\n');
      assert.ok(!existsSync(path.join(readOnly, 'denied')));

      // QEMU refuses savevm while a 9p export is mounted: the error says so and names the way out.
      await assert.rejects(
        client.customRequest(SNAPSHOT_REQUEST.save, { name: 'with-shares' }),
        /cannot save a VM snapshot while the guest has the shared folder .*\/r[ow] mounted \(9p tag kqshare[01]\)\. Unmount it/,
      );
    },
  );
});
