// Where a recording ends, as its replay must know it. QEMU 7.2 replaying past the last event of
// its log exits (which ends the session) or, after some recordings, runs on at full CPU and never
// stops. So a Continue in a replay gets a replay-break at the end and stops there, and a forward
// run from the end is refused with what to do instead. Steps get no replay-break (a
// step past the end is refused from there on). A record session writes its end into the
// recording's manifest as it ends (an older recording has none: no guard then); a paused
// recording runs on past that end before it quits (runOnPastStop).
import { readFile, writeFile } from 'node:fs/promises';
import type { QmpClient } from '../qemu/qmp';
import type { RecordingFiles } from '../qemu/recordReplay';
import { reverseErrors } from './reverseErrors';

export class RecordingEnd {
  constructor(
    private readonly qmp: () => QmpClient | undefined,
    /** The last instruction count of the recording (decimal), when known. */
    private end: string | undefined,
  ) {}

  get icount(): string | undefined {
    return this.end;
  }

  /** The recording now ends here (a live recording turned into its replay). */
  endsAt(icount: string): void {
    this.end = icount;
  }

  isEnd(position: string | undefined): boolean {
    return position !== undefined && this.end !== undefined && BigInt(position) >= BigInt(this.end);
  }

  /**
   * Before the replay runs forwards from `position`: refused at the end; a Continue (`arm`) will
   * stop there. Reverse runs reset QEMU's one replay-break (they seek with it), so it is set
   * before each Continue.
   */
  async beforeForward(position: string | undefined, arm: boolean): Promise<void> {
    const end = this.end;
    const qmp = this.qmp();
    if (end === undefined || !qmp) return;
    if (this.isEnd(position)) {
      throw reverseErrors.endOfRecording(end);
    }
    if (arm) await qmp.execute('replay-break', { icount: Number(end) });
  }
}

/** How long a paused recording may run on before it quits (runOnPastStop); it needs microseconds. */
const RUN_ON_MS = 1_000;
const RUN_ON_POLL_MS = 2;

/**
 * A paused recording QEMU runs on a little before it quits. QEMU 7.2 replays the log's last
 * event, the quit, as soon as the replay has executed every recorded instruction: a replay
 * standing where the recording was paused would exit within seconds (seen in CI in the middle
 * of an `info registers`). With instructions recorded after that stop, the replay can stand at
 * it for as long as the user looks; the manifest's end stays the stop the user saw.
 */
export async function runOnPastStop(qmp: QmpClient): Promise<void> {
  const deadline = Date.now() + RUN_ON_MS;
  let timer: NodeJS.Timeout | undefined;
  // A QEMU that answers nothing must not hold up the end of the session.
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`QMP did not answer within ${RUN_ON_MS / 1000} s`)), RUN_ON_MS);
  });
  late.catch(() => undefined);
  const icountNow = async () => BigInt((await Promise.race([qmp.execute<{ icount: number }>('query-replay'), late])).icount);
  try {
    const stoppedAt = await icountNow();
    await Promise.race([qmp.execute('cont'), late]);
    while ((await icountNow()) === stoppedAt && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, RUN_ON_POLL_MS));
    }
  } finally {
    clearTimeout(timer);
  }
}

/** Writes where the recording ended into its manifest (kept as it was when that fails: the replay then runs unguarded). */
export async function writeRecordingEnd(files: RecordingFiles, icount: string): Promise<void> {
  const manifest = JSON.parse(await readFile(files.manifest, 'utf8')) as Record<string, unknown>;
  await writeFile(files.manifest, `${JSON.stringify({ ...manifest, endIcount: icount }, null, 2)}\n`);
}
