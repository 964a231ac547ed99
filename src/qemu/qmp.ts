// A QMP client over QEMU's private unix socket: JSON commands with ids, events, and
// a connect that waits for QEMU to be listening (no sleeps, no race with start-up).
import { EventEmitter } from 'node:events';
import * as net from 'node:net';

export class QmpError extends Error {
  constructor(
    message: string,
    readonly errorClass: string,
  ) {
    super(message);
    this.name = 'QmpError';
  }
}

export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
  timestamp?: { seconds: number; microseconds: number };
}

/** The QMP connection is gone (QEMU exited, or its monitor closed the connection): nothing more can be asked. */
export class QmpClosedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QmpClosedError';
  }
}

/** An event waited for (QmpClient.awaitEvent); cancel() when it no longer matters. */
export interface EventWait {
  event: Promise<QmpEvent>;
  cancel(): void;
}

interface Pending {
  /** The command, or the event waited for. */
  what: string;
  sentAt: number;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

export class QmpClient extends EventEmitter<{ event: [QmpEvent]; close: []; trace: [direction: 'in' | 'out', line: string] }> {
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  /** Events waited for (awaitEvent), by a key of their own. */
  private readonly waiters = new Map<string, Pending & { matches: (event: QmpEvent) => boolean }>();
  private nextWaiter = 1;
  private buffer = '';
  private closed = false;

  private constructor(private readonly socket: net.Socket) {
    super();
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('close', () => this.onClose());
    socket.on('error', () => undefined);
  }

  /**
   * Connects, waiting up to timeoutMs for the socket to appear and QEMU to greet; stops early
   * when `gaveUp` resolves. A QEMU stopped once it listens accepts the connection and says
   * nothing: that wait is bounded too.
   */
  static async connect(path: string, timeoutMs: number, gaveUp?: Promise<unknown>): Promise<QmpClient> {
    const deadline = Date.now() + timeoutMs;
    let abandoned = false;
    const givenUp = gaveUp?.then(() => {
      abandoned = true;
      throw new Error('stopped waiting for QMP');
    });
    givenUp?.catch(() => undefined);
    for (;;) {
      const made: { client?: QmpClient; lost?: boolean } = {};
      const attempt = (async () => {
        made.client = new QmpClient(await connectOnce(path));
        if (made.lost) made.client.close(); // the race below ended while it connected
        await made.client.handshake();
        return made.client;
      })();
      attempt.catch(() => undefined); // raced below; a lost attempt's client is closed there
      try {
        return await beforeDeadline(attempt, deadline, givenUp);
      } catch (error) {
        made.lost = true;
        made.client?.close();
        if (abandoned || Date.now() >= deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  }

  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    if (this.closed) return Promise.reject(this.closedError());
    const id = `kq-${this.nextId++}`;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { what: command, sentAt: Date.now(), resolve: resolve as (value: unknown) => void, reject });
      const line = JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}), id });
      this.emit('trace', 'out', line);
      this.socket.write(line + '\n');
    });
  }

  /** Runs a human monitor command (for what QMP has no command for) and returns its text. */
  humanMonitorCommand(commandLine: string): Promise<string> {
    return this.execute<string>('human-monitor-command', { 'command-line': commandLine });
  }

  /** The first event that `matches` from now on; rejects like a command when the connection closes or failPending runs. */
  awaitEvent(what: string, matches: (event: QmpEvent) => boolean): EventWait {
    const key = `w-${this.nextWaiter++}`;
    const event = this.closed
      ? Promise.reject(this.closedError())
      : new Promise<QmpEvent>((resolve, reject) => {
          this.waiters.set(key, { what, sentAt: Date.now(), matches, resolve: resolve as (value: unknown) => void, reject });
        });
    event.catch(() => undefined); // awaited by the caller, or cancelled
    return { event, cancel: () => void this.waiters.delete(key) };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** How long the oldest unanswered command (or awaited event) has waited, or undefined when none waits. */
  pendingForMs(now = Date.now()): number | undefined {
    let oldest: number | undefined;
    for (const entry of [...this.pending.values(), ...this.waiters.values()]) oldest = Math.min(oldest ?? entry.sentAt, entry.sentAt);
    return oldest === undefined ? undefined : now - oldest;
  }

  /** Fails every command and event wait now with `reason(what)` (QEMU cannot answer: it is stopped). */
  failPending(reason: (what: string) => Error): void {
    for (const entry of [...this.pending.values(), ...this.waiters.values()]) entry.reject(reason(entry.what));
    this.pending.clear();
    this.waiters.clear();
  }

  close(): void {
    this.socket.destroy();
  }

  private closedError(): QmpClosedError {
    return new QmpClosedError(this.closeReason ?? 'the QMP connection is closed');
  }

  private closeReason: string | undefined;

  private greeting: Promise<void> | undefined;
  private greetingResolve: (() => void) | undefined;

  private async handshake(): Promise<void> {
    await this.waitForGreeting();
    await this.execute('qmp_capabilities');
  }

  private waitForGreeting(): Promise<void> {
    this.greeting ??= new Promise<void>((resolve, reject) => {
      this.greetingResolve = resolve;
      this.socket.once('close', () => reject(new Error('QMP closed before its greeting')));
    });
    return this.greeting;
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let newline: number;
    while ((newline = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, newline).trim();
      this.buffer = this.buffer.slice(newline + 1);
      if (!line) continue;
      this.emit('trace', 'in', line);
      this.onMessage(line);
    }
  }

  private onMessage(line: string): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    if ('QMP' in message) {
      if (!this.greeting) void this.waitForGreeting();
      this.greetingResolve?.();
      return;
    }
    if (typeof message.event === 'string') {
      const event = message as unknown as QmpEvent;
      for (const [key, waiter] of this.waiters) {
        if (!waiter.matches(event)) continue;
        this.waiters.delete(key);
        waiter.resolve(event);
      }
      this.emit('event', event);
      return;
    }
    const id = typeof message.id === 'string' ? message.id : undefined;
    const pending = id === undefined ? undefined : this.pending.get(id);
    if (!pending || id === undefined) return;
    this.pending.delete(id);
    if ('error' in message) {
      const error = message.error as { class?: string; desc?: string };
      pending.reject(new QmpError(error.desc ?? 'QMP error', error.class ?? 'GenericError'));
    } else {
      pending.resolve(message.return);
    }
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = 'QEMU closed the QMP connection (QEMU exited, or its monitor went away)';
    const error = this.closedError();
    this.failPending(() => error);
    this.emit('close');
  }
}

function connectOnce(path: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection({ path });
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error) => {
      socket.destroy();
      reject(error);
    });
  });
}

/** `work`, or a rejection at `deadline` (ms since the epoch) or when `givenUp` rejects. */
function beforeDeadline<T>(work: Promise<T>, deadline: number, givenUp: Promise<never> | undefined): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('QEMU accepted the QMP connection but did not greet')), Math.max(0, deadline - Date.now()));
  });
  return Promise.race([work, late, ...(givenUp ? [givenUp] : [])]).finally(() => clearTimeout(timer));
}
