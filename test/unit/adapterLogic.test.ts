import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseHitCondition } from '../../src/adapter/breakpoints';
import { ErrorCode, showsUser } from '../../src/adapter/errors';
import { detectSourceRoot, SourceMapper } from '../../src/adapter/sourceMap';
import { threadName } from '../../src/adapter/stack';
import { mapStop } from '../../src/adapter/stopReasons';
import { parseMiLine } from '../../src/mi/parser';
import { type MiTuple } from '../../src/mi/records';

function results(line: string): MiTuple {
  const record = parseMiLine(line);
  assert.ok(record.type === 'exec' || record.type === 'result', `not a record: ${line}`);
  return record.results;
}

test('stop reasons: breakpoint, step, watchpoint, pause vs a real signal', () => {
  assert.equal(mapStop(results('*stopped,reason="breakpoint-hit",bkptno="3",thread-id="2"'), false).reason, 'breakpoint');
  assert.equal(mapStop(results('*stopped,reason="breakpoint-hit",bkptno="3",thread-id="2"'), false).threadId, 2);
  assert.equal(mapStop(results('*stopped,reason="end-stepping-range",thread-id="1"'), false).reason, 'step');
  assert.equal(mapStop(results('*stopped,reason="watchpoint-trigger",thread-id="1"'), false).reason, 'data breakpoint');
  assert.equal(mapStop(results('*stopped,reason="signal-received",signal-name="SIGINT",thread-id="1"'), true).reason, 'pause');
  const trap = mapStop(results('*stopped,reason="signal-received",signal-name="SIGSEGV",signal-meaning="Segmentation fault"'), false);
  assert.equal(trap.reason, 'exception');
  assert.equal(trap.description, 'SIGSEGV (Segmentation fault)');
});

test('hit conditions: N and >=N stop from the Nth hit; anything else is refused with a reason', () => {
  assert.deepEqual(parseHitCondition('3'), { ignoreCount: 2 });
  assert.deepEqual(parseHitCondition('>= 5'), { ignoreCount: 4 });
  assert.deepEqual(parseHitCondition(undefined), { ignoreCount: 0 });
  assert.match(parseHitCondition('% 2').error ?? '', /not a number/);
});

test('vCPU threads are named by CPU number', () => {
  assert.equal(threadName(results('^done,x={id="1",target-id="Thread 1.1",details="CPU#0 [running]"}').tuple('x')), 'CPU 0');
  assert.equal(threadName(results('^done,x={id="2",target-id="Thread 1.2",details="CPU#1 [halted ]"}').tuple('x')), 'CPU 1');
  assert.equal(threadName(results('^done,x={id="7",target-id="Thread 7"}').tuple('x')), 'Thread 7');
});

test('source mapping: explicit map both ways, and sourceRoot found by path suffix', () => {
  const exists = new Set(['/src/linux/init/main.c']);
  const mapper = new SourceMapper({ '/build/reproducible-path/linux-6.1.176': '/home/me/linux' }, '/src/linux', (file) => exists.has(file));
  assert.equal(mapper.toLocal('/build/reproducible-path/linux-6.1.176/init/main.c'), '/home/me/linux/init/main.c');
  assert.equal(mapper.toDebugger('/home/me/linux/fs/open.c'), '/build/reproducible-path/linux-6.1.176/fs/open.c');
  const byRoot = new SourceMapper({}, '/src/linux', (file) => exists.has(file));
  assert.equal(byRoot.toLocal('/build/reproducible-path/linux-6.1.176/init/main.c'), '/src/linux/init/main.c');
  assert.equal(byRoot.toDebugger('/src/linux/init/main.c'), 'init/main.c');
  assert.equal(byRoot.toLocal('/elsewhere/x.c'), '/elsewhere/x.c');
});

