// Start-up under adverse conditions: a slow QEMU, a QEMU whose stub never comes up, a QEMU
// stopped before it answers, a port taken by another program, two sessions at once, KVM
// present but unusable; and exposure: while sessions run, no QEMU or gdb socket listens
// anywhere but on loopback or on a 0600 unix socket in a 0700 directory (checked in /proc/net
// and with ss).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chooseAccel } from '../../src/qemu/accel';
import {
  closeIsolated,
  freshTmpdir,
  launchToStop,
  leftoversIn,
  orphansOf,
  processesOf,
  removeDir,
  toolsOf,
  wrapperScript,
  type IsolatedAdapter,
  startIsolated,
} from './faultSupport';
import { launchConfig, testKernel } from './support';

describe('start-up', () => {
  let scratch: string;
  before(() => {
    scratch = freshTmpdir('kq-start-');
  });
  after(() => removeDir(scratch));

  async function expectClean(adapter: IsolatedAdapter): Promise<void> {
    await closeIsolated(adapter);
    assert.deepEqual(
      (await orphansOf(adapter.tmpdir)).map((p) => p.comm),
      [],
      'orphaned processes',
    );
    // The KVM probe's answer is kept for the rest of the host's boot, by design (qemu/accel.ts).
    assert.deepEqual(
      leftoversIn(adapter.tmpdir).filter((name) => !/^kernel-qemu-kvm-probe-\d+-[\w-]+\.json$/.test(name)),
      [],
      'leftover runtime files',
    );
    removeDir(adapter.tmpdir);
  }

  test('a slow QEMU (its stub up 3 s late) is waited for, not raced', async () => {
    const qemuPath = wrapperScript(scratch, 'qemu-slow', 'qemu-system-x86_64', { sleepSeconds: 3 });
    const adapter = await startIsolated();
    try {
      const stopped = await launchToStop(adapter.client, launchConfig(testKernel('x86_64'), { qemuPath }));
      // (How long it took proves nothing: the wrapper's own sleep guarantees 3 s. The stop is what shows the wait.)
      assert.equal(stopped.body.reason, 'entry');
    } finally {
      await expectClean(adapter);
    }
  });

  test('a QEMU whose stub never comes up fails the launch with a clear error, bounded, nothing left', async () => {
    const qemuPath = wrapperScript(scratch, 'qemu-never', 'qemu-system-x86_64', { never: true });
    const adapter = await startIsolated();
    try {
      const started = Date.now();
      await assert.rejects(
        launchToStop(adapter.client, launchConfig(testKernel('x86_64'), { qemuPath })),
        /QEMU did not start: QMP did not answer within 15 s/,
      );
      assert.ok(Date.now() - started < 30_000, `${Date.now() - started} ms (the QMP wait is 15 s)`);
    } finally {
      await expectClean(adapter);
    }
  });

  test('a QEMU stopped (SIGSTOP) before its monitor answers fails the launch within seconds, naming it, nothing left', async () => {
    const qemuPath = wrapperScript(scratch, 'qemu-stopped', 'qemu-system-x86_64', { stopsItself: true });
    const adapter = await startIsolated();
    try {
      const started = Date.now();
      await assert.rejects(
        launchToStop(adapter.client, launchConfig(testKernel('x86_64'), { qemuPath })),
        /QEMU did not start: it was stopped \(pid \d+: SIGSTOP, or Ctrl\+Z in a terminal\) before its monitor \(QMP\) answered/,
      );
      assert.ok(Date.now() - started < 10_000, `${Date.now() - started} ms (given up after 2 s stopped; the QMP wait is 15 s)`);
    } finally {
      await expectClean(adapter);
    }
  });

  test('attach to a port another program holds: a clear error within 15 s, nothing left', async () => {
    const silent = net.createServer(() => undefined); // accepts, never speaks the gdb protocol
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    const adapter = await startIsolated();
    try {
      const started = Date.now();
      await assert.rejects(
        launchToStop(adapter.client, {
          type: 'kernel-qemu',
          request: 'attach',
          name: 'attach',
          program: testKernel('x86_64').vmlinux,
          target: `127.0.0.1:${port}`,
        }),
        new RegExp(`127\\.0\\.0\\.1:${port}.*(no gdb stub answered|another program)`),
      );
      assert.ok(Date.now() - started < 25_000, `${Date.now() - started} ms (the connect timeout is 10 s)`);
    } finally {
      silent.close();
      await expectClean(adapter);
    }
  });

  test('KVM present but hanging: "auto" falls back to TCG, bounded (the probe waits 4 s)', async () => {
    // A QEMU that starts and prints nothing, as a KVM guest does on nested virtualization.
    const hanging = wrapperScript(scratch, 'qemu-kvm-hangs', 'qemu-system-x86_64', { never: true });
    const savedTmp = process.env.TMPDIR;
    process.env.TMPDIR = freshTmpdir('kq-probe-'); // no cached probe answer
    try {
      const started = Date.now();
      const choice = await chooseAccel({
        accel: 'auto',
        arch: 'x86_64',
        hostArch: 'x86_64',
        qemuPath: hanging,
        kernel: testKernel('x86_64').kernel,
        kvmDevice: async () => true,
        hasVirtualizationFlags: async () => true,
      });
      assert.equal(choice.accel, 'tcg');
      assert.match(choice.reason, /falling back from KVM/);
      assert.ok(Date.now() - started < 20_000, `${Date.now() - started} ms (the probe waits 4 s)`);
      assert.deepEqual(
        processesOf(process.env.TMPDIR).map((p) => p.comm),
        [],
        'the probe QEMU is gone',
      );
    } finally {
      removeDir(process.env.TMPDIR);
      if (savedTmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = savedTmp;
    }
  });

  test('"accel": "kvm" on this host: a stop or a clear error within 20 s, never a hang', async () => {
    const adapter = await startIsolated();
    try {
      const started = Date.now();
      const outcome = await launchToStop(adapter.client, launchConfig(testKernel('x86_64'), { accel: 'kvm' }), 20_000).then(
        (stopped) => `stopped (${stopped.body.reason})`,
        (error: Error) => error.message,
      );
      assert.ok(Date.now() - started < 21_000, `${Date.now() - started} ms: ${outcome}`);
      assert.match(outcome, /stopped|KVM|kvm|QEMU/, outcome);
      assert.doesNotMatch(outcome, /^no stop within/, 'a KVM that hangs must be reported');
    } finally {
      await expectClean(adapter);
    }
  });
});

describe('two sessions at once, and what they expose', () => {
  const adapters: IsolatedAdapter[] = [];
  before(async () => {
    adapters.push(await startIsolated(), await startIsolated());
    const stops = await Promise.all(adapters.map((adapter) => launchToStop(adapter.client, launchConfig(testKernel('x86_64')))));
    for (const stop of stops) assert.equal(stop.body.reason, 'entry');
  });
  after(async () => {
    for (const adapter of adapters) {
      await closeIsolated(adapter);
      assert.deepEqual(
        (await orphansOf(adapter.tmpdir)).map((p) => p.comm),
        [],
      );
      assert.deepEqual(leftoversIn(adapter.tmpdir), []);
      removeDir(adapter.tmpdir);
    }
  });

  test('each session has its own QEMU, gdb and stub socket', () => {
    const sockets = adapters.map((adapter) => {
      const { qemu, gdb } = toolsOf(adapter.tmpdir);
      assert.equal(qemu.length, 1);
      assert.equal(gdb.length, 1);
      const chardev = qemu[0]!.argv.find((arg) => arg.startsWith('socket,id=gdbstub,path='))!;
      return /path=([^,]+)/.exec(chardev)![1]!;
    });
    assert.notEqual(sockets[0], sockets[1]);
  });

  test('no QEMU or gdb socket listens beyond loopback; unix sockets are 0600 in 0700 directories (procfs)', () => {
    const pids = adapters.flatMap((adapter) => processesOf(adapter.tmpdir)).filter((p) => /^(qemu-system|gdb)/.test(p.comm));
    assert.equal(pids.length, 4);
    const problems: string[] = [];
    let unixListeners = 0;
    for (const proc of pids) {
      const inodes = socketInodes(proc.pid);
      for (const listener of tcpListeners()) {
        if (inodes.has(listener.inode) && !listener.loopback) problems.push(`${proc.comm} listens on ${listener.address}`);
      }
      for (const listener of unixListeners_()) {
        if (!inodes.has(listener.inode)) continue;
        unixListeners++;
        if (!listener.path || listener.path.startsWith('@')) {
          problems.push(`${proc.comm} listens on an abstract or unnamed unix socket ${listener.path}`);
          continue;
        }
        const socketMode = statSync(listener.path).mode & 0o777;
        const dir = statSync(path.dirname(listener.path));
        if (socketMode & 0o077) problems.push(`${listener.path} is mode ${socketMode.toString(8)}`);
        if ((dir.mode & 0o777) !== 0o700 || dir.uid !== process.getuid!())
          problems.push(`${path.dirname(listener.path)} is mode ${(dir.mode & 0o777).toString(8)} uid ${dir.uid}`);
      }
    }
    assert.deepEqual(problems, []);
    assert.equal(unixListeners, 4, 'each QEMU listens on its gdb stub and QMP sockets');
  });

  test('ss agrees: no TCP/UDP listener of QEMU or gdb beyond loopback', (t) => {
    const ss = spawnSync('ss', ['-H', '-l', '-n', '-p', '-t', '-u'], { encoding: 'utf8' });
    if (ss.error) return t.skip('ss is not installed (procfs was checked above)');
    const pids = new Set(adapters.flatMap((adapter) => processesOf(adapter.tmpdir)).map((p) => p.pid));
    const exposed = ss.stdout
      .split('\n')
      .filter((line) => [...line.matchAll(/pid=(\d+)/g)].some((match) => pids.has(Number(match[1]))))
      .filter((line) => !/\s(127\.\d+\.\d+\.\d+|\[::1\]|\[::ffff:127\.\d+\.\d+\.\d+\]):\d+\s/.test(line));
    assert.deepEqual(exposed, []);
    const unix = spawnSync('ss', ['-H', '-l', '-x', '-p'], { encoding: 'utf8' }).stdout;
    const ours = unix.split('\n').filter((line) => [...line.matchAll(/pid=(\d+)/g)].some((match) => pids.has(Number(match[1]))));
    assert.ok(ours.length >= 4 && ours.every((line) => /\/kernel-qemu-[A-Za-z0-9]{6}\/(gdb|qmp)\.sock/.test(line)), ours.join('\n'));
  });
});

function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]!);
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

