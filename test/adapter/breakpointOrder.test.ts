// VS Code sends setFunctionBreakpoints and, when F5 follows quickly, continue without waiting
// for the first answer: the breakpoint must be in before the kernel runs (found by test/ui).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { launch, launchConfig, startClient, stopClient, testKernel, topFrame } from './support';

let client: Awaited<ReturnType<typeof startClient>> | undefined;
after(async () => {
  if (client) await stopClient(client);
});

test('a breakpoint set right before continue, without waiting for its answer, is hit', { timeout: 180_000 }, async () => {
  client = await startClient();
  const entry = await launch(client, launchConfig(testKernel('x86_64')));
  const threadId = entry.body.threadId ?? 1;
  const stopped = client.waitForEvent('stopped', 120_000) as Promise<DebugProtocol.StoppedEvent>;
  stopped.catch(() => undefined); // awaited below; a failed assertion before must not leave it unhandled
  const [set] = await Promise.all([
    client.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'do_sys_openat2' }] }),
    client.continueRequest({ threadId }),
  ]);
  assert.equal(set.body.breakpoints[0]?.verified, true, set.body.breakpoints[0]?.message);
  const hit = await stopped;
  assert.equal(hit.body.reason, 'breakpoint');
  assert.equal((await topFrame(client, hit.body.threadId ?? threadId)).name, 'do_sys_openat2');
});
