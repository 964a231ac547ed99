// DAP cancel: a request gdb is still working on (a slow Debug Console command) is answered at
// once as cancelled; the session goes on once gdb is done (gdb's late answer is dropped).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { launch, launchConfig, startClient, stopClient, testKernel, topFrame } from './support';

describe('cancel, x86_64 guest', () => {
  test('a slow Debug Console command is answered as cancelled at once; the next request is answered', async () => {
    const client = await startClient();
    try {
      const stopped = await launch(client, launchConfig(testKernel('x86_64')));
      const frame = await topFrame(client, stopped.body.threadId ?? 1);
      const seq = (client as unknown as { sequence: number }).sequence;
      // The functions of a 588 MB vmlinux named do_*: about a second of gdb's time.
      const slow = client.evaluateRequest({ expression: 'info functions ^do_', context: 'repl', frameId: frame.id });
      const rejected = assert.rejects(slow, /cancelled/);
      const cancelledAt = Date.now();
      await client.send('cancel', { requestId: seq });
      await rejected;
      const answeredIn = Date.now() - cancelledAt;
      assert.ok(answeredIn < 1000, `answered as cancelled in ${answeredIn} ms`);
      const next = await client.evaluateRequest({ expression: 'init_task.pid', context: 'watch', frameId: frame.id });
      assert.equal(next.body.result, '0');
    } finally {
      await stopClient(client);
    }
  });
});
