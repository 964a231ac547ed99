// Runs a build plan: each step a process started from an argv (never through a shell) in
// its own process group, so cancelling kills make and every compiler it started. Output
// goes to the caller line by line, with compiler diagnostics' relative paths made absolute
// (make's "Entering directory" lines tell where they are relative to), so a problem
// matcher puts them on the right file. Also tells progress and the first error. No vscode.
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { killGroup } from '../process/processGroup';

export interface RunStep {
  kind: 'run';
  /** What the step does, shown before it runs. */
  title: string;
  argv: readonly [string, ...string[]];
  cwd: string;
  env?: Readonly<Record<string, string>>;
}

/**
 * A step done in-process (write a fragment file, check the result). It may return further
 * steps, run next: how a plan depends on what an earlier step produced.
 */
export interface CallStep {
  kind: 'call';
  title: string;
  run(log: (line: string) => void): Promise<Step[] | void>;
}

export type Step = RunStep | CallStep;

export interface RunEvents {
  /** Text for the terminal, with '\n' line ends (complete lines). */
  output(text: string): void;
  /** A short status while it runs, e.g. "CC init/main.o (412)". */
  progress?(status: string): void;
}

export interface RunResult {
  ok: boolean;
  cancelled: boolean;
  durationMs: number;
  /** The step that failed. */
  failedStep?: string;
  exitCode?: number;
  /** The first compiler error ("file:line: message"), else make's error line, else the failure. */
  firstError?: string;
}

/** ms to wait after SIGTERM before SIGKILL on cancel. */
const KILL_GRACE_MS = 3000;

