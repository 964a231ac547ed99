// Fails the requests that cannot be answered because gdb or QEMU is stopped (SIGSTOP, Ctrl+Z,
// a tracer holding it): without this a request waits forever (gdb stopped: no answer at all;
// QEMU stopped: gdb waits for its stub). A stopped process is seen in /proc (state T or t), so
// the error can name it and what to do; the session itself stays, for a `kill -CONT`. What a
// failed command does once gdb runs it late is undone (undoLateEffects). gdb waits for a
// stopped QEMU without resending its packet (remotetimeout, set in kernelTarget.ts).
import { mi } from '../mi/commands';
import type { MiConnection } from '../mi/connection';
import { isStopped } from '../process/processState';
import { errors } from './errors';

/** A connection whose requests can be waiting: gdb/MI or QMP. */
export interface PendingRequests {
  pendingForMs(now?: number): number | undefined;
  failPending(reason: (request: string) => Error): void;
}

export interface WatchedChannel {
  /** A getter: a channel may not exist yet (QMP while QEMU starts). */
  requests: () => PendingRequests | undefined;
  /** The processes a request on this channel waits for, in the order to blame them (a getter: QEMU starts after gdb). */
  waitsFor: () => ReadonlyArray<{ name: string; pid: number | undefined }>;
  /** The process that reads the channel (gdb for MI), named when it waits for another one. */
  reader: string;
}

const CHECK_MS = 500;
/**
 * A request this old is failed when a process it waits for is stopped; a shorter wait is an
 * ordinary answer (gdb reads task_struct in ~1 s).
 */
const GRACE_MS = 2_000;

export class HangWatch {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly channels: WatchedChannel[],
    private readonly stopped: (pid: number) => boolean = isStopped,
    private readonly checkMs = CHECK_MS,
    private readonly graceMs = GRACE_MS,
  ) {}

  /** Watches gdb's MI and, once it runs, QEMU's QMP: what a session's requests wait for. */
  static forSession(
    gdb: { connection: MiConnection; process: { pid: number | undefined } },
    qemu: () => { qmp: PendingRequests; process: { pid: number | undefined } } | undefined,
  ): HangWatch {
    const gdbProcess = { name: 'gdb', pid: gdb.process.pid };
    const qemuProcess = () => ({ name: 'QEMU', pid: qemu()?.process.pid });
    const watch = new HangWatch([
      { requests: () => gdb.connection, waitsFor: () => [gdbProcess, qemuProcess()], reader: 'gdb' },
      { requests: () => qemu()?.qmp, waitsFor: () => [qemuProcess()], reader: 'QEMU' },
    ]);
    watch.start();
    undoLateEffects(gdb.connection);
    return watch;
  }

  /** Watches one more channel (a pause waiting for its stop). */
  add(channel: WatchedChannel): void {
    this.channels.push(channel);
  }

  start(): void {
    this.stop();
    this.timer = setInterval(() => this.check(), this.checkMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One look at every channel (the timer's work; tests call it directly). */
  check(now = Date.now()): void {
    for (const channel of this.channels) {
      const requests = channel.requests();
      const waited = requests?.pendingForMs(now);
      if (!requests || waited === undefined || waited < this.graceMs) continue;
      const culprit = channel
        .waitsFor()
        .find((process): process is { name: string; pid: number } => process.pid !== undefined && this.stopped(process.pid));
      if (!culprit) continue;
      const via = culprit.name === channel.reader ? undefined : channel.reader;
      requests.failPending((request) => errors.notResponding(culprit, request, via, waited));
    }
  }
}

/**
 * A command failed here may still run once gdb (or QEMU) is continued. What it would leave in
 * gdb behind the adapter's back is undone: a breakpoint the adapter answered as not set would
 * otherwise stop the kernel with no way to remove it; a variable object would leak.
 */
export function undoLateEffects(connection: MiConnection): void {
  connection.on('late', (command, record) => {
    if (record.resultClass !== 'done') return;
    const created = /^-(break-insert|break-watch|var-create)\b/.exec(command.text)?.[1];
    if (created === 'var-create') {
      const name = record.results.optStr('name');
      if (name) void connection.send(mi.varDelete(name)).catch(() => undefined);
      return;
    }
    if (!created) return;
    const point = ['bkpt', 'wpt', 'hw-rwpt', 'hw-awpt'].map((key) => record.results.optTuple(key)).find((tuple) => tuple !== undefined);
    const number = point?.optStr('number');
    if (number) void connection.send(mi.breakDelete([number])).catch(() => undefined);
  });
}
