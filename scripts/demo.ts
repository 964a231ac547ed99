// npm run demo: a real kernel debug session through the adapter, printed as it happens,
// then a workspace with a launch.json ready for F5 in VS Code.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { DEMO_CACHE, demoConfig, writeLaunchJson } from './demoWorkspace';

const root = path.resolve(__dirname, '..');
const cache = DEMO_CACHE;
// Debian's matching linux-source, fetched and unpacked once into the cache (sourceRoot in demoConfig).
execFileSync('bash', [path.join(root, 'scripts/fetch-kernel-source.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
const config = demoConfig(cache) as { kernel: string; program: string } & Record<string, unknown>;

function step(text: string): void {
  console.log(`\n\x1b[1m== ${text}\x1b[0m`);
}

async function frames(client: DebugClient, threadId: number, levels: number): Promise<DebugProtocol.StackFrame[]> {
  return (await client.stackTraceRequest({ threadId, startFrame: 0, levels })).body.stackFrames;
}

/** The frame's source line as the editor shows it (with the line above: often the function's name), or why there is none. */
function sourceLine(frame: DebugProtocol.StackFrame): string {
  const file = frame.source?.path;
  if (!file || !existsSync(file)) return `  (no source for ${frame.name}: ${file ?? 'no file'})`;
  const lines = readFileSync(file, 'utf8').split('\n');
  const show = (line: number, mark: string) => `  ${mark} ${path.basename(file)}:${line}  ${lines[line - 1] ?? ''}`;
  return [...(frame.line > 1 ? [show(frame.line - 1, ' ')] : []), show(frame.line, '>')].join('\n');
}

function describeFrame(frame: DebugProtocol.StackFrame): string {
  const where = frame.source?.path ? `${frame.source.path}:${frame.line}` : (frame.instructionPointerReference ?? '');
  return `${frame.name} at ${where}`;
}

async function main(): Promise<void> {
  const client = new DebugClient('node', path.join(root, 'dist/adapter.js'), 'kernel-qemu');
  client.defaultTimeout = 120_000;
  client.on('output', (event: DebugProtocol.OutputEvent) => {
    process.stdout.write(event.body.output);
  });
  await client.start();
  try {
    step(`Launching ${config.kernel} in QEMU (paused), gdb on ${config.program}`);
    const started = Date.now();
    const entry = client.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
    const configured = client.waitForEvent('initialized').then(() => client.configurationDoneRequest());
    await Promise.all([client.launch(config), configured]);
    const atEntry = await entry;
    const threadId = atEntry.body.threadId ?? 1;
    const [top] = await frames(client, threadId, 1);
    step(`Stopped (${atEntry.body.reason}) after ${((Date.now() - started) / 1000).toFixed(1)} s: ${top ? describeFrame(top) : '?'}`);
    if (top) console.log(sourceLine(top));

    step('Breakpoint on do_sys_openat2, continue until userspace opens a file');
    const set = await client.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'do_sys_openat2' }] });
    console.log(`  breakpoint verified: ${set.body.breakpoints[0]?.verified} ${set.body.breakpoints[0]?.message ?? ''}`);
    const hit = client.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
    await client.continueRequest({ threadId });
    const atBreakpoint = await hit;
    const stack = await frames(client, atBreakpoint.body.threadId ?? threadId, 12);
    step(`Stopped at the breakpoint: ${describeFrame(stack[0]!)}`);
    console.log(sourceLine(stack[0]!));
    step('Backtrace');
    stack.forEach((frame, level) => console.log(`  #${level} ${describeFrame(frame)}`));

    step('Locals of do_sys_openat2');
    const scopes = await client.scopesRequest({ frameId: stack[0]!.id });
    const locals = await client.variablesRequest({ variablesReference: scopes.body.scopes[0]!.variablesReference });
    for (const variable of locals.body.variables) console.log(`  ${variable.name} = ${variable.value}`);

    step('Debug Console: p init_task.comm');
    const comm = await client.evaluateRequest({ expression: 'p init_task.comm', context: 'repl', frameId: stack[0]!.id });
    console.log(`  ${comm.body.result}`);

    step('Terminating: QEMU and gdb are stopped');
    await client.terminateRequest();
  } finally {
    await client.stop().catch(() => undefined);
  }

  const workspace = path.join(cache, 'demo-workspace');
  writeLaunchJson(workspace, [config]);
  step('Ready for F5');
  console.log(`  A workspace with this launch configuration: ${workspace}`);
  console.log(`  Open it in VS Code with the extension loaded from this checkout:`);
  console.log(`    code --extensionDevelopmentPath=${root} ${workspace}`);
  console.log('  then press F5.');
}

main().catch((error: unknown) => {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
