// The HMP side of src/qemu/monitor.ts against a socket that talks like QEMU 7.2's monitor
// (recorded: its banner, the readline echo with cursor moves, CR LF, the `(qemu) ` prompt).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { connectMonitor } from '../../src/qemu/monitor';

const dir = mkdtempSync(path.join(tmpdir(), 'kq-monitor-'));
const servers: Server[] = [];
after(() => {
  for (const server of servers) server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A fake monitor: greets, then answers each line from `answers`, echoing it the way QEMU's readline does. */
function fakeMonitor(name: string, greeting: string, answers: Record<string, string>): Promise<string> {
  const socket = path.join(dir, name);
  const server = createServer((connection) => {
    connection.write(greeting);
    let pending = '';
    connection.on('data', (chunk) => {
      pending += chunk.toString();
      let newline;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        const echo = [...line].map((_, index) => `${line.slice(0, index + 1)}\x1b[K${'\x1b[D'.repeat(index + 1)}`).join('');
        connection.write(`${echo}${line}\x1b[K\r\n${answers[line] ?? `unknown command: '${line}'\r\n`}(qemu) `);
      }
    });
  });
  servers.push(server);
  return new Promise((resolve) => server.listen(socket, () => resolve(socket)));
}

const BANNER = "QEMU 7.2.22 monitor - type 'help' for more information\r\n(qemu) ";

test('HMP: the answer is what QEMU printed after the echoed line, without escapes or CRs; an empty answer is empty', async () => {
  const socket = await fakeMonitor('hmp', BANNER, {
    'info status': 'VM status: running\r\n',
    'gdbserver unix:/run/kq/gdb.sock,server=on,wait=off':
      "Waiting for gdb connection on device 'unix:/run/kq/gdb.sock,server=on,wait=off'\r\n",
    'savevm a': '',
  });
  const monitor = await connectMonitor(socket);
  try {
    assert.equal(monitor.protocol, 'hmp');
    assert.equal(await monitor.command('info status'), 'VM status: running');
    // Commands in a row are answered in order.
    const [stub, saved] = await Promise.all([
      monitor.command('gdbserver unix:/run/kq/gdb.sock,server=on,wait=off'),
      monitor.command('savevm a'),
    ]);
    assert.equal(stub, "Waiting for gdb connection on device 'unix:/run/kq/gdb.sock,server=on,wait=off'");
    assert.equal(saved, '');
    await assert.rejects(monitor.command('info status\nquit'), /one line/);
  } finally {
    monitor.close();
  }
});

test('a socket that is not a QEMU monitor, or none at all, is a named error', async () => {
  const other = await fakeMonitor('other', 'SSH-2.0-OpenSSH_9.2\r\n', {});
  await assert.rejects(connectMonitor(other), /is not a QEMU monitor: it greeted with "SSH-2\.0/);
  await assert.rejects(connectMonitor(path.join(dir, 'missing')), /No monitor socket at .*missing: is QEMU running with -monitor unix:/);
});
