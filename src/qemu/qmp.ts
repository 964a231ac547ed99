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

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

export class QmpClient extends EventEmitter<{ event: [QmpEvent]; close: []; trace: [direction: 'in' | 'out', line: string] }> {
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private buffer = '';
  private closed = false;

  private constructor(private readonly socket: net.Socket) {
    super();
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('close', () => this.onClose());
    socket.on('error', () => undefined);
  }

  /** Connects, waiting up to timeoutMs for the socket to appear; stops early when `gaveUp` resolves. */
  static async connect(path: string, timeoutMs: number, gaveUp?: Promise<unknown>): Promise<QmpClient> {
    const deadline = Date.now() + timeoutMs;
    let abandoned = false;
    void gaveUp?.then(() => (abandoned = true));
    for (;;) {
      try {
        const socket = await connectOnce(path);
        const client = new QmpClient(socket);
        await client.waitForGreeting();
        await client.execute('qmp_capabilities');
        return client;
      } catch (error) {
        if (abandoned || Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  }

  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('QMP connection closed'));
    const id = `kq-${this.nextId++}`;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      const line = JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}), id });
      this.emit('trace', 'out', line);
      this.socket.write(line + '\n');
    });
  }

  /** Runs a human monitor command (for what QMP has no command for) and returns its text. */
  humanMonitorCommand(commandLine: string): Promise<string> {
    return this.execute<string>('human-monitor-command', { 'command-line': commandLine });
  }

  close(): void {
    this.socket.destroy();
  }

  private greeting: Promise<void> | undefined;
  private greetingResolve: (() => void) | undefined;

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
      if (!this.greeting) this.waitForGreeting();
      this.greetingResolve?.();
      return;
    }
    if (typeof message.event === 'string') {
      this.emit('event', message as unknown as QmpEvent);
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
    const error = new Error('QMP connection closed (QEMU exited)');
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
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
