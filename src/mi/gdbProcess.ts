// gdb in MI mode: the process, its line framing and the MI connection over it.
import { ManagedProcess } from '../process/managedProcess';
import { MiConnection } from './connection';

export interface GdbStartOptions {
  gdbPath: string;
  cwd?: string;
  /** `-iex` commands, run before gdb reads any file (e.g. the auto-load safe path). */
  initCommands?: readonly string[];
  /** The user's own arguments (gdbArgs), after ours. */
  extraArgs?: readonly string[];
}

export class GdbProcess {
  readonly connection: MiConnection;

  private constructor(readonly process: ManagedProcess) {
    this.connection = new MiConnection((line) => process.write(`${line}\n`));
    process.onStdoutLine((line) => this.connection.handleLine(line));
    void process.exited.then(() => this.connection.close(process.describeExit()));
  }

  static start(options: GdbStartOptions): GdbProcess {
    // -nx: a user's ~/.gdbinit often holds `target remote :1234` from the tutorials,
    // which would race our own connection; setupCommands is the place for such settings.
    const args = ['--interpreter=mi3', '-nx', '-q'];
    for (const command of options.initCommands ?? []) args.push('-iex', command);
    args.push(...(options.extraArgs ?? []));
    return new GdbProcess(ManagedProcess.start('gdb', options.gdbPath, args, { cwd: options.cwd }));
  }

  /** Asks gdb to exit, then makes sure it did. */
  async stop(): Promise<void> {
    if (this.process.hasExited) return;
    try {
      this.process.write('-gdb-exit\n');
    } catch {
      // stdin already gone: kill below
    }
    const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 1000).unref());
    if ((await Promise.race([this.process.exited, timer])) === 'timeout') await this.process.kill();
  }
}
