// Guest faults, typed into the busybox shell on the serial console
// (kernelQemu.serialInput): a panic stops the session at panic() (breakOnPanic, the default)
// or is reported (breakOnPanic off), never a silent hang. Floods: serialFlood.test.ts.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { DebugProtocol } from '@vscode/debugprotocol';
import {
  closeIsolated,
  leftoversIn,
  nextEvent,
  orphansOf,
  rawRequest,
  removeDir,
  startIsolated,
  waitForOutput,
  type IsolatedAdapter,
} from './faultSupport';
import { launchConfig, testKernel } from './support';

// The initramfs shell starts in /root; its prompt ends in "# " (a terminal query may follow it).
const SHELL_READY = /kernel-qemu initramfs ready[\s\S]*\/root # /;

/** Boots to the busybox shell (no entry stop) and returns once its prompt is on the console. */
async function bootToShell(extra: Record<string, unknown> = {}): Promise<IsolatedAdapter> {
  const adapter = await startIsolated();
  const { client } = adapter;
  const configured = nextEvent(client, 'initialized', 60_000).then(() => client.configurationDoneRequest());
  await client.initializeRequest();
  await Promise.all([
    client.launchRequest(launchConfig(testKernel('x86_64'), { stopAtEntry: false, ...extra }) as DebugProtocol.LaunchRequestArguments),
    configured,
  ]);
  assert.ok(await waitForOutput(adapter, SHELL_READY, 90_000), `no shell prompt: ${adapter.output.join('').slice(-500)}`);
  return adapter;
}

async function type(adapter: IsolatedAdapter, text: string): Promise<void> {
  const response = await rawRequest(adapter.client, 'kernelQemu.serialInput', { text });
  assert.ok(response?.success, response?.message);
}

async function endClean(adapter: IsolatedAdapter): Promise<void> {
  await closeIsolated(adapter);
  assert.deepEqual(
    (await orphansOf(adapter.tmpdir)).map((p) => p.comm),
    [],
  );
  assert.deepEqual(leftoversIn(adapter.tmpdir), []);
  removeDir(adapter.tmpdir);
}

describe('guest faults', () => {
  const adapters: IsolatedAdapter[] = [];
  after(async () => {
    for (const adapter of adapters) await closeIsolated(adapter);
  });

  test('a panic (echo c > /proc/sysrq-trigger) stops the session at panic() with the message and the stack', async () => {
    const adapter = await bootToShell();
    adapters.push(adapter);
    const stopped = nextEvent<DebugProtocol.StoppedEvent>(adapter.client, 'stopped', 30_000);
    const typed = Date.now();
    await type(adapter, 'echo c > /proc/sysrq-trigger\n');
    const stop = await stopped;
    assert.ok(stop, 'no stop within 30 s of the panic');
    console.log(`panic stop ${Date.now() - typed} ms after typing: ${stop.body.reason} "${stop.body.description}"`);
    assert.equal(stop.body.reason, 'exception');
    assert.match(stop.body.description ?? '', /^Kernel panic: sysrq triggered crash$/);
    const frames = (await adapter.client.stackTraceRequest({ threadId: stop.body.threadId ?? 1, levels: 20 })).body.stackFrames.map(
      (frame) => frame.name,
    );
    assert.equal(frames[0], 'panic');
    assert.ok(frames.includes('sysrq_handle_crash'), frames.join(' < '));
    await endClean(adapter);
  });

  test('with breakOnPanic off, the panic is reported and the session still pauses (never hangs)', async () => {
    const adapter = await bootToShell({ breakOnPanic: false });
    adapters.push(adapter);
    // Listening before the panic: a stop at panic() (what breakOnPanic off must not do) is seen too.
    const stops: string[] = [];
    adapter.client.on('stopped', (event: DebugProtocol.StoppedEvent) => stops.push(event.body.reason));
    await type(adapter, 'echo c > /proc/sysrq-trigger\n');
    assert.ok(
      await waitForOutput(adapter, /The guest kernel panicked: sysrq triggered crash/, 30_000),
      adapter.output.join('').slice(-400),
    );
    // The serial report comes from inside panic(): a stop there would follow within moments.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    assert.deepEqual(stops, [], 'the session did not stop at the panic');
    const stopped = nextEvent<DebugProtocol.StoppedEvent>(adapter.client, 'stopped', 10_000);
    await adapter.client.pauseRequest({ threadId: 1 });
    assert.equal((await stopped)?.body.reason, 'pause');
    assert.deepEqual(stops, ['pause']);
    const top = (await adapter.client.stackTraceRequest({ threadId: 1, levels: 20 })).body.stackFrames.map((frame) => frame.name);
    assert.ok(top.includes('panic'), `a halted kernel is somewhere under panic(): ${top.join(' < ')}`);
    await endClean(adapter);
  });
});
