// gdb's *stopped reasons -> DAP StoppedEvent reasons, in one table.
import type { MiTuple } from '../mi/records';

export type DapStopReason =
  | 'step'
  | 'breakpoint'
  | 'exception'
  | 'pause'
  | 'entry'
  | 'goto'
  | 'function breakpoint'
  | 'data breakpoint'
  | 'instruction breakpoint';

const STOP_REASON_MAP: Readonly<Record<string, DapStopReason>> = {
  'breakpoint-hit': 'breakpoint',
  'watchpoint-trigger': 'data breakpoint',
  'read-watchpoint-trigger': 'data breakpoint',
  'access-watchpoint-trigger': 'data breakpoint',
  'end-stepping-range': 'step',
  'function-finished': 'step',
  'location-reached': 'step',
  'signal-received': 'exception',
  'exception-caught': 'exception',
};

export interface StopInfo {
  reason: DapStopReason;
  /** gdb's own words, shown by VS Code next to the reason. */
  description?: string;
  threadId: number | undefined;
  breakpointNumber: string | undefined;
  frame: MiTuple | undefined;
}

/** Maps a *stopped record; `pauseRequested` turns the SIGINT of -exec-interrupt into 'pause'. */
export function mapStop(results: MiTuple, pauseRequested: boolean): StopInfo {
  const gdbReason = results.optStr('reason');
  const signal = results.optStr('signal-name');
  const threadText = results.optStr('thread-id');
  const threadId = threadText === undefined ? undefined : Number.parseInt(threadText, 10);
  let reason: DapStopReason = gdbReason ? (STOP_REASON_MAP[gdbReason] ?? 'exception') : pauseRequested ? 'pause' : 'step';
  let description: string | undefined;
  if (gdbReason === 'signal-received') {
    if (pauseRequested && (signal === 'SIGINT' || signal === 'SIGTRAP' || signal === '0')) reason = 'pause';
    else description = `${signal ?? 'signal'}${results.optStr('signal-meaning') ? ` (${results.optStr('signal-meaning')})` : ''}`;
  }
  return {
    reason,
    ...(description ? { description } : {}),
    threadId: Number.isFinite(threadId) ? threadId : undefined,
    breakpointNumber: results.optStr('bkptno'),
    frame: results.optTuple('frame'),
  };
}