/** gcc/clang/ld diagnostic: "path:line:col: error: text" (col optional). */
const DIAGNOSTIC = /^([^\s:][^:]*):(\d+):(?:(\d+):)?\s+(fatal error|error|warning|note):\s+(.*)$/;
const ENTERING = /^(?:\S*make(?:\[\d+\])?): Entering directory [`'"](.+)['"]$/;
const LEAVING = /^(?:\S*make(?:\[\d+\])?): Leaving directory [`'"](.+)['"]$/;
const MAKE_ERROR = /^(?:\S*make(?:\[\d+\])?): \*\*\* .*(?:Error \d+|Stop\.)/;
/** Kbuild's quiet lines: "  CC      init/main.o", "  LD      vmlinux". */
const KBUILD_STEP = /^ {2}([A-Z][A-Z0-9_]*(?: \[[A-Z]\])?)\s+(\S.*)$/;
/** buildroot's package steps: ">>> linux 6.1.44 Building". */
const BUILDROOT_STEP = /^>>> (.+)$/;

export class BuildRun {
  private child: ChildProcess | undefined;
  private cancelRequested = false;
  private killTimer: NodeJS.Timeout | undefined;
  private firstDiagnostic: string | undefined;
  private lastMakeError: string | undefined;
  private stepsDone = 0;

  constructor(
    private readonly steps: readonly Step[],
    private readonly events: RunEvents,
  ) {}

  /** Runs the steps in order; stops at the first failure. Never rejects. */
  async start(): Promise<RunResult> {
    const started = Date.now();
    const queue = [...this.steps];
    const result = (fields: Omit<RunResult, 'durationMs' | 'cancelled'>): RunResult => ({
      cancelled: this.cancelRequested,
      durationMs: Date.now() - started,
      ...fields,
    });
    while (queue.length) {
      if (this.cancelRequested) return result({ ok: false, failedStep: queue[0]!.title, firstError: 'cancelled' });
      const step = queue.shift()!;
      this.events.output(`\n> ${step.kind === 'run' ? `${step.title}: ${formatArgv(step.argv)}` : step.title}\n`);
      if (step.kind === 'call') {
        try {
          const more = await step.run((line) => this.events.output(`${line}\n`));
          if (Array.isArray(more)) queue.unshift(...more);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          this.events.output(`${message}\n`);
          return result({ ok: false, failedStep: step.title, firstError: message });
        }
        continue;
      }
      const exit = await this.runProcess(step);
      if (exit.error || exit.code !== 0) {
        const failure = exit.error ?? (this.cancelRequested ? 'cancelled' : `${step.argv[0]} exited with ${exit.code ?? exit.signal}`);
        if (!this.cancelRequested) this.events.output(`\n${failure}\n`);
        return result({
          ok: false,
          failedStep: step.title,
          ...(exit.code !== null && exit.code !== undefined ? { exitCode: exit.code } : {}),
          firstError: this.cancelRequested ? 'cancelled' : (this.firstDiagnostic ?? this.lastMakeError ?? failure),
        });
      }
    }
    return result({ ok: true });
  }

  /** Kills the running step's whole process group (TERM, then KILL) and runs no further step. */
  cancel(): void {
    if (this.cancelRequested) return;
    this.cancelRequested = true;
    this.killChild();
  }

  private killChild(): void {
    const child = this.child;
    if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const pid = child.pid;
    killGroup(pid, 'SIGTERM');
    this.killTimer = setTimeout(() => killGroup(pid, 'SIGKILL'), KILL_GRACE_MS);
    this.killTimer.unref();
  }

  private runProcess(step: RunStep): Promise<{ code?: number | null; signal?: NodeJS.Signals | null; error?: string }> {
    return new Promise((resolve) => {
      let child: ChildProcess;
      try {
        child = spawn(step.argv[0], step.argv.slice(1), {
          cwd: step.cwd,
          // Compiler messages in English, whatever the desktop's language: the problem matcher reads them.
          env: { ...process.env, LC_MESSAGES: 'C', ...step.env },
          stdio: ['ignore', 'pipe', 'pipe'],
          // Its own process group: cancel kills make and every job it started.
          detached: true,
        });
      } catch (error) {
        resolve({ error: `${step.argv[0]}: ${error instanceof Error ? error.message : String(error)}` });
        return;
      }
      this.child = child;
      const dirs: string[] = [];
      const onLine = (line: string) => this.onLine(line, step.cwd, dirs);
      const out = new LineSplitter(onLine);
      const err = new LineSplitter(onLine);
      child.stdout!.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr!.on('data', (chunk: Buffer) => err.push(chunk));
      child.once('error', (error: NodeJS.ErrnoException) => {
        const hint = error.code === 'ENOENT' ? ` (not installed? Debian/Ubuntu: apt-get install ${packageFor(step.argv[0])})` : '';
        resolve({ error: `cannot run ${step.argv[0]}: ${error.message}${hint}` });
      });
      child.once('close', (code, signal) => {
        out.end();
        err.end();
        if (this.killTimer) clearTimeout(this.killTimer);
        // make is gone; anything of its group that outlived it goes too.
        if (this.cancelRequested && child.pid !== undefined) killGroup(child.pid, 'SIGKILL');
        this.child = undefined;
        resolve({ code, signal });
      });
      if (this.cancelRequested) this.killChild();
    });
  }

  private onLine(line: string, cwd: string, dirs: string[]): void {
    const entering = ENTERING.exec(line);
    if (entering) dirs.push(entering[1]!);
    else if (LEAVING.test(line)) dirs.pop();
    const base = dirs[dirs.length - 1] ?? cwd;
    const shown = absolutizeDiagnostic(line, base);
    const diagnostic = DIAGNOSTIC.exec(shown);
    if (diagnostic && /error/.test(diagnostic[4]!) && !this.firstDiagnostic) {
      this.firstDiagnostic = `${diagnostic[1]}:${diagnostic[2]}: ${diagnostic[5]}`;
    }
    if (MAKE_ERROR.test(line)) this.lastMakeError ??= line;
    const step = KBUILD_STEP.exec(line);
    const buildroot = step ? undefined : BUILDROOT_STEP.exec(line);
    if (step || buildroot) {
      this.stepsDone++;
      this.events.progress?.(step ? `${step[1]} ${step[2]} (${this.stepsDone})` : buildroot![1]!);
    }
    this.events.output(`${shown}\n`);
  }
}

/** Runs steps to the end; the convenience form of `new BuildRun(steps, events).start()`. */
export function runSteps(steps: readonly Step[], events: RunEvents): Promise<RunResult> {
  return new BuildRun(steps, events).start();
}

/** "init/main.c:3:1: error: x" run in /k becomes "/k/init/main.c:3:1: error: x"; other lines are unchanged. */
export function absolutizeDiagnostic(line: string, base: string): string {
  const match = DIAGNOSTIC.exec(line);
  if (!match || path.isAbsolute(match[1]!)) return line;
  return path.join(base, match[1]!) + line.slice(match[1]!.length);
}

/** An argv as a user could paste it into a shell (for display only; it is never run this way). */
export function formatArgv(argv: readonly string[]): string {
  return argv.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`)).join(' ');
}

function packageFor(command: string): string {
  const base = path.basename(command);
  if (base === 'qemu-img') return 'qemu-utils';
  return base === 'make' ? 'make' : base;
}

/** Splits a byte stream into lines (UTF-8, '\n' or '\r\n'). */
class LineSplitter {
  private rest = '';
  private readonly decoder = new TextDecoder();

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer): void {
    const text = this.rest + this.decoder.decode(chunk, { stream: true });
    const lines = text.split('\n');
    this.rest = lines.pop()!;
    for (const line of lines) this.onLine(line.replace(/\r$/, ''));
  }

  end(): void {
    const tail = this.rest + this.decoder.decode();
    this.rest = '';
    if (tail) this.onLine(tail.replace(/\r$/, ''));
  }
}
