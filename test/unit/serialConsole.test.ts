import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { SERIAL_OUTPUT_EVENT, SerialConsole } from '../../src/adapter/kernel/serialConsole';

function recorder(): { events: DebugProtocol.Event[]; console: SerialConsole } {
  const events: DebugProtocol.Event[] = [];
  return { events, console: new SerialConsole((event) => events.push(event)) };
}

const textOf = (event: DebugProtocol.Event): string =>
  (event.body as { output?: string; text?: string }).output ?? (event.body as { text: string }).text;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('byte-sized chunks from QEMU become one output event, in order', async () => {
  const { events, console } = recorder();
  for (const chunk of 'Linux version 6.1\n'.split('')) console.output(chunk);
  assert.equal(events.length, 0, 'nothing is sent per chunk');
  await sleep(50);
  assert.equal(events.length, 1);
  assert.equal(events[0]!.event, 'output');
  assert.equal(textOf(events[0]!), 'Linux version 6.1\n');
});

test('a large burst is sent without waiting for the timer, in ≤ 64 KiB events', () => {
  const { events, console } = recorder();
  const line = 'kq-flood 0123456789\n';
  for (let i = 0; i < 10_000; i++) console.output(line);
  assert.ok(events.length >= 2, `${events.length} events`);
  console.flush();
  assert.equal(events.map(textOf).join(''), line.repeat(10_000));
  assert.ok(events.every((event) => textOf(event).length <= 64 * 1024 + line.length));
});

test('flush sends what is pending at once (before a stop is reported); an empty flush sends nothing', () => {
  const { events, console } = recorder();
  console.output('Kernel panic - not syncing');
  console.flush();
  assert.deepEqual(events.map(textOf), ['Kernel panic - not syncing']);
  console.flush();
  assert.equal(events.length, 1);
});

test('opening the terminal sends pending text to the Debug Console first; the backlog has it all', () => {
  const { events, console } = recorder();
  console.output('boot ');
  console.output('log\n');
  const { backlog } = console.openTerminal();
  assert.equal(backlog, 'boot log\n');
  assert.deepEqual(
    events.map((event) => event.event),
    ['output'],
  );
  console.output('$ ');
  console.flush();
  assert.equal(events[1]!.event, SERIAL_OUTPUT_EVENT);
  assert.equal(textOf(events[1]!), '$ ');
  console.output('after');
  console.closeTerminal();
  assert.equal(events[2]!.event, SERIAL_OUTPUT_EVENT, 'what arrived while the terminal was open goes to it');
});

test('the backlog stays bounded and recent() includes text not sent yet', () => {
  const { console } = recorder();
  for (let i = 0; i < 100; i++) console.output('x'.repeat(10_000));
  console.flush();
  const { backlog } = console.openTerminal();
  assert.equal(backlog.length, 256 * 1024);
  console.output('tail');
  assert.equal(console.recent(4), 'tail');
  console.flush();
});

test('the watcher sees each flushed text once, after it was sent', async () => {
  const events: DebugProtocol.Event[] = [];
  const watched: string[] = [];
  const console = new SerialConsole(
    (event) => events.push(event),
    (text) => watched.push(`${text}@${events.length}`),
  );
  for (const chunk of 'Kernel panic - not syncing: VFS\n'.split('')) console.output(chunk);
  assert.deepEqual(watched, [], 'not per chunk');
  await sleep(50);
  assert.deepEqual(watched, ['Kernel panic - not syncing: VFS\n@1']);
});

test('a long flood keeps the newest 256 KiB in the backlog, whole', () => {
  const { console } = recorder();
  let all = '';
  for (let i = 0; i < 8000; i++) {
    const text = `line ${i} ${'y'.repeat(i % 97)}\n`;
    all += text;
    console.output(text);
    if (i % 7 === 0) console.flush();
  }
  console.flush();
  assert.ok(all.length > 400 * 1024);
  assert.equal(console.openTerminal().backlog, all.slice(-256 * 1024));
});
