// The session's log for an editor that keeps one (VS Code's "Kernel QEMU" output channel):
// everything the Debug Console is told, with the QEMU command line quoted for a shell, and at
// trace level (or with `trace: true`) the gdb/MI and QMP traffic, carried as kernelQemu.log
// events. For a client that asked for no log (another editor) it sends nothing, and
// `trace: true` prints the MI traffic to its Debug Console as it always did.
import { Event, OutputEvent } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { KernelTarget } from './kernelTarget';
import { LOG_ARGUMENT, LOG_EVENT, type LogArgument, type LogLevel, type LogLine } from './sessionProtocol';

const LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warning', 'error', 'off'];

/** The log level the launch arguments ask for, or undefined when the client keeps no log. */
export function requestedLog(args: Record<string, unknown>): LogArgument | undefined {
  const value = args[LOG_ARGUMENT];
  if (typeof value !== 'object' || value === null) return undefined;
  const level = (value as Record<string, unknown>).level;
  return { level: LEVELS.includes(level as LogLevel) ? (level as LogLevel) : 'info' };
}

export class SessionLog {
  private level: LogLevel | undefined;
  private trace = false;
  private announced = false;

  constructor(private readonly send: (event: DebugProtocol.Event) => void) {}

  /** A launch or attach starts: what its arguments ask for (the extension's LOG_ARGUMENT, `trace`). */
  configure(args: unknown): void {
    const record = typeof args === 'object' && args !== null ? (args as Record<string, unknown>) : {};
    this.level = requestedLog(record)?.level;
    this.trace = record.trace === true;
  }

  /** Debug Console text; the log has it too. */
  print(text: string): void {
    this.send(new OutputEvent(text, 'console'));
    this.console(text);
  }

  private console(text: string): void {
    if (this.level !== undefined && this.level !== 'off') this.line('info', text);
  }

  /** The channel's level changed (a SET_LOG_LEVEL_REQUEST); ignored for a client with no log. */
  setLevel(level: unknown): void {
    if (this.level !== undefined && LEVELS.includes(level as LogLevel)) this.level = level as LogLevel;
  }

  /** Follows gdb's MI and QEMU's QMP lines for the rest of the session. */
  attach(target: KernelTarget): void {
    if (this.level !== undefined && this.trace && !this.announced) {
      this.announced = true;
      this.print('trace: gdb/MI and QMP traffic goes to the Kernel QEMU output channel (Output view).\n');
    }
    target.mi.on('trace', (direction, line) => this.traffic('gdb', direction, line));
    target.qemu?.qmp.on('trace', (direction, line) => this.traffic('qmp', direction, line));
    target.on('qemuReplaced', (qemu) => qemu.qmp.on('trace', (direction, line) => this.traffic('qmp', direction, line)));
  }

  private traffic(source: 'gdb' | 'qmp', direction: 'in' | 'out', line: string): void {
    const arrow = direction === 'out' ? '→' : '←';
    if (this.level === undefined) {
      if (this.trace && source === 'gdb') this.print(`${arrow} ${line}\n`);
      return;
    }
    // `trace: true` asks for the traffic whatever the channel's level; else only at trace level.
    if (this.trace) this.line('info', `${source} ${arrow} ${line}`);
    else if (this.level === 'trace') this.line('trace', `${source} ${arrow} ${line}`);
  }

  private line(level: LogLine['level'], text: string): void {
    const trimmed = text.replace(/\n$/, '');
    if (trimmed) this.send(new Event(LOG_EVENT, { level, text: trimmed } satisfies LogLine));
  }
}
