// Are QEMU and gdb installed, and how to install what is missing on this distribution.
// No vscode import: the command in src/extension/prerequisitesCommand.ts shows the result.
import { readFileSync } from 'node:fs';
import { findExecutable } from '../process/which';

export interface PrerequisiteReport {
  found: Array<{ tool: string; path: string }>;
  missing: string[];
  /** A shell command for the user to run (shown, never run for them), when something is missing. */
  installCommand?: string;
}

type Family = 'debian' | 'fedora' | 'arch' | 'suse';

/** Package names per distribution family, for each tool kernel-qemu runs. */
const PACKAGES: Readonly<Record<Family, { install: string; packages: Readonly<Record<string, string>> }>> = {
  debian: {
    install: 'sudo apt-get install -y',
    packages: { 'qemu-system-x86_64': 'qemu-system-x86', 'qemu-system-aarch64': 'qemu-system-arm', gdb: 'gdb-multiarch' },
  },
  fedora: {
    install: 'sudo dnf install -y',
    packages: { 'qemu-system-x86_64': 'qemu-system-x86', 'qemu-system-aarch64': 'qemu-system-aarch64', gdb: 'gdb' },
  },
  arch: {
    install: 'sudo pacman -S --needed',
    packages: { 'qemu-system-x86_64': 'qemu-system-x86', 'qemu-system-aarch64': 'qemu-system-aarch64', gdb: 'gdb' },
  },
  suse: { install: 'sudo zypper install', packages: { 'qemu-system-x86_64': 'qemu-x86', 'qemu-system-aarch64': 'qemu-arm', gdb: 'gdb' } },
};

/** The distribution family from /etc/os-release's ID and ID_LIKE. */
export function distributionFamily(osRelease: string): Family | undefined {
  const field = (key: string) => new RegExp(`^${key}="?([^"\\n]*)"?$`, 'm').exec(osRelease)?.[1] ?? '';
  const ids = `${field('ID')} ${field('ID_LIKE')}`.split(/\s+/);
  if (ids.some((id) => ['debian', 'ubuntu'].includes(id))) return 'debian';
  if (ids.some((id) => ['fedora', 'rhel', 'centos'].includes(id))) return 'fedora';
  if (ids.some((id) => ['arch', 'archlinux'].includes(id))) return 'arch';
  if (ids.some((id) => id.startsWith('suse') || id.startsWith('opensuse'))) return 'suse';
  return undefined;
}

export interface ToolPaths {
  /** kernelQemu.qemuPath: a directory of qemu-system-* binaries, a QEMU binary, or empty. */
  qemuDirectory?: string;
  /** kernelQemu.gdbPath, or empty. */
  gdbPath?: string;
}

/** Checks qemu-system-x86_64, qemu-system-aarch64 and a gdb that debugs both (gdb-multiarch, else gdb). */
export function checkPrerequisites(paths: ToolPaths = {}, osRelease = readOsRelease(), find = findExecutable): PrerequisiteReport {
  const report: PrerequisiteReport = { found: [], missing: [] };
  const setting = paths.qemuDirectory?.replace(/\/$/, '');
  // The setting may name the binary itself: it is the QEMU of its arch (of both, under another name).
  const binary = setting ? find(setting) : undefined;
  const binaryName = binary?.split('/').pop() ?? '';
  for (const qemu of ['qemu-system-x86_64', 'qemu-system-aarch64']) {
    const named = binary !== undefined && (binaryName === qemu || !binaryName.startsWith('qemu-system-'));
    const where = named ? binary : find(setting && !binary ? `${setting}/${qemu}` : qemu);
    if (where) report.found.push({ tool: qemu, path: where });
    else report.missing.push(qemu);
  }
  const gdb = paths.gdbPath ? find(paths.gdbPath) : (find('gdb-multiarch') ?? find('gdb'));
  if (gdb) report.found.push({ tool: 'gdb', path: gdb });
  else report.missing.push('gdb');
  const family = distributionFamily(osRelease);
  if (report.missing.length && family) {
    const { install, packages } = PACKAGES[family];
    report.installCommand = `${install} ${[...new Set(report.missing.map((tool) => packages[tool]!))].join(' ')}`;
  }
  return report;
}

function readOsRelease(): string {
  try {
    return readFileSync('/etc/os-release', 'utf8');
  } catch {
    return '';
  }
}
