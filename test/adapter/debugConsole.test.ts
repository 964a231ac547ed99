// The Debug Console on a real kernel: expressions of several shapes answer with their value
// only (as gdb's `output` prints it), gdb commands with their output, an MI command with its
// MI result, typos with gdb's error in place; completions come from gdb; stops print no
// source-line chatter, while a command's own output keeps it; a frame's variable named like a
// command is the variable.
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
  describe(`Debug Console, ${arch} guest`, () => {
    let client: DebugClient;
    let pids: number[] = [];
    let threadId = 1;
    const output: string[] = [];
    // A syscall's function with no source on this machine: gdb's stop prints its missing source line.
    const syscallStop = arch === 'x86_64' ? 'do_sys_openat2' : 'do_filp_open';

    const repl = async (expression: string) => {
      const frame = await topFrame(client, threadId);
      return (await client.evaluateRequest({ expression, context: 'repl', frameId: frame.id })).body.result;
    };
    const replFailure = async (expression: string) => {
      const frame = await topFrame(client, threadId);
      return failure(await rawRequest(client, 'evaluate', { expression, context: 'repl', frameId: frame.id }));
    };

    before(async () => {
      client = await startClient();
      client.on('output', (event: DebugProtocol.OutputEvent) => output.push(event.body.output));
    });
    after(async () => {
      await stopClient(client);
      assert.deepEqual(await survivors(pids), []);
    });

    test('the session stops at start_kernel', async () => {
      const stopped = await launch(client, launchConfig(testKernel(arch)));
      pids = sessionPids();
      threadId = stopped.body.threadId ?? 1;
      assert.equal((await topFrame(client, threadId)).name, 'start_kernel');
    });

    test('an expression answers with its value only, exactly as gdb prints it', async () => {
      output.length = 0;
      for (const expression of [
        'init_task.pid',
        '(char)init_task.comm[1]',
        'init_task.comm',
        'sizeof(init_task)',
        "init_task.comm[0] == 's'",
        'jiffies',
        '$_strlen(init_task.comm)',
      ]) {
        assert.equal(await repl(expression), await repl(`output ${expression}`), expression);
      }
      assert.equal(await repl('init_task.pid'), '0');
      assert.equal(await repl('(char)init_task.comm[1]'), "119 'w'");
      assert.match(await repl('&init_task'), /^0x[0-9a-f]+ <init_task>$/);
      assert.doesNotMatch(output.join(''), /Undefined command/);
    });

    test('gdb commands answer with their whole output; -exec runs a command; -… is MI', async () => {
      assert.match(await repl('p init_task.pid'), /^\$\d+ = 0$/);
      const backtrace = await repl('bt');
      assert.match(backtrace, /^#0 +start_kernel \(\) at init\/main\.c:\d+\n#1 /, 'several lines');
      assert.match(
        await repl(`info registers ${arch === 'x86_64' ? 'rip' : 'pc'}`),
        /^(rip|pc) +0x[0-9a-f]+ +0x[0-9a-f]+ <start_kernel(\+\d+)?>$/,
      );
      assert.match(await repl('-exec info line start_kernel'), /^Line \d+ of "init\/main\.c"/);
      assert.match(await repl('-exec p 1 + 1'), /^\$\d+ = 2$/);
      assert.equal(await repl('-data-evaluate-expression init_task.pid'), '^done {"value":"0"}');
      assert.equal(await repl('-exec -data-evaluate-expression init_task.pid'), '^done {"value":"0"}');
      assert.doesNotMatch(output.join(''), /Undefined command/);
    });

    test("a typo gets gdb's error, once, in place (no notification)", async () => {
      const cases: Array<[string, string]> = [
        ['inof registers', 'Undefined command: "inof".  Try "help".'],
        ['info nosuch', 'Undefined info command: "nosuch".  Try "help info".'],
        ['init_task.pdi', 'There is no member named pdi.'],
        ['nosuchvar', 'No symbol "nosuchvar" in current context.'],
        ['(char)init_task.comm[', "A syntax error in expression, near `'."],
      ];
      output.length = 0;
      for (const [typed, message] of cases) {
        const refused = await replFailure(typed);
        assert.equal(refused.message, message, typed);
        assert.equal(refused.showUser, false, typed);
      }
      assert.equal(output.join(''), '', 'nothing else printed');
    });

    test('completions come from gdb: commands, symbols and members', async () => {
      const labels = async (text: string) => (await client.completionsRequest({ text, column: text.length + 1 })).body.targets;
      const registers = await labels('info regi');
      assert.deepEqual(
        registers.map((item) => item.label),
        ['registers'],
      );
      assert.equal(registers[0]!.start, 'info '.length + 1, '1-based start of the word');
      assert.equal(registers[0]!.length, 'regi'.length);
      assert.ok((await labels('p init_ta')).some((item) => item.label === 'init_task'));
      assert.ok(
        (await labels('init_task.pi')).some((item) => item.label === 'pid'),
        'an expression completes as print would',
      );
    });

    test("a stop prints no source-line chatter; a command's own output keeps it", async () => {
      await client.setFunctionBreakpointsRequest({ breakpoints: [{ name: syscallStop }] });
      output.length = 0;
      const stopped = client.waitForEvent('stopped', 120_000) as Promise<DebugProtocol.StoppedEvent>;
      await client.continueRequest({ threadId });
      threadId = (await stopped).body.threadId ?? threadId;
      assert.equal((await topFrame(client, threadId)).name, syscallStop);
      const stepped = client.waitForEvent('stopped', 30_000);
      assert.equal(await repl('next'), '');
      await stepped;
      await new Promise((resolve) => setTimeout(resolve, 200)); // what gdb prints after the stop has landed
      assert.doesNotMatch(output.join(''), /No such file or directory/, 'stops are reported by the stopped event alone');
      // gdb prints a missing source line once per place, then "LINE\tin FILE".
      assert.match(
        await repl('frame'),
        new RegExp(`^#0 +${syscallStop} \\(.*\\n\\d+\\t(in )?fs/\\w+\\.c`),
        'the frame command prints its source line, as gdb does',
      );
      await client.setFunctionBreakpointsRequest({ breakpoints: [] });
    });

    test('a variable of the frame named like a gdb command is the variable (`s` does not step)', async () => {
      await client.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'kstrdup' }] });
      const stopped = client.waitForEvent('stopped', 120_000) as Promise<DebugProtocol.StoppedEvent>;
      await client.continueRequest({ threadId });
      threadId = (await stopped).body.threadId ?? threadId;
      await client.setFunctionBreakpointsRequest({ breakpoints: [] });
      assert.equal((await topFrame(client, threadId)).name, 'kstrdup');
      let stepped = false;
      const onStop = () => (stepped = true);
      client.on('stopped', onStop);
      try {
        assert.equal(await repl('s'), await repl('output s'), 'kstrdup(const char *s, gfp_t gfp): its argument');
        await new Promise((resolve) => setTimeout(resolve, 500));
        assert.equal(stepped, false, 'no step');
        assert.equal((await topFrame(client, threadId)).name, 'kstrdup');
      } finally {
        client.off('stopped', onStop);
      }
    });
  });
}
