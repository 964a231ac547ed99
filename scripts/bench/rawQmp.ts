// The floor for VM snapshots: QMP spoken directly on QEMU's socket, a snapshot job started
// and awaited until it concludes. No adapter code involved.
import * as net from 'node:net';

type Message = { return?: unknown; error?: { desc: string }; event?: string; data?: Record<string, unknown>; id?: number; QMP?: unknown };

export class RawQmp {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private readonly eventListeners = new Set<(message: Message) => void>();
  private buffered = '';

  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffered += chunk;
      let newline: number;
      while ((newline = this.buffered.indexOf('\n')) >= 0) {
        const line = this.buffered.slice(0, newline).trim();
        this.buffered = this.buffered.slice(newline + 1);
        if (line) this.onMessage(JSON.parse(line) as Message);
      }
    });
  }

  static async connect(socketPath: string): Promise<RawQmp> {
    const socket = net.createConnection(socketPath);
    const client = new RawQmp(socket);
    const greeting = new Promise<void>((resolve) => {
      const listener = (message: Message) => {
        if (message.QMP) {
          client.eventListeners.delete(listener);
          resolve();
        }
      };
      client.eventListeners.add(listener);
    });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    await greeting;
    await client.execute('qmp_capabilities');
    return client;
  }

  execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.write(`${JSON.stringify({ execute: command, id, ...(args ? { arguments: args } : {}) })}\n`);
    });
  }

  /** snapshot-save / snapshot-load / snapshot-delete as a job, awaited to its end; rejects with QEMU's error. */
  async runJob(command: string, args: Record<string, unknown>): Promise<void> {
    const id = `raw-${command}-${this.nextId}`;
    const concluded = new Promise<void>((resolve) => {
      const listener = (message: Message) => {
        if (message.event === 'JOB_STATUS_CHANGE' && message.data?.id === id && message.data.status === 'concluded') {
          this.eventListeners.delete(listener);
          resolve();
        }
      };
      this.eventListeners.add(listener);
    });
    await this.execute(command, { 'job-id': id, ...args });
    await concluded;
    const jobs = (await this.execute('query-jobs')) as Array<{ id: string; error?: string }>;
    await this.execute('job-dismiss', { id });
    const error = jobs.find((job) => job.id === id)?.error;
    if (error) throw new Error(`${command}: ${error}`);
  }

  close(): void {
    this.socket.destroy();
  }

  private onMessage(message: Message): void {
    if (message.id !== undefined && this.pending.has(message.id)) {
      const pending = this.pending.get(message.id)!;
      this.pending.delete(message.id);
      if (message.error) pending.reject(new Error(message.error.desc));
      else pending.resolve(message.return);
      return;
    }
    for (const listener of [...this.eventListeners]) listener(message);
  }
}
