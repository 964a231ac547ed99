// A static busybox for the guest arch: the host's own (Debian's busybox-static) when the
// arches agree, else Debian's busybox-static for the guest arch, downloaded with apt and
// unpacked without installing it. Kept in the cache (the same place scripts/fetch-kernels.sh uses).
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { GuestArch } from '../arch';
import { readElfSummary } from '../elf/elf';

const run = promisify(execFile);
const DEBIAN_ARCH: Readonly<Record<GuestArch, string>> = { x86_64: 'amd64', aarch64: 'arm64' };
const HOST_BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'];

export class BusyboxError extends Error {}

/** Whether file is a static ELF for arch (no .interp: runs with no libraries in the initramfs). */
export async function staticBusyboxFor(file: string, arch: GuestArch): Promise<boolean> {
  try {
    const elf = await readElfSummary(file);
    return elf.arch === arch && !elf.sections.has('.interp');
  } catch {
    return false;
  }
}

/** The cached busybox for arch, fetched on first use. Throws BusyboxError with the fix. */
export async function guestBusybox(arch: GuestArch, cacheDir: string, log: (line: string) => void = () => undefined): Promise<string> {
  const cached = path.join(cacheDir, 'busybox', arch, 'busybox');
  if (await staticBusyboxFor(cached, arch)) return cached;
  for (const candidate of HOST_BUSYBOX) {
    if (await staticBusyboxFor(candidate, arch)) return candidate;
  }
  const packageName = `busybox-static:${DEBIAN_ARCH[arch]}`;
  log(`Fetching ${packageName} (apt-get download; nothing is installed) ...`);
  const scratch = await mkdtemp(path.join(cacheDir, 'busybox-'));
  try {
    try {
      await run('apt-get', ['download', packageName], { cwd: scratch });
    } catch (error) {
      const text = String((error as { stderr?: string }).stderr ?? error);
      const unknownArch = arch !== hostArch() && /Unable to locate|No packages found|Can't select/i.test(text);
      throw new BusyboxError(
        unknownArch
          ? `apt does not know ${DEBIAN_ARCH[arch]} packages, so no ${arch} busybox can be fetched: ` +
              `run 'sudo dpkg --add-architecture ${DEBIAN_ARCH[arch]} && sudo apt-get update', or put a ` +
              `static ${arch} busybox at ${cached}.`
          : `apt-get download ${packageName} failed (${text.trim().split('\n').pop()}): install ` +
              `busybox-static (sudo apt-get install busybox-static), or put a static ${arch} busybox at ${cached}` +
              `.`,
      );
    }
    const deb = (await readdir(scratch)).find((name) => name.endsWith('.deb'));
    if (!deb) throw new BusyboxError(`apt-get download ${packageName} produced no .deb in ${scratch}.`);
    await run('dpkg-deb', ['-x', path.join(scratch, deb), path.join(scratch, 'root')]);
    const unpacked = path.join(scratch, 'root', 'bin', 'busybox');
    if (!(await staticBusyboxFor(unpacked, arch)))
      throw new BusyboxError(`${packageName} holds no static ${arch} busybox at /bin/busybox.`);
    await mkdir(path.dirname(cached), { recursive: true });
    await copyFile(unpacked, `${cached}.tmp`);
    await rename(`${cached}.tmp`, cached);
    return cached;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

function hostArch(): GuestArch | undefined {
  return process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : undefined;
}
