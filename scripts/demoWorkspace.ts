// The demo's launch configuration and the workspace that holds it (npm run demo writes one under
// the kernel cache; the UI tests write the same into a temp dir and press F5 on it).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const DEMO_CACHE = process.env.KERNEL_QEMU_CACHE ?? path.join(os.homedir(), '.cache/kernel-qemu');

export function demoConfig(cache = DEMO_CACHE): Record<string, unknown> {
  const kernelDir = path.join(cache, 'kernels/x86_64');
  return {
    type: 'kernel-qemu',
    request: 'launch',
    name: 'Debug the Debian x86_64 kernel',
    program: path.join(kernelDir, 'vmlinux'),
    kernel: path.join(kernelDir, 'kernel'),
    initrd: path.join(kernelDir, 'initrd.gz'),
    accel: 'auto',
    ...sourceRootOf(cache),
  };
}

/**
 * The kernel's sources: Debian's linux-source of the same version, where
 * scripts/fetch-kernel-source.sh unpacks it (the DWARF names Debian's build directory).
 */
function sourceRootOf(cache: string): { sourceRoot?: string } {
  const versionFile = path.join(cache, 'kernels/x86_64/version');
  if (!existsSync(versionFile)) return {};
  const tree = path.join(cache, 'src', `linux-${readFileSync(versionFile, 'utf8').trim()}`);
  return existsSync(path.join(tree, '.complete')) ? { sourceRoot: tree } : {};
}

/** Writes `<workspace>/.vscode/launch.json` with these configurations. */
export function writeLaunchJson(workspace: string, configurations: ReadonlyArray<Record<string, unknown>>): void {
  mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
  writeFileSync(path.join(workspace, '.vscode/launch.json'), `${JSON.stringify({ version: '0.2.0', configurations }, null, 2)}\n`);
}
