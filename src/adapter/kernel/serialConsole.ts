// The guest's serial console: streamed to the Debug Console, or to a terminal the extension
// opens (custom events), with a backlog so a terminal opened late still shows the boot log.
//
// QEMU writes the UART's output a byte or a few at a time, so a guest printing fast hands us
// tens of thousands of tiny chunks a second. They are coalesced: one event per FLUSH_DELAY_MS
// (or per FLUSH_CHARS). The backlog is a list of flushed texts, trimmed by whole texts and
// joined only when read: slicing one 256 KiB string per flush took most of the adapter's time
// in a flood.
import { Event, OutputEvent } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';

const BACKLOG_CHARS = 256 * 1024;
/** Short enough that typing in the console feels immediate. */
const FLUSH_DELAY_MS = 10;
const FLUSH_CHARS = 64 * 1024;

export const SERIAL_OUTPUT_EVENT = 'kernelQemu.serialOutput';

export class SerialConsole {
  private backlog: string[] = [];
  private backlogChars = 0;
  private toTerminal = false;
  private pending: string[] = [];
  private pendingChars = 0;
  private timer: NodeJS.Timeout | undefined;

  /** `watch` sees each flushed text once, after it was sent (the panic detector reads the console there, not per chunk). */
  constructor(
    private readonly sendEvent: (event: DebugProtocol.Event) => void,
    private readonly watch: (text: string) => void = () => undefined,
  ) {}

  output(text: string): void {
    if (!text) return;
    this.pending.push(text);
    this.pendingChars += text.length;
    if (this.pendingChars >= FLUSH_CHARS) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_DELAY_MS);
  }

  /** Sends what is pending now (before a stop or the end is reported, so the output comes first). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pendingChars === 0) return;
    const text = this.pending.join('');
    this.pending = [];
    this.pendingChars = 0;
    this.keep(text);
    this.sendEvent(this.toTerminal ? new Event(SERIAL_OUTPUT_EVENT, { text }) : new OutputEvent(text, 'console'));
    this.watch(text);
  }

  private keep(text: string): void {
    this.backlog.push(text);
    this.backlogChars += text.length;
    while (this.backlog.length > 1 && this.backlogChars - this.backlog[0]!.length >= BACKLOG_CHARS) {
      this.backlogChars -= this.backlog.shift()!.length;
    }
  }

  private backlogText(): string {
    return this.backlog.join('').slice(-BACKLOG_CHARS);
  }

  /** A terminal took over: it gets what was printed so far, and everything from now on. */
  openTerminal(): { backlog: string } {
    this.flush();
    this.toTerminal = true;
    return { backlog: this.backlogText() };
  }

  closeTerminal(): void {
    this.flush();
    this.toTerminal = false;
  }

  /** The last `chars` of console output (for oops reports and tests). */
  recent(chars = 4096): string {
    return (this.backlogText() + this.pending.join('')).slice(-chars);
  }
}
