// The session log (VS Code's "Kernel QEMU" output channel) over DAP: with the extension's
// launch argument the adapter sends kernelQemu.log events carrying the QEMU command line
// quoted for a shell and, at trace level, the gdb/MI and QMP traffic, none of it in the Debug
// Console; without it (another editor) no such event, and `trace: true` prints MI to the console.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, describe, test } from 'node:test';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { LOG_ARGUMENT, LOG_EVENT, SET_LOG_LEVEL_REQUEST, type LogLine } from '../../src/adapter/sessionProtocol';
import { launch, launchConfig, startClient, stopClient, testKernel } from './support';

function collect(client: DebugClient): { logs: LogLine[]; console: string[] } {
  const seen = { logs: [] as LogLine[], console: [] as string[] };
  client.on(LOG_EVENT, (event: DebugProtocol.Event) => seen.logs.push(event.body as LogLine));
  client.on('output', (event: DebugProtocol.OutputEvent) => seen.console.push(event.body.output));
  return seen;
}

describe("with the extension's log channel", () => {
  let client: DebugClient;
  after(async () => stopClient(client));

  test('the log event carries the QEMU command line, quoted so a shell reads back its argv', async () => {
    client = await startClient();
    const seen = collect(client);
    const kernel = testKernel('x86_64');
    await launch(client, launchConfig(kernel, { append: 'console=ttyS0 quiet', [LOG_ARGUMENT]: { level: 'trace' } }));
    const started = seen.logs.find((line) => line.text.startsWith('QEMU started (TCG): '));
    assert.ok(started, `no QEMU command line among ${seen.logs.length} log lines`);
    assert.equal(started.level, 'info');
    const line = started.text.slice('QEMU started (TCG): '.length);
    const argv = execFileSync('sh', ['-c', `printf '%s\\0' ${line}`], { encoding: 'utf8' })
      .split('\0')
      .slice(0, -1);
    assert.match(argv[0]!, /qemu-system-x86_64$/);
    assert.equal(argv[argv.indexOf('-kernel') + 1], kernel.kernel);
    assert.equal(
      argv[argv.indexOf('-append') + 1],
      'console=ttyS0 quiet nokaslr kq.net=user',
      'the command line with spaces is one word (the default network adds its word for the initramfs)',
    );
  });

  test('at trace level the MI and QMP traffic is in the log and not in the Debug Console', async () => {
    const seen = collect(client);
    await client.customRequest('kernelQemu.snapshots.list').catch(() => undefined); // some QMP traffic
    await client.threadsRequest();
    const texts = seen.logs.map((line) => line.text);
    assert.ok(
      texts.some((text) => text.startsWith('gdb → ') && /thread-info|list-thread-groups|thread/.test(text)),
      texts.slice(0, 20).join('\n'),
    );
    assert.ok(
      texts.some((text) => text.startsWith('gdb ← ')),
      'gdb answers are logged',
    );
    assert.ok(seen.logs.filter((line) => line.text.startsWith('gdb ')).every((line) => line.level === 'trace'));
    assert.ok(
      texts.some((text) => /^qmp [→←] /.test(text)),
      `QMP traffic logged:\n${texts.join('\n').slice(0, 2000)}`,
    );
    assert.ok(!seen.console.some((text) => /^[→←] /.test(text)), 'no traffic in the Debug Console');
  });

  test('at info level (the channel changed its level) no traffic is sent', async () => {
    await client.customRequest(SET_LOG_LEVEL_REQUEST, { level: 'info' });
    const seen = collect(client);
    await client.threadsRequest();
    assert.deepEqual(
      seen.logs.filter((line) => line.text.startsWith('gdb ')),
      [],
    );
  });
});

describe('another editor (no log argument)', () => {
  let client: DebugClient;
  after(async () => stopClient(client));

  test('no log events; trace: true prints the MI traffic to the Debug Console', async () => {
    client = await startClient();
    const seen = collect(client);
    await launch(client, launchConfig(testKernel('x86_64'), { trace: true }));
    assert.deepEqual(seen.logs, []);
    assert.ok(
      seen.console.some((text) => /^→ .*-target-select|^→ /.test(text)),
      'MI commands in the console',
    );
    assert.ok(seen.console.some((text) => text.startsWith('QEMU started (TCG): ')));
  });

  test('a frame whose source is missing says how to map it, once', async () => {
    const seen = collect(client);
    for (let i = 0; i < 2; i++) await client.stackTraceRequest({ threadId: 1, startFrame: 0, levels: 20 });
    const hints = seen.console.filter((text) => /is not on this machine/.test(text));
    assert.equal(hints.length, 1, seen.console.join(''));
    assert.match(hints[0]!, /"sourceRoot"[\s\S]*"sourceFileMap"/);
  });
});
