// QmpClient.connect against scripted unix-socket servers: a QEMU stopped once it listens
// accepts the connection and never greets, which must fail at the deadline (it waited without
// end), or as soon as the caller gives up; a QEMU that greets late is still waited for.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { QmpClient } from '../../src/qemu/qmp';

const dir = mkdtempSync(path.join(os.tmpdir(), 'kq-qmp-connect-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A server on a fresh socket; `greetAfterMs` undefined: it accepts and says nothing. */
async function qmpServer(name: string, greetAfterMs?: number): Promise<{ socketPath: string; accepted: net.Socket[]; close(): void }> {
  const socketPath = path.join(dir, name);
  const accepted: net.Socket[] = [];
  const server = net.createServer((peer) => {
    accepted.push(peer);
    peer.on('error', () => undefined);
    peer.on('data', (chunk) => {
      if (String(chunk).includes('qmp_capabilities')) peer.write('{"return": {}, "id": "kq-1"}\n');
    });
    if (greetAfterMs !== undefined) setTimeout(() => peer.write('{"QMP": {"version": {}, "capabilities": []}}\n'), greetAfterMs);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    accepted,
    close: () => {
      for (const peer of accepted) peer.destroy();
      server.close();
    },
  };
}

test('a monitor that accepts and never greets fails the connect at its deadline, its connection closed', async () => {
  const server = await qmpServer('silent.sock');
  try {
    const started = Date.now();
    await assert.rejects(QmpClient.connect(server.socketPath, 600), /accepted the QMP connection but did not greet/);
    const took = Date.now() - started;
    assert.ok(took >= 550 && took < 3_000, `${took} ms against a 600 ms deadline`);
    assert.ok(server.accepted.length >= 1, 'it connected');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(
      server.accepted.every((peer) => peer.readableEnded || peer.destroyed),
      'no connection left open',
    );
  } finally {
    server.close();
  }
});

test('a caller that gives up ends the wait for a silent monitor at once, not at the deadline', async () => {
  const server = await qmpServer('given-up.sock');
  try {
    const started = Date.now();
    const gaveUp = new Promise((resolve) => setTimeout(resolve, 200));
    await assert.rejects(QmpClient.connect(server.socketPath, 10_000, gaveUp), /stopped waiting for QMP/);
    assert.ok(Date.now() - started < 2_000, `${Date.now() - started} ms (gave up at 200 ms)`);
  } finally {
    server.close();
  }
});

test('a monitor that greets late, within the deadline, is connected', async () => {
  const server = await qmpServer('late.sock', 400);
  try {
    const qmp = await QmpClient.connect(server.socketPath, 5_000);
    assert.equal(qmp.isClosed, false);
    qmp.close();
  } finally {
    server.close();
  }
});
