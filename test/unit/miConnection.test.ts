import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mi, quote } from '../../src/mi/commands';
import { MiCommandError, MiConnection, MiConnectionClosedError } from '../../src/mi/connection';

function connection(): { conn: MiConnection; sent: string[] } {
  const sent: string[] = [];
  return { conn: new MiConnection((line) => sent.push(line)), sent };
}

test('commands carry tokens and resolve with their own result record', async () => {
  const { conn, sent } = connection();
  const first = conn.send(mi.threadInfo());
  const second = conn.send(mi.listRegisterNames());
  assert.deepEqual(sent, ['1-thread-info', '2-data-list-register-names']);
  conn.handleLine('2^done,register-names=["rax"]');
  conn.handleLine('1^done,threads=[],current-thread-id="1"');
  assert.deepEqual((await second).results.strings('register-names'), ['rax']);
  assert.equal((await first).results.str('current-thread-id'), '1');
});

test("^error rejects with gdb's message; an unexpected result class rejects too", async () => {
  const { conn } = connection();
  const failing = conn.send(mi.breakInsert({ location: 'nope' }));
  conn.handleLine('1^error,msg="Function \\"nope\\" not defined."');
  await assert.rejects(failing, (error: unknown) => error instanceof MiCommandError && error.message === 'Function "nope" not defined.');
  const cont = conn.send(mi.execContinue());
  conn.handleLine('2^done');
  await assert.rejects(cont, /expected \^running/);
});

test('console output printed while a command runs is returned with it', async () => {
  const { conn } = connection();
  const streams: boolean[] = [];
  conn.on('stream', (_record, attributed) => streams.push(attributed));
  const pending = conn.send(mi.consoleCommand('p 1'));
  conn.handleLine('~"$1 = 1\\n"');
  conn.handleLine('1^done');
  assert.equal((await pending).console, '$1 = 1\n');
  conn.handleLine('~"async text"');
  assert.deepEqual(streams, [true, false]);
});

test('a user command owns its log stream: its errors and warnings come back with it, in order, and are not unsolicited', async () => {
  const { conn } = connection();
  const streams: Array<[string, boolean]> = [];
  conn.on('stream', (record, attributed) => streams.push([record.type, attributed]));
  const command = conn.send(mi.userCommand('frame'));
  conn.handleLine('~"#0  f () at a.c:3\n"');
  conn.handleLine('&"3\ta.c: No such file or directory.\n"');
  conn.handleLine('1^done');
  const result = await command;
  assert.equal(result.console, '#0  f () at a.c:3\n');
  assert.equal(result.transcript, '#0  f () at a.c:3\n3\ta.c: No such file or directory.\n');
  const failing = conn.send(mi.userCommand('inof'));
  conn.handleLine('&"Undefined command: \\"inof\\".  Try \\"help\\".\n"');
  conn.handleLine('2^error,msg="Undefined command: \\"inof\\".  Try \\"help\\"."');
  await assert.rejects(
    failing,
    (error: unknown) => error instanceof MiCommandError && error.transcript === 'Undefined command: "inof".  Try "help".\n',
  );
  // Another command's log text stays unsolicited (gdb's own warnings are shown as they come).
  const internal = conn.send(mi.threadInfo());
  conn.handleLine('&"warning: something\n"');
  conn.handleLine('3^done,threads=[]');
  assert.equal((await internal).transcript, '');
  assert.deepEqual(streams, [
    ['console', true],
    ['log', true],
    ['log', true],
    ['log', false],
  ]);
});

test('closing rejects every pending and later command', async () => {
  const { conn } = connection();
  const pending = conn.send(mi.execContinue());
  conn.close('gdb exited with code 1');
  await assert.rejects(pending, MiConnectionClosedError);
  await assert.rejects(conn.send(mi.threadInfo()), /gdb exited with code 1/);
});

test('async records are emitted by kind; parse errors never throw', () => {
  const { conn } = connection();
  const seen: string[] = [];
  conn.on('exec', (record) => seen.push(`exec:${record.asyncClass}`));
  conn.on('notify', (record) => seen.push(`notify:${record.asyncClass}`));
  conn.on('parseError', (record) => seen.push(`error:${record.line}`));
  conn.handleLine('*running,thread-id="all"');
  conn.handleLine('=thread-group-started,id="i1"');
  conn.handleLine('not mi at all');
  conn.handleLine('(gdb)');
  assert.deepEqual(seen, ['exec:running', 'notify:thread-group-started', 'error:not mi at all']);
});

test('parameters are quoted as C strings so spaces, quotes and newlines stay one argument', () => {
  assert.equal(quote('a b"c\\d\ne'), '"a b\\"c\\\\d\\ne"');
  assert.equal(
    mi.breakInsert({ location: 'init/main.c:940', condition: 'x == "a"', ignoreCount: 2, hardware: true }).text,
    '-break-insert -h -c "x == \\"a\\"" -i 2 -- "init/main.c:940"',
  );
});
