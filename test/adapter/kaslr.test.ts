// KASLR: by default the kernel is told nokaslr; with "kaslr": true it randomizes its base
// and the adapter finds the offset, rebases the symbols, and breakpoints still hit.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { launch, launchConfig, sessionPids, startClient, stopClient, survivors, testKernel, topFrame, type Arch } from './support';

/** The kernel command line QEMU was really given: the argument after -append in its /proc cmdline. */
function qemuAppend(): string {
  const qemu = sessionPids().filter((pid) => /^qemu-system/.test(readFileSync(`/proc/${pid}/comm`, 'utf8')));
  assert.equal(qemu.length, 1, 'one QEMU runs under the adapter');
  const argv = readFileSync(`/proc/${qemu[0]}/cmdline`, 'utf8').split('\0');
  const at = argv.indexOf('-append');
  assert.ok(at >= 0 && argv[at + 1] !== undefined, `QEMU has no -append: ${argv.join(' ')}`);
  return argv[at + 1]!;
}

for (const arch of ['x86_64', 'aarch64'] as Arch[]) {
  describe(`KASLR, ${arch} guest`, () => {
    test('by default QEMU boots the kernel with nokaslr on its command line, and the Debug Console says so', async () => {
      const client = await startClient();
      const output: string[] = [];
      client.on('output', (event: DebugProtocol.OutputEvent) => output.push(event.body.output));
      try {
        await launch(client, launchConfig(testKernel(arch)));
        const append = qemuAppend();
        assert.match(append, /(^| )nokaslr( |$)/);
        assert.match(output.join(''), new RegExp(`Kernel command line: ${append.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n`));
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
        assert.doesNotMatch(qemuAppend(), /nokaslr/);
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
        const local = await client.evaluateRequest({
          expression: arch === 'x86_64' ? 'filename' : 'dfd',
          frameId: hit.id,
          context: 'watch',
        });
        // x86_64: `filename` is a `const char __user *` and its string: a user address (below
        // 0x800000000000) with the path read there. Which open of the boot hits first depends on
        // when the rebased breakpoint went in ("/proc/version" of /init's cat, seen here).
        if (arch === 'x86_64') {
          const [, address, text] = /^(0x[0-9a-f]+) "(\/[^"]*)"$/.exec(local.body.result) ?? [];
          assert.ok(address && text, `filename reads as a user string: ${local.body.result}`);
          assert.ok(BigInt(address) > 0n && BigInt(address) < 0x800000000000n, `a user-space pointer: ${address}`);
        } else assert.match(local.body.result, /^-100$/);
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
