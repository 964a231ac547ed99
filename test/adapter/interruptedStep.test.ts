// Step Over with interrupts taken while stepping. QEMU masks interrupts during a gdb single-step,
// except in a replay (a recording's interrupts must all happen); `Qqemu.sstep=0x1` makes a live
// session take them too, so every few steps the timer interrupt comes in the middle of a line.
// Each Step Over must still end on a line of the code being stepped, never in the entry code
// (arm64's `vectors`, x86_64's `asm_sysvec_*`) where gdb alone stops.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DebugProtocol } from '@vscode/debugprotocol';
import {
  launchConfig,
  launchRunning,
  outputMatching,
  sessionPids,
  startClient,
  stopClient,
  survivors,
  testKernel,
  topFrame,
} from './support';

const STEPS = 25;
const ENTRY_CODE = /^(vectors|el1h_|el0t_|asm_|irq_entries_start|error_entry|common_interrupt_return)/;

for (const arch of ['x86_64', 'aarch64'] as const)
  describe(`Step Over through interrupts, ${arch} guest`, () => {
    test(
      `${STEPS} Step Overs from do_sys_openat2 with the timer interrupting them stay in the stepped code`,
      { timeout: 600_000 },
      async () => {
        const client = await startClient();
        const output: string[] = [];
        client.on('output', (event: DebugProtocol.OutputEvent) => output.push(event.body.output));
        let pids: number[] = [];
        try {
          await client.initializeRequest();
          await launchRunning(client, launchConfig(testKernel(arch), { stopAtEntry: false, trace: true }));
          pids = sessionPids();
          await outputMatching(output, /kernel-qemu initramfs ready/);
          await client.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'do_sys_openat2' }] });
          const hit = client.waitForEvent('stopped', 60_000) as Promise<DebugProtocol.StoppedEvent>;
          await client.customRequest('kernelQemu.serialInput', { text: 'cat /proc/version\n' });
          const threadId = (await hit).body.threadId ?? 1;
          await client.setFunctionBreakpointsRequest({ breakpoints: [] });
          const frame = await topFrame(client, threadId);
          const answer = await client.evaluateRequest({ expression: 'maint packet Qqemu.sstep=0x1', context: 'repl', frameId: frame.id });
          assert.match(answer.body.result, /received: "OK"/, 'QEMU did not take the single-step flags');

          const visited: string[] = [];
          for (let index = 0; index < STEPS; index++) {
            const stopped = client.waitForEvent('stopped', 120_000) as Promise<DebugProtocol.StoppedEvent>;
            await client.nextRequest({ threadId });
            assert.equal((await stopped).body.reason, 'step');
            const at = await topFrame(client, threadId);
            visited.push(`${at.name}:${at.line}`);
            assert.doesNotMatch(at.name, ENTRY_CODE, `Step Over ${index + 1} stopped in the entry code: ${visited.join(' → ')}`);
            assert.ok(at.line > 0 && at.source?.path, `Step Over ${index + 1} stopped without a source line: ${at.name}`);
            if (!/openat|sys_open/.test(at.name)) break; // back out to the syscall's caller: far enough
          }
          assert.ok(visited.length >= 5, `too few steps in do_sys_openat2 and its callers: ${visited.join(' → ')}`);
          // The trace shows gdb/MI: each interrupt run through is a temporary breakpoint for its stack.
          const runThrough = output.join('').match(/-break-insert -t -c \\?"\$sp == /g) ?? [];
          assert.ok(runThrough.length > 0, 'no Step Over was interrupted: the test showed nothing');
          assert.doesNotMatch(output.join(''), /could not finish handling a stop/);
        } finally {
          await stopClient(client);
          assert.deepEqual(await survivors(pids), []);
        }
      },
    );
  });
