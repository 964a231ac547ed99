// Launch keys users of cppdbg and cortex-debug expect: stopAtEntry naming a function (cortex's
// runToEntryPoint), postConnectCommands (cppdbg's postRemoteConnectCommands: they run with the
// stub connected, so registers read) and gdbArgs (on gdb's own command line).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { CACHE_ARGUMENT } from '../../src/adapter/sessionProtocol';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { type Arch, launch, launchConfig, sessionPids, startClient, stopClient, survivors, testKernel, topFrame } from './support';

for (const arch of ['x86_64', 'aarch64'] as Arch[]) {
  describe(`launch keys, ${arch} guest`, () => {
    test('stopAtEntry: "do_sys_openat2" boots and stops there; postConnectCommands read registers; gdbArgs reach gdb', async () => {
      const client = await startClient();
      const output: string[] = [];
      client.on('output', (event: DebugProtocol.OutputEvent) => output.push(event.body.output));
      let pids: number[] = [];
      try {
        const stop = await launch(
          client,
          launchConfig(testKernel(arch), {
            stopAtEntry: 'do_sys_openat2',
            postConnectCommands: [{ text: 'p/x $pc' }],
            gdbArgs: ['-iex', 'set $kq_from_gdb_args = 42'],
          }),
        );
        pids = sessionPids();
        assert.equal(stop.body.reason, 'entry');
        assert.equal(stop.body.description, 'Stopped at do_sys_openat2 (stopAtEntry)');
        const frame = await topFrame(client, stop.body.threadId ?? 1);
        assert.equal(frame.name, 'do_sys_openat2');
        // At reset, before the kernel runs: x86_64 starts at 0xfff0, arm64 QEMU's virt at 0x0 or its boot ROM.
        assert.match(output.join(''), /^\$\d+ = 0x[0-9a-f]+$/m, 'postConnectCommands printed $pc');
        const fromArgs = await client.evaluateRequest({ expression: '$kq_from_gdb_args', context: 'watch', frameId: frame.id });
        assert.equal(fromArgs.body.result, '42');
      } finally {
        await stopClient(client);
        assert.deepEqual(await survivors(pids), []);
      }
    });
  });
}

describe('the cache directory the extension passes (kernelQemu.cacheDirectory)', () => {
  test('gdb keeps its index cache there', async () => {
    const cache = mkdtempSync(path.join(os.tmpdir(), 'kq-cache-setting-'));
    const client = await startClient();
    try {
      const stop = await launch(client, launchConfig(testKernel('x86_64'), { [CACHE_ARGUMENT]: cache }));
      const frame = await topFrame(client, stop.body.threadId ?? 1);
      const shown = await client.evaluateRequest({ expression: 'show index-cache directory', context: 'repl', frameId: frame.id });
      assert.match(shown.body.result, new RegExp(`${path.join(cache, 'gdb-index').replace(/[.]/g, '\\.')}`));
    } finally {
      await stopClient(client);
      rmSync(cache, { recursive: true, force: true });
    }
  });
});

describe('launch keys, bad input', () => {
  test('stopAtEntry naming no function of vmlinux stops at start_kernel and says why; a non-name is refused', async () => {
    const client = await startClient();
    const output: string[] = [];
    client.on('output', (event: DebugProtocol.OutputEvent) => output.push(event.body.output));
    try {
      const stop = await launch(client, launchConfig(testKernel('x86_64'), { stopAtEntry: 'no_such_function_kq' }));
      assert.equal(stop.body.reason, 'entry');
      assert.equal((await topFrame(client, stop.body.threadId ?? 1)).name, 'start_kernel');
      assert.match(output.join(''), /stopAtEntry: cannot run to "no_such_function_kq" \(.+\); stopped at start_kernel instead/);
    } finally {
      await stopClient(client);
    }
    const refused = await startClient();
    try {
      await assert.rejects(
        refused.launch(launchConfig(testKernel('x86_64'), { stopAtEntry: 'rm -rf /' })),
        /'stopAtEntry' "rm -rf \/" is not a function name/,
      );
    } finally {
      await stopClient(refused);
    }
  });
});
