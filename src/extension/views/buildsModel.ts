// What the Builds view says about targets and artifacts: a target's state in a few words
// (never run / running 1m 05s · CC init/main.o / succeeded in 2m 18s / failed: the first
// error), artifact sizes and ages, the doctor's summary. Pure, so it is unit-tested.
import * as path from 'node:path';
import type { Artifact, ArtifactKind } from '../../build/artifacts';
import type { Finding } from '../../build/doctor';
import type { TargetSpec } from '../../build/targets';
import type { BuildStatus } from '../tasks/buildState';

/** "45s", "2m 18s", "1h 04m". */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

/** "just now", "5 min ago", "3 h ago", "2 days ago". */
export function formatAge(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} days ago`;
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 * 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  return `${(bytes / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

/** The description next to a target's name. */
export function targetDescription(status: BuildStatus, now: number): string {
  switch (status.state) {
    case 'idle':
      return 'never run';
    case 'running':
      return `running ${formatDuration(now - status.startedAt)}${status.progress ? ` · ${status.progress}` : ''}`;
    case 'succeeded':
      return `succeeded in ${formatDuration(status.durationMs)} · ${formatAge(now - status.finishedAt)}`;
    case 'failed':
      return status.cancelled ? `cancelled after ${formatDuration(status.durationMs)}` : `failed: ${status.firstError}`;
  }
}

export function targetTooltip(spec: TargetSpec, status: BuildStatus, now: number): string {
  const lines = [`${spec.label}: ${spec.detail}`];
  if (status.state === 'failed' && !status.cancelled) lines.push(`Failed after ${formatDuration(status.durationMs)}: ${status.firstError}`);
  else lines.push(targetDescription(status, now));
  if (spec.interactive) lines.push('Runs in a terminal.');
  return lines.join('\n');
}

/** A codicon per state. */
export function targetIcon(status: BuildStatus, spec: TargetSpec): string {
  switch (status.state) {
    case 'running':
      return 'sync~spin';
    case 'succeeded':
      return 'pass';
    case 'failed':
      return status.cancelled ? 'circle-slash' : 'error';
    case 'idle':
      return spec.interactive ? 'terminal' : spec.group === 'configure' ? 'settings-gear' : 'tools';
  }
}

const ARTIFACT_LABELS: Readonly<Record<ArtifactKind, string>> = {
  vmlinux: 'vmlinux (symbols)',
  kernel: 'kernel image',
  rootfs: 'root file system',
  initrd: 'initramfs',
  gdb: 'cross gdb',
  'gdb-scripts': 'gdb scripts',
  config: 'configuration',
};

export const ARTIFACT_ICONS: Readonly<Record<ArtifactKind, string>> = {
  vmlinux: 'symbol-class',
  kernel: 'chip',
  rootfs: 'database',
  initrd: 'archive',
  gdb: 'debug',
  'gdb-scripts': 'file-code',
  config: 'settings',
};

/** Files opened in an editor; the others (binaries) are revealed instead. */
export function opensInEditor(artifact: Pick<Artifact, 'kind'>): boolean {
  return artifact.kind === 'config' || artifact.kind === 'gdb-scripts';
}

export function artifactLabel(artifact: Artifact): string {
  return path.basename(artifact.path);
}

export function artifactDescription(artifact: Artifact, now: number): string {
  return `${ARTIFACT_LABELS[artifact.kind]} · ${formatSize(artifact.size)} · ${formatAge(now - artifact.mtimeMs)}`;
}

/** "2 errors, 1 warning" / "debug options OK". */
export function doctorSummary(findings: readonly Finding[]): string {
  const count = (severity: Finding['severity']) => findings.filter((finding) => finding.severity === severity).length;
  const parts: string[] = [];
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (count('error')) parts.push(plural(count('error'), 'error'));
  if (count('warning')) parts.push(plural(count('warning'), 'warning'));
  if (count('info')) parts.push(plural(count('info'), 'note'));
  return parts.length ? parts.join(', ') : 'debug options OK';
}
