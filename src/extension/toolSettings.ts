// The kernelQemu.qemuPath / kernelQemu.gdbPath settings as defaults for a configuration
// that names no tool of its own. No vscode import: the caller passes the settings in.
import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import type { GuestArch } from '../arch';
import { readElfSummary } from '../elf/elf';

export interface ToolSettings {
  qemuPath: string;
  gdbPath: string;
}

const ARCHES: readonly string[] = ['x86_64', 'aarch64'] satisfies GuestArch[];

function unset(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

async function isDirectory(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isDirectory();
  } catch {
    return false;
  }
}

/** The guest arch the configuration names, else the one of its program's ELF header. */
async function guestArch(config: Record<string, unknown>): Promise<GuestArch | undefined> {
  if (typeof config.arch === 'string' && ARCHES.includes(config.arch)) return config.arch as GuestArch;
  if (typeof config.program !== 'string' || config.program === '') return undefined;
  const cwd = typeof config.cwd === 'string' && config.cwd !== '' ? config.cwd : undefined;
  if (!cwd && !path.isAbsolute(config.program)) return undefined;
  try {
    return (await readElfSummary(path.resolve(cwd ?? '/', config.program))).arch;
  } catch {
    return undefined; // the configuration check reports a bad program
  }
}

/**
 * Fills `gdbPath` and (launch only) `qemuPath` from the settings where the
 * configuration leaves them unset; a configuration's own value always wins. A qemuPath
 * setting that is a directory names the directory of qemu-system-<arch>.
 */
export async function applyToolSettings(config: Record<string, unknown>, settings: ToolSettings): Promise<void> {
  const gdbPath = settings.gdbPath.trim();
  if (unset(config.gdbPath) && gdbPath) config.gdbPath = gdbPath;

  const qemuPath = settings.qemuPath.trim();
  if (config.request !== 'launch' || !unset(config.qemuPath) || !qemuPath) return;
  if (!(await isDirectory(qemuPath))) {
    config.qemuPath = qemuPath;
    return;
  }
  const arch = await guestArch(config);
  // Unknown arch: leave it to the adapter's default (found on PATH by the ELF's arch).
  if (arch) config.qemuPath = path.join(qemuPath, `qemu-system-${arch}`);
}
