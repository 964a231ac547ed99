// A QEMU monitor socket someone else started (seed 000: `-monitor unix:PATH,server,nowait`,
// or `-qmp unix:PATH,...`): which protocol it speaks is told by its first bytes — QMP greets
// with JSON, HMP with a banner and a `(qemu) ` prompt. HMP commands are lines of text; their
// answer is what QEMU prints up to the next prompt (its readline echo removed).
import * as net from 'node:net';
import { stripVTControlCharacters } from 'node:util';
import { QmpClient } from './qmp';

const PROMPT = '(qemu) ';

export class MonitorError extends Error {}

/** HMP commands over a monitor: through HMP itself, or QMP's human-monitor-command. */
export interface HumanMonitor {
  readonly protocol: 'hmp' | 'qmp';
  /** The QMP client, when the socket speaks QMP (snapshots use its jobs). */
  readonly qmp: QmpClient | undefined;
  command(line: string): Promise<string>;
  close(): void;
}

function firstBytes(path: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(path);
    const timer = setTimeout(
      () =>
        finish(
          new MonitorError(
            `${path} accepted a connection but said nothing within ${timeoutMs / 1000} s: it is not a QEMU monitor (HMP or QMP).`,
          ),
        ),
      timeoutMs,
    );
    const finish = (result: string | Error) => {
      clearTimeout(timer);
      socket.destroy();
      if (typeof result === 'string') resolve(result);
      else reject(result);
    };
    socket.setEncoding('utf8');
    socket.once('data', (chunk: string) => finish(chunk));
    socket.once('error', (error: NodeJS.ErrnoException) =>
      finish(
        new MonitorError(
          error.code === 'ENOENT'
            ? `No monitor socket at ${path}: is QEMU running with -monitor unix:${path},server,nowait (or -qmp unix:...)?`
            : `Cannot connect to the monitor ${path}: ${error.message}`,
        ),
      ),
    );
  });
}

class HmpMonitor implements HumanMonitor {
  readonly protocol = 'hmp';
  readonly qmp = undefined;
  private buffer = '';
  private waiter: { resolve: (text: string) => void; reject: (error: Error) => void } | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      this.deliver();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.waiter?.reject(new MonitorError('The QEMU monitor closed the connection (QEMU exited?).'));
      this.waiter = undefined;
    });
  }

  /** A complete answer (everything up to the prompt) goes to whoever waits for it. */
  private deliver(): void {
    if (!this.waiter || !this.buffer.endsWith(PROMPT)) return;
    const text = this.buffer.slice(0, -PROMPT.length);
    this.buffer = '';
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter.resolve(text);
  }

  /** Reads up to the banner's prompt. */
  async ready(): Promise<void> {
    await this.untilPrompt(() => undefined);
  }

  private untilPrompt(send: () => void, timeoutMs = 60_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new MonitorError(`The QEMU monitor did not answer within ${timeoutMs / 1000} s.`)), timeoutMs);
      this.waiter = {
        resolve: (text) => {
          clearTimeout(timer);
          resolve(text);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      send();
      this.deliver();
    });
  }

  command(line: string): Promise<string> {
    if (/[\r\n]/.test(line)) return Promise.reject(new MonitorError('An HMP command is one line.'));
    const run = async () => {
      const raw = await this.untilPrompt(() => this.socket.write(`${line}\n`));
      // QEMU's readline echoes the line (with cursor moves) and ends it with CR LF: the answer follows.
      const answer = raw.slice(raw.indexOf('\n') + 1);
      return stripVTControlCharacters(answer).replace(/\r/g, '').trimEnd();
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  close(): void {
    this.socket.destroy();
  }
}

class QmpMonitor implements HumanMonitor {
  readonly protocol = 'qmp';
  constructor(readonly qmp: QmpClient) {}

  async command(line: string): Promise<string> {
    return (await this.qmp.execute<string>('human-monitor-command', { 'command-line': line })).trimEnd();
  }

  close(): void {
    this.qmp.close();
  }
}

export async function connectMonitor(path: string, timeoutMs = 5000): Promise<HumanMonitor> {
  const greeting = await firstBytes(path, timeoutMs);
  if (greeting.trimStart().startsWith('{')) return new QmpMonitor(await QmpClient.connect(path, timeoutMs));
  if (!/QEMU .*monitor|\(qemu\)/.test(greeting))
    throw new MonitorError(`${path} is not a QEMU monitor: it greeted with ${JSON.stringify(greeting.slice(0, 60))}.`);
  const socket = net.createConnection(path);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const monitor = new HmpMonitor(socket);
  await monitor.ready();
  return monitor;
}
