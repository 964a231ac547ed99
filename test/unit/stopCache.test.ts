// The per-stop read cache: what it may answer itself, and what makes it forget.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { mi, type MiCommand } from '../../src/mi/commands';
import type { MiConnection, MiResult, MiSendHook } from '../../src/mi/connection';
import { classify, isPureExpression, StopCache } from '../../src/adapter/stopCache';

test('pure expressions: reads, casts and comparisons; not assignments, ++/-- or calls', () => {
  for (const pure of [
    'init_task.comm',
    '*(int *)(0xffff888000000000 + 8)',
    '*(char (*)[16])($SP_EL0 + 1864)',
    'a == b',
    'a <= b',
    'x != 0',
    'sizeof(init_task.comm)',
    '"a=b(c)"',
    '(unsigned long)&init_task.pid - (unsigned long)&init_task',
  ]) {
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
function fakeConnection(): {
  connection: MiConnection;
  sent: string[];
  send: (command: MiCommand) => Promise<MiResult>;
  running: () => void;
  stopped: () => void;
} {
  const emitter = new EventEmitter();
  let hook: MiSendHook | undefined;
  const sent: string[] = [];
  const toGdb = (command: MiCommand) => {
    sent.push(command.text);
    return command.text.includes('fails')
      ? Promise.reject(new Error('No symbol'))
      : Promise.resolve({ resultClass: 'done', text: command.text } as unknown as MiResult);
  };
  const connection = Object.assign(emitter, { setSendHook: (next: MiSendHook | undefined) => (hook = next) }) as unknown as MiConnection;
  // Run control's stop handler, registered before the cache (as in a session), reads the new stop at once.
  emitter.on('exec', (record: { asyncClass: string }) => {
    if (record.asyncClass === 'stopped')
      void send(mi.evaluate('mod', { threadId: 1, frameLevel: 0 })).catch(() => sent.push('refused at the stop'));
  });
  const send = (command: MiCommand) => (hook ? hook(command, toGdb) : toGdb(command));
  return {
    connection,
    sent,
    send,
    running: () => emitter.emit('exec', { asyncClass: 'running' }),
    stopped: () => emitter.emit('exec', { asyncClass: 'stopped' }),
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
  gdb.stopped();
  await gdb.send(read);
  assert.equal(gdb.sent.length, 3, "the stop handler's read, then this one asked again");
  await gdb.send(mi.evaluate('jiffies = 0', { threadId: 1, frameLevel: 0 }));
  await gdb.send(read);
  assert.equal(gdb.sent.length, 5, 'an assignment empties the cache');
  const failing = mi.evaluate('fails', { threadId: 1, frameLevel: 0 });
  await assert.rejects(gdb.send(failing));
  await assert.rejects(gdb.send(failing));
  assert.equal(gdb.sent.filter((text) => text.includes('fails')).length, 2, 'an error is not kept');
});

test('once a resume is sent, no read of the target is sent (thread, frame, memory, threads), gdb-only reads are; after the next stop all are', async () => {
  const gdb = fakeConnection();
  new StopCache(gdb.connection);
  const read = mi.evaluate('init_task.pid', { threadId: 1, frameLevel: 0 });
  const frames = mi.stackListFrames(1, 0, 20);
  await gdb.send({ text: '-exec-continue', expect: ['running'] });
  await assert.rejects(gdb.send(read), /runs again: this read belonged to the last stop/);
  await assert.rejects(gdb.send(frames), /runs again: this read belonged to the last stop/);
  // A prefetch's task-name read: no --thread, and still a read of the stop that is gone.
  await assert.rejects(
    gdb.send({ text: '-data-read-memory-bytes "*(unsigned long *)&current_task + 2416" 576', expect: ['done'] }),
    /runs again: this read belonged to the last stop/,
  );
  await assert.rejects(
    gdb.send({ text: '-data-evaluate-expression "sizeof(init_task.comm)"', expect: ['done'] }),
    /runs again: this read belonged to the last stop/,
  );
  await assert.rejects(gdb.send({ text: '-thread-info', expect: ['done'] }), /runs again: this read belonged to the last stop/);
  await gdb.send({ text: '-gdb-show remotetimeout', expect: ['done'] });
  await gdb.send({ text: '-break-list', expect: ['done'] });
  await gdb.send({ text: '-exec-interrupt', expect: ['done'] });
  gdb.running();
  await assert.rejects(gdb.send(read));
  gdb.stopped();
  await gdb.send(read);
  await gdb.send(frames);
  const atStop = mi.evaluate('mod', { threadId: 1, frameLevel: 0 }).text;
  assert.deepEqual(
    gdb.sent,
    ['-exec-continue', '-gdb-show remotetimeout', '-break-list', '-exec-interrupt', atStop, read.text, frames.text],
    "the stop handler's read is sent (the cache knows of the stop first)",
  );
  // A resume gdb refuses leaves the target stopped: its reads go on.
  await assert.rejects(gdb.send({ text: '-exec-continue fails', expect: ['running'] }));
  await gdb.send(mi.evaluate('init_task.comm', { threadId: 1, frameLevel: 0 }));
  assert.equal(gdb.sent.at(-1), mi.evaluate('init_task.comm', { threadId: 1, frameLevel: 0 }).text);
});