/** Listening TCP sockets (state 0A) and bound UDP sockets, v4 and v6. */
function tcpListeners(): Array<{ inode: string; address: string; loopback: boolean }> {
  const out: Array<{ inode: string; address: string; loopback: boolean }> = [];
  for (const file of ['tcp', 'tcp6', 'udp', 'udp6']) {
    let lines: string[];
    try {
      lines = readFileSync(`/proc/net/${file}`, 'utf8').trim().split('\n').slice(1);
    } catch {
      continue;
    }
    for (const line of lines) {
      const fields = line.trim().split(/\s+/);
      const [local, , state] = [fields[1]!, fields[2]!, fields[3]!];
      if (file.startsWith('tcp') && state !== '0A') continue;
      const hex = local.split(':')[0]!;
      const loopback =
        hex.length === 8
          ? hex.endsWith('7F')
          : hex === '00000000000000000000000001000000' || /^0000000000000000FFFF00000[0-9A-F]{6}7F$/.test(hex);
      out.push({ inode: fields[9]!, address: `${file} ${local}`, loopback });
    }
  }
  return out;
}

/** Listening unix sockets (flag __SO_ACCEPTCON) with their paths. */
function unixListeners_(): Array<{ inode: string; path: string | undefined }> {
  return readFileSync('/proc/net/unix', 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => (Number.parseInt(fields[3]!, 16) & 0x10000) !== 0)
    .map((fields) => ({ inode: fields[6]!, path: fields[7] }));
}
