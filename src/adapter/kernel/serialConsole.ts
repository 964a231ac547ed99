// The guest's serial console: streamed to the Debug Console, or to a terminal the extension
// opens (custom events), with a backlog so a terminal opened late still shows the boot log.
//
// QEMU writes the UART's output a byte or a few at a time, so a guest printing fast hands us
// tens of thousands of tiny chunks a second. They are coalesced: one event per FLUSH_DELAY_MS
// (or per FLUSH_CHARS), and the backlog is trimmed once per event, not once per chunk.
import { Event, OutputEvent } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';

const BACKLOG_CHARS = 256 * 1024;
/** Short enough that typing in the console feels immediate. */
const FLUSH_DELAY_MS = 10;
const FLUSH_CHARS = 64 * 1024;

export const SERIAL_OUTPUT_EVENT = 'kernelQemu.serialOutput';

export class SerialConsole {
  private backlog = '';
  private toTerminal = false;
  private pending: string[] = [];
  private pendingChars = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly sendEvent: (event: DebugProtocol.Event) => void) {}

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
    this.backlog = this.backlog.length + text.length > BACKLOG_CHARS ? (this.backlog + text).slice(-BACKLOG_CHARS) : this.backlog + text;
    this.sendEvent(this.toTerminal ? new Event(SERIAL_OUTPUT_EVENT, { text }) : new OutputEvent(text, 'console'));
  }

  /** A terminal took over: it gets what was printed so far, and everything from now on. */
  openTerminal(): { backlog: string } {
    this.flush();
    this.toTerminal = true;
    return { backlog: this.backlog };
  }

  closeTerminal(): void {
    this.flush();
    this.toTerminal = false;
  }

  /** The last `chars` of console output (for oops reports and tests). */
  recent(chars = 4096): string {
    return (this.backlog + this.pending.join('')).slice(-chars);
  }
}
