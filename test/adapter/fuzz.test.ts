// Fuzz through the real adapter: 500 malformed launch configurations over DAP (each a named
// error, the adapter alive, nothing started), and DAP requests with bad arguments against a
// live session (each answered with an error or a sane body; the session keeps working).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { ErrorCode } from '../../src/adapter/errors';
import { fuzzConfig } from '../unit/configFuzz';
import {
  closeIsolated,
  errorIdOf,
  launchToStop,
  leftoversIn,
  nextEvent,
  processesOf,
  rawRequest,
  startIsolated,
  type IsolatedAdapter,
} from './faultSupport';
import { seededRandom } from './lifecycleCycles';
import { launchConfig, testKernel } from './support';

const CODES = new Set(Object.values(ErrorCode).filter((value) => typeof value === 'number'));

describe('500 malformed launch configurations over DAP', () => {
  let adapter: IsolatedAdapter;
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'kq-fuzz-dap-'));
  before(async () => {
    adapter = await startIsolated();
    await adapter.client.initializeRequest();
  });
  after(async () => {
    await closeIsolated(adapter);
    rmSync(scratch, { recursive: true, force: true });
    rmSync(adapter.tmpdir, { recursive: true, force: true });
  });

  test('each refused with a named error; nothing started; the adapter alive', async () => {
    const kernel = testKernel('x86_64');
    const notElf = path.join(scratch, 'not-elf');
    writeFileSync(notElf, 'MZ');
    const random = seededRandom(500);
    const seen = new Map<number, number>();
    for (let i = 0; i < 500; i++) {
      const { config, faults } = fuzzConfig(random, {
        program: kernel.vmlinux,
        kernel: kernel.kernel,
        initrd: kernel.initrd,
        dir: scratch,
        notElf,
      });
      const what = `case ${i} (${faults.join(', ')}): ${JSON.stringify(config)?.slice(0, 300)}`;
      // Raw DAP: the arguments are whatever the client sent, objects or not.
      const response = await rawRequest(adapter.client, 'launch', config);
      assert.ok(response !== undefined, `no answer: ${what}`);
      assert.equal(response.success, false, `launched: ${what}`);
      assert.ok((response.message ?? '').length > 10, `empty message: ${what}`);
      assert.deepEqual(
        processesOf(adapter.tmpdir).filter((p) => p.pid !== adapter.pid),
        [],
        `something started: ${what}`,
      );
      const id = errorIdOf(response);
      assert.ok(id !== undefined && CODES.has(id), `no ErrorCode (${id}) for ${what}: ${response.message}`);
      seen.set(id, (seen.get(id) ?? 0) + 1);
    }
    assert.deepEqual(leftoversIn(adapter.tmpdir), [], 'no runtime directory was made');
    assert.ok(!adapter.hasExited(), 'the adapter is alive');
    console.log(
      `500 malformed configs over DAP: ${[...seen]
        .sort((a, b) => b[1] - a[1])
        .map(([code, n]) => `${ErrorCode[code]}×${n}`)
        .join(' ')}`,
    );
  });
});

