// The bench's peer adapter, Eclipse CDT's cdt-gdb-adapter, installed on first use outside the
// project (its native module needs a C++ toolchain, which `npm ci` of kernel-qemu must not):
// into ~/.cache/kernel-qemu/bench-peer (KERNEL_QEMU_CACHE moves it), with npm, pinned.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const PEER_PACKAGE = 'cdt-gdb-adapter';
export const PEER_VERSION = '1.7.0';

function peerDir(): string {
  const cache = process.env.KERNEL_QEMU_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'kernel-qemu');
  return path.join(cache, 'bench-peer');
}

function installedVersion(dir: string): string | undefined {
  const manifest = path.join(dir, 'node_modules', PEER_PACKAGE, 'package.json');
  if (!existsSync(manifest)) return undefined;
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

/** The peer's package directory, installed first when missing or not the pinned version. */
export function ensurePeerAdapter(log: (text: string) => void): { dir: string; version: string } {
  const dir = peerDir();
  if (installedVersion(dir) !== PEER_VERSION) {
    mkdirSync(dir, { recursive: true });
    // Its own package.json: npm installs here instead of into the nearest project above.
    writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ name: 'kernel-qemu-bench-peer', private: true }, null, 2)}\n`);
    log(`installing ${PEER_PACKAGE}@${PEER_VERSION} into ${dir} (once; it builds a native module: needs make and a C++ compiler)`);
    try {
      execFileSync('npm', ['install', '--no-audit', '--no-fund', '--save-exact', `${PEER_PACKAGE}@${PEER_VERSION}`], {
        cwd: dir,
        stdio: 'inherit',
      });
    } catch (error) {
      throw new Error(
        `could not install ${PEER_PACKAGE}@${PEER_VERSION} into ${dir} (${error instanceof Error ? error.message : String(error)}` +
          `): install build-essential (make, g++), or run the bench without it: --tools raw,kq`,
      );
    }
  }
  return { dir: path.join(dir, 'node_modules', PEER_PACKAGE), version: PEER_VERSION };
}
