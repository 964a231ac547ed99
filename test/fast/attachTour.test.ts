// DAP-level tests of the real session (src/adapter/session.ts and the services behind it),
// in-process, against scriptedGdb.mjs replaying the MI that the real gdb 13 printed for the
// same steps on Debian's 6.1 x86_64 and aarch64 kernels under QEMU (scripts/record-mi-transcript.ts).
// No QEMU, no kernel: a change to how the session answers these requests shows up in seconds.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { ErrorCode } from '../../src/adapter/errors';
import { TRUST_ARGUMENT } from '../../src/adapter/sessionProtocol';
import {
  attachArguments,
  attachToFirstStop,
  continueToBreakpoint,
  inspect,
  TOUR,
  type FirstStop,
  type Inspection,
  type TourPaths,
} from './attachTour';
import { writeElf } from '../unit/elfFixture';
import { rawRequest } from '../adapter/support';
import { InProcessClient, SCRIPTED_GDB } from './inProcess';

const ROOT = path.resolve(__dirname, '../..');
type Arch = 'x86_64' | 'aarch64';
const transcript = (arch: Arch) => path.join(ROOT, `test/fixtures/mi-replay/${arch}-attach-tour.txt`);
/** ELF e_machine of the program the session checks: EM_X86_64, EM_AARCH64. */
const MACHINE: Record<Arch, number> = { x86_64: 62, aarch64: 183 };

/** What each recording saw at the breakpoint (on arm64, past PAN, the user string is read through the task's page tables). */
const SEEN: Record<Arch, { filename: RegExp; flags: string }> = {
  x86_64: { filename: /^0x[0-9a-f]+ "\/init"$/, flags: '557056' },
  aarch64: { filename: /^0x[0-9a-f]+ "\/init"$/, flags: '655360' },
};

interface Replay {
  client: InProcessClient;
  paths: TourPaths;
  args: DebugProtocol.AttachRequestArguments;
  /** What scriptedGdb.mjs was asked, each line "replayed <command>" or "MISSING <command>". */
  commands(): string[];
  /** The arguments the session started gdb with (scriptedGdb.mjs's own left out). */
  gdbArgv(): string[];
  end(): Promise<void>;
}

