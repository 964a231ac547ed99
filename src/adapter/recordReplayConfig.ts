// The 'record' and 'replay' launch keys, resolved and checked before anything starts: what
// QEMU's record/replay cannot do is refused here with the reason and the fix (KVM, disks, VM
// snapshots, a missing recording, a recording of another kernel or machine).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { recordingFiles, type RecordingFiles } from '../qemu/recordReplay';
import { fileIdentity, machineMismatches, parseManifest, type RecordedMachine, type RecordingManifest } from '../qemu/recordingManifest';
import { cacheDirectory } from './cacheDirectory';
import type { ResolvedLaunch } from './configCheck';
import { ErrorCode, UserError } from './errors';
import { DEFAULTS } from './launchArgs';

/** A launch without 'record' or 'replay' is returned as it is. */
export async function withRecordReplay(config: ResolvedLaunch, args: Record<string, unknown>): Promise<ResolvedLaunch> {
  const record = args.record === false ? undefined : (args.record as boolean | string | undefined);
  const replay = typeof args.replay === 'string' && args.replay !== '' ? args.replay : undefined;
  if (record === undefined && replay === undefined) return config;
  const key = replay !== undefined ? "'replay'" : "'record'";
  if (record !== undefined && replay !== undefined) {
    throw new UserError(
      ErrorCode.BadArgument,
      "'record' and 'replay' cannot both be set: record a run first, then replay it in another session.",
    );
  }
  if (config.accel === 'kvm') {
    throw new UserError(
      ErrorCode.AccelUnusable,
      `${key}: QEMU records and replays TCG runs only, not KVM ones. Set "accel": "tcg" (or leave it at "auto", which then picks TCG).`,
    );
  }
  if (config.rootfs) {
    throw new UserError(
      ErrorCode.BadArgument,
      `${key}: a guest with a 'rootfs' disk cannot be recorded here (its reads and writes would ` +
        `need QEMU's blkreplay driver, which kernel-qemu does not set up). Record an initrd-only ` +
        `guest: remove 'rootfs'.`,
    );
  }
  if (config.snapshot !== undefined) {
    throw new UserError(
      ErrorCode.BadArgument,
      `${key}: a recorded or replayed run starts from its own first instruction, not from a VM snapshot: remove 'snapshot'.`,
    );
  }
  if (typeof args.stateDisk === 'string' && args.stateDisk !== '') {
    throw new UserError(
      ErrorCode.BadArgument,
      `${key}: a recorded or replayed run keeps its snapshots in the recording's own disk, not in a state disk: remove 'stateDisk'.`,
    );
  }
  const at = (file: string) => path.resolve(config.cwd ?? process.cwd(), file);
  const machine = await machineOf(config);
  const snapshotLimit = typeof args.replaySnapshots === 'number' ? args.replaySnapshots : DEFAULTS.replaySnapshots;
  // The Snapshots view's state disk is never attached: a snapshot of it loaded into a recording would fork the run.
  const base: ResolvedLaunch = { ...config, accel: 'tcg', stateDisk: undefined, stateDiskFound: false, snapshotImage: undefined };
  if (replay === undefined) {
    const log = typeof record === 'string' ? at(record) : defaultRecordingPath(config.arch);
    return { ...base, recordReplay: { mode: 'record', files: recordingFiles(log), machine, snapshotLimit } };
  }
  const files = recordingFiles(at(replay));
  const manifest = await readRecording(files);
  const differences = machineMismatches(manifest, machine);
  if (differences.length > 0) {
    throw new UserError(
      ErrorCode.RecordingMismatch,
      `'replay' ${files.log} was recorded with another kernel or machine, and replaying it with ` +
        `this one would run a different guest: ${differences.join('; ')}. Use the configuration it ` +
        `was recorded with (its manifest is ${files.manifest}), or record again.`,
    );
  }
  return { ...base, recordReplay: { mode: 'replay', files, machine, manifest, snapshotLimit } };
}

async function machineOf(config: ResolvedLaunch): Promise<RecordedMachine> {
  return {
    arch: config.arch,
    kernel: await fileIdentity(config.kernel),
    initrd: config.initrd ? await fileIdentity(config.initrd) : undefined,
    machine: config.machine,
    cpu: config.cpu,
    memoryMiB: config.memory,
    smp: config.smp,
    commandLine: config.commandLine,
  };
}

async function readRecording(files: RecordingFiles): Promise<RecordingManifest> {
  if (!existsSync(files.log)) {
    throw new UserError(
      ErrorCode.RecordingMissing,
      `'replay' ${files.log} does not exist. Record a run first ("record": true, or "record": "${files.log}` +
        `"), then replay the path the Debug Console printed.`,
    );
  }
  for (const [file, what] of [
    [files.manifest, 'its manifest'],
    [files.snapshotDisk, 'its snapshot disk'],
  ] as const) {
    if (!existsSync(file)) {
      throw new UserError(
        ErrorCode.RecordingMissing,
        `'replay' ${files.log}: ${what} ${file} is missing (kernel-qemu writes it beside the ` +
          `recording). Without it the recording cannot be replayed: record again.`,
      );
    }
  }
  const parsed = parseManifest(await readFile(files.manifest, 'utf8'));
  if (typeof parsed === 'string')
    throw new UserError(
      ErrorCode.RecordingMissing,
      `'replay' ${files.log}: its manifest ${files.manifest} cannot be read: ${parsed}. Record again.`,
    );
  return parsed;
}

function defaultRecordingPath(arch: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return path.join(cacheDirectory(), 'recordings', `${arch}-${stamp}.rr`);
}
