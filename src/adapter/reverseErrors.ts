// What going backwards can run into (reverse.ts, replaySwitch.ts, recordingEnd.ts): each problem
// with its code and its words, which say how to get to a replay.
import { ErrorCode, errorText, UserError } from './errors';

export const reverseErrors = {
  /**
   * `what` (Step Back, Reverse Continue...) asked for outside a replay. `recordingLog`: the log
   * this session records, when it records one.
   */
  notReplaying: (what: string, recordingLog: string | undefined) =>
    new UserError(
      ErrorCode.NotReplaying,
      recordingLog !== undefined
        ? `${what} works when the recording is replayed: end this session, then launch the same ` +
            `configuration with "replay": "${recordingLog}" instead of 'record'.`
        : `${what} needs a replay session: record the run ("record": true), then launch with "replay": "<the recording's path>".`,
    ),
  positionUnknown: (log: string) =>
    new UserError(
      ErrorCode.ReplaySwitchFailed,
      `Going back needs the recording's position, and QEMU did not say it: end this session, ` + `then launch with "replay": "${log}".`,
    ),
  switchFailed: (error: unknown, log: string) =>
    new UserError(
      ErrorCode.ReplaySwitchFailed,
      `Going back failed while QEMU replayed the recording: ${errorText(error)}. The recording ` +
        `is kept: launch with "replay": "${log}" to step backwards in it.`,
    ),
  /** `end`: the recording's last instruction count. */
  endOfRecording: (end: string) =>
    new UserError(
      ErrorCode.EndOfRecording,
      `This is the end of the recording (instruction ${end}): nothing after it was recorded, so ` +
        `the replay cannot run on. Step Back and Reverse Continue go back from here; to run the ` +
        `kernel on, launch again with "record" (a new recording) or without it.`,
    ),
};
