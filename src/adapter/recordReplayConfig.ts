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
import { launchErrors } from './launchErrors';
import { DEFAULTS } from './launchArgs';

/** A launch without 'record' or 'replay' is returned as it is. */
export async function withRecordReplay(config: ResolvedLaunch, args: Record<string, unknown>): Promise<ResolvedLaunch> {
  const record = args.record === false ? undefined : (args.record as boolean | string | undefined);
  const replay = typeof args.replay === 'string' && args.replay !== '' ? args.replay : undefined;
  if (record === undefined && replay === undefined) return config;
  const key = replay !== undefined ? "'replay'" : "'record'";
  if (record !== undefined && replay !== undefined) {
    throw launchErrors.recordAndReplay();
  }
  if (config.accel === 'kvm') {
    throw launchErrors.recordingUnderKvm(key);
  }
  if (config.rootfs) {
    throw launchErrors.recordingWithRootfs(key);
  }
  if (config.snapshot !== undefined) {
    throw launchErrors.recordingFromSnapshot(key);
  }
  if (typeof args.stateDisk === 'string' && args.stateDisk !== '') {
    throw launchErrors.recordingWithStateDisk(key);
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
    throw launchErrors.recordingMismatch(files.log, differences, files.manifest);
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
    throw launchErrors.recordingMissing(files.log);
  }
  for (const [file, what] of [
    [files.manifest, 'its manifest'],
    [files.snapshotDisk, 'its snapshot disk'],
  ] as const) {
    if (!existsSync(file)) {
      throw launchErrors.recordingPartMissing(files.log, what, file);
    }
  }
  const parsed = parseManifest(await readFile(files.manifest, 'utf8'));
  if (typeof parsed === 'string') throw launchErrors.manifestUnreadable(files.log, files.manifest, parsed);
  return parsed;
}

function defaultRecordingPath(arch: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return path.join(cacheDirectory(), 'recordings', `${arch}-${stamp}.rr`);
}
