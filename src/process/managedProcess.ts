// A child process the session owns: started from an argv array (never a shell), its
// stdout framed into lines, the tail of its stderr kept for error messages, and killed
// with its whole tree (it leads a process group of its own). On Linux it is started under `setpriv --pdeathsig KILL`, so the
// kernel kills it even when the adapter itself is killed with SIGKILL, and under
// `prlimit --core=0`: a crashing QEMU (a core as big as guest RAM) or gdb would otherwise
// drop a core file into the user's folder.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as readline from 'node:readline';
import { killGroup } from './processGroup';

const SETPRIV = '/usr/bin/setpriv';
const PRLIMIT = '/usr/bin/prlimit';
const STDERR_TAIL_LINES = 20;

export interface ExitStatus {
  code: number | null;
  signal: string | null;
}

export interface StartOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export class ManagedProcess {
  readonly exited: Promise<ExitStatus>;
  private readonly stderrLines: string[] = [];
  private exitStatus: ExitStatus | undefined;
  private readonly child: ChildProcessWithoutNullStreams;

  private constructor(
    readonly name: string,
    file: string,
    args: readonly string[],
    options: StartOptions,
  ) {
    const [command, ...argv] = wrapped(file, args);
    // shell: false (the default) — argv elements reach the program literally.
    // detached: the child leads its own process group, which kill() signals as a whole.
    this.child = spawn(command, argv, { cwd: options.cwd, env: options.env ?? process.env, stdio: 'pipe', shell: false, detached: true });
    this.child.stdin.on('error', () => undefined);
    readline.createInterface({ input: this.child.stderr }).on('line', (line) => {
      this.stderrLines.push(line);
      if (this.stderrLines.length > STDERR_TAIL_LINES) this.stderrLines.shift();
    });
    this.exited = new Promise<ExitStatus>((resolve) => {
      this.child.once('error', (error) => {
        this.stderrLines.push(`could not start ${file}: ${error.message}`);
        resolve((this.exitStatus = { code: null, signal: null }));
      });
      this.child.once('close', (code, signal) => resolve((this.exitStatus = { code, signal })));
    });
  }

  static start(name: string, file: string, args: readonly string[], options: StartOptions = {}): ManagedProcess {
    return new ManagedProcess(name, file, args, options);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get hasExited(): boolean {
    return this.exitStatus !== undefined;
  }

  /** Calls back for each line of stdout. */
  onStdoutLine(listener: (line: string) => void): void {
    readline.createInterface({ input: this.child.stdout }).on('line', listener);
  }

  /** Raw stdout chunks (for a serial console, where partial lines matter). */
  onStdoutData(listener: (chunk: string) => void): void {
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', listener);
  }

  write(text: string): void {
    if (this.hasExited) throw new Error(`${this.name} has exited`);
    this.child.stdin.write(text);
  }

  stderrTail(): string {
    return this.stderrLines.join('\n');
  }

  describeExit(): string {
    const status = this.exitStatus;
    if (!status) return `${this.name} is running`;
    const how = status.signal ? `was killed by ${status.signal}` : `exited with code ${status.code}`;
    const tail = this.stderrTail();
    return tail ? `${this.name} ${how}:\n${tail}` : `${this.name} ${how}`;
  }

  /** SIGTERM (and SIGCONT) to the whole tree, SIGKILL if it is still there after graceMs. */
  async kill(graceMs = 1500): Promise<void> {
    const pid = this.child.pid;
    if (this.hasExited || pid === undefined) {
      await this.exited;
      return;
    }
    killGroup(pid, 'SIGTERM');
    // A stopped process (SIGSTOP, Ctrl+Z) keeps a SIGTERM it handles (QEMU, gdb) pending until it
    // is continued: continue it, so it ends now instead of at the SIGKILL.
    killGroup(pid, 'SIGCONT');
    const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), graceMs).unref());
    if ((await Promise.race([this.exited, timer])) === 'timeout') {
      killGroup(pid, 'SIGKILL');
      await this.exited;
    }
  }
}

/** The argv that starts `file`: under setpriv and prlimit when the system has them (both exec it). */
function wrapped(file: string, args: readonly string[]): [string, ...string[]] {
  let argv: [string, ...string[]] = [file, ...args];
  if (process.platform !== 'linux') return argv;
  if (existsSync(PRLIMIT)) argv = [PRLIMIT, '--core=0', '--', ...argv];
  if (existsSync(SETPRIV)) argv = [SETPRIV, '--pdeathsig', 'KILL', '--', ...argv];
  return argv;
}
