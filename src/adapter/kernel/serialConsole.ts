// The guest's serial console: streamed to the Debug Console, or to a terminal the extension
// opens (custom events), with a backlog so a terminal opened late still shows the boot log.
import { Event, OutputEvent } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';

const BACKLOG_BYTES = 256 * 1024;

export const SERIAL_OUTPUT_EVENT = 'kernelQemu.serialOutput';

export class SerialConsole {
  private backlog = '';
  private toTerminal = false;

  constructor(private readonly sendEvent: (event: DebugProtocol.Event) => void) {}

  output(text: string): void {
    this.backlog = (this.backlog + text).slice(-BACKLOG_BYTES);
    this.sendEvent(this.toTerminal ? new Event(SERIAL_OUTPUT_EVENT, { text }) : new OutputEvent(text, 'console'));
  }

  /** A terminal took over: it gets what was printed so far, and everything from now on. */
  openTerminal(): { backlog: string } {
    this.toTerminal = true;
    return { backlog: this.backlog };
  }

  closeTerminal(): void {
    this.toTerminal = false;
  }

  /** The last `bytes` of console output (for oops reports and tests). */
  recent(bytes = 4096): string {
    return this.backlog.slice(-bytes);
  }
}
