// Build Rootfs → Debian image: the steps, with their checks first (mmdebstrap, qemu-user
// binfmt for a foreign arch, free space), the ssh key pair kept beside the image, and a
// cache of finished images keyed by the recipe: the same options give the cached image in
// seconds. The image is qcow2 (ext4 inside), so VM snapshots work on it.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, readdir, rename, rm, stat, statfs, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { GuestArch } from '../arch';
import type { Step } from '../build/runner';
import { findExecutable } from '../process/which';
import { CUSTOMIZE_HOOK, DEBIAN_ARCH, invalidPackages, mmdebstrapArgv, recipeKey, sshKeyOf, type DebianRecipe } from './debianImage';

const run = promisify(execFile);
export const DEFAULT_IMAGE_MIB = 2048;

export interface DebianImageRequest {
  arch: GuestArch;
  /** The qcow2 file to write. */
  output: string;
  /** INSTALL_MOD_PATH of the tree's modules, copied into /lib/modules. */
  modulesRoot?: string;
  cacheDir: string;
  sizeMiB?: number;
  packages?: readonly string[];
}

export class GuestBuildError extends Error {}

/** The stamp beside an image: the recipe key it was made from (an up-to-date image is kept, with its snapshots). */
function stampOf(output: string): string {
  return `${output}.recipe`;
}

export function debianImageSteps(request: DebianImageRequest): Step[] {
  const recipe: DebianRecipe = { arch: request.arch, sizeMiB: request.sizeMiB ?? DEFAULT_IMAGE_MIB, packages: request.packages ?? [] };
  const cacheDir = path.join(request.cacheDir, 'images');
  return [
    {
      kind: 'call',
      title: `Debian ${recipe.arch} image: check mmdebstrap, emulation and free space`,
      run: async (log) => {
        await checkTools(recipe.arch);
        const bad = invalidPackages(recipe.packages);
        if (bad.length) throw new GuestBuildError(`Not Debian package names: ${bad.join(', ')}.`);
        await mkdir(path.dirname(request.output), { recursive: true });
        await mkdir(cacheDir, { recursive: true });
        await checkSpace(cacheDir, recipe.sizeMiB);
        const key = sshKeyOf(request.output);
        if (!(await exists(key))) {
          await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `kernel-qemu ${path.basename(request.output)}`, '-f', key]);
          log(`ssh key pair for this image: ${key} (.pub)`);
        }
        const publicKey = await readFile(`${key}.pub`, 'utf8');
        const id = recipeKey(recipe, publicKey, await fingerprint(request.modulesRoot));
        const cached = path.join(cacheDir, `debian-${recipe.arch}-${id}.qcow2`);
        if ((await exists(request.output)) && (await readFile(stampOf(request.output), 'utf8').catch(() => '')) === id) {
          log(`${request.output} is up to date (recipe ${id}): kept, with its snapshots.`);
          return [];
        }
        const deliver: Step = {
          kind: 'call',
          title: `Copy the image to ${request.output}`,
          run: async (innerLog) => {
            await copyFile(cached, `${request.output}.tmp`);
            await rename(`${request.output}.tmp`, request.output);
            await writeFile(stampOf(request.output), id);
            innerLog(
              `Wrote ${request.output} (${recipe.sizeMiB} MiB ext4 in qcow2). root logs in on the serial ` +
                `console; ssh -i ${key} root@127.0.0.1 -p <the forwarded port shown at launch>.`,
            );
          },
        };
        if (await exists(cached)) {
          log(`Served from the cache: ${cached} (the same recipe was built before).`);
          return [deliver];
        }
        const hook = path.join(cacheDir, 'customize-hook.sh');
        await writeFile(hook, CUSTOMIZE_HOOK, { mode: 0o755 });
        const raw = `${cached}.raw`;
        return [
          {
            kind: 'run',
            title: `mmdebstrap ${recipe.arch} (Debian ${recipe.arch === 'x86_64' ? '' : 'under qemu-user emulation, '}minbase + ssh)`,
            argv: mmdebstrapArgv(recipe, hook),
            cwd: cacheDir,
            env: {
              KQ_SSH_PUBLIC_KEY: `${key}.pub`,
              KQ_MODULES: request.modulesRoot ?? '',
              KQ_RAW_IMAGE: raw,
              KQ_SIZE_MIB: String(recipe.sizeMiB),
            },
          },
          {
            kind: 'run',
            title: 'qemu-img convert (raw → qcow2)',
            argv: ['qemu-img', 'convert', '-f', 'raw', '-O', 'qcow2', raw, `${cached}.tmp`],
            cwd: cacheDir,
          },
          {
            kind: 'call',
            title: 'Keep the image in the cache',
            run: async () => {
              await rename(`${cached}.tmp`, cached);
              await rm(raw, { force: true });
              return [deliver];
            },
          },
        ];
      },
    },
  ];
}

