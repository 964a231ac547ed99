// Source mapping on Debian's kernel: its DWARF names /build/reproducible-path/... and
// debian/build/...; given the matching source tree (linux-source-6.1), frames open real
// files and breakpoints set on those files hit — with sourceRoot, or with none when the
// workspace is the tree.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { launch, launchConfig, ROOT, startClient, stopClient, testKernel, topFrame } from './support';

const tree = execFileSync('bash', [path.join(ROOT, 'scripts/fetch-kernel-source.sh')], { encoding: 'utf8' }).trim();

describe('source mapping, x86_64 guest', () => {
  test('with sourceRoot, frames carry paths that exist in the tree and a breakpoint on a tree file hits', async () => {
    const client = await startClient();
    try {
      const stopped = await launch(client, launchConfig(testKernel('x86_64'), { sourceRoot: tree }));
      const entry = await topFrame(client, stopped.body.threadId ?? 1);
      assert.equal(entry.source?.path, path.join(tree, 'init/main.c'));
      assert.ok(existsSync(entry.source.path));

      const openC = path.join(tree, 'fs/open.c');
      const line =
        readFileSync(openC, 'utf8')
          .split('\n')
          .findIndex((text) => /^static long do_sys_openat2\(/.test(text) || /^long do_sys_openat2\(/.test(text)) + 1;
      assert.ok(line > 0, 'do_sys_openat2 is in fs/open.c');
      const set = await client.setBreakpointsRequest({ source: { path: openC }, breakpoints: [{ line: line + 2 }] });
      assert.equal(set.body.breakpoints[0]?.verified, true, set.body.breakpoints[0]?.message);
      const hit = client.waitForEvent('stopped', 120_000) as Promise<DebugProtocol.StoppedEvent>;
      await client.continueRequest({ threadId: 1 });
      const event = await hit;
      const frame = await topFrame(client, event.body.threadId ?? 1);
      assert.equal(frame.name, 'do_sys_openat2');
      assert.equal(frame.source?.path, openC);
      const trace = await client.stackTraceRequest({ threadId: event.body.threadId ?? 1, levels: 8 });
      const withSources = trace.body.stackFrames.filter((candidate) => candidate.source?.path);
      assert.ok(withSources.length >= 3);
      assert.ok(
        withSources.every((candidate) => existsSync(candidate.source!.path!)),
        withSources.map((candidate) => candidate.source!.path).join(', '),
      );
    } finally {
      await stopClient(client);
    }
  });

  test('with the tree as the workspace (cwd) and no sourceRoot, sources are found automatically', async () => {
    const client = await startClient();
    const output: string[] = [];
    client.on('output', (event: DebugProtocol.OutputEvent) => output.push(event.body.output));
    try {
      const stopped = await launch(client, launchConfig(testKernel('x86_64'), { cwd: tree }));
      assert.match(output.join(''), new RegExp(`Sources: using the kernel tree at ${tree.replace(/[.]/g, '\\.')}`));
      const entry = await topFrame(client, stopped.body.threadId ?? 1);
      assert.equal(entry.source?.path, path.join(tree, 'init/main.c'));
    } finally {
      await stopClient(client);
    }
  });

  test('a source breakpoint in Hardware mode, set before boot, stays in hardware and is hit', async () => {
    const client = await startClient();
    try {
      const openC = path.join(tree, 'fs/open.c');
      const line =
        readFileSync(openC, 'utf8')
          .split('\n')
          .findIndex((text) => /^(static )?long do_sys_openat2\(/.test(text)) + 3;
      let placed: DebugProtocol.Breakpoint | undefined;
      const stopped = await launch(client, launchConfig(testKernel('x86_64'), { sourceRoot: tree, stopAtEntry: false }), async () => {
        placed = (await client.setBreakpointsRequest({ source: { path: openC }, breakpoints: [{ line, mode: 'hardware' }] })).body
          .breakpoints[0];
      });
      assert.equal(placed?.verified, true, placed?.message);
      assert.equal(placed?.message, 'hardware breakpoint');
      assert.equal(stopped.body.reason, 'breakpoint');
      const frame = await topFrame(client, stopped.body.threadId ?? 1);
      assert.equal(frame.name, 'do_sys_openat2');
      const table = await client.evaluateRequest({ expression: 'info breakpoints', context: 'repl', frameId: frame.id });
      assert.match(table.body.result, /hw breakpoint\s+keep\s+y/);
    } finally {
      await stopClient(client);
    }
  });
});
