// The per-stop read cache: what it may answer itself, and what makes it forget.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { mi, type MiCommand } from '../../src/mi/commands';
import type { MiConnection, MiResult, MiSendHook } from '../../src/mi/connection';
import { classify, isPureExpression, StopCache } from '../../src/adapter/stopCache';

test('pure expressions: reads, casts and comparisons; not assignments, ++/-- or calls', () => {
  for (const pure of ['init_task.comm', '*(int *)(0xffff888000000000 + 8)', '*(char (*)[16])($SP_EL0 + 1864)', 'a == b', 'a <= b', 'x != 0', 'sizeof(init_task.comm)', '"a=b(c)"', '(unsigned long)&init_task.pid - (unsigned long)&init_task']) {
    assert.equal(isPureExpression(pure), true, pure);
  }
  for (const changing of ['x = 1', 'x += 1', 'x <<= 2', 'i++', '--i', 'panic("x")', 'strlen(p)', '(u64 (*)[2])x']) {
    assert.equal(isPureExpression(changing), false, changing);
  }
});

test('commands are cached, neutral or changing', () => {
  assert.equal(classify(mi.stackListFrames(1, 0, 20)), 'cached');
  assert.equal(classify(mi.stackListVariables({ threadId: 1, frameLevel: 0 })), 'cached');
  assert.equal(classify(mi.evaluate('init_task.pid', { threadId: 1, frameLevel: 0 })), 'cached');
  assert.equal(classify(mi.evaluate('jiffies = 0', { threadId: 1, frameLevel: 0 })), 'changes');
  assert.equal(classify(mi.consoleCommand('set var jiffies = 0')), 'changes');
  assert.equal(classify({ text: '-exec-continue', expect: ['running'] }), 'changes');
  assert.equal(classify({ text: '-data-read-memory-bytes 0xffffffff81000000 16', expect: ['done'] }), 'neutral');
  assert.equal(classify({ text: '-var-list-children --simple-values var1', expect: ['done'] }), 'neutral');
});

/** A connection stand-in: the hook in front of a gdb that counts what reaches it. */
function fakeConnection(): { connection: MiConnection; sent: string[]; send: (command: MiCommand) => Promise<MiResult>; running: () => void } {
  const emitter = new EventEmitter();
  let hook: MiSendHook | undefined;
  const sent: string[] = [];
  const toGdb = (command: MiCommand) => {
    sent.push(command.text);
    return command.text.includes('fails') ? Promise.reject(new Error('No symbol')) : Promise.resolve({ resultClass: 'done', text: command.text } as unknown as MiResult);
  };
  const connection = Object.assign(emitter, { setSendHook: (next: MiSendHook | undefined) => (hook = next) }) as unknown as MiConnection;
  return {
    connection,
    sent,
    send: (command) => (hook ? hook(command, toGdb) : toGdb(command)),
    running: () => emitter.emit('exec', { asyncClass: 'running' }),
  };
}

test('a read is asked of gdb once per stop; resuming, writes and errors make it ask again', async () => {
  const gdb = fakeConnection();
  new StopCache(gdb.connection);
  const read = mi.evaluate('init_task.pid', { threadId: 1, frameLevel: 0 });
  await gdb.send(read);
  await gdb.send(read);
  assert.equal(gdb.sent.length, 1);
  gdb.running();
  await gdb.send(read);
  assert.equal(gdb.sent.length, 2);
  await gdb.send(mi.evaluate('jiffies = 0', { threadId: 1, frameLevel: 0 }));
  await gdb.send(read);
  assert.equal(gdb.sent.length, 4, 'an assignment empties the cache');
  const failing = mi.evaluate('fails', { threadId: 1, frameLevel: 0 });
  await assert.rejects(gdb.send(failing));
  await assert.rejects(gdb.send(failing));
  assert.equal(gdb.sent.filter((text) => text.includes('fails')).length, 2, 'an error is not kept');
});