/** A session against the replayed gdb of `arch`'s recording; `extra` goes into the attach arguments. */
async function replay(arch: Arch = 'x86_64', extra: Record<string, unknown> = {}): Promise<Replay> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'kq-fast-'));
  const paths: TourPaths = {
    PROGRAM: path.join(scratch, 'vmlinux'),
    TARGET: path.join(scratch, 'gdb.sock'),
    SOURCE_ROOT: path.join(scratch, 'linux'),
    CACHE: path.join(scratch, 'cache'),
  };
  // An ELF of the arch with a .debug_info section: the session checks the program before it starts gdb.
  writeElf(paths.PROGRAM, MACHINE[arch], ['.text', '.debug_info']);
  // The session maps gdb's paths into sourceRoot only where the file exists there.
  mkdirSync(path.join(paths.SOURCE_ROOT, path.dirname(TOUR.file)), { recursive: true });
  writeFileSync(path.join(paths.SOURCE_ROOT, TOUR.file), '');
  const log = path.join(scratch, 'commands.log');
  const substitutions = Object.entries(paths).flatMap(([name, value]) => ['--kq-subst', `${name}=${value}`]);
  const logLines = () => readFileSync(log, 'utf8').trim().split('\n');
  const client = new InProcessClient();
  await client.start();
  const args = {
    ...attachArguments(paths, SCRIPTED_GDB, ['--kq-transcript', transcript(arch), '--kq-log', log, ...substitutions]),
    ...extra,
  };
  return {
    client,
    paths,
    args,
    commands: () => logLines().filter((line) => !line.startsWith('argv ')),
    gdbArgv: () => JSON.parse(logLines()[0]?.replace(/^argv /, '') ?? '[]') as string[],
    end: async () => {
      await client.stop();
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}

for (const arch of ['x86_64', 'aarch64'] as const)
  describe(`attach session against a replayed gdb (${arch}, Debian 6.1)`, () => {
    let session: Replay;
    let first: FirstStop;
    let hit: DebugProtocol.StoppedEvent;
    let seen: Inspection;
    let commandsBeforeEnd: string[];

    before(async () => {
      session = await replay(arch);
      first = await attachToFirstStop(session.client, session.args, session.paths.SOURCE_ROOT);
      hit = await continueToBreakpoint(session.client, first.stopped.body.threadId ?? 1);
      seen = await inspect(session.client, hit.body.threadId ?? 1);
      commandsBeforeEnd = session.commands();
    });
    after(() => session?.end());

    test('attach: initialize, attach and configurationDone end in a stop where the VM is (reason entry, CPU 0)', () => {
      assert.equal(first.stopped.body.reason, 'entry');
      assert.equal(first.stopped.body.threadId, 1);
      assert.equal(first.stopped.body.allThreadsStopped, true);
    });

    test('setBreakpoints answers every requested breakpoint, in order, with gdb’s reason for the refused one', () => {
      const [good, beyondEnd, ...more] = first.sourceBreakpoints;
      assert.equal(more.length, 0);
      assert.equal(good?.verified, true, good?.message);
      assert.equal(good?.line, TOUR.line);
      assert.equal(beyondEnd?.verified, false);
      assert.match(beyondEnd?.message ?? '', new RegExp(`No line ${TOUR.lineBeyondEnd} in file`));
      assert.equal(first.functionBreakpoints.length, 1);
      assert.equal(first.functionBreakpoints[0]?.verified, false);
      assert.match(first.functionBreakpoints[0]?.message ?? '', new RegExp(TOUR.missingFunction));
    });

    test('continue ends in a stopped event for the source breakpoint that was hit', () => {
      assert.equal(hit.body.reason, 'breakpoint');
      assert.equal(hit.body.threadId, 1);
      assert.equal(hit.body.text, 'breakpoint 1', 'gdb numbered the first source breakpoint 1');
    });

    test('threads: the vCPU is named by its CPU number and the task it runs (the breakpoint hit in /init)', () => {
      assert.deepEqual(seen.threads, [{ id: 1, name: 'CPU 0 · init (pid 1)' }]);
    });

    test('stackTrace: do_sys_openat2 on top at the breakpoint line, in the source tree, with its callers', () => {
      const [top, caller] = seen.frames;
      assert.equal(top?.name, 'do_sys_openat2');
      assert.equal(top?.line, TOUR.line);
      assert.equal(top?.source?.path, path.join(session.paths.SOURCE_ROOT, TOUR.file));
      assert.equal(caller?.name, 'do_sys_open');
      assert.ok(seen.frames.length >= 4, seen.frames.map((frame) => frame.name).join(' < '));
    });

    test('scopes and variables: the arguments of do_sys_openat2 with their values', () => {
      assert.ok(seen.scopes[0]?.name, 'a first scope');
      const byName = new Map(seen.locals.map((variable) => [variable.name, variable]));
      assert.equal(byName.get('dfd')?.value, '-100');
      assert.match(byName.get('filename')?.value ?? '', SEEN[arch].filename);
      assert.equal(byName.get('how')?.type, 'struct open_how *');
    });

    test('evaluate (watch): an expression in the frame, with its value and type', () => {
      assert.equal(seen.watch.body.result, SEEN[arch].flags);
      assert.equal(seen.watch.body.type, '__u64');
    });

    test('evaluate of an unknown symbol: EvaluationFailed with gdb’s reason, shown in place (no notification)', () => {
      assert.equal(seen.bad.success, false);
      const error = (seen.bad as DebugProtocol.ErrorResponse).body?.error;
      assert.equal(error?.id, ErrorCode.EvaluationFailed);
      assert.match(error?.format ?? '', new RegExp(`No symbol "${TOUR.badExpression}" in current context`));
      assert.equal(error?.showUser, false);
    });

    test("trusted (no TRUST_ARGUMENT, as from other editors): gdb may auto-load the kernel's gdb scripts beside vmlinux", () => {
      const argv = session.gdbArgv();
      assert.ok(argv.includes(`add-auto-load-safe-path ${path.dirname(session.paths.PROGRAM)}`), argv.join(' '));
      assert.ok(commandsBeforeEnd.includes('replayed -interpreter-exec console "help lx-version"'));
    });

    test('the session asked gdb only what the real gdb was asked in the recording', () => {
      assert.deepEqual(
        commandsBeforeEnd.filter((line) => line.startsWith('MISSING')),
        [],
      );
    });
  });

/** Children of this test process whose command line runs scriptedGdb.mjs. */
function scriptedGdbs(): number[] {
  const children = readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  return children.map(Number).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('scriptedGdb.mjs');
    } catch {
      return false; // exited while we looked
    }
  });
}

describe('ending an attach session against a replayed gdb', () => {
  test('disconnect ends the gdb the session started', async () => {
    const session = await replay();
    try {
      await attachToFirstStop(session.client, session.args, session.paths.SOURCE_ROOT);
      assert.equal(scriptedGdbs().length, 1, 'the session runs its gdb');
    } finally {
      await session.end();
    }
    assert.deepEqual(scriptedGdbs(), []);
  });
});

describe('an attach from an untrusted workspace against a replayed gdb', () => {
  test("gdb gets no auto-load safe path, the kernel's gdb scripts are not sourced, and the Debug Console says why", async () => {
    const session = await replay('x86_64', { [TRUST_ARGUMENT]: false });
    const output: string[] = [];
    session.client.on('output', (event: DebugProtocol.OutputEvent) => output.push(event.body.output));
    try {
      await attachToFirstStop(session.client, session.args, session.paths.SOURCE_ROOT);
      assert.ok(!session.gdbArgv().some((arg) => arg.startsWith('add-auto-load-safe-path')), session.gdbArgv().join(' '));
      assert.ok(!session.commands().some((line) => line.includes('lx-version')), 'no probe for the lx-* commands');
      assert.match(output.join(''), /gdb scripts \(vmlinux-gdb\.py\) are not loaded: the workspace is not trusted/);
    } finally {
      await session.end();
    }
  });
});

describe('requests before a session', () => {
  test('stackTrace before attach: NoSession, with the message that no session runs', async () => {
    const client = new InProcessClient();
    await client.start();
    try {
      await client.initializeRequest({ adapterID: 'kernel-qemu', pathFormat: 'path' });
      const response = (await rawRequest(client, 'stackTrace', { threadId: 1 })) as DebugProtocol.ErrorResponse;
      assert.equal(response.success, false);
      assert.equal(response.body?.error?.id, ErrorCode.NoSession);
      assert.match(response.body?.error?.format ?? '', /No kernel-qemu session is running/);
    } finally {
      await client.stop();
    }
  });
});
