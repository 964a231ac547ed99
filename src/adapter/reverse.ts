// Time travel on the DAP side: Step Back and Reverse Continue in a replay session (gdb's
// reverse execution against QEMU's replay), what a stop during reverse execution means, and
// where in the recording the kernel is (QMP query-replay: the instruction count).
//
// A live recorded session goes back too: its first Step Back or Reverse Continue turns it into
// the replay of its own recording, stopped where it was (replaySwitch.ts), then steps back.
//
// Measured on QEMU 7.2 + gdb 13.1: every reverse step replays from the nearest earlier snapshot
// of the recording to one instruction before where it goes; reverse-next does that once per
// instruction of the line it steps back over, and reverse-continue twice (find the last hit,
// then go to it). With only the recording's `init` that is the whole run so far (seconds);
// replaySnapshots.ts saves snapshots along the replay, which makes it a short stretch.
import { CapabilitiesEvent } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { mi, type MiCommand } from '../mi/commands';
import type { MiConnection } from '../mi/connection';
import type { BreakpointService } from './breakpoints';
import type { QmpClient } from '../qemu/qmp';
import type { RecordReplaySetup } from '../qemu/recordReplay';
import { errorText } from './errors';
import { reverseErrors } from './reverseErrors';
import { RecordingEnd, writeRecordingEnd } from './recordingEnd';
import { ReplaySnapshots } from './replaySnapshots';
import type { ForwardRun, RunControl } from './runControl';
import { StallWatch } from './stallWatch';
import type { StopInfo } from './stopReasons';

/** How long an ending record session waits to learn where its recording ends (for the manifest). */
const RECORDING_END_MS = 2_000;
export type StepBackGranularity = 'line' | 'instruction';

/** The DAP requests this service answers; the session dispatches them as steps. */
export type ReverseRequest = 'stepBack' | 'reverseContinue';

export function isReverseRequest(command: string): command is ReverseRequest {
  return command === 'stepBack' || command === 'reverseContinue';
}

interface QueryReplay {
  mode: 'none' | 'record' | 'play';
  filename?: string;
  icount: number;
}

/** Replaces the recording QEMU with its replay, stopped at the given instruction count. */
export type ReplaySwitch = (icount: string) => Promise<void>;

export class ReverseExecution {
  private reversing = false;
  private switchToReplay: ReplaySwitch | undefined;
  private readonly end: RecordingEnd;
  private readonly snapshots: ReplaySnapshots | undefined;
  /** The position of the last stop, until the target runs again. */
  private stoppedAt: string | undefined;

  /** The watched expressions' values when a Reverse Continue started: the values their last writes left. */
  private watchedBefore = new Map<string, string>();

  constructor(
    private readonly mi: MiConnection,
    private readonly breakpoints: BreakpointService,
    private readonly run: RunControl,
    private setup: RecordReplaySetup | undefined,
    private readonly qmp: () => QmpClient | undefined,
    private readonly print: (text: string) => void,
    private readonly stallWatch: StallWatch = new StallWatch(undefined),
    private readonly endWith: (message: string) => void = () => undefined,
  ) {
    this.end = new RecordingEnd(qmp, setup?.manifest?.endIcount);
    this.snapshots = setup && new ReplaySnapshots(qmp, { limit: setup.snapshotLimit, disk: setup.files.snapshotDisk }, print);
  }

  /** A replay session, or a recording that can become one: the target can execute backwards. */
  get canReverse(): boolean {
    return this.setup?.mode === 'replay' || (this.setup?.mode === 'record' && this.switchToReplay !== undefined);
  }

  /** How a recording session becomes its replay (set once the session's services exist). */
  useReplaySwitch(switchToReplay: ReplaySwitch): void {
    this.switchToReplay = switchToReplay;
  }

  /** Before any forward run: a replay stops at the end of its recording, and runs no further (recordingEnd.ts). */
  async beforeForward(kind: ForwardRun = 'continue'): Promise<void> {
    if (this.setup?.mode !== 'replay') return;
    await this.end.beforeForward(this.stoppedAt ?? (await this.position()), kind === 'continue');
    this.stoppedAt = undefined;
  }

