#!/usr/bin/env node
// A gdb that replays a recorded MI transcript (recordingGdb.mjs wrote it): the fast tests run
// the real adapter session against it, no QEMU and no kernel. For each command it gets, it
// answers with what the real gdb printed for the first not yet replayed command of the same
// text (its token put in place of the recorded one); a command never recorded, or recorded
// without an answer (sent as the recorded session ended), gets an ^error naming it, so a test
// fails on it instead of hanging.
//   --kq-transcript FILE   the transcript (">" lines sent to gdb, "<" lines gdb printed)
//   --kq-subst NAME=VALUE  $NAME in the transcript stands for VALUE (paths of the recording)
//   --kq-wild NAME         $NAME stands for whatever the session sends there (a runtime directory
//                          made per session): bound at its first command, put in answers after
//   --kq-log FILE          appends gdb's argv, then each command and whether it was found
import { appendFileSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const args = process.argv.slice(2);
const values = (name) => {
  const found = [];
  for (let at = args.indexOf(name); at >= 0; at = args.indexOf(name, at + 1)) found.push(args[at + 1]);
  return found;
};
const [transcriptFile] = values('--kq-transcript');
if (!transcriptFile) throw new Error('scriptedGdb: --kq-transcript FILE is required');
const [logFile] = values('--kq-log');
const substitutions = values('--kq-subst').map((pair) => {
  const equals = pair.indexOf('=');
  return [`$${pair.slice(0, equals)}`, pair.slice(equals + 1)];
});
const expand = (text) => substitutions.reduce((done, [name, value]) => done.split(name).join(value), text);
const wild = values('--kq-wild').map((name) => `$${name}`);
/** Values the wildcards took in this session's commands. */
const bound = new Map();
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Whether `command` is the recorded one, binding the wildcards it holds. */
function matches(recorded, command) {
  if (!wild.some((name) => recorded.includes(name))) return recorded === command;
  const names = [];
  const source = recorded.split(/(\$[A-Z_]+)/).map((part) => {
    if (!wild.includes(part)) return escape(part);
    if (bound.has(part)) return escape(bound.get(part));
    names.push(part);
    return '(\\S+?)';
  });
  const found = new RegExp(`^${source.join('')}$`).exec(command);
  if (!found) return false;
  names.forEach((name, at) => bound.set(name, found[at + 1]));
  return true;
}
const withBound = (line) => [...bound].reduce((done, [name, value]) => done.split(name).join(value), line);
const PROMPT = '(gdb) ';
/** After the first prompt of an answer come async records (a *stopped after ^running): they follow a little later, as from gdb. */
const ASYNC_DELAY_MS = 15;

/**
 * Each exchange: a command without its token, the recorded token, what gdb printed for it up to
 * and including the prompt after its result record (`now`), and the async records it printed
 * after that prompt before the adapter's next command (`later`: a *stopped after ^running).
 * Commands can be pipelined: output before a result record belongs to that result's command,
 * and so does stream output after an earlier command's prompt while a command sent before it
 * has no result yet (gdb runs them in order: it is that command's console output).
 */
const exchanges = [];
const byToken = new Map();
const banner = [];
let pending = [];
let last; // the exchange whose result record came last
let state = 'banner'; // banner | buffering | result (before its prompt) | trailing
for (const raw of readFileSync(transcriptFile, 'utf8').split('\n')) {
  if (raw.startsWith('> ')) {
    const [, token = '', command = ''] = /^(\d*)(.*)$/.exec(expand(raw.slice(2))) ?? [];
    const exchange = { token, command, now: [], later: [], used: false, prompted: false, answered: false };
    exchanges.push(exchange);
    byToken.set(token, exchange);
    state = 'buffering';
    continue;
  }
  if (!raw.startsWith('< ')) continue;
  const line = expand(raw.slice(2));
  const result = /^(\d+)\^/.exec(line);
  if (state === 'banner') banner.push(line);
  else if (result && byToken.has(result[1])) {
    last = byToken.get(result[1]);
    last.answered = true;
    last.now.push(...pending, line);
    pending = [];
    state = 'result';
  } else if (line === PROMPT && last && !last.prompted) {
    last.now.push(line);
    last.prompted = true;
    state = 'trailing';
  } else if (state === 'result') last.now.push(line);
  else if (state === 'trailing' && /^[~@&]/.test(line) && exchanges.some((exchange) => !exchange.answered)) pending.push(line);
  else if (state === 'trailing') last.later.push(line);
  else pending.push(line);
}

const write = (line) => process.stdout.write(`${line}\n`);
const log = (text) => logFile && appendFileSync(logFile, `${text}\n`);

function answer(exchange, token) {
  const retoken = (line) =>
    exchange.token && line.startsWith(`${exchange.token}^`) ? `${token}${line.slice(exchange.token.length)}` : line;
  exchange.now.map(retoken).map(withBound).forEach(write);
  if (exchange.later.length) setTimeout(() => exchange.later.map(withBound).forEach(write), ASYNC_DELAY_MS);
}

log(
  `argv ${JSON.stringify(process.argv.slice(2).filter((_, at, all) => !all[at]?.startsWith('--kq-') && !all[at - 1]?.startsWith('--kq-')))}`,
);
banner.forEach(write);
createInterface({ input: process.stdin }).on('line', (line) => {
  const [, token = '', command = ''] = /^(\d*)(.*)$/.exec(line) ?? [];
  if (command === '-gdb-exit') {
    write(`${token}^exit`);
    process.exit(0);
  }
  const exchange = exchanges.find((candidate) => !candidate.used && matches(candidate.command, command));
  log(`${exchange ? 'replayed' : 'MISSING '} ${command}`);
  // Sent in the recording but never answered there (the recorded session ended first): an
  // ^error too, so a session that waits for it fails instead of hanging.
  if (!exchange || !exchange.answered) {
    if (exchange) exchange.used = true;
    const why = exchange ? 'the recording has no answer for' : 'no recorded answer for';
    write(`${token}^error,msg="scripted gdb: ${why} ${command.replace(/["\\]/g, '\\$&')}"`);
    write(PROMPT);
    return;
  }
  exchange.used = true;
  answer(exchange, token);
});
process.stdin.on('end', () => process.exit(0));
