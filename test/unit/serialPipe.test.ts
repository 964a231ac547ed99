// The serial console's FIFOs, with a writer and a reader standing in for QEMU's `-chardev pipe`.
import assert from 'node:assert/strict';
import { closeSync, constants, existsSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { SerialPipe } from '../../src/qemu/serialPipe';

const dir = mkdtempSync(path.join(os.tmpdir(), 'kq-serial-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('the FIFOs are private, and close removes them', () => {
  const pipe = SerialPipe.create(path.join(dir, 'a'))!;
  assert.ok(pipe, 'mkfifo works here');
  for (const end of ['in', 'out']) {
    const stat = statSync(path.join(dir, `a.${end}`));
    assert.ok(stat.isFIFO());
    assert.equal(stat.mode & 0o777, 0o600);
  }
  pipe.close();
  assert.ok(!existsSync(path.join(dir, 'a.in')) && !existsSync(path.join(dir, 'a.out')));
});

test("one-byte writes (as QEMU's UART makes them) arrive in order, in a few large reads, with UTF-8 split across writes intact", async () => {
  const pipe = SerialPipe.create(path.join(dir, 'b'))!;
  const reads: string[] = [];
  pipe.onOutput((text) => reads.push(text));
  const qemu = openSync(path.join(dir, 'b.out'), constants.O_WRONLY | constants.O_NONBLOCK);
  const text = `Linux version 6.1 — ünïcode ✓\n${'kq-flood 0123456789\n'.repeat(500)}`;
  const bytes = Buffer.from(text);
  for (let index = 0; index < bytes.length; index++) {
    writeSync(qemu, bytes, index, 1);
    await new Promise(setImmediate); // the adapter could read after every byte
  }
  const deadline = Date.now() + 5000;
  while (reads.join('').length < text.length && Date.now() < deadline) await sleep(10);
  closeSync(qemu);
  pipe.close();
  assert.equal(reads.join(''), text);
  assert.ok(reads.length < bytes.length / 100, `${bytes.length} one-byte writes became ${reads.length} reads`);
});

test('typed input reaches the .in FIFO that QEMU reads', () => {
  const pipe = SerialPipe.create(path.join(dir, 'c'))!;
  const qemu = openSync(path.join(dir, 'c.in'), constants.O_RDONLY | constants.O_NONBLOCK);
  pipe.write('echo hi\n\x03');
  return new Promise<void>((resolve, reject) => {
    setTimeout(() => {
      try {
        const buffer = Buffer.alloc(64);
        const count = readSync(qemu, buffer, 0, 64, null);
        assert.equal(buffer.subarray(0, count).toString(), 'echo hi\n\x03');
        resolve();
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      } finally {
        closeSync(qemu);
        pipe.close();
      }
    }, 50);
  });
});