  /**
   * A recording session ends: where its recording ends goes into its manifest, so its replay
   * stops there. Bounded: a stopped or gone QEMU answers nothing, and the session must still end.
   */
  async recordingEnds(): Promise<void> {
    if (this.setup?.mode !== 'record') return;
    const position = await Promise.race([
      this.position(),
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), RECORDING_END_MS).unref()),
    ]);
    if (position !== undefined)
      await writeRecordingEnd(this.setup.files, position).catch((error: unknown) =>
        this.print(`Could not note where the recording ends: ${errorText(error)}\n`),
      );
  }

  /** A recording session's first step backwards: the session goes on in the replay of its recording, at the same stop. */
  private async becomeReplay(): Promise<void> {
    const setup = this.setup;
    if (setup?.mode !== 'record' || !this.switchToReplay) return;
    const position = this.stoppedAt ?? (await this.position());
    if (position === undefined) throw reverseErrors.positionUnknown(setup.files.log);
    await this.switchToReplay(position);
    this.setup = { ...setup, mode: 'replay' };
    this.end.endsAt(position);
  }

  get isRecordedOrReplayed(): boolean {
    return this.setup !== undefined;
  }

  /** VS Code shows Step Back and Reverse Continue once told the session supports them (after initialize). */
  capabilitiesEvent(): DebugProtocol.Event | undefined {
    return this.canReverse ? new CapabilitiesEvent({ supportsStepBack: true }) : undefined;
  }

  async request(command: ReverseRequest, args: DebugProtocol.StepBackArguments): Promise<void> {
    await this.becomeReplay();
    if (command === 'reverseContinue') return this.reverseContinue();
    return this.stepBack(args.threadId, args.granularity === 'instruction' ? 'instruction' : 'line', args.singleThread ?? false);
  }

  async stepBack(threadId: number, granularity: StepBackGranularity | undefined, singleThread: boolean): Promise<void> {
    this.requireReplay('Step Back');
    const command = granularity === 'instruction' ? mi.execReverseStepInstruction(threadId) : mi.execReverseNext(threadId);
    await this.resume(command, singleThread);
  }

  async reverseContinue(): Promise<void> {
    this.requireReplay('Reverse Continue');
    this.watchedBefore = await this.readValues(this.breakpoints.watchedExpressions);
    await this.resume(mi.execReverseContinue(), false);
  }

  /** The adapter's own breakpoints, set aside while going backwards (see setAsideInternal). */
  private setAside: string[] = [];

  /**
   * The adapter's own breakpoints (the module-load hook, the panic/Oops/WARN filters) resume the
   * kernel forwards when hit (a module's symbols loaded, then continue): met by a reverse run,
   * that forward resume lands in the middle of QEMU's seek. They stay out until the stop.
   */
  private async setAsideInternal(): Promise<void> {
    const user = this.breakpoints.userGdbNumbers;
    const table = (await this.mi.send(mi.breakList())).results.tuple('BreakpointTable').tuples('body');
    this.setAside = table
      .filter((row) => row.optStr('enabled') === 'y' && !user.has(row.str('number')) && !/watchpoint/.test(row.optStr('type') ?? ''))
      .map((row) => row.str('number'));
    if (this.setAside.length > 0) await this.mi.send(mi.breakDisable(this.setAside));
  }

  private async restoreInternal(): Promise<void> {
    const numbers = this.setAside;
    this.setAside = [];
    if (numbers.length > 0)
      await this.mi
        .send(mi.breakEnable(numbers))
        .catch((error: unknown) =>
          this.print(`Could not enable the adapter's breakpoints ${numbers.join(' ')} again: ${errorText(error)}\n`),
        );
  }

  private async resume(command: MiCommand, singleThread: boolean): Promise<void> {
    await this.setAsideInternal();
    this.stoppedAt = undefined;
    this.reversing = true;
    try {
      await this.run.resume(command, singleThread);
    } catch (error) {
      this.reversing = false;
      await this.restoreInternal();
      throw error;
    }
    this.stallWatch.start((seconds) =>
      this.endWith(
        `QEMU stopped making progress in this reverse run (no CPU time used for ${seconds} s: a ` +
          `deadlock of QEMU 7.2's record/replay, which happens now and then). The session ends; ` +
          `launch the replay again: the same steps usually go through.\n`,
      ),
    );
  }

  /** The stop as VS Code should see it: in which direction it came, and where in the recording it is. */
  async describe(stop: StopInfo): Promise<StopInfo> {
    const reversed = this.reversing;
    this.reversing = false;
    this.stallWatch.stop();
    if (!this.setup) return stop;
    try {
      return await this.described(stop, reversed);
    } finally {
      await this.restoreInternal();
    }
  }

  private async described(stop: StopInfo, reversed: boolean): Promise<StopInfo> {
    const position = await this.position();
    this.stoppedAt = position;
    const where = position === undefined ? '' : `instruction ${position} of the recording`;
    if (where) this.print(`${this.setup?.mode === 'record' ? 'Recording' : 'Replay'} position: ${where}\n`);
    if (position !== undefined && this.setup?.mode === 'replay') await this.snapshots?.atStop(position);
    let description = stop.description;
    if (stop.gdbReason === 'no-history' || (reversed && position === '0')) {
      description = 'Reached the start of the recording: nothing earlier was recorded';
    } else if (!reversed && this.setup?.mode === 'replay' && this.end.isEnd(position)) {
      description = `Reached the end of the recording (instruction ${position}): nothing later was recorded`;
    } else if (reversed && this.watchedBefore.size > 0 && (stop.watch || stop.reason === 'exception')) {
      // QEMU 7.2 reports a watchpoint met while replaying backwards as a bare SIGTRAP (no watch
      // address, so gdb cannot name it): the watched value that changed says which one it was.
      // QEMU stops just after the writing instruction (the value is already the one it wrote):
      // one more instruction back shows the write itself, and the value before it.
      let at = stop;
      let written = await this.changedWatch();
      if (!written) {
        at = await this.silentStepBack(stop.threadId ?? this.run.currentThreadId);
        written = await this.changedWatch();
      }
      this.watchedBefore.clear();
      if (written) {
        return {
          ...at,
          reason: 'data breakpoint',
          description: `${written.expression} was last written here: ${written.before} → ${written.after}`,
          watch: { expression: written.expression, oldValue: written.before, newValue: written.after },
        };
      }
    } else if (reversed) {
      description = `${stop.reason === 'breakpoint' ? 'Previous hit' : 'Stepped back'}${where ? ` (${where})` : ''}`;
    }
    return { ...stop, ...(description ? { description } : {}) };
  }

  /** One instruction back, not shown to VS Code (the stop it leads to is). */
  private async silentStepBack(threadId: number): Promise<StopInfo> {
    const { stopped, cancel } = this.run.swallowNextStop();
    try {
      await this.run.resume(mi.execReverseStepInstruction(threadId));
    } catch (error) {
      cancel();
      throw error;
    }
    return stopped;
  }

  /** The first watched expression whose value is not what it was when Reverse Continue started. */
  private async changedWatch(): Promise<{ expression: string; before: string; after: string } | undefined> {
    const now = await this.readValues([...this.watchedBefore.keys()]);
    for (const [expression, after] of this.watchedBefore) {
      const before = now.get(expression);
      if (before !== undefined && before !== after) return { expression, before, after };
    }
    return undefined;
  }

  private async readValues(expressions: readonly string[]): Promise<Map<string, string>> {
    const values = new Map<string, string>();
    for (const expression of expressions) {
      const value = await this.mi.send(mi.evaluate(expression)).then(
        (result) => result.results.str('value'),
        () => undefined,
      );
      if (value !== undefined) values.set(expression, value);
    }
    return values;
  }

  /** The instruction count QEMU is at in the recording (a decimal string), if it says. */
  async position(): Promise<string | undefined> {
    const qmp = this.qmp();
    if (!qmp) return undefined;
    try {
      const replay = await qmp.execute<QueryReplay>('query-replay');
      return replay.mode === 'none' ? undefined : String(replay.icount);
    } catch (error) {
      this.print(`Could not read the replay position: ${errorText(error)}\n`);
      return undefined;
    }
  }

  /** QEMU ends a replay when its event log ends: say so instead of "QEMU exited". */
  explainEnd(message: string): string {
    if (this.setup?.mode !== 'replay' || !/code 0\b/.test(message)) return message;
    return (
      `The replay reached the end of the recording (QEMU stops there; ${message}). Start the ` +
      `replay again to go back to any point of it.`
    );
  }

  private requireReplay(what: string): void {
    if (this.canReverse) return;
    throw reverseErrors.notReplaying(what, this.setup?.mode === 'record' ? this.setup.files.log : undefined);
  }
}
