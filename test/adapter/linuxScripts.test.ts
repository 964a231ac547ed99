// The kernel's own gdb scripts on a kernel built from source with CONFIG_GDB_SCRIPTS (the
// build of kernelBuild.test.ts, which runs before this file): loaded with no configuration,
// lx-dmesg and $lx_current() work in the Debug Console, and the dmesg request uses them.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { CACHE, launch, startClient, stopClient, testKernel, topFrame } from './support';

const builds = path.join(CACHE, 'build');

function builtTree(): string {
  const dir = existsSync(builds) ? readdirSync(builds).find((name) => name.endsWith('-x86_64-debug') && !name.endsWith('.lock')) : undefined;
  assert.ok(dir, `no kernel build under ${builds}: test/adapter/kernelBuild.test.ts builds it (npm test runs it first)`);
  return path.join(builds, dir);
}

describe('lx-* scripts of a kernel built with CONFIG_GDB_SCRIPTS', () => {
  test('load with no configuration; lx-dmesg, $lx_current() and the dmesg request work', async () => {
    const tree = builtTree();
    assert.ok(existsSync(path.join(tree, 'vmlinux-gdb.py')), 'make scripts_gdb ran');
    const client = await startClient();
    const output: string[] = [];
    client.on('output', (event: DebugProtocol.OutputEvent) => output.push(event.body.output));
    try {
      await launch(client, {
        type: 'kernel-qemu',
        request: 'launch',
        name: 'built kernel',
        program: path.join(tree, 'vmlinux'),
        kernel: path.join(tree, 'arch/x86/boot/bzImage'),
        initrd: testKernel('x86_64').initrd,
        accel: 'tcg',
      });
      assert.match(output.join(''), /The kernel's gdb scripts are loaded/);
      await client.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'do_sys_openat2' }] });
      const stopped = client.waitForEvent('stopped', 120_000) as Promise<DebugProtocol.StoppedEvent>;
      await client.continueRequest({ threadId: 1 });
      const frame = await topFrame(client, (await stopped).body.threadId ?? 1);
      assert.equal(frame.name, 'do_sys_openat2');
      const dmesg = await client.evaluateRequest({ expression: 'lx-dmesg', context: 'repl', frameId: frame.id });
      assert.match(dmesg.body.result, /Linux version 6\.1\./);
      const current = await client.evaluateRequest({ expression: 'p $lx_current().comm', context: 'repl', frameId: frame.id });
      assert.match(current.body.result, /= "\S+/);
      const viaRequest = await client.customRequest('kernelQemu.dmesg');
      assert.match((viaRequest.body as { text: string }).text, /Linux version 6\.1\./);
    } finally {
      await stopClient(client);
    }
  });
});
