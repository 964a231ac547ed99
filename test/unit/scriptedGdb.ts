// A gdb that answers each command with the next of its recorded MI result lines, and notes what it was sent.
// An ^error line fails the command, as MiConnection does.
import type { MiCommand } from '../../src/mi/commands';
import type { MiConnection, MiResult } from '../../src/mi/connection';
import { parseMiLine } from '../../src/mi/parser';
import type { ResultRecord } from '../../src/mi/records';

export function gdbAnswering(lines: string[]): { connection: MiConnection; sent: string[] } {
  const sent: string[] = [];
  const connection = {
    send(command: MiCommand): Promise<MiResult> {
      sent.push(command.text);
      const line = lines.shift();
      if (line === undefined) return Promise.reject(new Error(`no answer recorded for ${command.text}`));
      const record = parseMiLine(line) as ResultRecord;
      if (record.resultClass === 'error') return Promise.reject(new Error(record.results.optStr('msg') ?? line));
      return Promise.resolve({ results: record.results, resultClass: record.resultClass, console: '', transcript: '' });
    },
  } as unknown as MiConnection;
  return { connection, sent };
}
