// An argv as one line a POSIX shell reads back as the same argv, so a logged QEMU command
// line can be pasted into a terminal. (QEMU is never started through a shell: this is for
// people only.)

/** Words made only of these need no quotes in sh, bash, zsh or dash. */
const PLAIN = /^[A-Za-z0-9_@%+=:,./-]+$/;

export function shellQuote(word: string): string {
  if (PLAIN.test(word)) return word;
  // Inside single quotes nothing is special but the quote itself: close, escape it, reopen.
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function shellCommand(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}
