// Going back from a live recorded session (real QEMU record/replay, gdb, Debian 6.1 kernels): the
// first Step Back in a `record` session quits the recording QEMU, replays the recording to the
// same stop and steps back from there; stepping forwards again reaches the stop it came from with
// the same registers, and the recording ends where the live run was.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { launchConfig, launchRunning, sessionPids, startClient, stopClient, survivors, testKernel, topFrame, type Arch } from './support';

/** The switch replays the boot to the stop, then the reverse step replays it again. */
const SWITCH_MS = 600_000;

/** QEMU exited within 8 s of standing at the very end of a recording that ended there. */
const STAND_AT_END_MS = 8_000;

/** As in recordReplay.test.ts: QEMU 7.2's reverse runs deadlock on x86_64 recordings made through the adapter (cause not found yet). */
const X86_REVERSE_SKIP = 'QEMU 7.2 deadlocks in reverse runs on x86_64 recordings made through the adapter (see recordReplay.test.ts)';

for (const arch of ['x86_64', 'aarch64'] as const satisfies readonly Arch[]) {
  describe(`from a live recording back into its replay, ${arch} guest`, { skip: arch === 'x86_64' ? X86_REVERSE_SKIP : false }, () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kq-live-rr-'));
    const recording = path.join(dir, 'live.rr');
    let client: DebugClient | undefined;
    const output: string[] = [];
    const events: string[] = [];
    after(async () => {
      if (client) await stopClient(client);
      rmSync(dir, { recursive: true, force: true });
    });

    const stopAfter = async (action: () => Promise<unknown>): Promise<DebugProtocol.StoppedEvent> => {
      const stopped = client!.waitForEvent('stopped', SWITCH_MS) as Promise<DebugProtocol.StoppedEvent>;
      const ended = client!.waitForEvent('terminated', SWITCH_MS).then((): never => {
        throw new Error(`the session ended instead of stopping:\n${output.join('').slice(-1500)}`);
      });
      ended.catch(() => undefined);
      stopped.catch(() => undefined);
      await action();
      return Promise.race([stopped, ended]);
    };
    /** The recording position the adapter printed at the last stop ("Recording/Replay position: instruction N"). */
    const lastPosition = () =>
      [...output.join('').matchAll(/(?:Recording|Replay) position: instruction (\d+)/g)].map((match) => match[1]).at(-1);
    /** `info registers` where the test is, named in a failure (gdb's error alone does not say which read failed). */
    const registers = async (threadId: number, where: string) => {
      const frameId = (await topFrame(client!, threadId)).id;
      try {
        return (await client!.evaluateRequest({ expression: 'info registers', frameId, context: 'repl' })).body.result;
      } catch (error) {
        throw new Error(`info registers ${where}: ${(error as Error).message.split('\n').at(-1)}\n${output.join('').slice(-1500)}`);
      }
    };

    test(
      'Step Back in a record session replays to the same stop, steps back; forward again gives the same registers',
      { timeout: 2 * SWITCH_MS },
      async () => {
        client = await startClient();
        client.on('output', (event: DebugProtocol.OutputEvent) => output.push(event.body.output));
        for (const name of ['progressStart', 'progressUpdate', 'progressEnd']) client.on(name, () => events.push(name));
        const first = client.waitForEvent('stopped', 300_000) as Promise<DebugProtocol.StoppedEvent>;
        await launchRunning(client, launchConfig(testKernel(arch), { record: recording, stopAtEntry: false }), () =>
          client!.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'do_sys_openat2' }] }),
        );
        const threadId = (await first).body.threadId ?? 1;
        const atEntry = await topFrame(client, threadId);
        const registersAtEntry = await registers(threadId, 'at the entry, live');
        // Two lines into the function: Step Back from its first line would leave it (gdb's reverse-next goes back to the call).
        await stopAfter(() => client!.nextRequest({ threadId }));
        const atHit = await topFrame(client, threadId);
        const registersAtHit = await registers(threadId, 'on the second line, live');
        const positionAtHit = lastPosition();
        await stopAfter(() => client!.nextRequest({ threadId }));
        const ahead = await topFrame(client, threadId);
        assert.notEqual(ahead.line, atHit.line, 'next did not move to another line');
        const registersAhead = await registers(threadId, 'on the third line, live');
        const live = lastPosition();

        const back = await stopAfter(() => client!.stepBackRequest({ threadId }));
        assert.match(output.join(''), /The session now replays .*live\.rr: the replay reached this stop again in [\d.]+ s/);
        assert.deepEqual([events[0], events.at(-1)], ['progressStart', 'progressEnd'], `progress events: ${events.join(' ')}`);
        const stepped = await topFrame(client, threadId);
        // Back to the previous line; or, where the first next went into code inlined at the entry
        // (it depends on where the boot's timing put the hit), reverse-next leaves that inline
        // frame and runs back onto the entry line. At a stop the live run had, the replay must
        // show exactly the registers the live run had there.
        if (stepped.line === atEntry.line && stepped.line !== atHit.line) {
          assert.ok(['step', 'breakpoint'].includes(back.body.reason), `Step Back stopped for ${back.body.reason}`);
          if (stepped.instructionPointerReference === atEntry.instructionPointerReference) {
            assert.equal(
              await registers(threadId, 'at the entry, replayed'),
              registersAtEntry,
              'the replay at the entry has other registers than the live run had',
            );
          }
        } else {
          assert.equal(back.body.reason, 'step');
          assert.equal(stepped.line, atHit.line, `Step Back went to line ${stepped.line}, not back to ${atHit.line} (nor to the entry)`);
          const registersBack = await registers(threadId, 'after Step Back');
          if (lastPosition() === positionAtHit) {
            assert.equal(registersBack, registersAtHit, 'the replay at the line has other registers than the live run had');
          } else {
            // The same instruction at another instant: an interrupt was taken on that instruction
            // and returned to it (its handler changed ELR_EL1, SP_EL1 and the timer), and reverse-next
            // stops at the line's start after it. The locals' registers are the live run's.
            assert.equal(stepped.instructionPointerReference, atHit.instructionPointerReference);
            assert.deepEqual(
              generalRegisters(registersBack),
              generalRegisters(registersAtHit),
              `at instruction ${lastPosition()} (the live run: ${positionAtHit}) the general registers differ`,
            );
          }
        }

        // Forwards again to where the live run was: the same instruction and registers.
        for (
          let steps = 0;
          steps < 3 && (await topFrame(client, threadId)).instructionPointerReference !== ahead.instructionPointerReference;
          steps++
        ) {
          await stopAfter(() => client!.nextRequest({ threadId }));
        }
        const again = await topFrame(client, threadId);
        // The replay stands at the end of the recording as long as the user looks: QEMU 7.2
        // replays the recording's final quit once every recorded instruction ran, so the
        // recording runs on past the live stop before it quits (recordingEnd.ts).
        await new Promise((resolve) => setTimeout(resolve, STAND_AT_END_MS));
        assert.equal(again.line, ahead.line);
        assert.equal(again.instructionPointerReference, ahead.instructionPointerReference);
        assert.equal(
          await registers(threadId, 'at the end of the recording, 8 s later'),
          registersAhead,
          'forward again, the registers differ from the live stop',
        );
        // The live run ended where it was when it went back: so does the recording.
        const manifest = JSON.parse(readFileSync(`${recording}.manifest.json`, 'utf8')) as { endIcount?: string };
        assert.equal(manifest.endIcount, live);
        const pids = sessionPids();
        await stopClient(client);
        client = undefined;
        assert.deepEqual(await survivors(pids), [], 'QEMU or gdb left running');
      },
    );
  });
}

/** x0–x30, sp, pc and the flags of an arm64 `info registers`: what an interrupt's handler leaves as it found it. */
function generalRegisters(registers: string): string[] {
  return registers.split('\n').filter((line) => /^(?:x\d+|sp|pc|cpsr)\s/.test(line));
}