describe('DAP requests with bad arguments against a live session', () => {
  let adapter: IsolatedAdapter;
  let threadId = 1;
  before(async () => {
    adapter = await startIsolated();
    threadId = (await launchToStop(adapter.client, launchConfig(testKernel('x86_64')))).body.threadId ?? 1;
  });
  after(async () => {
    await closeIsolated(adapter);
    rmSync(adapter.tmpdir, { recursive: true, force: true });
  });

  test('each is answered (an error or a sane body) and the session keeps working', async () => {
    const { client } = adapter;
    const top = (await client.stackTraceRequest({ threadId, levels: 1 })).body.stackFrames[0]!;
    const scopes = (await client.scopesRequest({ frameId: top.id })).body.scopes;
    const huge = 2 ** 53;
    const requests: Array<[string, unknown]> = [
      ['stackTrace', { threadId: 999_999 }],
      ['stackTrace', { threadId: -1 }],
      ['stackTrace', { threadId, startFrame: -5, levels: 1e9 }],
      ['stackTrace', { threadId, startFrame: huge, levels: huge }],
      ['stackTrace', { threadId: '1\n-gdb-exit' }],
      ['stackTrace', { threadId: '1 --frame 0' }],
      ['stackTrace', {}],
      ['scopes', { frameId: 123_456_789 }],
      ['scopes', { frameId: 'x' }],
      ['variables', { variablesReference: 987_654 }],
      ['variables', { variablesReference: -1 }],
      ['variables', { variablesReference: scopes[0]!.variablesReference, start: -100, count: huge }],
      ['variables', { variablesReference: scopes[1]!.variablesReference, start: huge, count: 1 }],
      ['evaluate', { expression: 'init_task.comm', frameId: 424_242, context: 'watch' }],
      ['evaluate', { expression: '', context: 'watch', frameId: top.id }],
      ['evaluate', { expression: 'p 1\n-gdb-exit', context: 'repl' }],
      ['evaluate', { expression: 'init_task.comm\n-gdb-exit', context: 'watch', frameId: top.id }],
      ['evaluate', { expression: '"\\', context: 'hover', frameId: top.id }],
      ['evaluate', { expression: 'x'.repeat(100_000), context: 'watch', frameId: top.id }],
      ['readMemory', { memoryReference: 'nonsense', count: 16 }],
      ['readMemory', { memoryReference: '0xffffffff81000000', count: 2 ** 40 }],
      ['readMemory', { memoryReference: '0xffffffffffffffff', count: 16, offset: 16 }],
      ['readMemory', { memoryReference: '0x0', count: -5 }],
      ['writeMemory', { memoryReference: '0x0', data: '!!not base64!!' }],
      ['disassemble', { memoryReference: 'zz', instructionCount: 10 }],
      ['disassemble', { memoryReference: top.instructionPointerReference, instructionCount: 1e9, instructionOffset: -1e9 }],
      [
        'setBreakpoints',
        { source: { path: '/nonexistent/file.c' }, breakpoints: [{ line: -1 }, { line: 1e9 }, { line: 1, condition: '((' }] },
      ],
      ['setBreakpoints', { source: {}, breakpoints: [{ line: 1 }] }],
      [
        'setFunctionBreakpoints',
        { breakpoints: [{ name: '' }, { name: 'a;b' }, { name: '"' }, { name: 'no_such_function_xyz' }, { name: 'x\n-gdb-exit' }] },
      ],
      ['setInstructionBreakpoints', { breakpoints: [{ instructionReference: 'zzz' }, { instructionReference: '0x0', offset: -1e9 }] }],
      ['dataBreakpointInfo', { name: 'no_such_variable_xyz', frameId: 99 }],
      ['dataBreakpointInfo', { name: '0x10', asAddress: true, bytes: 3 }],
      ['setDataBreakpoints', { breakpoints: [{ dataId: 'garbage (' }, { dataId: '' }] }],
      ['next', { threadId: 999_999 }],
      ['stepIn', { threadId: 1.5 }],
      ['stepOut', { threadId: '1\n-gdb-exit' }],
      ['setVariable', { variablesReference: 99_999, name: 'x', value: '1' }],
      ['setExpression', { expression: '1+', value: '2', frameId: top.id }],
      ['modules', { startModule: -1, moduleCount: huge }],
      ['source', { sourceReference: 12_345 }],
      ['goto', { threadId, targetId: 1 }],
      ['goto', { threadId: 999_999, targetId: -1 }],
      ['gotoTargets', { source: {}, line: -5 }],
      ['exceptionInfo', { threadId }],
      ['setExceptionBreakpoints', { filters: ['no_such_filter', 7] }],
      // (restart takes no arguments to get wrong: restart.test.ts.)
      ['kernelQemu.serialInput', { text: 5 }],
      ['kernelQemu.resolveLocation', {}],
      ['kernelQemu.noSuchRequest', { a: 1 }],
      ['kernelQemu.snapshots.load', { name: '../../etc/passwd' }],
    ];
    const silent: string[] = [];
    let errors = 0;
    for (const [command, args] of requests) {
      const response = await rawRequest(client, command, args, 20_000);
      if (!response) silent.push(`${command} ${JSON.stringify(args).slice(0, 80)}`);
      else if (!response.success) errors++;
      assert.ok(!adapter.hasExited(), `the adapter died on ${command} ${JSON.stringify(args).slice(0, 80)}`);
    }
    assert.deepEqual(silent, [], 'requests left unanswered');
    console.log(`${requests.length} bad DAP requests: ${errors} error responses, ${requests.length - errors} answered with a body`);

    // Still a working session: the same stop, a step that stops again, gdb and QEMU alive.
    const threads = await client.threadsRequest();
    assert.ok(threads.body.threads.length >= 1);
    assert.equal((await client.stackTraceRequest({ threadId, levels: 1 })).body.stackFrames[0]!.name, top.name);
    const stopped = nextEvent<DebugProtocol.StoppedEvent>(client, 'stopped', 60_000);
    await client.nextRequest({ threadId });
    assert.equal((await stopped)?.body.reason, 'step');
    const comm = await client.evaluateRequest({ expression: 'init_task.comm', context: 'repl' });
    assert.match(comm.body.result, /swapper/);
  });
});
