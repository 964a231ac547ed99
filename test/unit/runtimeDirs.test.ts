// Runtime directories: private, owned, and swept only when their owner is gone.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { createRuntimeDir, protectSockets, sweepStaleRuntimeDirs } from '../../src/process/runtimeDirs';

describe('runtime directories', () => {
  const base = mkdtempSync(path.join(os.tmpdir(), 'kq-rt-'));
  after(() => rmSync(base, { recursive: true, force: true }));

  test('a new one is 0700 and names its owner (pid and start time)', () => {
    const dir = createRuntimeDir(base);
    assert.match(path.basename(dir), /^kernel-qemu-[A-Za-z0-9]{6}$/);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.match(readFileSync(path.join(dir, 'owner'), 'utf8'), new RegExp(`^${process.pid} \\d+\\n$`));
    assert.deepEqual(sweepStaleRuntimeDirs(base), [], 'a live owner keeps it');
    assert.ok(existsSync(dir));
  });

  test("a dead owner's directory is swept; so is one whose pid was reused by another process", () => {
    const dead = spawnSync('true').pid;
    const gone = path.join(base, 'kernel-qemu-Dead01');
    mkdirSync(gone, { mode: 0o700 });
    writeFileSync(path.join(gone, 'owner'), `${dead} 12345\n`);
    writeFileSync(path.join(gone, 'gdb.sock'), '');
    const reused = path.join(base, 'kernel-qemu-Reuse1');
    mkdirSync(reused, { mode: 0o700 });
    writeFileSync(path.join(reused, 'owner'), `${process.pid} 1\n`); // this pid, another start time
    assert.deepEqual(sweepStaleRuntimeDirs(base).sort(), [gone, reused].sort());
    assert.ok(!existsSync(gone) && !existsSync(reused));
  });

  test('an ownerless directory is kept while young or while a socket in it listens', async () => {
    const young = path.join(base, 'kernel-qemu-Young1');
    mkdirSync(young, { mode: 0o700 });
    const listening = path.join(base, 'kernel-qemu-Liste1');
    mkdirSync(listening, { mode: 0o700 });
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(path.join(listening, 'qmp.sock'), resolve));
    const old = path.join(base, 'kernel-qemu-Old001');
    mkdirSync(old, { mode: 0o700 });
    const hourAgo = new Date(Date.now() - 3600_000);
    utimesSync(listening, hourAgo, hourAgo);
    utimesSync(old, hourAgo, hourAgo);
    assert.deepEqual(sweepStaleRuntimeDirs(base), [old]);
    assert.ok(existsSync(young) && existsSync(listening));
    server.close();
    rmSync(young, { recursive: true });
    rmSync(listening, { recursive: true });
  });

  test('links and other names are never followed or removed', () => {
    const target = mkdtempSync(path.join(os.tmpdir(), 'kq-rt-target-'));
    writeFileSync(path.join(target, 'precious'), 'x');
    symlinkSync(target, path.join(base, 'kernel-qemu-Link01'));
    mkdirSync(path.join(base, 'kernel-qemu-kvm-probe-0-abc'));
    assert.deepEqual(sweepStaleRuntimeDirs(base, Date.now() + 86400_000), []);
    assert.ok(existsSync(path.join(target, 'precious')));
    rmSync(target, { recursive: true, force: true });
  });

  test('sockets are made 0600', async () => {
    const dir = createRuntimeDir(base);
    const socket = path.join(dir, 'gdb.sock');
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    protectSockets(dir);
    assert.equal(statSync(socket).mode & 0o777, 0o600);
    server.close();
  });
});
