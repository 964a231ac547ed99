#!/usr/bin/env node
// Stands in for gdb while a fast-test transcript is recorded (scripts/record-mi-transcript.ts):
// runs the real gdb with the same arguments and writes every MI line it was sent ("> ") and
// printed ("< ") to the file named by --kq-record, in order.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';

const args = process.argv.slice(2);
const option = (name) => {
  const at = args.indexOf(name);
  if (at < 0 || at + 1 >= args.length) throw new Error(`recordingGdb: ${name} FILE is required`);
  const [, value] = args.splice(at, 2);
  return value;
};
const file = option('--kq-record');
const realGdb = option('--kq-gdb');
const out = createWriteStream(file, { flags: 'a' });
const gdb = spawn(realGdb, args, { stdio: ['pipe', 'pipe', 'inherit'] });
createInterface({ input: process.stdin }).on('line', (line) => {
  out.write(`> ${line}\n`);
  gdb.stdin.write(`${line}\n`);
});
process.stdin.on('end', () => gdb.stdin.end());
createInterface({ input: gdb.stdout }).on('line', (line) => {
  out.write(`< ${line}\n`);
  process.stdout.write(`${line}\n`);
});
gdb.on('exit', (code, signal) => out.end(() => process.exit(code ?? (signal ? 1 : 0))));
