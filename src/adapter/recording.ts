// A recorded or replayed launch, on QEMU's side of the start: the recording's files made ready
// (a fresh snapshot disk and the manifest when recording), the argv QEMU gets, and what the user
// must know before record/replay bites (said in the Debug Console).
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { createStateDisk, findQemuImg } from '../qemu/qemuImg';
import { recordReplayArgs } from '../qemu/recordReplay';
import { MANIFEST_VERSION, type RecordingManifest } from '../qemu/recordingManifest';
import type { ResolvedLaunch } from './configCheck';
import { launchErrors } from './launchErrors';

/** QEMU's extra argv for the launch's record/replay (none without it). */
export async function recordReplayArgv(config: ResolvedLaunch, log: (text: string) => void): Promise<string[]> {
  const setup = config.recordReplay;
  if (!setup) return [];
  const { files } = setup;
  if (setup.mode === 'record') {
    const qemuImg = findQemuImg(config.qemuPath);
    if (!qemuImg) throw launchErrors.recordingNeedsQemuImg();
    mkdirSync(path.dirname(files.log), { recursive: true });
    const replacing = existsSync(files.log);
    // The old snapshots belong to the old recording: replaying the new one from them would fork it.
    rmSync(files.snapshotDisk, { force: true });
    await createStateDisk(qemuImg, files.snapshotDisk);
    const manifest: RecordingManifest = {
      version: MANIFEST_VERSION,
      recordedAt: new Date().toISOString(),
      qemu: config.qemuPath,
      ...setup.machine,
    };
    await writeFile(files.manifest, `${JSON.stringify(manifest, null, 2)}\n`);
    log(
      `Recording this run to ${files.log}${replacing ? ' (replacing the recording that was there)' : ''}` +
        `. Replay it with "replay": "${files.log}" to step backwards.\n`,
    );
  } else {
    log(
      `Replaying ${files.log} (recorded ${setup.manifest?.recordedAt ?? 'earlier'}): the kernel ` +
        `runs exactly as it did then; Step Back and Reverse Continue work.\n`,
    );
  }
  log(
    'Record/replay: TCG with instruction counting (slower than plain TCG); the serial console ' +
      'shows output only (typed input would not replay)' +
      (config.smp > 1 ? `; the ${config.smp} vCPUs run one at a time` : '') +
      ("; no network or disk devices (QEMU's filter-replay and blkreplay are not set up, and " +
        'devices added with serverArgs are not recorded and may make the replay diverge)') +
      ("; the recording grows with the guest's interrupts and I/O (a boot to the busybox shell: " +
        'about 2 MB); each reverse step replays the recording from its start to where it goes.\n'),
  );
  return recordReplayArgs({ mode: setup.mode, files });
}
