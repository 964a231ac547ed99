// Shared folders over virtiofs, for kernels without 9p (Debian's cloud kernels have
// VIRTIO_FS=m and no 9P): one virtiofsd per share on a unix socket in the session's private
// directory, started before QEMU and stopped with it. Debian's QEMU 7.2 ships the C virtiofsd
// (qemu-system-common); it needs root and has no read-only export, so a read-only share is
// read-only by the guest's mount.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { ManagedProcess } from '../process/managedProcess';
import { findExecutable } from '../process/which';
import type { GuestShare } from './qemuGuestArgs';

const CANDIDATES = ['/usr/lib/qemu/virtiofsd', '/usr/libexec/virtiofsd'];
const SOCKET_TIMEOUT_MS = 10_000;

export class VirtiofsError extends Error {}

export function findVirtiofsd(): string | undefined {
  return CANDIDATES.find((file) => existsSync(file)) ?? findExecutable('virtiofsd');
}

/** Why virtiofs shares cannot work on this host, or undefined. */
export function virtiofsProblem(): string | undefined {
  if (!findVirtiofsd()) return 'virtiofsd is not installed (Debian: sudo apt-get install qemu-system-common; newer releases: virtiofsd)';
  if (process.getuid?.() !== 0) return "QEMU 7.2's virtiofsd runs as root only, and the debugger does not";
  return undefined;
}

/** Starts a virtiofsd for each virtiofs share; returns the shares with their sockets, and the daemons. */
export async function startVirtiofsDaemons(
  shares: readonly GuestShare[],
  runtimeDir: string,
): Promise<{ shares: GuestShare[]; daemons: ManagedProcess[] }> {
  const daemons: ManagedProcess[] = [];
  const placed: GuestShare[] = [];
  try {
    for (const share of shares) {
      if (share.transport !== 'virtiofs') {
        placed.push(share);
        continue;
      }
      const socket = path.join(runtimeDir, `${share.tag}.virtiofs.sock`);
      const daemon = ManagedProcess.start('virtiofsd', findVirtiofsd() ?? 'virtiofsd', [
        `--socket-path=${socket}`,
        '-o',
        `source=${share.host}`,
        '-o',
        'cache=auto',
      ]);
      daemons.push(daemon);
      const deadline = Date.now() + SOCKET_TIMEOUT_MS;
      while (!existsSync(socket)) {
        if (daemon.hasExited) throw new VirtiofsError(`virtiofsd for ${share.host} exited: ${daemon.describeExit()}`);
        if (Date.now() > deadline)
          throw new VirtiofsError(`virtiofsd for ${share.host} made no socket within ${SOCKET_TIMEOUT_MS / 1000} s`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      placed.push({ ...share, socket });
    }
    return { shares: placed, daemons };
  } catch (error) {
    await Promise.all(daemons.map((daemon) => daemon.kill()));
    throw error;
  }
}
