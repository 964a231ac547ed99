// The Snapshots view without VS Code: which launch configurations keep snapshots where,
// how a snapshot is described, and the launch.json edit after a rootfs was converted.
// Pure or plain-fs, so it is unit-tested (test/unit/snapshotsView.test.ts).
import { existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SnapshotEntry } from '../../adapter/snapshotProtocol';
import { diskFormat, snapshotStorage, stateDiskDirectory } from '../../qemu/qemuImg';
import { formatSize, formatVmClock } from '../../qemu/vmSnapshots';
import { DEBUG_TYPE } from '../contributes';

export interface VariableContext {
  folder: string | undefined;
  env: NodeJS.ProcessEnv;
  home: string;
}

/** The launch.json variables a path may use here (VS Code substitutes them only when a session starts). */
export function substituteVariables(value: string, context: VariableContext): string {
  return value.replace(/\$\{([^}]+)\}/g, (whole, name: string) => {
    if (name === 'workspaceFolder' || name === 'workspaceRoot') return context.folder ?? whole;
    if (name === 'workspaceFolderBasename') return context.folder ? path.basename(context.folder) : whole;
    if (name === 'userHome') return context.home;
    if (name.startsWith('env:')) return context.env[name.slice(4)] ?? '';
    return whole;
  });
}

/** A kernel-qemu launch configuration from launch.json, with its disk paths made absolute. */
export interface LaunchTarget {
  name: string;
  folder: string | undefined;
  config: Record<string, unknown>;
  kernel: string;
  initrd: string | undefined;
  rootfs: string | undefined;
  stateDisk: string | undefined;
  qemuPath: string | undefined;
}

export function launchTargets(
  configurations: readonly unknown[],
  folder: string | undefined,
  context: Omit<VariableContext, 'folder'> = defaultContext(),
): LaunchTarget[] {
  const variables = { ...context, folder };
  const targets: LaunchTarget[] = [];
  for (const candidate of configurations) {
    if (typeof candidate !== 'object' || candidate === null) continue;
    const config = candidate as Record<string, unknown>;
    if (config.type !== DEBUG_TYPE || config.request !== 'launch' || typeof config.kernel !== 'string') continue;
    const cwd = typeof config.cwd === 'string' && config.cwd ? substituteVariables(config.cwd, variables) : (folder ?? process.cwd());
    const file = (key: string) => {
      const value = config[key];
      return typeof value === 'string' && value ? path.resolve(cwd, substituteVariables(value, variables)) : undefined;
    };
    targets.push({
      name: typeof config.name === 'string' ? config.name : 'kernel-qemu',
      folder,
      config,
      kernel: file('kernel')!,
      initrd: file('initrd'),
      rootfs: file('rootfs'),
      stateDisk: file('stateDisk'),
      qemuPath: file('qemuPath'),
    });
  }
  return targets;
}

function defaultContext(): Omit<VariableContext, 'folder'> {
  return { env: process.env, home: os.homedir() };
}

/** The image that holds a configuration's snapshots (qcow2 rootfs or state disk), if it exists. */
export async function snapshotImageOf(target: LaunchTarget, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const rootfsFormat = target.rootfs && existsSync(target.rootfs) ? await diskFormat(target.rootfs) : undefined;
  const { image } = snapshotStorage({
    kernel: target.kernel,
    initrd: target.initrd,
    rootfs: target.rootfs,
    rootfsFormat,
    stateDisk: target.stateDisk,
    stateDiskDirectory: stateDiskDirectory(env),
  });
  return image && existsSync(image) ? image : undefined;
}

/** "80.3 MiB · 22:40:30", or the date too when it is not today. */
export function snapshotDescription(entry: SnapshotEntry, now = new Date()): string {
  if (entry.vmStateSize === 0) return 'disk only';
  const date = new Date(entry.date);
  const sameDay = date.toDateString() === now.toDateString();
  const when = sameDay ? date.toLocaleTimeString() : date.toLocaleString();
  return `${formatSize(entry.vmStateSize)} · ${when}`;
}

export function snapshotTooltip(entry: SnapshotEntry, image: string | undefined): string {
  const lines = [
    `Snapshot "${entry.name}" (id ${entry.id})`,
    `Saved: ${new Date(entry.date).toLocaleString()}`,
    `VM clock: ${formatVmClock(entry.vmClockNs)}`,
    entry.vmStateSize ? `VM state: ${formatSize(entry.vmStateSize)}` : 'Disk only: no VM state (revert it with qemu-img)',
  ];
  if (image) lines.push(`In: ${image}`);
  return lines.join('\n');
}

/** A free name for the qcow2 copy of a raw image, next to it: rootfs.ext2 -> rootfs.qcow2 (-2, -3...). */
export function convertedImagePath(raw: string, exists: (file: string) => boolean = existsSync): string {
  const dir = path.dirname(raw);
  const stem = path.basename(raw).replace(/\.(ext[234]|img|raw)$/i, '');
  for (let n = 1; ; n++) {
    const candidate = path.join(dir, `${stem}${n === 1 ? '' : `-${n}`}.qcow2`);
    if (!exists(candidate)) return candidate;
  }
}

/** A path as launch.json would write it: under the workspace folder, relative to ${workspaceFolder}. */
export function launchJsonPath(file: string, folder: string | undefined): string {
  if (!folder) return file;
  const relative = path.relative(folder, file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? `\${workspaceFolder}/${relative}` : file;
}

/** launch.json's configurations with `rootfs` of the named kernel-qemu launch set to `newRootfs`; the others untouched. */
export function withRootfs(configurations: readonly unknown[], target: Pick<LaunchTarget, 'name'>, newRootfs: string): unknown[] {
  return configurations.map((candidate) => {
    if (typeof candidate !== 'object' || candidate === null) return candidate;
    const config = candidate as Record<string, unknown>;
    if (config.type !== DEBUG_TYPE || config.request !== 'launch' || config.name !== target.name) return candidate;
    return { ...config, rootfs: newRootfs };
  });
}
