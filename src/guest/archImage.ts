// Arch Linux images (seed 003 uses pacstrap): kernel-qemu offers them only where they could be
// made — pacstrap installed and an Arch mirror reachable — and otherwise says which is missing
// before anything runs. (No Arch mirror was reachable where kernel-qemu was built and tested,
// so it builds Debian images.)
import { request } from 'node:https';
import { findExecutable } from '../process/which';

const MIRROR = 'https://geo.mirror.pkgbuild.com/core/os/x86_64/core.db';
const MIRROR_TIMEOUT_MS = 4000;

function mirrorReachable(): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = request(MIRROR, { method: 'HEAD', timeout: MIRROR_TIMEOUT_MS }, (response) => {
      response.resume();
      resolve((response.statusCode ?? 500) < 400);
    });
    probe.on('timeout', () => probe.destroy());
    probe.on('error', () => resolve(false));
    probe.end();
  });
}

/** Why an Arch image cannot be made on this host (always a reason today: see the file comment). */
export async function archImageProblem(): Promise<string> {
  const missing: string[] = [];
  if (!findExecutable('pacstrap')) missing.push('pacstrap is not installed (Debian: sudo apt-get install arch-install-scripts)');
  if (!(await mirrorReachable())) missing.push(`no Arch mirror answers from this machine (${new URL(MIRROR).host})`);
  if (missing.length)
    return (
      `An Arch Linux image cannot be made here: ${missing.join('; ')}. Build Rootfs → Debian ` +
      `image gives a guest with systemd and ssh instead.`
    );
  return (
    'pacstrap and an Arch mirror work here, but kernel-qemu builds Debian images only: its ' +
    'Arch recipe was never run against a mirror. Build Rootfs → Debian image gives a guest ' +
    'with systemd and ssh.'
  );
}
