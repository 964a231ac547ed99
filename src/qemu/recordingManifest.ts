// What a recording was made of, kept beside it as JSON: a replay must run the same machine with
// the same kernel and initramfs, or QEMU replays the event log into a different guest (it
// desynchronizes and stops, or runs on silently wrong). The comparison is pure; reading the files'
// identity (size, mtime, sha256) is the one I/O here.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { GuestArch } from '../arch';

export const MANIFEST_VERSION = 1;

export interface FileIdentity {
  path: string;
  size: number;
  mtimeMs: number;
  sha256: string;
}

/** The machine a recording was made on: everything that must be the same to replay it. */
export interface RecordedMachine {
  arch: GuestArch;
  kernel: FileIdentity;
  initrd: FileIdentity | undefined;
  machine: string | undefined;
  cpu: string | undefined;
  memoryMiB: number;
  smp: number;
  commandLine: string;
}

export interface RecordingManifest extends RecordedMachine {
  version: number;
  /** When recording started (ISO time). */
  recordedAt: string;
  /** QEMU's argv minus the session's private paths: for the user to read. */
  qemu: string;
  /**
   * The instruction count the recording ends at (a decimal string), written when its session
   * ends: a replay stops there instead of running past the log's end (QEMU 7.2 then exits, or
   * spins). Absent in a recording whose session did not end cleanly.
   */
  endIcount?: string;
}

export async function fileIdentity(file: string): Promise<FileIdentity> {
  const info = await stat(file);
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return { path: file, size: info.size, mtimeMs: Math.round(info.mtimeMs), sha256: hash.digest('hex') };
}

/** The JSON of a manifest file, or why it is not one. */
export function parseManifest(text: string): RecordingManifest | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `it is not JSON (${String(error)})`;
  }
  const manifest = value as Partial<RecordingManifest>;
  if (typeof manifest !== 'object' || manifest === null) return 'it is not a JSON object';
  if (manifest.version !== MANIFEST_VERSION)
    return `it has version ${JSON.stringify(manifest.version)}, this kernel-qemu reads version ${MANIFEST_VERSION}`;
  for (const key of ['arch', 'commandLine', 'recordedAt'] as const) if (typeof manifest[key] !== 'string') return `it has no "${key}"`;
  for (const key of ['memoryMiB', 'smp'] as const) if (typeof manifest[key] !== 'number') return `it has no "${key}"`;
  if (!isIdentity(manifest.kernel)) return 'it has no "kernel" identity';
  if (manifest.initrd !== undefined && manifest.initrd !== null && !isIdentity(manifest.initrd)) return 'its "initrd" is malformed';
  const { endIcount, ...rest } = manifest as RecordingManifest;
  return {
    ...rest,
    initrd: manifest.initrd ?? undefined,
    ...(typeof endIcount === 'string' && /^\d+$/.test(endIcount) ? { endIcount } : {}),
  };
}

function isIdentity(value: unknown): value is FileIdentity {
  const identity = value as Partial<FileIdentity> | undefined;
  return typeof identity?.path === 'string' && typeof identity.size === 'number' && typeof identity.sha256 === 'string';
}

/**
 * What differs between the recorded machine and the one a replay would start, one sentence each;
 * empty when they agree. Files are the same when their contents are (a copied kernel elsewhere
 * replays fine); a moved path alone is no mismatch.
 */
export function machineMismatches(recorded: RecordedMachine, replay: RecordedMachine): string[] {
  const problems: string[] = [];
  const same = <T>(what: string, a: T, b: T, show: (value: T) => string = (value) => JSON.stringify(value ?? null)) => {
    if (a !== b) problems.push(`${what}: recorded ${show(a)}, this configuration ${show(b)}`);
  };
  same('arch', recorded.arch, replay.arch);
  fileMismatch('kernel', recorded.kernel, replay.kernel, problems);
  fileMismatch('initrd', recorded.initrd, replay.initrd, problems);
  same('machine', recorded.machine, replay.machine);
  same('cpu', recorded.cpu, replay.cpu);
  same('memory (MiB)', recorded.memoryMiB, replay.memoryMiB);
  same('smp', recorded.smp, replay.smp);
  same('kernel command line', recorded.commandLine, replay.commandLine);
  return problems;
}

function fileMismatch(what: string, recorded: FileIdentity | undefined, replay: FileIdentity | undefined, problems: string[]): void {
  if (!recorded && !replay) return;
  if (!recorded || !replay) {
    problems.push(`${what}: recorded ${recorded ? recorded.path : 'none'}, this configuration ${replay ? replay.path : 'none'}`);
    return;
  }
  if (recorded.sha256 === replay.sha256) return;
  problems.push(
    `${what}: recorded ${recorded.path} (${recorded.size} bytes, sha256 ${recorded.sha256.slice(0, 12)}…), ` +
      (`this configuration ${replay.path} (${replay.size} bytes, sha256 ${replay.sha256.slice(0, 12)}` +
        `…)${recorded.path === replay.path ? ': the file changed since it was recorded' : ''}`),
  );
}
