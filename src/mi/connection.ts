// Correlates MI commands with their result records by token, checks the result class
// each command expects, and rejects everything pending when gdb goes away.
import { EventEmitter } from 'node:events';
import type { MiCommand } from './commands';
import { parseMiLine } from './parser';
import type { AsyncRecord, MiRecord, MiTuple, ParseErrorRecord, ResultRecord, StreamRecord } from './records';

export class MiCommandError extends Error {
  constructor(
    message: string,
    readonly command: string,
    readonly miCode?: string,
    /** What the command printed before it failed (console, and its log for MiCommand.ownsLog). */
    readonly transcript = '',
  ) {
    super(message);
    this.name = 'MiCommandError';
  }
}

export class MiConnectionClosedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MiConnectionClosedError';
  }
}

export interface MiResult {
  results: MiTuple;
  resultClass: ResultRecord['resultClass'];
  /** Console stream text gdb printed while running this command (CLI output). */
  console: string;
  /** Console text and, for MiCommand.ownsLog, log text, in the order gdb printed them. */
  transcript: string;
}

interface Pending {
  command: MiCommand;
  consoleText: string[];
  transcript: string[];
  resolve: (result: MiResult) => void;
  reject: (error: Error) => void;
  /** Created at the call site so a failure's stack shows who sent the command. */
  callSite: Error;
  sentAt: number;
}

/** In front of gdb (the adapter's per-stop read cache): answers `command`, usually with `toGdb(command)`. */
export type MiSendHook = (command: MiCommand, toGdb: (command: MiCommand) => Promise<MiResult>) => Promise<MiResult>;

export interface MiConnectionEvents {
  exec: [AsyncRecord];
  notify: [AsyncRecord];
  status: [AsyncRecord];
  /** attributed: the text is the output of a command we sent (it comes back in its MiResult or MiCommandError). */
  stream: [StreamRecord, attributed: boolean];
  parseError: [ParseErrorRecord];
  /** The answer to a command failed by failPending, come after all: what it did is in gdb now. */
  late: [command: MiCommand, record: ResultRecord];
  trace: [direction: 'in' | 'out', line: string];
}

export class MiConnection extends EventEmitter<MiConnectionEvents> {
  private nextToken = 1;
  private readonly pending = new Map<number, Pending>();
  /** Commands failed by failPending whose answer has not come yet. */
  private readonly abandoned = new Map<number, MiCommand>();
  private closedError: Error | undefined;

  constructor(private readonly writeLine: (line: string) => void) {
    super();
  }

  get isClosed(): boolean {
    return this.closedError !== undefined;
  }

  private hook: MiSendHook | undefined;

  /** Puts `hook` in front of gdb: it sees every command and may answer one itself. */
  setSendHook(hook: MiSendHook | undefined): void {
    this.hook = hook;
  }

  /** The hook in front of gdb now, to wrap it. */
  get sendHook(): MiSendHook | undefined {
    return this.hook;
  }

  send(command: MiCommand): Promise<MiResult> {
    return this.hook ? this.hook(command, (toSend) => this.sendToGdb(toSend)) : this.sendToGdb(command);
  }

  private sendToGdb(command: MiCommand): Promise<MiResult> {
    const callSite = new Error(command.text);
    if (this.closedError) return Promise.reject(this.closedError);
    const token = this.nextToken++;
    return new Promise<MiResult>((resolve, reject) => {
      this.pending.set(token, { command, consoleText: [], transcript: [], resolve, reject, callSite, sentAt: Date.now() });
      const line = `${token}${command.text}`;
      this.emit('trace', 'out', line);
      try {
        this.writeLine(line);
      } catch (error) {
        this.pending.delete(token);
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  /** Feeds one line of gdb's stdout. */
  handleLine(line: string): void {
    this.emit('trace', 'in', line);
    this.dispatch(parseMiLine(line));
  }

  /** gdb exited or its pipe broke: every pending and future command fails with this reason. */
  close(reason: string): void {
    if (this.closedError) return;
    this.closedError = new MiConnectionClosedError(reason);
    for (const pending of this.pending.values()) pending.reject(this.closedError);
    this.pending.clear();
  }

  /** How long the oldest unanswered command has waited, or undefined when none waits. */
  pendingForMs(now = Date.now()): number | undefined {
    const oldest = this.oldestPending();
    return oldest ? now - oldest.sentAt : undefined;
  }

  /**
   * Fails every command waiting now with `reason(command text)` (gdb cannot answer them: it, or
   * the stub it waits for, is stopped). A late answer to one of them is emitted as 'late' (gdb
   * did it after all); later commands are sent as usual.
   */
  failPending(reason: (command: string) => Error): void {
    for (const [token, pending] of this.pending) {
      this.abandoned.set(token, pending.command);
      pending.reject(withStack(reason(pending.command.text), pending.callSite));
    }
    this.pending.clear();
  }

  private dispatch(record: MiRecord): void {
    switch (record.type) {
      case 'result':
        this.settle(record);
        return;
      case 'exec':
      case 'notify':
      case 'status':
        this.emit(record.type, record);
        return;
      case 'console':
      case 'target':
      case 'log': {
        const oldest = this.oldestPending();
        const owner = record.type === 'console' || (record.type === 'log' && oldest?.command.ownsLog) ? oldest : undefined;
        if (record.type === 'console') owner?.consoleText.push(record.text);
        owner?.transcript.push(record.text);
        this.emit('stream', record, owner !== undefined);
        return;
      }
      case 'parseError':
        this.emit('parseError', record);
        return;
      case 'prompt':
        return;
    }
  }

  private oldestPending(): Pending | undefined {
    return this.pending.values().next().value;
  }

  private settle(record: ResultRecord): void {
    if (record.token === undefined) return;
    const pending = this.pending.get(record.token);
    if (!pending) {
      const late = this.abandoned.get(record.token);
      if (late) {
        this.abandoned.delete(record.token);
        this.emit('late', late, record);
      }
      return;
    }
    this.pending.delete(record.token);
    const { command, callSite } = pending;
    if (record.resultClass === 'error') {
      const message = record.results.optStr('msg') ?? 'gdb reported an error';
      pending.reject(
        withStack(new MiCommandError(message, command.text, record.results.optStr('code'), pending.transcript.join('')), callSite),
      );
    } else if (!command.expect.includes(record.resultClass)) {
      const expected = command.expect.join(' or ');
      pending.reject(
        withStack(
          new MiCommandError(`${command.text}: gdb answered ^${record.resultClass}, expected ^${expected}`, command.text),
          callSite,
        ),
      );
    } else {
      pending.resolve({
        results: record.results,
        resultClass: record.resultClass,
        console: pending.consoleText.join(''),
        transcript: pending.transcript.join(''),
      });
    }
  }
}

function withStack<T extends Error>(error: T, callSite: Error): T {
  error.stack = `${error.name}: ${error.message}\n${(callSite.stack ?? '').split('\n').slice(1).join('\n')}`;
  return error;
}
