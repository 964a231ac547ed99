// gdb's *stopped reasons -> DAP StoppedEvent reasons, in one table.
import { StoppedEvent } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { MiTuple } from '../mi/records';

export type DapStopReason =
  'step' | 'breakpoint' | 'exception' | 'pause' | 'entry' | 'goto' | 'function breakpoint' | 'data breakpoint' | 'instruction breakpoint';

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
  // Reverse execution ran out of recording (replay sessions: reverse.ts says so).
  'no-history': 'step',
};

export interface StopInfo {
  reason: DapStopReason;
  /** gdb's own words, shown by VS Code next to the reason. */
  description?: string;
  threadId: number | undefined;
  breakpointNumber: string | undefined;
  frame: MiTuple | undefined;
  /** gdb's own reason ("no-history" at the start of a recording, say). */
  gdbReason?: string;
  /** A watchpoint's expression and its value before (old) and at (new) the stop, as gdb reports them. */
  watch?: { expression: string; oldValue: string; newValue: string };
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
  const value = results.optTuple('value');
  const expression = results.optTuple('wpt')?.optStr('exp');
  const watch =
    value && expression !== undefined
      ? { expression, oldValue: value.optStr('old') ?? '?', newValue: value.optStr('new') ?? value.optStr('value') ?? '?' }
      : undefined;
  if (watch && !description) description = `${watch.expression}: ${watch.oldValue} → ${watch.newValue}`;
  return {
    reason,
    ...(description ? { description } : {}),
    ...(gdbReason ? { gdbReason } : {}),
    ...(watch ? { watch } : {}),
    threadId: Number.isFinite(threadId) ? threadId : undefined,
    breakpointNumber: results.optStr('bkptno'),
    frame: results.optTuple('frame'),
  };
}

/** The DAP stopped event of a stop: every vCPU stopped; a condition gdb could not evaluate, or the stop's own words, as its description. */
export function stoppedEventOf(stop: StopInfo, currentThreadId: number, conditionError: string | undefined): DebugProtocol.StoppedEvent {
  const event: DebugProtocol.StoppedEvent = new StoppedEvent(stop.reason, stop.threadId ?? currentThreadId);
  event.body.allThreadsStopped = true;
  if (stop.description ?? conditionError) event.body.description = stop.description ?? conditionError;
  // An exception's text is its description (VS Code's exception widget shows it), not "breakpoint 2".
  if (stop.breakpointNumber && stop.reason !== 'exception') event.body.text = `breakpoint ${stop.breakpointNumber}`;
  return event;
}
