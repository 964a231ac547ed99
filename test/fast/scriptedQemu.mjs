#!/usr/bin/env node
// Stands in for qemu-system-* in the fast launch tests: no guest runs. It listens where the
// adapter's argv says (QMP and the gdb stub, unix sockets), greets on QMP, answers each QMP
// command with an empty return (and `quit` by exiting), and logs the commands to --kq-log.
// gdb itself is scriptedGdb.mjs, which never connects to the stub.
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';

const args = process.argv.slice(2);
const logAt = args.indexOf('--kq-log');
const logFile = logAt >= 0 ? args[logAt + 1] : undefined;
const log = (text) => logFile && appendFileSync(logFile, `${text}\n`);
log(`argv ${JSON.stringify(args.filter((_, at) => at !== logAt && at !== logAt + 1))}`);

/** The value of `-flag`'s option `key=` (QEMU's `a,b=c,path=P` option syntax). */
function socketPath(flag, prefix) {
  for (let at = args.indexOf(flag); at >= 0; at = args.indexOf(flag, at + 1)) {
    const value = args[at + 1] ?? '';
    if (!value.startsWith(prefix)) continue;
    const path = value.slice(prefix.length).split(',')[0];
    if (path) return path;
  }
  throw new Error(`scriptedQemu: no ${flag} ${prefix}PATH in ${args.join(' ')}`);
}

const qmpPath = socketPath('-qmp', 'unix:');
const stubPath = socketPath('-chardev', 'socket,id=gdbstub,path=');
createServer(() => undefined).listen(stubPath);
createServer((socket) => {
  socket.write(
    `${JSON.stringify({ QMP: { version: { qemu: { major: 7, minor: 2, micro: 0 }, package: 'scripted' }, capabilities: ['oob'] } })}\r\n`,
  );
  createInterface({ input: socket }).on('line', (line) => {
    const command = JSON.parse(line);
    log(`qmp ${command.execute}`);
    socket.write(`${JSON.stringify({ return: {}, ...(command.id === undefined ? {} : { id: command.id }) })}\r\n`);
    if (command.execute === 'quit') setTimeout(() => process.exit(0), 10);
  });
}).listen(qmpPath);
process.on('SIGTERM', () => process.exit(0));
