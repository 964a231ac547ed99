// Which terminal shows which debug session's serial console. A running session keeps its own;
// once its session has ended a terminal waits (its log can still be read) and the next session
// takes it over, so ended sessions' terminals do not pile up beside the new one's.
// No vscode import: unit-tested with plain objects.

export class TerminalSlots<T> {
  private readonly live = new Map<string, T>();
  private readonly idle: T[] = [];

  /** The terminal of a running session. */
  get(sessionId: string): T | undefined {
    return this.live.get(sessionId);
  }

  /** A terminal for a session that has none: an ended session's when there is one, else `create()`. */
  take(sessionId: string, create: () => T): { terminal: T; reused: boolean } {
    const existing = this.live.get(sessionId);
    if (existing) return { terminal: existing, reused: true };
    const idle = this.idle.shift();
    const terminal = idle ?? create();
    this.live.set(sessionId, terminal);
    return { terminal, reused: idle !== undefined };
  }

  /** The session ended: its terminal (if any) becomes the next session's. */
  end(sessionId: string): T | undefined {
    const terminal = this.live.get(sessionId);
    if (terminal === undefined) return undefined;
    this.live.delete(sessionId);
    this.idle.push(terminal);
    return terminal;
  }

  /** The user closed the terminal: never hand it out again. */
  closed(terminal: T): void {
    for (const [id, candidate] of this.live) if (candidate === terminal) this.live.delete(id);
    const index = this.idle.indexOf(terminal);
    if (index >= 0) this.idle.splice(index, 1);
  }
}
