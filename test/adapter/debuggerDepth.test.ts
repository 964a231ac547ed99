// Debugger depth on a real kernel: boot-time hardware breakpoints, conditions, logpoints,
// hit counts, refused breakpoints in order, data breakpoints, grouped registers, memory,
// disassembly with 64-bit addresses and instruction stepping.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { launch, launchConfig, sessionPids, startClient, stopClient, survivors, testKernel, topFrame, type Arch } from './support';

async function continueToStop(client: DebugClient, threadId: number, timeoutMs = 120_000): Promise<DebugProtocol.StoppedEvent> {
  const stopped = client.waitForEvent('stopped', timeoutMs) as Promise<DebugProtocol.StoppedEvent>;
  await client.continueRequest({ threadId });
  return stopped;
}

async function evaluate(
  client: DebugClient,
  expression: string,
  frameId: number,
  context = 'watch',
): Promise<DebugProtocol.EvaluateResponse['body']> {
  return (await client.evaluateRequest({ expression, frameId, context })).body;
}

/** gdb's own answer to where a breakpoint is: the `info breakpoints` entry (with its locations) that mentions `func`. */
async function breakpointEntry(client: DebugClient, frameId: number | undefined, func: string): Promise<{ type: string; text: string }> {
  const table = (
    await client.evaluateRequest({ expression: 'info breakpoints', context: 'repl', ...(frameId === undefined ? {} : { frameId }) })
  ).body.result;
  const entries: string[] = [];
  for (const line of table.split('\n')) {
    if (/^\d+\s/.test(line)) entries.push(line);
    else if (entries.length) entries[entries.length - 1] += `\n${line}`;
  }
  const entry = entries.find((text) => text.includes(` in ${func} `));
  assert.ok(entry, `no breakpoint in ${func} in:\n${table}`);
  const type = /^\d+\s+(hw breakpoint|breakpoint)\s/.exec(entry)?.[1];
  assert.ok(type, entry);
  return { type, text: entry };
}

async function registersByGroup(client: DebugClient, frameId: number): Promise<Map<string, DebugProtocol.Variable[]>> {
  const scopes = await client.scopesRequest({ frameId });
  const registers = scopes.body.scopes.find((scope) => scope.name === 'Registers')!;
  const groups = (await client.variablesRequest({ variablesReference: registers.variablesReference })).body.variables;
  const result = new Map<string, DebugProtocol.Variable[]>();
  for (const group of groups)
    result.set(group.name, (await client.variablesRequest({ variablesReference: group.variablesReference })).body.variables);
  return result;
}

