// The kernel's own gdb scripts on a kernel built from source with CONFIG_GDB_SCRIPTS (the
// build of kernelBuild.test.ts, which runs before this file): loaded with no configuration,
// lx-dmesg and $lx_current() work in the Debug Console, $lx_current() in Watch and hover, and
// the dmesg request uses them.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { CACHE, launch, launchConfig, launchRunning, outputMatching, startClient, stopClient, testKernel, topFrame } from './support';

const builds = path.join(CACHE, 'build');

function builtTree(): string {
  const dir = existsSync(builds)
    ? readdirSync(builds).find((name) => name.endsWith('-x86_64-debug') && !name.endsWith('.lock'))
    : undefined;
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
      // The boot's first open is pid 1 (busybox sh running /init) reading its script.
      assert.match(current.body.result, /= "init"/);
      // A convenience function only reads: Watch evaluates it under gdb's may-write/may-call guard.
      const watched = await client.evaluateRequest({ expression: '$lx_current().pid', context: 'watch', frameId: frame.id });
      assert.equal(watched.body.result, '1');
      assert.equal(
        (await client.evaluateRequest({ expression: '$lx_current().comm', context: 'hover', frameId: frame.id })).body.result,
        current.body.result.replace(/^\$\d+ = /, ''),
      );
      const viaRequest = await client.customRequest('kernelQemu.dmesg');
      assert.match((viaRequest.body as { text: string }).text, /Linux version 6\.1\./);
    } finally {
      await stopClient(client);
    }
  });
});

/** Debian's 6.12 kernel in its matching source tree with the tree's scripts made (fetch-kernel-source.sh --series 6.12 --gdb-scripts). */
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

describe('lx-* scripts of a 6.12 tree, on Debian 6.12 kernel', () => {
  test('load beside vmlinux; lx-lsmod lists a module stopped in its init function', async () => {
    const tree = tree612();
    const kernel = testKernel('x86_64', '6.12');
    const client = await startClient();
    const output: string[] = [];
    client.on('output', (event: DebugProtocol.OutputEvent) => output.push(event.body.output));
    try {
      await launchRunning(
        client,
        {
          ...launchConfig(kernel, { stopAtEntry: false, moduleSearchPath: [path.join(kernel.dir, 'modules/debug')] }),
          program: path.join(tree, 'vmlinux'),
        },
        () => client.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'michael_mic_init' }] }),
      );
      assert.match(output.join(''), /The kernel's gdb scripts are loaded/);
      await outputMatching(output, /kernel-qemu initramfs ready/);
      const stopped = client.waitForEvent('stopped', 120_000) as Promise<DebugProtocol.StoppedEvent>;
      await client.customRequest('kernelQemu.serialInput', { text: 'insmod /modules/michael_mic.ko\n' });
      const frame = await topFrame(client, (await stopped).body.threadId ?? 1);
      assert.equal(frame.name, 'michael_mic_init');
      // The source comes from the tree itself now: it is vmlinux's directory.
      assert.equal(frame.source?.path, path.join(tree, 'crypto/michael_mic.c'));
      const lsmod = await client.evaluateRequest({ expression: 'lx-lsmod', context: 'repl', frameId: frame.id });
      assert.match(lsmod.body.result, /^0x[0-9a-f]+\s+michael_mic\s+\d+/m);
      const version = await client.evaluateRequest({ expression: 'lx-version', context: 'repl', frameId: frame.id });
      assert.match(version.body.result, /Linux version 6\.12\./);
    } finally {
      await stopClient(client);
    }
  });
});
