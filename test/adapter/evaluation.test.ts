// Watch, hover, the Debug Console, setVariable and setExpression on a real kernel: every
// failure carries gdb's reason (never "" or var-object jargon) and is shown in place (no
// notification); hover and watch cannot change the kernel because gdb refuses it
// (may-write-memory/may-call-functions off), read back after each refusal, while a
// convenience function runs; the Debug Console may change it, exactly once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import {
  failure,
  launch,
  launchConfig,
  rawRequest,
  sessionPids,
  startClient,
  stopClient,
  survivors,
  testKernel,
  topFrame,
  type Arch,
} from './support';

for (const arch of ['x86_64', 'aarch64'] as Arch[]) {
  describe(`evaluation errors and side effects, ${arch} guest`, () => {
    let client: DebugClient;
    let pids: number[] = [];
    let frameId = 0;
    const pc = arch === 'x86_64' ? '$rip' : '$pc';

    const evaluate = async (expression: string, context: string) => (await client.evaluateRequest({ expression, context, frameId })).body;
    const refusal = async (expression: string, context: string) =>
      failure(await rawRequest(client, 'evaluate', { expression, context, frameId }));

    before(async () => {
      client = await startClient();
    });
    after(async () => {
      await stopClient(client);
      assert.deepEqual(await survivors(pids), []);
    });

    test('the session stops at start_kernel', async () => {
      const stopped = await launch(client, launchConfig(testKernel(arch)));
      pids = sessionPids();
      frameId = (await topFrame(client, stopped.body.threadId ?? 1)).id;
    });

    test("unreadable memory and an unknown symbol fail with gdb's reason, in place", async () => {
      for (const context of ['watch', 'hover']) {
        assert.deepEqual(await refusal('*(int*)0', context), { message: 'Cannot access memory at address 0x0', showUser: false });
        assert.deepEqual(await refusal('*(struct task_struct *)0', context), {
          message: 'Cannot access memory at address 0x0',
          showUser: false,
        });
        assert.deepEqual(await refusal('nosuchvar', context), { message: 'No symbol "nosuchvar" in current context.', showUser: false });
      }
    });

    test('members that cannot be read say why instead of showing nothing', async () => {
      const pointer = await evaluate('(struct task_struct *)0', 'watch');
      assert.ok(pointer.variablesReference > 0);
      const members = (await client.variablesRequest({ variablesReference: pointer.variablesReference })).body.variables;
      const pid = members.find((member) => member.name === 'pid');
      assert.match(pid?.value ?? '', /^<error: Cannot access memory at address 0x[0-9a-f]+>$/);
      assert.deepEqual(
        members.filter((member) => member.value === ''),
        [],
        'no empty values',
      );
    });

    test('hex display (ValueFormat.hex): watch and Variables show integers in hex, as p/x does', async () => {
      const decimal = (await evaluate('init_task.pid', 'watch')).result;
      assert.equal(decimal, '0');
      const hex = (await client.evaluateRequest({ expression: 'sizeof(init_task)', context: 'watch', frameId, format: { hex: true } })).body
        .result;
      const plain = (await evaluate('sizeof(init_task)', 'watch')).result;
      assert.equal(hex, `0x${BigInt(plain).toString(16)}`);
      assert.equal(
        (await client.evaluateRequest({ expression: '(int)-100', context: 'watch', frameId, format: { hex: true } })).body.result,
        '0xffffff9c',
      );
      const task = await evaluate('init_task', 'watch');
      const members = (await client.variablesRequest({ variablesReference: task.variablesReference, format: { hex: true } })).body
        .variables;
      const prio = members.find((member) => member.name === 'prio');
      assert.equal(prio?.value, '0x78', 'init_task.prio is 120');
    });

    test('a convenience function is evaluated in watch and hover', async () => {
      const expected = (await evaluate('output $_strlen(init_task.comm)', 'repl')).result;
      assert.match(expected, /^\d+$/);
      assert.equal((await evaluate('$_strlen(init_task.comm)', 'watch')).result, expected);
      assert.equal((await evaluate('$_streq(init_task.comm, "nosuch")', 'hover')).result, '0');
    });

    test('an assignment, an increment and a call in watch or hover are refused by gdb; memory is unchanged', async () => {
      const before = (await evaluate('panic_timeout', 'watch')).result;
      const written = /^Writing to memory is not allowed \(addr 0x[0-9a-f]+, len 4\)$/;
      const watched = await refusal('panic_timeout = 77', 'watch');
      assert.match(watched.message, written);
      assert.equal(watched.showUser, false);
      assert.match((await refusal('panic_timeout++', 'hover')).message, written);
      assert.match((await refusal('init_task.pid = 5', 'watch')).message, written);
      assert.deepEqual(await refusal('panic("kq")', 'watch'), {
        message: 'Cannot call functions in the program: may-call-functions is off.',
        showUser: false,
      });
      assert.equal((await evaluate('panic_timeout', 'repl')).result, before, 'read back');
      assert.equal((await evaluate('init_task.pid', 'repl')).result, '0', 'read back');
      const pcBefore = (await evaluate(pc, 'repl')).result;
      assert.match((await refusal(`${pc} = 0`, 'watch')).message, /Writing to registers is not allowed|cannot forbid register writes/);
      assert.equal((await evaluate(pc, 'repl')).result, pcBefore, 'the pc is unchanged');
    });

    test('the Debug Console may change the kernel, once per evaluation', async () => {
      const before = Number((await evaluate('panic_timeout', 'watch')).result);
      assert.equal((await evaluate('panic_timeout++', 'repl')).result, String(before));
      assert.equal((await evaluate('panic_timeout', 'watch')).result, String(before + 1), 'incremented exactly once, and watch sees it');
      assert.equal((await evaluate('panic_timeout = panic_timeout - 1', 'repl')).result, String(before));
    });

    test("setVariable and setExpression fail with gdb's reason", async () => {
      const task = await evaluate('init_task', 'watch');
      const set = (name: string, value: string) =>
        rawRequest(client, 'setVariable', { variablesReference: task.variablesReference, name, value });
      assert.equal(failure(await set('pid', 'nosuch')).message, 'No symbol "nosuch" in current context.');
      const same = (await set('pid', '0')) as DebugProtocol.SetVariableResponse;
      assert.equal(same.success, true, same.message);
      assert.equal(same.body.value, '0');
      assert.equal(
        failure(await rawRequest(client, 'setExpression', { expression: 'nosuchvar', value: '1', frameId })).message,
        'No symbol "nosuchvar" in current context.',
      );
      assert.equal(
        failure(await rawRequest(client, 'setExpression', { expression: 'panic_timeout', value: '1 +', frameId })).message,
        "A syntax error in expression, near `'.",
      );
    });
  });
}
