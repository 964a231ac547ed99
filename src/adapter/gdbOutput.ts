// Which of gdb's unsolicited stream output (text no command of ours asked for) reaches the
// Debug Console. Its log stream carries warnings and errors, and one thing that is neither:
// at every stop gdb's CLI prints the stop's source line, and when the file is not on this
// machine that line becomes `1306\tfs/open.c: No such file or directory.` on the log stream
// (source.c print_source_lines_base), repeated at every stop. Its console stream only repeats
// stops that VS Code shows itself ("Thread 2 hit Breakpoint 1, ...") and source lines.
// When a module's symbols load while stopped at a breakpoint, gdb re-sets that breakpoint's
// locations and then warns, at each command, that the stop's old location is gone: gdb's
// bookkeeping, with nothing for the user to do.
import type { StreamRecord } from '../mi/records';

/** A source line as gdb prints it: line number, a tab, then the text (or the file's error). */
const SOURCE_LINE = /^\d+\t/;
const STALE_STOP_LOCATION = /^warning: location number not found for breakpoint \d+ address /;

export function showsUnsolicited(record: StreamRecord): boolean {
  if (record.type === 'log') return !SOURCE_LINE.test(record.text) && !STALE_STOP_LOCATION.test(record.text);
  return record.type === 'console' && /^(Error in testing (breakpoint )?condition|warning:)/.test(record.text);
}