test('the source tree is found without configuration: beside vmlinux, the workspace, or buildroot output/build/linux-*', () => {
  const files = new Set(['/tree/init/main.c', '/ws/init/main.c', '/br/output/build/linux-6.1.44/init/main.c']);
  const exists = (file: string) => files.has(file);
  const list = (dir: string) => (dir === '/br/output/build' ? ['linux-headers-6.1.44', 'linux-6.1.44', 'busybox-1.36'] : []);
  assert.equal(detectSourceRoot('/ws', '/tree/vmlinux', exists, list), '/tree');
  assert.equal(detectSourceRoot('/ws', '/elsewhere/vmlinux', exists, list), '/ws');
  assert.equal(detectSourceRoot('/br', '/br/output/images/vmlinux', exists, list), '/br/output/build/linux-6.1.44');
  assert.equal(detectSourceRoot(undefined, '/nowhere/vmlinux', exists, list), undefined);
});

test('a stale frame or variables reference is answered without a notification; other user errors are shown', () => {
  // VS Code asks for the scopes of the frame it focused before a step right after the stop (seen in test/ui).
  assert.equal(showsUser(ErrorCode.UnknownReference), false);
  assert.equal(showsUser(ErrorCode.ProgramMissing), true);
  assert.equal(showsUser(ErrorCode.NotStopped), true);
});

test('a stop whose handling fails part way is still shown, as gdb reported it, with the reason in the console', async () => {
  const { EventEmitter: Emitter } = await import('node:events');
  const { parseMiLine } = await import('../../src/mi/parser');
  const { RunControl } = await import('../../src/adapter/runControl');
  const mi = new Emitter();
  const breakpoints = {
    logMessageFor: () => {
      throw new Error('gdb refused the read');
    },
  };
  const run = new RunControl(mi as never, breakpoints as never);
  const output: string[] = [];
  run.on('output', (text) => output.push(text));
  const stopped = new Promise<{ reason: string; threadId?: number }>((resolve) => run.on('stopped', resolve));
  mi.emit(
    'exec',
    parseMiLine(
      '*stopped,reason="breakpoint-hit",disp="keep",bkptno="3",frame={addr="0xffffffff81000000",func="do_sys_openat2"},thread-id="2",stopped-threads="all"',
    ),
  );
  const stop = await stopped;
  assert.equal(stop.reason, 'breakpoint');
  assert.equal(stop.threadId, 2);
  assert.match(output.join(''), /could not finish handling a stop \(gdb refused the read\)/);
});

test('two continues at once send one -exec-continue; a step sent while they go is refused as "running"; the kernel stays marked running', async () => {
  const { EventEmitter: Emitter } = await import('node:events');
  const { RunControl } = await import('../../src/adapter/runControl');
  const sent: string[] = [];
  // gdb answers ^running a little later, as it does; a second resume would get its refusal.
  const mi = Object.assign(new Emitter(), {
    send: async (command: { text?: string } | string) => {
      const text = typeof command === 'string' ? command : JSON.stringify(command);
      sent.push(text);
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (sent.filter((line) => /exec-(continue|next|step|finish)/.test(line)).length > 1)
        throw new Error('Cannot execute this command while the selected thread is running.');
      return { results: {} };
    },
  });
  const run = new RunControl(mi as never, {} as never);
  run.markConfigured();
  const [first, second] = await Promise.allSettled([run.continue(), run.continue()]);
  assert.equal(first.status, 'fulfilled', first.status === 'rejected' ? String(first.reason) : '');
  assert.equal(second.status, 'fulfilled', 'the second continue is a no-op: the kernel runs, as asked');
  assert.equal(sent.filter((line) => /exec-continue/.test(line)).length, 1, sent.join('\n'));
  assert.equal(run.isRunning, true);
  await assert.rejects(run.step('next', 1), /The kernel is running: pause it first/);
  assert.equal(run.isRunning, true, 'a refused step leaves the kernel marked running');
});

