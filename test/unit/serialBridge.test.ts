import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SerialBridge, toSerial, toTerminal } from '../../src/extension/serialBridge';

test('guest LF becomes CRLF for the terminal; Enter becomes LF for the serial line', () => {
  assert.equal(toTerminal('a\nb\r\nc'), 'a\r\nb\r\nc');
  assert.equal(toSerial('echo hi\r'), 'echo hi\n');
  assert.equal(toSerial('x\r\ny'), 'x\ny');
});

test('the terminal shows the backlog first, then output that arrived while it opened, in order', async () => {
  const written: string[] = [];
  const sent: string[] = [];
  let release: (value: { backlog: string }) => void = () => undefined;
  const bridge = new SerialBridge(
    { open: () => new Promise((resolve) => (release = resolve)), send: async (text) => void sent.push(text), close: async () => undefined },
    (text) => written.push(text),
  );
  const started = bridge.start();
  bridge.output('late\n');
  release({ backlog: 'Linux version 6.1\n' });
  await started;
  bridge.output('live\n');
  assert.deepEqual(written, ['Linux version 6.1\r\n', 'late\r\n', 'live\r\n']);
  bridge.input('ls\r');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(sent, ['ls\n']);
});
