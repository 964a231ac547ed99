// KASLR: by default the kernel is told nokaslr; with "kaslr": true it randomizes its base
// and the adapter finds the offset, rebases the symbols, and breakpoints still hit.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { launch, launchConfig, sessionPids, startClient, stopClient, survivors, testKernel, topFrame, type Arch } from './support';

for (const arch of ['x86_64', 'aarch64'] as Arch[]) {
describe(`KASLR, ${arch} guest`, () => {
  test('by default the command line carries nokaslr and says so', async () => {
    const client = await startClient();
    const output: string[] = [];
    client.on('output', (event: DebugProtocol.OutputEvent) => output.push(event.body.output));
    try {
      await launch(client, launchConfig(testKernel(arch)));
      assert.match(output.join(''), /Kernel command line: .*\bnokaslr\b/);
    } finally {
      await stopClient(client);
    }
  });

  test('with kaslr: true the randomized kernel is found and a do_sys_openat2 breakpoint hits', async () => {
    const client = await startClient();
    const output: string[] = [];
    client.on('output', (event: DebugProtocol.OutputEvent) => output.push(event.body.output));
    let pids: number[] = [];
    try {
      await launch(client, launchConfig(testKernel(arch), { kaslr: true }), () =>
        client.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'do_sys_openat2' }] }),
      );
      pids = sessionPids();
      const text = output.join('');
      assert.doesNotMatch(/Kernel command line: (.*)/.exec(text)?.[1] ?? '', /nokaslr/);
      const offset = /KASLR: the kernel runs (0x[0-9a-f]+) above/.exec(text)?.[1];
      assert.ok(offset, text.slice(-2000));
      assert.notEqual(BigInt(offset), 0n, 'the kernel really moved');
      const frame = await topFrame(client, 1);
      assert.ok(BigInt(frame.instructionPointerReference!) > (arch === 'x86_64' ? 0xffffffff80000000n : 0xffff800000000000n));
      const stopped = client.waitForEvent('stopped', 120_000) as Promise<DebugProtocol.StoppedEvent>;
      await client.continueRequest({ threadId: 1 });
      const event = await stopped;
      assert.equal(event.body.reason, 'breakpoint');
      const hit = await topFrame(client, event.body.threadId ?? 1);
      assert.equal(hit.name, 'do_sys_openat2');
      // Locals read through the rebased DWARF (arm64 cannot read the user string under PAN: check dfd there).
      const local = await client.evaluateRequest({ expression: arch === 'x86_64' ? 'filename' : 'dfd', frameId: hit.id, context: 'watch' });
      assert.match(local.body.result, arch === 'x86_64' ? /"\// : /^-100$/);
      // The vCPU's task is read through per-CPU data, which x86_64 KASLR does not move.
      const thread = (await client.threadsRequest()).body.threads.find((candidate) => candidate.id === (event.body.threadId ?? 1));
      assert.match(thread?.name ?? '', /^CPU 0 · \S+ \(pid \d+\)$/, thread?.name);
    } finally {
      await stopClient(client);
      assert.deepEqual(await survivors(pids), []);
    }
  });
});
}
