// The guest's serial console through two FIFOs in the session's private directory: QEMU's
// `-chardev pipe,path=BASE` reads BASE.in (what the user types) and writes BASE.out.
//
// Why not QEMU's stdio: Node hands a child its stdio as a socketpair, and QEMU's UART writes
// one byte per write(). Every byte woke the adapter for a read of a few bytes (about 80 % of a
// core while the guest printed 200 KB/s), and reading less often did not help: a unix socket
// queues each one-byte write as its own buffer and is full after a few hundred, which stalls
// the guest. A FIFO packs the bytes into 64 KiB, so the adapter reads at most once per
// READ_PACE_MS and gets everything printed meanwhile.
import { execFileSync } from 'node:child_process';
import { constants, openSync, rmSync } from 'node:fs';
import { Socket, type OnReadOpts, type SocketConstructorOpts } from 'node:net';
import { StringDecoder } from 'node:string_decoder';

/** Short enough that typed characters echo at once; long enough that a flood is read in large blocks. */
const READ_PACE_MS = 5;
const READ_BUFFER_BYTES = 64 * 1024;

export class SerialPipe {
  private readonly listeners: Array<(text: string) => void> = [];
  private readonly decoder = new StringDecoder('utf8');
  private readonly output: Socket;
  private readonly input: Socket;
  private pacing: NodeJS.Timeout | undefined;

  private constructor(readonly basePath: string) {
    // O_RDWR: the FIFO never reports end-of-file before QEMU opens it or after QEMU exits, and
    // opening does not block waiting for the other end.
    const flags = constants.O_RDWR | constants.O_NONBLOCK;
    const onread: OnReadOpts = {
      buffer: Buffer.alloc(READ_BUFFER_BYTES),
      callback: (bytes, buffer) => this.received(Buffer.from(buffer.buffer, buffer.byteOffset, bytes)),
    };
    // `onread` is a documented constructor option (Node ≥ 12.10) that @types/node lists only for connect().
    const outputOptions: SocketConstructorOpts & { onread: OnReadOpts } = {
      fd: openSync(`${basePath}.out`, flags),
      readable: true,
      writable: false,
      onread,
    };
    this.output = new Socket(outputOptions);
    this.input = new Socket({ fd: openSync(`${basePath}.in`, flags), readable: false, writable: true });
    for (const socket of [this.output, this.input]) socket.on('error', () => undefined); // QEMU gone: the session reports that
  }

  /** Makes the two FIFOs (mode 0600) and opens them; undefined where FIFOs cannot be made (QEMU's stdio is used then). */
  static create(basePath: string): SerialPipe | undefined {
    try {
      for (const fifo of [`${basePath}.in`, `${basePath}.out`]) rmSync(fifo, { force: true }); // a retried start
      execFileSync('mkfifo', ['-m', '600', `${basePath}.in`, `${basePath}.out`], { stdio: 'ignore' });
      return new SerialPipe(basePath);
    } catch {
      return undefined;
    }
  }

  onOutput(listener: (text: string) => void): void {
    this.listeners.push(listener);
  }

  write(text: string): void {
    this.input.write(text);
  }

  close(): void {
    clearTimeout(this.pacing);
    this.output.destroy();
    this.input.destroy();
    for (const fifo of [`${this.basePath}.in`, `${this.basePath}.out`]) rmSync(fifo, { force: true });
  }

  /** Returns false: the socket pauses, and reads again READ_PACE_MS later. */
  private received(bytes: Buffer): boolean {
    const text = this.decoder.write(bytes);
    if (text) for (const listener of this.listeners) listener(text);
    this.pacing ??= setTimeout(() => {
      this.pacing = undefined;
      if (!this.output.destroyed) this.output.resume();
    }, READ_PACE_MS);
    return false;
  }
}
