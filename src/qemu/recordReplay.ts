// Pure: QEMU's record/replay in its own terms. The argv that records a run or replays one, the
// files a recording is made of. No I/O, so it is unit-tested like args.ts.
//
// A recording is three files side by side: the event log QEMU writes (rrfile), a qcow2 drive
// that holds its `init` snapshot (the VM state at the first instruction: a replay starts by
// loading it) and the snapshots taken along a replay, and kernel-qemu's manifest of what was
// recorded (recordingManifest.ts). The drive is the recording's own: the Snapshots view's state
// disk is never attached to a recorded or replayed VM, so neither can overwrite the other's.
import { escapeOptionValue } from './args';
import type { RecordedMachine, RecordingManifest } from './recordingManifest';

export type RecordReplayMode = 'record' | 'replay';

/** The snapshot QEMU saves when recording starts and loads when a replay starts. */
export const INITIAL_RR_SNAPSHOT = 'init';

/** The -drive id of the recording's snapshot drive (no guest device). */
export const RR_DRIVE_ID = 'kq-rr';

export interface RecordingFiles {
  /** QEMU's event log (rrfile). */
  log: string;
  /** qcow2 file holding the recording's snapshots (`init` and those taken while replaying). */
  snapshotDisk: string;
  /** kernel-qemu's description of what was recorded (JSON). */
  manifest: string;
}

/** The files of the recording whose event log is `log`: the other two sit beside it. */
export function recordingFiles(log: string): RecordingFiles {
  return { log, snapshotDisk: `${log}.snapshots.qcow2`, manifest: `${log}.manifest.json` };
}

/** A launch's record/replay, resolved (adapter/recordReplayConfig.ts). */
export interface RecordReplaySetup {
  mode: RecordReplayMode;
  files: RecordingFiles;
  /** The machine being run, as the manifest describes it (written when recording, checked when replaying). */
  machine: RecordedMachine;
  /** Replay: the recording's manifest. */
  manifest?: RecordingManifest;
  /** At most this many snapshots saved along a replay (adapter/replaySnapshots.ts). */
  snapshotLimit: number;
}

export interface RecordReplayPlan {
  mode: RecordReplayMode;
  files: RecordingFiles;
}

/**
 * A fixed icount shift (2^7 ns of guest time per instruction, as QEMU's own reverse-debugging
 * test uses): with shift=auto, QEMU 7.2 hung in 2 of 4 reverse runs measured here (reverse-
 * continue, and with a watchpoint); with 7, none of 8 did, and the log was 5x smaller.
 */
export const ICOUNT_SHIFT = 7;

/**
 * `-icount shift=7,rr=MODE,rrfile=LOG,rrsnapshot=init` and the snapshot drive. icount makes
 * TCG count instructions (the recording's clock); with it QEMU runs the vCPUs one at a time.
 * The same line records and replays: only rr= changes.
 */
export function recordReplayArgs(plan: RecordReplayPlan): string[] {
  const icount = `shift=${ICOUNT_SHIFT},rr=${plan.mode},rrfile=${escapeOptionValue(plan.files.log)},rrsnapshot=${INITIAL_RR_SNAPSHOT}`;
  const drive = `file=${escapeOptionValue(plan.files.snapshotDisk)},format=qcow2,if=none,id=${RR_DRIVE_ID}`;
  return ['-icount', icount, '-drive', drive];
}
