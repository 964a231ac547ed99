// The kernel-qemu initramfs: a static busybox, the /init of initScript.ts, the tree's
// modules (/lib/modules/<release>, as `make modules_install` staged them) and the user's
// extra files. The plan is a list of cpio entries; nothing is staged on disk, so a rebuild
// after a module changed takes as long as reading the files.
import { lstat, readdir, readFile, readlink, rename, writeFile, mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import { gzipCpio, type CpioEntry } from './cpio';
import { INIT_SCRIPT } from './initScript';

export interface InitramfsInput {
  /** A statically linked busybox for the guest arch. */
  busybox: string;
  /** INSTALL_MOD_PATH of `make modules_install`: its lib/modules/<release>/ goes in as is. */
  modulesRoot?: string;
  /** Host files or folders copied into the image (folders recursively). */
  extraFiles?: ReadonlyArray<{ host: string; guest: string }>;
}

const BASE_DIRS = [
  'bin',
  'sbin',
  'usr',
  'usr/bin',
  'usr/sbin',
  'etc',
  'lib',
  'lib/modules',
  'proc',
  'sys',
  'dev',
  'tmp',
  'root',
  'run',
  'mnt',
];

/** The archive's entries, parents first. */
export async function initramfsEntries(input: InitramfsInput): Promise<CpioEntry[]> {
  const entries: CpioEntry[] = BASE_DIRS.map((dir) => ({ kind: 'dir', path: dir, mode: dir === 'tmp' ? 0o1777 : 0o755 }));
  entries.push({ kind: 'char', path: 'dev/console', mode: 0o600, major: 5, minor: 1 });
  entries.push({ kind: 'file', path: 'bin/busybox', mode: 0o755, data: await readFile(input.busybox) });
  entries.push({ kind: 'symlink', path: 'bin/sh', target: 'busybox' });
  entries.push({ kind: 'file', path: 'init', mode: 0o755, data: Buffer.from(INIT_SCRIPT, 'utf8') });
  entries.push({ kind: 'file', path: 'etc/passwd', mode: 0o644, data: Buffer.from('root:x:0:0:root:/root:/bin/sh\n') });
  entries.push({ kind: 'file', path: 'etc/group', mode: 0o644, data: Buffer.from('root:x:0:\n') });
  if (input.modulesRoot) {
    const modules = path.join(input.modulesRoot, 'lib', 'modules');
    for (const release of await readdir(modules).catch(() => [] as string[])) {
      await addTree(entries, path.join(modules, release), `lib/modules/${release}`);
    }
  }
  for (const extra of input.extraFiles ?? []) {
    const guest = extra.guest.replace(/^\/+/, '');
    for (const parent of parentsOf(guest))
      if (!entries.some((entry) => entry.path === parent)) entries.push({ kind: 'dir', path: parent, mode: 0o755 });
    await addTree(entries, extra.host, guest);
  }
  return entries;
}

function parentsOf(guestPath: string): string[] {
  const parts = guestPath.split('/').slice(0, -1);
  return parts.map((_, index) => parts.slice(0, index + 1).join('/'));
}

/** A host file, link or folder (recursively) at guestPath; other kinds (sockets, devices) are skipped. */
async function addTree(entries: CpioEntry[], host: string, guestPath: string): Promise<void> {
  const info = await lstat(host);
  if (info.isSymbolicLink()) entries.push({ kind: 'symlink', path: guestPath, target: await readlink(host) });
  else if (info.isFile()) entries.push({ kind: 'file', path: guestPath, mode: info.mode & 0o7777, data: await readFile(host) });
  else if (info.isDirectory()) {
    if (!entries.some((entry) => entry.path === guestPath)) entries.push({ kind: 'dir', path: guestPath, mode: info.mode & 0o7777 });
    for (const name of (await readdir(host)).sort()) await addTree(entries, path.join(host, name), `${guestPath}/${name}`);
  }
}

/** Writes the gzipped archive next to its final name, then renames it: a reader never sees half a file. */
export async function writeInitramfs(output: string, input: InitramfsInput): Promise<{ bytes: number; entries: number }> {
  const entries = await initramfsEntries(input);
  const archive = await gzipCpio(entries);
  await mkdir(path.dirname(output), { recursive: true });
  const temporary = `${output}.${process.pid}.tmp`;
  await writeFile(temporary, archive);
  await rename(temporary, output);
  return { bytes: archive.length, entries: entries.length };
}