test('Step Over and Step Into where gdb has no line range step one instruction instead, and say so; other refusals stay errors', async () => {
  const { EventEmitter: Emitter } = await import('node:events');
  const { MiCommandError } = await import('../../src/mi/connection');
  const { RunControl } = await import('../../src/adapter/runControl');
  const sent: string[] = [];
  // gdb 13 in a function without line information (an assembly entry, an address outside any symbol).
  const mi = Object.assign(new Emitter(), {
    send: async (command: { text: string }) => {
      sent.push(command.text);
      if (/-exec-(next|step) /.test(command.text)) throw new MiCommandError('Cannot find bounds of current function', command.text);
      if (/-exec-finish/.test(command.text)) throw new MiCommandError('"finish" not meaningful in the outermost frame.', command.text);
      return { results: {} };
    },
  });
  const run = new RunControl(mi as never, {} as never);
  run.markConfigured();
  const output: string[] = [];
  run.on('output', (text) => output.push(text));
  await run.step('next', 1);
  assert.deepEqual(
    sent.filter((line) => line.startsWith('-exec')),
    ['-exec-next --thread 1', '-exec-next-instruction --thread 1'],
  );
  assert.equal(run.isRunning, true, 'the instruction step runs');
  assert.match(output.join(''), /No line information at this address: Step Over went one instruction/);
  // Its stop, then Step Into the same way.
  mi.emit(
    'exec',
    (await import('../../src/mi/parser')).parseMiLine(
      '*stopped,reason="end-stepping-range",frame={addr="0xffffffff81e00010"},thread-id="1"',
    ),
  );
  await new Promise((resolve) => setImmediate(resolve));
  sent.length = 0;
  await run.step('stepIn', 1);
  assert.deepEqual(
    sent.filter((line) => line.startsWith('-exec')),
    ['-exec-step --thread 1', '-exec-step-instruction --thread 1'],
  );
  assert.match(output.join(''), /No line information at 0xffffffff81e00010: Step Into went one instruction/);
  mi.emit(
    'exec',
    (await import('../../src/mi/parser')).parseMiLine(
      '*stopped,reason="end-stepping-range",frame={addr="0xffffffff81e00014"},thread-id="1"',
    ),
  );
  await new Promise((resolve) => setImmediate(resolve));
  await assert.rejects(run.step('stepOut', 1), /not meaningful in the outermost frame/);
  assert.equal(run.isRunning, false);
});

test("an error no handler named: gdb's bad thread id is a stale reference, another gdb refusal GdbCommandFailed, gdb gone GdbExited, a bug stays Internal", async () => {
  const { MiCommandError, MiConnectionClosedError } = await import('../../src/mi/connection');
  const { namedErrorOf } = await import('../../src/adapter/errors');
  const thread = namedErrorOf(new MiCommandError('Invalid thread id: 999999', '-stack-list-frames --thread 999999 0 20'));
  assert.equal(thread?.code, ErrorCode.UnknownReference);
  assert.match(thread?.message ?? '', /Unknown threadId 999999/);
  const refused = namedErrorOf(new MiCommandError('No symbol "nope" in current context.', '-data-evaluate-expression nope'));
  assert.equal(refused?.code, ErrorCode.GdbCommandFailed);
  assert.equal(refused?.message, 'gdb refused -data-evaluate-expression: No symbol "nope" in current context.');
  assert.equal(namedErrorOf(new MiConnectionClosedError('gdb exited (code 1)'))?.code, ErrorCode.GdbExited);
  assert.equal(namedErrorOf(new TypeError("Cannot read properties of undefined (reading 'x')")), undefined);
});

test('a silent halt (a breakpoint change) waits for a step on its way to gdb: the step is refused, nothing runs, and no interrupt is sent', async () => {
  const { EventEmitter: Emitter } = await import('node:events');
  const { RunControl } = await import('../../src/adapter/runControl');
  const { MiCommandError } = await import('../../src/mi/connection');
  const sent: string[] = [];
  const mi = Object.assign(new Emitter(), {
    send: async (command: { text: string }) => {
      sent.push(command.text);
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (command.text.startsWith('-exec-next')) throw new MiCommandError('Invalid thread id: 999999', command.text);
      return { results: {} };
    },
  });
  const run = new RunControl(mi as never, {} as never);
  run.markConfigured();
  const step = run.step('next', 999_999);
  step.catch(() => undefined);
  // The step is marked running and sent; gdb's refusal comes 20 ms later.
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(run.isRunning, true);
  const halted = run.haltSilently();
  await assert.rejects(step, /Invalid thread id/);
  assert.equal(await halted, false, 'nothing was running to halt');
  assert.deepEqual(
    sent.filter((text) => text.startsWith('-exec-')),
    ['-exec-next --thread 999999'],
  );
  assert.equal(run.isRunning, false);
});
