// The watch that fails requests a stopped gdb or QEMU cannot answer (src/adapter/hangWatch.ts),
// on a real MiConnection and a real QmpClient (against a scripted QMP server on a unix socket).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { ErrorCode, UserError } from '../../src/adapter/errors';
import { HangWatch, undoLateEffects } from '../../src/adapter/hangWatch';
import { isStopped } from '../../src/process/processState';
import { mi } from '../../src/mi/commands';
import { MiConnection } from '../../src/mi/connection';
import { QmpClient, QmpClosedError } from '../../src/qemu/qmp';

const GDB = 100;
const QEMU = 200;

function miWatch(stopped: Set<number>): { conn: MiConnection; watch: HangWatch } {
  const conn = new MiConnection(() => undefined);
  const watch = new HangWatch(
    [
      {
        requests: () => conn,
        waitsFor: () => [
          { name: 'gdb', pid: GDB },
          { name: 'QEMU', pid: QEMU },
        ],
        reader: 'gdb',
      },
    ],
    (pid) => stopped.has(pid),
    1_000,
    2_000,
  );
  return { conn, watch };
}

test('a command waiting past the grace on a stopped gdb fails with NotResponding naming gdb and kill -CONT', async () => {
  const stopped = new Set([GDB]);
  const { conn, watch } = miWatch(stopped);
  const sent = Date.now();
  const waiting = conn.send(mi.stackListFrames(1, 0, 19));
  watch.check(sent + 1_000);
  const waited = conn.pendingForMs(sent + 1_000);
  assert.ok(waited !== undefined && waited <= 1_000 && waited > 900, `still waiting within the grace (${waited} ms)`);
  watch.check(sent + 2_500);
  await assert.rejects(waiting, (error: unknown) => {
    assert.ok(error instanceof UserError);
    assert.equal(error.code, ErrorCode.NotResponding);
    assert.match(error.message, /^gdb \(pid 100\) is stopped .*-stack-list-frames got no answer in 2\.5 s\. Resume it \(kill -CONT 100\)/);
    return true;
  });
  assert.equal(conn.pendingForMs(), undefined);
});

test('a stopped QEMU is named as what gdb waits for; nothing stopped: a slow answer is left alone', async () => {
  const stopped = new Set<number>();
  const { conn, watch } = miWatch(stopped);
  const sent = Date.now();
  const slow = conn.send(mi.consoleCommand('p init_task'));
  watch.check(sent + 60_000);
  conn.handleLine('1^done');
  await slow;
  stopped.add(QEMU);
  const waiting = conn.send(mi.consoleCommand('p $pc'));
  watch.check(Date.now() + 3_000);
  await assert.rejects(waiting, /^UserError: QEMU \(pid 200\) is stopped .*: gdb waits for it, so -interpreter-exec got no answer/);
  // A late answer to the failed command is dropped; the next command goes on as usual.
  conn.handleLine('2^done');
  const next = conn.send(mi.consoleCommand('p 1'));
  conn.handleLine('3^done');
  await next;
});

test('isStopped reads /proc: this process runs, a missing pid is not stopped', () => {
  assert.equal(isStopped(process.pid), false);
  assert.equal(isStopped(2 ** 22 + 1), false);
});

test('QMP: commands and awaited events fail on a stopped QEMU, and a closed connection rejects both with QmpClosedError', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kq-hang-'));
  const socketPath = path.join(dir, 'qmp.sock');
  const peers: net.Socket[] = [];
  const server = net.createServer((socket) => {
    peers.push(socket);
    socket.write('{"QMP": {"version": {}, "capabilities": []}}\n');
    socket.on('data', (chunk) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        const { execute, id } = JSON.parse(line) as { execute: string; id: string };
        if (execute === 'qmp_capabilities') socket.write(`${JSON.stringify({ return: {}, id })}\n`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  try {
    const qmp = await QmpClient.connect(socketPath, 2_000);
    const watch = new HangWatch(
      [{ requests: () => qmp, waitsFor: () => [{ name: 'QEMU', pid: QEMU }], reader: 'QEMU' }],
      () => true,
      1_000,
      2_000,
    );
    const query = qmp.execute('query-block');
    const job = qmp.awaitEvent('snapshot-save', () => true);
    watch.check(Date.now() + 2_500);
    await assert.rejects(query, /^UserError: QEMU \(pid 200\) is stopped .*query-block got no answer/);
    await assert.rejects(job.event, /snapshot-save got no answer/);
    const later = qmp.awaitEvent('snapshot-load', () => true);
    const pending = qmp.execute('query-jobs');
    peers[0]!.destroy();
    await assert.rejects(
      pending,
      (error: unknown) => error instanceof QmpClosedError && /QEMU closed the QMP connection/.test(error.message),
    );
    await assert.rejects(later.event, QmpClosedError);
    await assert.rejects(qmp.execute('query-status'), QmpClosedError);
    assert.equal(qmp.isClosed, true);
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a breakpoint insert failed by the watch but done by gdb after all is deleted again; a late var-create too', async () => {
  const sent: string[] = [];
  const conn = new MiConnection((line) => sent.push(line));
  undoLateEffects(conn);
  const insert = conn.send(mi.breakInsert({ location: 'vfs_read' }));
  const variable = conn.send(mi.varCreate('init_task'));
  conn.failPending(() => new Error('gdb is stopped'));
  await assert.rejects(insert, /gdb is stopped/);
  await assert.rejects(variable, /gdb is stopped/);
  conn.handleLine('1^done,bkpt={number="7",type="breakpoint",addr="0xffffffff81234560"}');
  conn.handleLine('2^done,name="var3",numchild="1",type="struct task_struct"');
  assert.deepEqual(sent.slice(2), ['3-break-delete 7', '4-var-delete "var3"']);
});
