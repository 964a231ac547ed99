// What each build target did last: never run, running (since, and what make is at),
// succeeded (in how long) or failed (with the first error). The Builds view shows it; the
// workspace state keeps the finished ones across reloads. No vscode import.
import type { RunResult } from '../../build/runner';

export type BuildStatus =
  | { state: 'idle' }
  | { state: 'running'; startedAt: number; progress?: string }
  | {
      state: 'succeeded';
      finishedAt: number;
      durationMs: number;
      /** Nothing was saved in the tree while it ran: its outputs match the tree as of finishedAt. */ clean?: true;
    }
  | { state: 'failed'; finishedAt: number; durationMs: number; firstError: string; cancelled: boolean };

/** The key of a target of a tree: its directory, target id and defconfig. */
export function buildKey(treeDir: string, target: string, defconfig?: string): string {
  return `${treeDir}#${target}${defconfig ? `:${defconfig}` : ''}`;
}

export class BuildStates {
  private readonly statuses = new Map<string, BuildStatus>();
  private readonly listeners = new Set<(key: string) => void>();

  constructor(saved: Readonly<Record<string, BuildStatus>> = {}) {
    for (const [key, status] of Object.entries(saved)) {
      // A build that was running when the window closed did not finish.
      if (status.state === 'running') continue;
      this.statuses.set(key, status);
    }
  }

  get(key: string): BuildStatus {
    return this.statuses.get(key) ?? { state: 'idle' };
  }

  isRunning(key: string): boolean {
    return this.get(key).state === 'running';
  }

  anyRunning(): boolean {
    return [...this.statuses.values()].some((status) => status.state === 'running');
  }

  start(key: string, now = Date.now()): void {
    this.set(key, { state: 'running', startedAt: now });
  }

  progress(key: string, progress: string): void {
    const status = this.get(key);
    if (status.state === 'running') this.set(key, { ...status, progress });
  }

  finish(
    key: string,
    result: Pick<RunResult, 'ok' | 'cancelled' | 'firstError'> & { durationMs?: number; clean?: boolean },
    now = Date.now(),
  ): void {
    const status = this.get(key);
    const durationMs = result.durationMs ?? (status.state === 'running' ? now - status.startedAt : 0);
    this.set(
      key,
      result.ok
        ? { state: 'succeeded', finishedAt: now, durationMs, ...(result.clean ? { clean: true as const } : {}) }
        : { state: 'failed', finishedAt: now, durationMs, firstError: result.firstError ?? 'failed', cancelled: result.cancelled },
    );
  }

  /** When the target last succeeded with nothing saved in its tree while it ran (what the up-to-date check compares with). */
  builtCleanAt(key: string): number | undefined {
    const status = this.get(key);
    return status.state === 'succeeded' && status.clean ? status.finishedAt : undefined;
  }

  /** Called with the key of every change. */
  onChange(listener: (key: string) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** The finished statuses, for the workspace state. */
  toJSON(): Record<string, BuildStatus> {
    return Object.fromEntries([...this.statuses].filter(([, status]) => status.state !== 'running'));
  }

  private set(key: string, status: BuildStatus): void {
    this.statuses.set(key, status);
    for (const listener of this.listeners) listener(key);
  }
}
