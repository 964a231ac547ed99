// What a serial console terminal needs that has nothing to do with VS Code: terminals want
// CRLF, the guest sends LF; the user's Enter is CR, a shell on a serial line wants LF.

/** Guest output -> terminal text: a bare LF becomes CRLF. */
export function toTerminal(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}

/** Terminal keystrokes -> serial input: Enter (CR) becomes LF; everything else passes. */
export function toSerial(keys: string): string {
  return keys.replace(/\r\n?/g, '\n');
}

export interface SerialChannel {
  open(): Promise<{ backlog: string }>;
  send(text: string): Promise<void>;
  close(): Promise<void>;
}

/** One terminal's connection to a session's serial console: backlog first, then live output. */
export class SerialBridge {
  private opened = false;
  private readonly early: string[] = [];

  constructor(
    private readonly channel: SerialChannel,
    private readonly write: (text: string) => void,
  ) {}

  async start(): Promise<void> {
    const { backlog } = await this.channel.open();
    this.write(toTerminal(backlog));
    this.opened = true;
    for (const text of this.early.splice(0)) this.write(toTerminal(text));
  }

  /** Live output event; held until the backlog is written so order is kept. */
  output(text: string): void {
    if (this.opened) this.write(toTerminal(text));
    else this.early.push(text);
  }

  input(keys: string): void {
    void this.channel.send(toSerial(keys)).catch(() => undefined);
  }

  stop(): void {
    void this.channel.close().catch(() => undefined);
  }
}