async function checkTools(arch: GuestArch): Promise<void> {
  const missing = [
    ['mmdebstrap', 'mmdebstrap'],
    ['mke2fs', 'e2fsprogs'],
    ['qemu-img', 'qemu-utils'],
    ['ssh-keygen', 'openssh-client'],
  ].filter(([tool]) => !findExecutable(tool!));
  if (missing.length)
    throw new GuestBuildError(
      `A Debian image needs ${missing.map(([tool, pkg]) => `${tool} (package ${pkg})`).join(', ')}` +
        `: sudo apt-get install ${missing.map(([, pkg]) => pkg).join(' ')}`,
    );
  const hostArch = process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : undefined;
  if (arch !== hostArch) {
    // mmdebstrap checks a foreign arch with arch-test before it starts.
    if (!findExecutable('arch-test'))
      throw new GuestBuildError(
        `A ${DEBIAN_ARCH[arch]} image needs arch-test (mmdebstrap's check of foreign-arch ` +
          `emulation): sudo apt-get install arch-test qemu-user-static binfmt-support`,
      );
    const emulator = arch === 'aarch64' ? 'qemu-aarch64' : 'qemu-x86_64';
    if (!(await exists(`/proc/sys/fs/binfmt_misc/${emulator}`))) {
      throw new GuestBuildError(
        `A ${DEBIAN_ARCH[arch]} image is built under ${emulator} emulation, which is not ` +
          `registered (no /proc/sys/fs/binfmt_misc/${emulator}): sudo apt-get install ` +
          `qemu-user-static binfmt-support, then sudo update-binfmts --enable ${emulator}.`,
      );
    }
  }
}

async function checkSpace(dir: string, sizeMiB: number): Promise<void> {
  const info = await statfs(dir);
  const freeMiB = Math.floor((info.bavail * info.bsize) / 2 ** 20);
  // The raw file, its qcow2 copy and mmdebstrap's temporary root (~600 MiB) live at once.
  const needMiB = sizeMiB + 1024;
  if (freeMiB < needMiB)
    throw new GuestBuildError(
      `Not enough free space in ${dir}: ${freeMiB} MiB free, a ${sizeMiB} MiB image needs about ${needMiB}` +
        ` MiB while it is built. Free some space or set a smaller image size.`,
    );
}

/** Names, sizes and mtimes of the staged modules: a rebuilt module makes a new image. */
async function fingerprint(root: string | undefined): Promise<string> {
  if (!root) return '';
  const hash = createHash('sha256');
  const walk = async (dir: string): Promise<void> => {
    for (const entry of (await readdir(dir, { withFileTypes: true }).catch(() => [])).sort((a, b) => a.name.localeCompare(b.name))) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(file);
      else {
        const info = await stat(file);
        hash.update(`${path.relative(root, file)}:${info.size}:${info.mtimeMs}\n`);
      }
    }
  };
  await walk(root);
  return hash.digest('hex');
}

function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}
