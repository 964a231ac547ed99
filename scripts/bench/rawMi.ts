// The floor: a bare gdb/MI script. gdb-multiarch --interpreter=mi3 spawned directly, one MI
// command per step, no adapter, no DAP; result records matched by token with regular
// expressions (no full MI parse), so what is measured is gdb and QEMU themselves.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { peakRssMiB, sleep } from './common';

interface Pending {
  resolve: (line: string) => void;
  reject: (error: Error) => void;
  command: string;
}

export class RawGdb {
  private nextToken = 1;
  private readonly pending = new Map<number, Pending>();
  private stopWaiters: Array<(line: string) => void> = [];
  private buffered = '';
  private readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => this.onData(chunk));
    child.stderr.resume();
    child.stdin.on('error', () => undefined);
    this.exited = new Promise((resolve) =>
      child.once('close', () => {
        for (const pending of this.pending.values()) pending.reject(new Error(`gdb exited during ${pending.command}`));
        this.pending.clear();
        resolve();
      }),
    );
  }

  static start(gdbPath: string): RawGdb {
    return new RawGdb(spawn(gdbPath, ['--interpreter=mi3', '-nx', '-q'], { stdio: 'pipe' }));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get peakRssMiB(): number | undefined {
    return peakRssMiB(this.child.pid);
  }

  /** Sends one MI command; resolves with its result record line, rejects on ^error. */
  send(command: string): Promise<string> {
    const token = this.nextToken++;
    return new Promise((resolve, reject) => {
      this.pending.set(token, { resolve, reject, command });
      this.child.stdin.write(`${token}${command}\n`);
    });
  }

  /** The next *stopped record (call before the command that makes it). */
  nextStop(): Promise<string> {
    return new Promise((resolve) => this.stopWaiters.push(resolve));
  }

  async exit(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.stdin.write('-gdb-exit\n');
    await Promise.race([this.exited, sleep(1500)]);
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  private onData(chunk: string): void {
    this.buffered += chunk;
    let newline: number;
    while ((newline = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, newline).replace(/\r$/, '');
      this.buffered = this.buffered.slice(newline + 1);
      this.onLine(line);
    }
  }

  private onLine(line: string): void {
    const result = /^(\d+)\^(done|running|connected|error|exit)/.exec(line);
    if (result) {
      const token = Number(result[1]);
      const pending = this.pending.get(token);
      if (!pending) return;
      this.pending.delete(token);
      if (result[2] === 'error') pending.reject(new Error(`${pending.command}: ${/msg="((?:[^"\\]|\\.)*)"/.exec(line)?.[1] ?? line}`));
      else pending.resolve(line);
      return;
    }
    if (line.startsWith('*stopped')) {
      const waiters = this.stopWaiters;
      this.stopWaiters = [];
      for (const waiter of waiters) waiter(line);
    }
  }
}

/** A field of an MI record, found by regular expression (`func`, `thread-id`, `value`...). */
export function miField(line: string, name: string): string | undefined {
  return new RegExp(`[,{]${name}="((?:[^"\\\\]|\\\\.)*)"`).exec(line)?.[1];
}

export function miQuote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
