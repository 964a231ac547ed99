// A real module from Debian's kernel package is insmod'ed in the guest: its symbols load,
// breakpoints set before it existed are placed and hit with its source, and it is listed.
// michael_mic has an init function (michael_mic_init, in .init.text) and core functions the
// kernel's crypto self-test calls right after registration (michael_setkey, in .text), so one
// insmod reaches both kinds of section. Run on 6.1 (core_layout/init_layout) and 6.12 (mem[]).
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import {
  type Arch,
  type KernelSeries,
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

const cases: { arch: Arch; series?: KernelSeries }[] = [
  { arch: 'x86_64' },
  { arch: 'aarch64' },
  { arch: 'x86_64', series: '6.12' },
  { arch: 'aarch64', series: '6.12' },
];

for (const { arch, series } of cases) {
  describe(`modules, ${arch} guest, kernel ${series ?? '6.1'}`, () => {
    let client: DebugClient;
    let pids: number[] = [];

    after(async () => {
      await stopClient(client);
      assert.deepEqual(await survivors(pids), []);
    });

    test('breakpoints in michael_mic init and core code are pending, then hit after insmod with source and locals', async (t) => {
      const kernel = testKernel(arch, series);
      client = await startClient();
      const output: string[] = [];
      client.on('output', (event: DebugProtocol.OutputEvent) => output.push(event.body.output));
      let pending: DebugProtocol.Breakpoint[] = [];
      await launchRunning(client, launchConfig(kernel, { stopAtEntry: false }), async () => {
        pending = (await client.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'michael_mic_init' }, { name: 'michael_setkey' }] }))
          .body.breakpoints;
      });
      pids = sessionPids();
      assert.deepEqual(
        pending.map((breakpoint) => breakpoint.verified),
        [false, false],
      );
      assert.match(pending[0]?.message ?? '', /Pending: placed when a module that defines it is loaded/);

      // One insmod, typed once the initramfs's shell runs: a second one would race the first.
      await outputMatching(output, /kernel-qemu initramfs ready/);
      const stopped = client.waitForEvent('stopped', 120_000) as Promise<DebugProtocol.StoppedEvent>;
      await client.customRequest('kernelQemu.serialInput', { text: 'insmod /modules/michael_mic.ko\n' });
      const initStop = await stopped;
      assert.equal(initStop.body.reason, 'breakpoint');
      const initFrame = await topFrame(client, initStop.body.threadId ?? 1);
      assert.equal(initFrame.name, 'michael_mic_init');
      assert.match(initFrame.source?.path ?? '', /crypto\/michael_mic\.c$/);
      assert.ok(initFrame.line > 0, 'the init frame has a line');
      const debugKo = path.join(kernel.dir, 'modules/debug/michael_mic.ko').replace(/[.]/g, '\\.');
      assert.match(output.join(''), new RegExp(`Module michael_mic: symbols from ${debugKo}`));
      const modules = await client.modulesRequest({});
      assert.ok(modules.body.modules.some((module) => module.name === 'michael_mic' && module.symbolStatus === 'Symbols loaded.'));

      const coreStopped = client.waitForEvent('stopped', 60_000) as Promise<DebugProtocol.StoppedEvent>;
      await client.continueRequest({ threadId: initStop.body.threadId ?? 1 });
      const coreStop = await coreStopped;
      assert.equal(coreStop.body.reason, 'breakpoint');
      const coreFrame = await topFrame(client, coreStop.body.threadId ?? 1);
      const where =
        `stopped at ${coreFrame.name} (${coreFrame.instructionPointerReference}) after init at ${initFrame.instructionPointerReference}` +
        `; the stop was ${JSON.stringify(coreStop.body)}`;
      assert.equal(coreFrame.name, 'michael_setkey', `${where}; the session printed:\n${output.join('').slice(-3000)}`);
      assert.match(coreFrame.source?.path ?? '', /crypto\/michael_mic\.c$/);
      assert.ok(coreFrame.line > 0, 'the core frame has a line');
      // The self-test's key is 8 bytes: a local of the module's own frame, read through its DWARF.
      const keylen = await client.evaluateRequest({ expression: 'keylen', frameId: coreFrame.id, context: 'watch' });
      assert.equal(keylen.body.result, '8');
      // stepOverGuard.ts: said in the test's report when it resumed a continue that ran nothing.
      const lost = output.filter((text) => text.includes("gdb's step over it was lost"));
      if (lost.length) t.diagnostic(`the lost step-over guard resumed the kernel: ${lost.join(' ').trim()}`);
      // The load hook stops only where do_init_module's `mod` is known, and gdb's bookkeeping stays out of the console.
      assert.doesNotMatch(output.join(''), /: no symbols \(|location number not found/);
    });
  });
}
