// A breakpoint condition gdb could not evaluate: gdb stops as if it held, and says why only on
// its log stream before the *stopped record (gdb 13: "Error in testing breakpoint condition:"
// then the reason; gdb 14 and later: "Error in testing condition for breakpoint 2:" then the
// reason). The stop's description carries it, so the stop does not read as a plain hit.
import type { MiConnection } from '../mi/connection';
import type { StreamRecord } from '../mi/records';

const HEADER = /^Error in testing (?:breakpoint condition|condition for breakpoint (\d+)):\s*$/;

export class ConditionErrorReader {
  private header: { breakpoint: string | undefined } | undefined;
  private error: { breakpoint: string | undefined; reason: string } | undefined;

  feed(record: StreamRecord): void {
    if (record.type !== 'log') return;
    const header = HEADER.exec(record.text);
    if (header) {
      this.header = { breakpoint: header[1] };
      return;
    }
    if (this.header && record.text.trim()) {
      this.error = { breakpoint: this.header.breakpoint, reason: record.text.trim() };
      this.header = undefined;
    }
  }

  /** The target runs again: what was read belonged to the last stop. */
  clear(): void {
    this.header = undefined;
    this.error = undefined;
  }

  /** "condition error: <gdb's reason>" when the stop at `breakpoint` came with one (once). */
  take(breakpoint: string | undefined): string | undefined {
    const error = this.error;
    this.error = undefined;
    if (!error || (error.breakpoint !== undefined && error.breakpoint !== breakpoint)) return undefined;
    return `condition error: ${error.reason}`;
  }
}

/** A reader fed with every stream record of `connection`, cleared at each resume. */
export function readConditionErrors(connection: MiConnection): ConditionErrorReader {
  const reader = new ConditionErrorReader();
  connection.on('stream', (record) => reader.feed(record));
  connection.on('exec', (record) => {
    if (record.asyncClass === 'running') reader.clear();
  });
  return reader;
}
