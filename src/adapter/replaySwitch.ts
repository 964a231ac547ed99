// Going back from a live recorded session: the recording QEMU quits, QEMU replays the same
// recording in its place and runs (through QMP, gdb away) to the instruction the live run had
// reached, and gdb connects to it: the same vCPUs, registers and memory, and gdb's breakpoints
// and watches as they were (they live in gdb, which stays). Shown as a DAP progress with the
// share of the recording replayed so far.
import { ProgressEndEvent, ProgressStartEvent, ProgressUpdateEvent } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { QemuInstance } from '../qemu/process';
import type { RecordingFiles } from '../qemu/recordReplay';
import type { Connected } from './connected';
import { errorText } from './errors';
import { reverseErrors } from './reverseErrors';
import { writeRecordingEnd } from './recordingEnd';

const PROGRESS_EVERY_MS = 1_000;
/** gdb says where the target is when it connects; that stop is not shown. */
const CONNECT_STOP_TIMEOUT_MS = 5_000;

export interface SwitchEvents {
  print(text: string): void;
  sendEvent(event: DebugProtocol.Event): void;
  endWith(message: string): void;
}

/** Replaces the recording QEMU with its replay, stopped at `icount` (where the recording stopped). */
export async function replayInPlace(
  { target, run, stack, variables }: Connected,
  files: RecordingFiles,
  icount: string,
  events: SwitchEvents,
): Promise<void> {
  const started = Date.now();
  const progressId = `kernel-qemu-replay-${started}`;
  events.sendEvent(
    new ProgressStartEvent(progressId, 'Going back in time', `Replaying the recording to where the kernel is (instruction ${icount})`),
  );
  events.print(
    `Going back: this recording ends here (instruction ${icount}); QEMU replays it from the ` +
      `start to this point, then the session goes on in the replay.\n`,
  );
  try {
    await writeRecordingEnd(files, icount).catch((error: unknown) =>
      events.print(`Could not write where the recording ends into ${files.manifest}: ${errorText(error)}\n`),
    );
    const { stopped, cancel } = run.swallowNextStop();
    try {
      await target.becomeReplay(files, (replay) =>
        seek(replay, icount, (percent) => events.sendEvent(new ProgressUpdateEvent(progressId, `${percent}% of the recording replayed`))),
      );
    } catch (error) {
      cancel();
      // The recording QEMU is gone and its replay did not take its place: nothing is left to debug.
      const failed = reverseErrors.switchFailed(error, files.log);
      events.endWith(`Session ended: ${failed.message}\n`);
      throw failed;
    }
    const timer = setTimeout(cancel, CONNECT_STOP_TIMEOUT_MS);
    await stopped.catch(() => undefined);
    clearTimeout(timer);
    stack.reset();
    variables.reset();
    events.print(
      `The session now replays ${files.log}: the replay reached this stop again in ${((Date.now() - started) / 1000).toFixed(1)}` +
        ` s. Step Back and Reverse Continue go back from here; running forwards stops here, at the ` +
        `end of the recording.\n`,
    );
  } finally {
    events.sendEvent(new ProgressEndEvent(progressId));
  }
}

/** Runs the replay to `icount` (QEMU's replay-break) and checks it is there. */
async function seek(replay: QemuInstance, icount: string, progress: (percent: number) => void): Promise<void> {
  const { qmp } = replay;
  const target = BigInt(icount);
  const paused = qmp.awaitEvent("the replay to reach the recording's end", (event) => event.event === 'STOP');
  const exited = replay.process.exited.then((): never => {
    throw new Error(`QEMU exited: ${replay.process.describeExit()}`);
  });
  exited.catch(() => undefined);
  const ticker = setInterval(() => {
    void qmp
      .execute<{ icount: number }>('query-replay')
      .then((answer) => progress(Math.min(99, Math.floor((Number(answer.icount) * 100) / Number(target)))))
      .catch(() => undefined);
  }, PROGRESS_EVERY_MS);
  try {
    await qmp.execute('replay-break', { icount: Number(target) });
    await qmp.execute('cont');
    await Promise.race([paused.event, exited]);
  } finally {
    clearInterval(ticker);
    paused.cancel();
  }
  const at = await qmp.execute<{ icount: number }>('query-replay');
  if (BigInt(at.icount) !== target) throw new Error(`the replay stopped at instruction ${at.icount}, not at ${icount}`);
}
