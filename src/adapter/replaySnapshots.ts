// Time travel, fast: snapshots saved along a replay. Every reverse step replays from the
// nearest earlier snapshot of the recording (QEMU's replay_seek picks it by the instruction
// count it stores with each snapshot); with only the recording's `init`, that is the whole run
// so far, seconds per Step Back late in a boot. At a stop far enough from the last snapshot
// before it, the adapter saves one (HMP savevm), so a Step Back near there replays a short
// stretch. They live in the recording's own snapshot disk (recordReplay.ts), so later replays
// of the recording start from them too; at most `limit` are kept.
import { statSync } from 'node:fs';
import type { QmpClient } from '../qemu/qmp';
import { formatSize, parseQemuImgSnapshotList } from '../qemu/vmSnapshots';
import { errorText } from './errors';

/** The names of the snapshots this file saves: the instruction count they were saved at. */
const NAME_PREFIX = 'kq-replay-';
const NAME = new RegExp(`^${NAME_PREFIX}(\\d+)$`);

const ascending = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * How far (in instructions) a stop must be from the snapshot before it for another one to be
 * worth its save: an arm64 replay here ran ~170M instructions a second, so this stretch replays
 * in about 0.3 s, and a save (0.15-0.35 s for the busybox guest) costs about as much.
 */
export const REPLAY_SNAPSHOT_SPACING = 50_000_000n;

export interface ReplaySnapshotOptions {
  /** At most this many snapshots of the adapter's in the recording (0: none are saved). */
  limit: number;
  /** The recording's snapshot disk, whose size is reported. */
  disk: string;
}

export class ReplaySnapshots {
  /** Instruction counts of the adapter's snapshots in the recording, ascending (read from QEMU once). */
  private saved: bigint[] | undefined;
  private failed = false;

  constructor(
    private readonly qmp: () => QmpClient | undefined,
    private readonly options: ReplaySnapshotOptions,
    private readonly print: (text: string) => void,
  ) {}

  /** A replay stopped at instruction `position`: saves a snapshot there when the last one before it is far. */
  async atStop(position: string): Promise<void> {
    const qmp = this.qmp();
    if (!qmp || this.failed || this.options.limit <= 0) return;
    const at = BigInt(position);
    try {
      const saved = (this.saved ??= await this.list(qmp));
      const before = saved.filter((icount) => icount <= at).pop() ?? 0n;
      if (at - before < REPLAY_SNAPSHOT_SPACING) return;
      const started = performance.now();
      await this.hmp(qmp, `savevm ${NAME_PREFIX}${at}`);
      saved.push(at);
      saved.sort(ascending);
      const dropped = await this.trim(qmp, saved, at);
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      const previous = before === 0n ? 'the start of the recording' : `instruction ${before}`;
      this.print(
        `Time travel: saved a replay snapshot at instruction ${at} in ${seconds} s, so Step Back ` +
          `and Reverse Continue near here replay from it, not from ${previous} ` +
          `(${saved.length} of at most ${this.options.limit}${dropped === undefined ? '' : `; the one at ${dropped} went`}; ` +
          `the recording's snapshot disk is ${this.diskSize()}).\n`,
      );
    } catch (error) {
      this.failed = true;
      this.print(`Time travel: could not save a replay snapshot (${errorText(error)}); reverse steps replay from the earlier ones.\n`);
    }
  }

  /**
   * Over the limit: the snapshot whose loss leaves the shortest stretch without one goes (never
   * the one just saved), so the rest stay spread over the recording. The last one (a replay
   * before this one may have gone further) counts the stretch from the one before it.
   */
  private async trim(qmp: QmpClient, saved: bigint[], keep: bigint): Promise<bigint | undefined> {
    if (saved.length <= this.options.limit) return undefined;
    let drop = -1;
    let shortest: bigint | undefined;
    for (let index = 0; index < saved.length; index++) {
      if (saved[index] === keep) continue;
      const gap = (saved[index + 1] ?? saved[index]!) - (saved[index - 1] ?? 0n);
      if (shortest === undefined || gap < shortest) [drop, shortest] = [index, gap];
    }
    const [dropped] = saved.splice(drop, 1);
    await this.hmp(qmp, `delvm ${NAME_PREFIX}${dropped}`);
    return dropped;
  }

  private async list(qmp: QmpClient): Promise<bigint[]> {
    return parseQemuImgSnapshotList(await qmp.humanMonitorCommand('info snapshots'))
      .map((snapshot) => NAME.exec(snapshot.name)?.[1])
      .filter((icount): icount is string => icount !== undefined)
      .map(BigInt)
      .sort(ascending);
  }

  /** HMP answers a successful savevm/delvm with nothing; anything else is QEMU's error. */
  private async hmp(qmp: QmpClient, line: string): Promise<void> {
    const answer = (await qmp.humanMonitorCommand(line)).trim();
    if (answer !== '') throw new Error(`${line.split(' ')[0]}: ${answer.replace(/^Error: /, '')}`);
  }

  private diskSize(): string {
    try {
      return formatSize(statSync(this.options.disk).size);
    } catch {
      return 'of unknown size';
    }
  }
}
