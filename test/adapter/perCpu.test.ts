// Per-CPU variables shown per CPU, without the kernel's gdb scripts: with smp 2, a watched
// DEFINE_PER_CPU variable expands to this_cpu and one copy per CPU. Each copy is that CPU's
// (runqueues' own `cpu` field says which), scalars list their values inline, and the values
// match gdb's $lx_per_cpu on the 6.12 tree that has the scripts, and direct reads of
// `*(T *)((char *)&var + __per_cpu_offset[n])` on Debian's 6.1 kernels and arm64's 6.12.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import {
  type Arch,
  type KernelSeries,
  CACHE,
  launch,
  launchConfig,
  sessionPids,
  startClient,
  stopClient,
  survivors,
  testKernel,
  threadName,
  topFrame,
} from './support';

async function children(client: DebugClient, reference: number): Promise<DebugProtocol.Variable[]> {
  assert.ok(reference > 0, 'expandable');
  return (await client.variablesRequest({ variablesReference: reference })).body.variables;
}

/** Stops at do_sys_openat2 with 2 vCPUs; the frame of the stop. */
async function stopInOpen(
  client: DebugClient,
  config: Record<string, unknown>,
): Promise<{ frame: DebugProtocol.StackFrame; threadId: number }> {
  await launch(client, { ...config, smp: 2 });
  await client.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'do_sys_openat2' }] });
  const stopped = client.waitForEvent('stopped', 180_000) as Promise<DebugProtocol.StoppedEvent>;
  await client.continueRequest({ threadId: 1 });
  const threadId = (await stopped).body.threadId ?? 1;
  await client.setFunctionBreakpointsRequest({ breakpoints: [] });
  return { frame: await topFrame(client, threadId), threadId };
}

const cases: Array<[Arch, KernelSeries | undefined]> = [
  ['x86_64', undefined],
  ['aarch64', undefined],
  ['aarch64', '6.12'],
];

for (const [arch, series] of cases) {
  describe(`per-CPU variables, ${arch} ${series ?? '6.1'}, smp 2`, () => {
    let client: DebugClient;
    let pids: number[] = [];
    let frame: DebugProtocol.StackFrame;
    let threadId = 1;

    before(async () => {
      client = await startClient();
      ({ frame, threadId } = await stopInOpen(client, launchConfig(testKernel(arch, series))));
      pids = sessionPids();
    });
    after(async () => {
      await stopClient(client);
      assert.deepEqual(await survivors(pids), []);
    });

    test('runqueues expands to this_cpu and CPU 0, CPU 1, each the runqueue of that CPU', async () => {
      const watch = await client.evaluateRequest({ expression: 'runqueues', frameId: frame.id, context: 'watch' });
      assert.equal(watch.body.result, 'per-CPU struct rq, 2 CPUs');
      const copies = await children(client, watch.body.variablesReference);
      const stoppedCpu = /^CPU (\d+)/.exec(await threadName(client, threadId))?.[1];
      assert.deepEqual(
        copies.map((copy) => copy.name),
        [`this_cpu (CPU ${stoppedCpu})`, 'CPU 0', 'CPU 1'],
      );
      for (const [index, copy] of copies.entries()) {
        const cpuField = (await children(client, copy.variablesReference)).find((member) => member.name === 'cpu');
        assert.equal(cpuField?.value, index === 0 ? stoppedCpu : String(index - 1), `${copy.name}: rq.cpu`);
      }
    });

    test('a per-CPU counter (process_counts) shows one value per CPU, equal to direct reads; hover shows the same', async () => {
      const direct = await Promise.all(
        [0, 1].map(
          async (cpu) =>
            (
              await client.evaluateRequest({
                expression: `*(unsigned long *)((char *)&process_counts + __per_cpu_offset[${cpu}])`,
                frameId: frame.id,
                context: 'watch',
              })
            ).body.result,
        ),
      );
      assert.ok(
        direct.every((value) => /^\d+$/.test(value)),
        direct.join(),
      );
      assert.ok(
        direct.some((value) => value !== '0'),
        'the boot forked on some CPU',
      );
      const watch = await client.evaluateRequest({ expression: 'process_counts', frameId: frame.id, context: 'watch' });
      assert.equal(watch.body.result, `{CPU 0: ${direct[0]}, CPU 1: ${direct[1]}}`);
      const hover = await client.evaluateRequest({ expression: 'process_counts', frameId: frame.id, context: 'hover' });
      assert.equal(hover.body.result, watch.body.result);
      const copies = await children(client, watch.body.variablesReference);
      assert.deepEqual(
        copies.slice(1).map((copy) => copy.value),
        direct,
      );
    });

    test('a member path of a per-CPU variable is per-CPU too; an ordinary global is not', async () => {
      const watch = await client.evaluateRequest({ expression: 'runqueues.cpu', frameId: frame.id, context: 'watch' });
      assert.equal(watch.body.result, '{CPU 0: 0, CPU 1: 1}');
      const global = await client.evaluateRequest({ expression: 'nr_cpu_ids', frameId: frame.id, context: 'watch' });
      assert.equal(global.body.result, '2');
    });
  });
}

/** Debian's 6.12 kernel in its matching source tree with the tree's gdb scripts (see linuxScripts.test.ts). */
function tree612(): string {
  const src = path.join(CACHE, 'src');
  const name = existsSync(src)
    ? readdirSync(src).find((entry) => entry.startsWith('linux-6.12.') && existsSync(path.join(src, entry, '.gdb-scripts-complete')))
    : undefined;
  assert.ok(
    name,
    `no 6.12 tree with its gdb scripts under ${src}: run 'bash scripts/fetch-kernel-source.sh ` +
      `--series 6.12 --gdb-scripts' (npm test does it first)`,
  );
  return path.join(src, name);
}

describe("per-CPU values match the kernel's $lx_per_cpu, x86_64 6.12 tree with gdb scripts, smp 2", () => {
  let client: DebugClient;
  let pids: number[] = [];
  let frame: DebugProtocol.StackFrame;

  before(async () => {
    client = await startClient();
    ({ frame } = await stopInOpen(client, { ...launchConfig(testKernel('x86_64', '6.12')), program: path.join(tree612(), 'vmlinux') }));
    pids = sessionPids();
  });
  after(async () => {
    await stopClient(client);
    assert.deepEqual(await survivors(pids), []);
  });

  test('process_counts and runqueues.nr_switches per CPU equal $lx_per_cpu(var, n)', async () => {
    for (const expression of ['process_counts', 'runqueues.nr_switches']) {
      const watch = await client.evaluateRequest({ expression, frameId: frame.id, context: 'watch' });
      const copies = (await children(client, watch.body.variablesReference)).filter((copy) => copy.name.startsWith('CPU '));
      assert.equal(copies.length, 2);
      for (const [cpu, copy] of copies.entries()) {
        const [variable, ...members] = expression.split('.');
        const scripts = await client.evaluateRequest({
          expression: `$lx_per_cpu(${variable}, ${cpu})${members.map((member) => `.${member}`).join('')}`,
          frameId: frame.id,
          context: 'watch',
        });
        assert.match(scripts.body.result, /^\d+$/);
        assert.equal(copy.value, scripts.body.result, `${expression} on CPU ${cpu}`);
      }
    }
  });
});
