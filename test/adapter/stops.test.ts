// What a stop shows on real kernels (Debian's 6.1 and 6.12, both arches): a breakpoint condition
// gdb cannot evaluate says so in the stop's description; the stacks of a boot, an interrupt, a
// kthread and a syscall stop end at the kernel's entry frame, with no `??` or data-symbol frames
// below it; startFrame/levels page through a stack.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { launch, launchConfig, sessionPids, startClient, stopClient, survivors, testKernel, EVERY_KERNEL } from './support';

const ENTRY = {
  x86_64: {
    boot: /^secondary_startup_64(_no_verify)?$/,
    syscall: /^entry_SYSCALL_64(_after_hwframe)?$/,
    timer: '__sysvec_apic_timer_interrupt',
  },
  aarch64: { boot: /^__primary_switched$/, syscall: /^el0t_64_sync$/, timer: 'arch_timer_handler_virt' },
};

for (const [arch, series] of EVERY_KERNEL) {
  describe(`stops and stacks, ${arch} guest, Debian ${series ?? '6.1'} kernel`, () => {
    let client: DebugClient;
    let pids: number[] = [];
    let threadId = 1;
    const entry = ENTRY[arch];

    const stack = async (startFrame = 0, levels = 100) => (await client.stackTraceRequest({ threadId, startFrame, levels })).body;
    const names = async () => (await stack()).stackFrames.map((frame) => frame.name);
    const runTo = async (breakpoint: DebugProtocol.FunctionBreakpoint): Promise<DebugProtocol.StoppedEvent> => {
      const set = await client.setFunctionBreakpointsRequest({ breakpoints: [breakpoint] });
      assert.equal(set.body.breakpoints[0]?.verified, true, set.body.breakpoints[0]?.message);
      const stopped = client.waitForEvent('stopped', 120_000) as Promise<DebugProtocol.StoppedEvent>;
      await client.continueRequest({ threadId });
      const event = await stopped;
      threadId = event.body.threadId ?? threadId;
      await client.setFunctionBreakpointsRequest({ breakpoints: [] });
      return event;
    };
    /** Nothing gdb unwound past the entry: no `??`, no frame at a user or tiny address. */
    const assertNoJunk = (frames: readonly DebugProtocol.StackFrame[]) => {
      for (const frame of frames) {
        assert.notEqual(frame.name, '??', JSON.stringify(frames.map((f) => f.name)));
        assert.ok(BigInt(frame.instructionPointerReference ?? '0') >= 1n << 63n, `${frame.name} at ${frame.instructionPointerReference}`);
      }
    };

    before(async () => {
      client = await startClient();
    });
    after(async () => {
      await stopClient(client);
      assert.deepEqual(await survivors(pids), []);
    });

    test("at start_kernel the stack ends at the boot CPU's start", async () => {
      const stopped = await launch(client, launchConfig(testKernel(arch, series)));
      pids = sessionPids();
      threadId = stopped.body.threadId ?? 1;
      const frames = (await stack()).stackFrames;
      assert.equal(frames[0]?.name, 'start_kernel');
      assert.match(frames.at(-1)?.name ?? '', entry.boot, JSON.stringify(frames.map((f) => f.name)));
      assertNoJunk(frames);
    });

    test("an interrupt stop ends at the interrupt entry (or where the handler's IRQ stack begins)", async () => {
      await runTo({ name: entry.timer });
      const frames = (await stack()).stackFrames;
      assert.equal(frames[0]?.name, entry.timer);
      // The interrupt's entry (asm_sysvec_… from user space; sysvec_… on x86's IRQ stack; el1h/el0t_64_irq),
      // or call_on_irq_stack, past which gdb does not follow arm64's switch to the IRQ stack.
      assert.match(
        frames.at(-1)?.name ?? '',
        /^(asm_)?sysvec_apic_timer_interrupt$|^el[01][th]_64_irq$|^call_on_irq_stack$/,
        JSON.stringify(frames.map((f) => f.name)),
      );
      assertNoJunk(frames);
    });

    test('a kthread stop ends at ret_from_fork', async () => {
      await runTo({ name: 'process_one_work' });
      const all = await names();
      // x86_64 since 6.5: kthread <- ret_from_fork (C) <- ret_from_fork_asm.
      assert.deepEqual(
        all.slice(all.indexOf('kthread')),
        arch === 'x86_64' && series ? ['kthread', 'ret_from_fork', 'ret_from_fork_asm'] : ['kthread', 'ret_from_fork'],
      );
      assertNoJunk((await stack()).stackFrames);
    });

    test('a condition gdb cannot evaluate stops with "condition error" and gdb\'s reason; the syscall stack ends at its entry', async () => {
      const stopped = await runTo({ name: 'do_sys_openat2', condition: '*(int *)0 == 1' });
      assert.equal(stopped.body.reason, 'breakpoint');
      assert.equal(stopped.body.description, 'condition error: Cannot access memory at address 0x0');
      const frames = (await stack()).stackFrames;
      assert.equal(frames[0]?.name, 'do_sys_openat2');
      assert.match(frames.at(-1)?.name ?? '', entry.syscall, JSON.stringify(frames.map((f) => f.name)));
      assert.ok(!frames.some((frame) => frame.name === 'fixed_percpu_data'));
      assertNoJunk(frames);
    });

    test('startFrame and levels page through the stack, and the total is where it ends', async () => {
      const whole = await stack();
      const count = whole.stackFrames.length;
      assert.equal(whole.totalFrames, count);
      assert.ok(count >= 6, `${count} frames`);
      const page = await stack(2, 3);
      assert.deepEqual(
        page.stackFrames.map((frame) => frame.name),
        whole.stackFrames.slice(2, 5).map((frame) => frame.name),
      );
      assert.equal(page.totalFrames, 6, 'one more than shown: VS Code offers to load more');
      const last = await stack(count - 2, 20);
      assert.deepEqual(
        last.stackFrames.map((frame) => frame.name),
        whole.stackFrames.slice(-2).map((frame) => frame.name),
      );
      assert.equal(last.totalFrames, count);
      const past = await stack(count + 5, 20);
      assert.deepEqual(past.stackFrames, []);
    });
  });
}