for (const arch of ['x86_64', 'aarch64'] as Arch[]) {
  describe(`debugger depth, ${arch} guest`, () => {
    let client: DebugClient;
    let pids: number[] = [];
    let threadId = 1;
    const output: string[] = [];
    const pcRegister = arch === 'x86_64' ? 'rip' : 'pc';
    // arm64 kernels run with PAN set, so a kernel stop cannot read user memory (filename is a
    // user pointer there); do_filp_open's kernel copy of the name serves the same purpose.
    const conditional =
      arch === 'x86_64'
        ? { name: 'do_sys_openat2', condition: '$_streq(filename, "/proc/version")', local: 'filename' }
        : { name: 'do_filp_open', condition: '$_streq(pathname->name, "/proc/version")', local: 'pathname->name' };

    before(async () => {
      client = await startClient();
      client.on('output', (event: DebugProtocol.OutputEvent) => output.push(event.body.output));
    });
    after(async () => {
      await stopClient(client);
      assert.deepEqual(await survivors(pids), []);
    });

    test('a breakpoint set before boot in start_kernel is placed in hardware and hit', async () => {
      let placed: DebugProtocol.Breakpoint[] = [];
      let whileBooting: { type: string; text: string } | undefined;
      const stopped = await launch(client, launchConfig(testKernel(arch), { stopAtEntry: false }), async () => {
        placed = (await client.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'start_kernel' }] })).body.breakpoints;
        whileBooting = await breakpointEntry(client, undefined, 'start_kernel');
      });
      assert.equal(whileBooting?.type, 'hw breakpoint', `gdb placed it in hardware before boot:\n${whileBooting?.text}`);
      pids = sessionPids();
      assert.equal(placed[0]?.verified, true);
      assert.match(placed[0]?.message ?? '', /hardware breakpoint while the kernel boots/);
      assert.equal(stopped.body.reason, 'breakpoint');
      threadId = stopped.body.threadId ?? 1;
      const frame = await topFrame(client, threadId);
      assert.equal(frame.name, 'start_kernel');
      // From start_kernel on the kernel runs from its final mapping: the adapter moves it to software (slots freed).
      assert.equal((await breakpointEntry(client, frame.id, 'start_kernel')).type, 'breakpoint', 'in software once the kernel runs');
    });

    test("breakpoints are answered in order; a refused one carries gdb's reason", async () => {
      const response = await client.setFunctionBreakpointsRequest({
        breakpoints: [
          { name: 'start_kernel' },
          { name: 'no_such_function_xyz' },
          { name: conditional.name, condition: conditional.condition },
        ],
      });
      const [first, refused, placed] = response.body.breakpoints;
      assert.equal(first?.verified, true);
      assert.equal(refused?.verified, false);
      assert.match(refused?.message ?? '', /Function "no_such_function_xyz" not defined/);
      assert.equal(placed?.verified, true);
      assert.ok(!/hardware/.test(placed?.message ?? ''), 'after start_kernel breakpoints are software');
      const { type, text } = await breakpointEntry(client, (await topFrame(client, threadId)).id, conditional.name);
      assert.equal(type, 'breakpoint', `gdb placed it in software:\n${text}`);
    });

    test('a conditional breakpoint stops only when the condition on the file name holds', async () => {
      const stopped = await continueToStop(client, threadId);
      assert.equal(stopped.body.reason, 'breakpoint');
      threadId = stopped.body.threadId ?? threadId;
      const frame = await topFrame(client, threadId);
      assert.equal(frame.name, conditional.name);
      const filename = await evaluate(client, conditional.local, frame.id);
      assert.match(filename.result, /"\/proc\/version"/);
    });

    test("registers are grouped and the pc register equals the top frame's instruction pointer", async () => {
      const frame = await topFrame(client, threadId);
      const groups = await registersByGroup(client, frame.id);
      assert.ok(groups.size >= 3, `groups: ${[...groups.keys()].join(', ')}`);
      assert.equal([...groups.keys()][0], 'General');
      if (arch === 'x86_64') assert.ok(groups.has('Segment') && groups.has('Control'), [...groups.keys()].join(', '));
      else assert.ok(groups.has('System'), [...groups.keys()].join(', '));
      const pc = groups.get('General')!.find((register) => register.name === pcRegister);
      assert.ok(pc, `${pcRegister} in General`);
      assert.equal(BigInt(pc.value), BigInt(frame.instructionPointerReference!));
    });

    test('readMemory of &init_task decodes its comm as "swapper"; writeMemory round-trips', async () => {
      const frame = await topFrame(client, threadId);
      const base = await evaluate(client, '&init_task', frame.id);
      assert.ok(base.memoryReference, 'a pointer result carries a memoryReference');
      const offset = Number((await evaluate(client, '(long)((char *)&init_task.comm - (char *)&init_task)', frame.id)).result);
      const read = await client.customRequest('readMemory', { memoryReference: base.memoryReference, offset, count: 16 });
      const bytes = Buffer.from((read.body as DebugProtocol.ReadMemoryResponse['body'])!.data!, 'base64');
      assert.match(bytes.toString('latin1'), /^swapper/);

      const scratch = await evaluate(client, '&init_task.comm', frame.id);
      await client.customRequest('writeMemory', {
        memoryReference: scratch.memoryReference ?? base.memoryReference,
        offset: scratch.memoryReference ? 0 : offset,
        data: Buffer.from('kq-rt\0').toString('base64'),
      });
      const back = await client.customRequest('readMemory', { memoryReference: base.memoryReference, offset, count: 6 });
      assert.equal(Buffer.from((back.body as DebugProtocol.ReadMemoryResponse['body'])!.data!, 'base64').toString('latin1'), 'kq-rt\0');
      await client.customRequest('writeMemory', { memoryReference: base.memoryReference, offset, data: bytes.toString('base64') });
    });

    test('disassemble around the pc keeps addresses above 2^53 intact and includes the pc', async () => {
      const frame = await topFrame(client, threadId);
      const pc = frame.instructionPointerReference!;
      const response = await client.customRequest('disassemble', {
        memoryReference: pc,
        instructionOffset: -8,
        instructionCount: 24,
        resolveSymbols: true,
      });
      const instructions = (response.body as DebugProtocol.DisassembleResponse['body'])!.instructions;
      assert.equal(instructions.length, 24);
      const valid = instructions.filter((insn) => insn.presentationHint !== 'invalid');
      assert.ok(valid.length >= 20, `${valid.length} decoded`);
      assert.ok(valid.every((insn) => BigInt(insn.address) > 2n ** 53n));
      const atPc = instructions.findIndex((insn) => BigInt(insn.address) === BigInt(pc));
      assert.equal(atPc, 8, 'the pc is at instructionOffset 0');
      assert.ok(
        valid.some((insn) => /fs\/(open|namei)\.c$/.test(insn.location?.path ?? '') && insn.line !== undefined),
        'source lines are interleaved',
      );
    });

    test('an instruction step advances the pc by one instruction', async () => {
      const before = BigInt((await topFrame(client, threadId)).instructionPointerReference!);
      const stopped = client.waitForEvent('stopped', 30_000) as Promise<DebugProtocol.StoppedEvent>;
      await client.nextRequest({ threadId, granularity: 'instruction' });
      assert.equal((await stopped).body.reason, 'step');
      const after = BigInt((await topFrame(client, threadId)).instructionPointerReference!);
      assert.ok(after !== before && after - before < 16n && after > before, `pc ${before.toString(16)} -> ${after.toString(16)}`);
    });

    test('hover refuses expressions with side effects (gdb refuses them); watch evaluates plain ones', async () => {
      const frame = await topFrame(client, threadId);
      await assert.rejects(
        client.evaluateRequest({ expression: 'jiffies = 0', frameId: frame.id, context: 'hover' }),
        /Writing to memory is not allowed/,
      );
      await assert.rejects(
        client.evaluateRequest({ expression: 'panic("x")', frameId: frame.id, context: 'hover' }),
        /may-call-functions is off/,
      );
      assert.match((await evaluate(client, 'init_task.pid == 0', frame.id, 'hover')).result, /1|true/);
    });

    test('a cpumask reads as its CPU list, a known list_head as its entries and another as empty or not, in watch and in expanded structs', async () => {
      const frame = await topFrame(client, threadId);
      const cpus = await evaluate(client, 'init_task.cpus_mask', frame.id);
      assert.match(cpus.result, /^CPUs 0(-\d+)?$/, `the idle task of CPU 0: ${cpus.result}`);
      assert.ok(cpus.variablesReference > 0, 'the bits can still be expanded');
      assert.match(
        (await evaluate(client, 'init_task.tasks', frame.id)).result,
        /^\d+ × struct task_struct$/,
        'init and the kernel threads run by now',
      );
      assert.equal((await evaluate(client, 'init_task.ptraced', frame.id)).result, 'empty list');
      // Members of a struct and of a pointed-to struct get the same summaries.
      for (const expression of ['init_task', '&init_task']) {
        const parent = await evaluate(client, expression, frame.id);
        const members = (await client.variablesRequest({ variablesReference: parent.variablesReference })).body.variables;
        const value = (name: string) => members.find((member) => member.name === name)?.value;
        assert.equal(value('cpus_mask'), cpus.result, expression);
        assert.match(value('tasks') ?? '', /^\d+ × struct task_struct$/, expression);
        assert.equal(value('ptraced'), 'empty list', expression);
        assert.equal(value('pid'), '0', `${expression}: other members as gdb prints them`);
      }
    });

    test('setVariable changes a local and setExpression a global', async (t) => {
      const frame = await topFrame(client, threadId);
      const scopes = await client.scopesRequest({ frameId: frame.id });
      const locals = scopes.body.scopes.find((scope) => scope.name === 'Locals')!;
      const dfd = (await client.variablesRequest({ variablesReference: locals.variablesReference })).body.variables.find(
        (variable) => variable.name === 'dfd',
      );
      assert.ok(dfd, 'dfd is among the locals');
      if (/optimized out/.test(dfd.value)) t.diagnostic(`dfd is optimized out in ${frame.name} here: the local is not written`);
      else {
        // A value it does not have yet, read back from gdb, then the old one put back.
        const changed = String(Number(dfd.value) + 1);
        const set = await client.setVariableRequest({ variablesReference: locals.variablesReference, name: 'dfd', value: changed });
        assert.equal(set.body.value, changed);
        assert.equal((await evaluate(client, 'dfd', frame.id)).result, changed, 'gdb reads the new value');
        await client.setVariableRequest({ variablesReference: locals.variablesReference, name: 'dfd', value: dfd.value });
        assert.equal((await evaluate(client, 'dfd', frame.id)).result, dfd.value);
      }
      const before = (await evaluate(client, 'panic_timeout', frame.id)).result;
      assert.notEqual(before, '42');
      const changed = await client.customRequest('setExpression', { expression: 'panic_timeout', value: '42', frameId: frame.id });
      assert.equal((changed.body as { value: string }).value, '42');
      assert.equal((await evaluate(client, 'panic_timeout', frame.id)).result, '42', 'gdb reads the new value');
      await client.customRequest('setExpression', { expression: 'panic_timeout', value: before, frameId: frame.id });
    });

    test('a logpoint prints without stopping; a hit count at the same place stops on the Nth hit', async () => {
      const frame = await topFrame(client, threadId);
      const info = await client.evaluateRequest({ expression: 'info line do_filp_open', context: 'repl', frameId: frame.id });
      const line = Number(/Line (\d+) of "([^"]+)"/.exec(info.body.result)?.[1]);
      assert.ok(line > 0, info.body.result);
      await client.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'do_filp_open', hitCondition: '3' }] });
      const logpoints = await client.setBreakpointsRequest({
        source: { path: 'fs/namei.c' },
        breakpoints: [{ line, logMessage: 'kq-log open {pathname->name}' }],
      });
      assert.equal(logpoints.body.breakpoints[0]?.verified, true, logpoints.body.breakpoints[0]?.message);
      output.length = 0;
      const stopped = await continueToStop(client, threadId);
      threadId = stopped.body.threadId ?? threadId;
      assert.equal((await topFrame(client, threadId)).name, 'do_filp_open');
      const logged = output
        .join('')
        .split('\n')
        .filter((text) => text.startsWith('kq-log open'));
      assert.equal(logged.length, 3, `logpoint lines: ${logged.join(' | ')}`);
      assert.match(logged[0]!, /kq-log open 0x[0-9a-f]+ "\//);
      const table = await client.evaluateRequest({
        expression: 'info breakpoints',
        context: 'repl',
        frameId: (await topFrame(client, threadId)).id,
      });
      assert.match(table.body.result, /do_filp_open[\s\S]*breakpoint already hit 3 times/);
      await client.setBreakpointsRequest({ source: { path: 'fs/namei.c' }, breakpoints: [] });
      await client.setFunctionBreakpointsRequest({ breakpoints: [] });
    });

    test('a data breakpoint on jiffies stops with reason data breakpoint', async () => {
      const info = await client.dataBreakpointInfoRequest({ name: 'jiffies' });
      assert.equal(info.body.dataId, 'jiffies');
      const set = await client.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId, accessType: 'write' }] });
      assert.equal(set.body.breakpoints[0]?.verified, true, set.body.breakpoints[0]?.message);
      const stopped = await continueToStop(client, threadId, 60_000);
      assert.equal(stopped.body.reason, 'data breakpoint');
      await client.setDataBreakpointsRequest({ breakpoints: [] });
    });
  });
}
