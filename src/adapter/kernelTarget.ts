// What a session debugs: gdb connected to a QEMU gdb stub, and the QEMU itself when we
// launched it. Owns the processes and the private runtime directory, and tears all of it
// down exactly once, however the session ends.
import { EventEmitter } from 'node:events';
import { existsSync, rmSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import * as path from 'node:path';
import { mi } from '../mi/commands';
import type { MiConnection } from '../mi/connection';
import { GdbProcess, type GdbStartOptions } from '../mi/gdbProcess';
import type { QemuPlan } from '../qemu/args';
import { sshKeyOf } from '../guest/debianImage';
import { guestSummary } from './guestConfig';
import { attachThroughMonitor, type MonitorAttach } from './monitorAttach';
import { startVirtiofsDaemons } from '../guest/virtiofs';
import type { HumanMonitor } from '../qemu/monitor';
import { QemuInstance } from '../qemu/process';
import { shellCommand } from '../qemu/shellQuote';
import type { ManagedProcess } from '../process/managedProcess';
import { createRuntimeDir, protectSockets } from '../process/runtimeDirs';
import { planSnapshotStart } from './snapshotStart';
import { recordReplayArgv } from './recording';
import { recordReplayArgs, type RecordingFiles } from '../qemu/recordReplay';
import type { ResolvedAttach, ResolvedConfig, ResolvedLaunch } from './configCheck';
import type { SetupCommand } from './launchArgs';
import { cacheDirectory } from './cacheDirectory';
import { errorText, UserError } from './errors';
import { launchErrors } from './launchErrors';
import { runOnPastStop } from './recordingEnd';
import { HangWatch, type WatchedChannel } from './hangWatch';
import { isStopped } from '../process/processState';
import { killGroup } from '../process/processGroup';

export interface TargetEvents {
  /** QEMU or gdb went away on its own; the text says which and why. */
  died: [message: string];
  /** Another QEMU took the place of the first (a recording became its replay: becomeReplay). */
  qemuReplaced: [qemu: QemuInstance];
  serial: [text: string];
  log: [text: string];
}

/** How a launch started its QEMU, kept to start its replay in its place (becomeReplay). */
interface QemuStart {
  plan: QemuPlan;
  serialPipe: string;
}

export class KernelTarget extends EventEmitter<TargetEvents> {
  private stopping: Promise<void> | undefined;
  private serialMuted = false;

  private constructor(
    readonly config: ResolvedConfig,
    readonly gdb: GdbProcess,
    private current: QemuInstance | undefined,
    /** vmlinux-gdb.py (the kernel's lx-* commands) was auto-loaded. */
    readonly hasLinuxScripts: boolean,
    private readonly runtimeDir: string | undefined,
    /** Fails requests a stopped gdb or QEMU cannot answer; started with gdb, before the target exists. */
    private readonly hangWatch: HangWatch,
    private readonly attached?: MonitorAttach,
    /** Processes that serve the guest beside QEMU (a virtiofsd per virtiofs share). */
    private readonly helpers: readonly ManagedProcess[] = [],
    private readonly qemuStart?: QemuStart,
  ) {
    super();
    void gdb.process.exited.then(() => this.onDeath(gdb.process.describeExit()));
    if (current) this.watchQemu(current);
  }

  /** The QEMU this session launched (the replay's, once a recording became one). */
  get qemu(): QemuInstance | undefined {
    return this.current;
  }

  private watchQemu(qemu: QemuInstance): void {
    void qemu.process.exited.then(() => {
      if (qemu === this.current) this.onDeath(qemu.process.describeExit());
    });
    qemu.onSerialOutput((text) => {
      if (qemu === this.current && !this.serialMuted) this.emit('serial', text);
    });
  }

  /**
   * A recording QEMU becomes the replay of its own recording: gdb lets go of the stub, the
   * recording QEMU quits (closing its log), a replaying QEMU starts in its place, `seek` runs it
   * to where the recording stopped (through QMP, with gdb away, so no breakpoint stops it; the
   * console muted, since the replay prints the boot log again), and gdb connects to it.
   */
  async becomeReplay(files: RecordingFiles, seek: (qemu: QemuInstance) => Promise<void>): Promise<void> {
    const recording = this.current;
    if (!recording || !this.qemuStart || !this.endpoint || this.config.request !== 'launch')
      throw new Error('only a launched, recorded session can become its replay');
    await this.mi.send(mi.targetDisconnect());
    // Its exit is ours, not a death that ends the session. Quit, not kill: QEMU writes the end of
    // its event log as it exits.
    this.current = undefined;
    await this.quitRecording(recording);
    const plan: QemuPlan = {
      ...this.qemuStart.plan,
      extraArgs: [...recordReplayArgs({ mode: 'replay', files }), ...this.config.serverArgs],
    };
    const replay = await QemuInstance.start(this.config.qemuPath, plan, this.config.cwd, this.qemuStart.serialPipe);
    this.current = replay;
    this.watchQemu(replay);
    if (this.runtimeDir) protectSockets(this.runtimeDir);
    this.emit('qemuReplaced', replay);
    this.emit('log', `QEMU replays the recording: ${shellCommand([this.config.qemuPath, ...replay.argv])}\n`);
    this.serialMuted = true;
    try {
      await seek(replay);
    } finally {
      this.serialMuted = false;
    }
    await this.connect(this.endpoint);
  }

  get mi(): MiConnection {
    return this.gdb.connection;
  }

  /** The monitor an attach session came through (its snapshots go there). */
  get monitor(): HumanMonitor | undefined {
    return this.attached?.monitor;
  }

  /** Has requests of another kind (a pause waiting for its stop) failed when gdb or QEMU is stopped. */
  watchHangs(channel: WatchedChannel): void {
    this.hangWatch.add(channel);
  }

  get isStopping(): boolean {
    return this.stopping !== undefined;
  }

  /** Starts QEMU paused with its stub on a private unix socket and gdb beside it, loads symbols and connects. */
  static async launch(config: ResolvedLaunch, accel: 'kvm' | 'tcg', log: (text: string) => void): Promise<KernelTarget> {
    const runtimeDir = createRuntimeDir();
    let qemu: QemuInstance | undefined;
    let target: KernelTarget | undefined;
    let helpers: ManagedProcess[] = [];
    // gdb loads vmlinux (the longest part of a start) while QEMU starts: neither needs the other
    // until gdb connects to the stub.
    const gdb = GdbProcess.start(gdbOptions(config));
    // From the start: a gdb stopped while it loads vmlinux would hang the launch, and the Stop
    // that waits for the launch.
    const hangWatch = HangWatch.forSession(gdb, () => target?.qemu ?? qemu);
    const gdbReady = prepareGdb(gdb.connection, config, log);
    gdbReady.catch(() => undefined); // awaited below, or the start failed on QEMU's side first
    try {
      let snapshotStart = await planSnapshotStart(config);
      const served = await startVirtiofsDaemons(config.guest.devices.shares, runtimeDir);
      helpers = served.daemons;
      const plan: QemuPlan = {
        arch: config.arch,
        accel,
        kernel: config.kernel,
        ...(config.initrd ? { initrd: config.initrd } : {}),
        ...(config.rootfs ? { rootfs: config.rootfs } : {}),
        commandLine: config.commandLine,
        ...(config.machine ? { machine: config.machine } : {}),
        ...(config.cpu ? { cpu: config.cpu } : {}),
        memoryMiB: config.memory,
        smp: config.smp,
        gdbSocket: path.join(runtimeDir, 'gdb.sock'),
        qmpSocket: path.join(runtimeDir, 'qmp.sock'),
        guest: { ...config.guest.devices, shares: served.shares },
        extraArgs: [...(await recordReplayArgv(config, log)), ...config.serverArgs],
        // Record/replay: QEMU logs what a char device's read and write returned, and a replay must
        // see the same: a console that is only written (always whole) replays; the two-way FIFO
        // console made replays miss breakpoint hits and deadlock QEMU 7.2 in reverse runs, and
        // stdio failed with "Missing character write event in the replay log".
        ...(config.recordReplay ? { serialOutputOnly: true } : {}),
        ...snapshotStart.plan,
      };
      const serialPipe = path.join(runtimeDir, 'serial');
      try {
        qemu = await QemuInstance.start(config.qemuPath, plan, config.cwd, serialPipe);
      } catch (error) {
        const busy = diskInUse(error, plan);
        if (!busy) throw error;
        // A state disk found (not asked for) that another session holds: this one runs without it.
        if (busy === plan.stateDisk && config.stateDiskFound && config.snapshot === undefined) {
          log(
            `The state disk ${busy} is in use by another QEMU (another session of this kernel?): this ` +
              `session runs without it, so it cannot save VM snapshots.\n`,
          );
          snapshotStart = await planSnapshotStart({ ...config, stateDisk: undefined, stateDiskFound: false });
          delete plan.stateDisk;
          qemu = await QemuInstance.start(config.qemuPath, plan, config.cwd, serialPipe);
        } else {
          throw launchErrors.diskInUse(busy);
        }
      }
      protectSockets(runtimeDir);
      await snapshotStart.afterStart(qemu.qmp);
      log(`QEMU started (${accel.toUpperCase()}): ${shellCommand([config.qemuPath, ...qemu.argv])}\n`);
      const sshKey = config.rootfs && existsSync(sshKeyOf(config.rootfs.path)) ? sshKeyOf(config.rootfs.path) : undefined;
      for (const line of guestSummary(config.guest, sshKey)) log(line);
      const hasLinuxScripts = await gdbReady;
      target = new KernelTarget(config, gdb, qemu, hasLinuxScripts, runtimeDir, hangWatch, undefined, helpers, { plan, serialPipe });
      await target.connect(plan.gdbSocket);
      await runUserCommands(gdb.connection, 'postConnectCommands', config.postConnectCommands, log);
      return target;
    } catch (error) {
      hangWatch.stop();
      const cause = await deathDuringStartup(error, qemu?.process, gdb.process);
      await Promise.all([gdb.stop(), qemu?.stop()]);
      await Promise.all(helpers.map((helper) => helper.kill()));
      rmSync(runtimeDir, { recursive: true, force: true });
      throw cause;
    }
  }

  /** gdb against a QEMU gdb stub someone else started. */
  static async attach(config: ResolvedAttach, log: (text: string) => void): Promise<KernelTarget> {
    const attached = config.monitor ? await attachThroughMonitor(config.monitor, config.target, log) : undefined;
    const gdb = GdbProcess.start(gdbOptions(config));
    const hangWatch = HangWatch.forSession(gdb, () => undefined); // the QEMU is someone else's
    try {
      const hasLinuxScripts = await prepareGdb(gdb.connection, config, log);
      const target = new KernelTarget(config, gdb, undefined, hasLinuxScripts, undefined, hangWatch, attached);
      await target.connect(attached?.endpoint ?? config.target!);
      await runUserCommands(gdb.connection, 'postConnectCommands', config.postConnectCommands, log);
      return target;
    } catch (error) {
      hangWatch.stop();
      const cause = await deathDuringStartup(error, undefined, gdb.process);
      await gdb.stop();
      await attached?.release();
      throw cause;
    }
  }

  /**
   * Drops gdb's connection to the stub and makes it again, so gdb reads the target's state
   * afresh: registers, frames, memory, threads and where it stopped (after a VM snapshot load).
   */
  async reconnect(): Promise<void> {
    if (!this.endpoint) throw new Error('gdb is not connected');
    await this.mi.send(mi.targetDisconnect());
    await this.connect(this.endpoint);
  }

  private endpoint: string | undefined;

  private async connect(endpoint: string): Promise<void> {
    this.endpoint = endpoint;
    try {
      await withinConnectTimeout(this.mi.send(mi.targetSelectRemote(endpoint)), endpoint);
    } catch (error) {
      if (error instanceof UserError) throw error; // gdb or QEMU stopped meanwhile (hangWatch.ts)
      const hint = this.qemu ? '' : ' Is QEMU running with -gdb (e.g. -gdb tcp:127.0.0.1:1234) and is the address right?';
      throw launchErrors.stubUnreachable(endpoint, error, hint);
    }
  }

  /** Ends everything; safe to call many times and from any path. */
  stop(killQemu = true): Promise<void> {
    this.stopping ??= (async () => {
      this.hangWatch.stop();
      const qemu = killQemu ? this.current : undefined;
      // A stopped gdb or QEMU (SIGSTOP) would answer nothing below: each would wait out its timeout.
      for (const own of [this.gdb.process, qemu?.process]) if (own?.pid !== undefined && isStopped(own.pid)) killGroup(own.pid, 'SIGCONT');
      if (!killQemu) await this.mi.send(mi.targetDisconnect()).catch(() => undefined);
      // gdb first: it finishes the commands it was sent while the stub is still there (gdb 13
      // aborts with an internal error, and dumps core, when the target vanishes mid-command).
      await this.gdb.stop();
      await qemu?.stop();
      if (killQemu) await Promise.all(this.helpers.map((helper) => helper.kill()));
      await this.attached?.release();
      if (this.runtimeDir) rmSync(this.runtimeDir, { recursive: true, force: true });
    })();
    return this.stopping;
  }

  /**
   * A recording quits, not killed: QEMU writes the end of its event log as it exits. gdb let go
   * with `target disconnect`, which leaves the VM paused (at the end of a session gdb detaches,
   * which resumes it): it first runs past the stop (runOnPastStop).
   */
  private async quitRecording(recording: QemuInstance): Promise<void> {
    if (!recording.process.hasExited && !recording.qmp.isClosed) {
      await runOnPastStop(recording.qmp).catch((error: unknown) =>
        this.emit('log', `The recording could not run on past its last stop (${errorText(error)}): its replay may exit there.\n`),
      );
    }
    await recording.stop(RECORDING_QUIT_MS);
  }

  private onDeath(message: string): void {
    if (this.stopping) return;
    this.emit('died', message);
  }
}

/** gdb's settings, vmlinux's symbols, the kernel's gdb scripts and the user's setupCommands; true when the lx-* scripts loaded. */
async function prepareGdb(connection: MiConnection, config: ResolvedConfig, log: (text: string) => void): Promise<boolean> {
  for (const setting of [
    'mi-async on',
    'pagination off',
    'confirm off',
    'width 0',
    'height 0',
    'print pretty off',
    'breakpoint pending off',
    // gdb resends a packet its stub has not acknowledged within remotetimeout (2 s). Over a
    // socket nothing is lost, so a resend only ever reaches a QEMU that was slow or stopped
    // (SIGSTOP, a long snapshot job): it answers every copy, and each later answer is the one
    // before it (wrong memory, a SIGINT stop nobody asked for). Measured: QEMU stopped for 12 s
    // under a read got it four times. The session's own requests have their deadlines
    // (hangWatch.ts); gdb just waits.
    `remotetimeout ${STUB_PATIENCE_SECONDS}`,
  ]) {
    await connection.send(mi.gdbSet(...splitSetting(setting)));
  }
  // gdb's index cache turns the next load of the same vmlinux from seconds into a fraction,
  // and the first expansion of a big struct (task_struct) from seconds into milliseconds.
  await connection.send(mi.consoleCommand(`set index-cache directory ${path.join(cacheDirectory(), 'gdb-index')}`)).catch(() => undefined);
  await connection.send(mi.consoleCommand('set index-cache enabled on')).catch(() => undefined);
  const started = Date.now();
  try {
    await connection.send(mi.fileExecAndSymbols(config.program));
  } catch (error) {
    if (error instanceof UserError) throw error; // gdb stopped meanwhile (hangWatch.ts), not the file's fault
    throw launchErrors.symbolsUnloadable(config.program, error);
  }
  log(`Symbols loaded from ${config.program} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  const hasLinuxScripts = config.loadGdbScripts && (await loadLinuxScripts(connection, config.program));
  log(
    hasLinuxScripts
      ? "The kernel's gdb scripts are loaded: lx-dmesg, lx-ps, lx-lsmod, lx-symbols, $lx_current() work in the Debug Console.\n"
      : !config.loadGdbScripts
        ? "The kernel's gdb scripts (vmlinux-gdb.py) are not loaded: the workspace is not trusted. " +
          'Trust it (Manage Workspace Trust) to use lx-dmesg, lx-ps and $lx_current().\n'
        : "The kernel's gdb scripts (lx-dmesg, lx-ps, $lx_current()) were not found beside vmlinux: " +
          "build the kernel with CONFIG_GDB_SCRIPTS=y and run 'make scripts_gdb'; they then load " +
          'automatically.\n',
  );
  await runUserCommands(connection, 'setupCommands', config.setupCommands, log);
  return hasLinuxScripts;
}

/** The user's gdb commands of a launch key, each with its output; a failure ends the start unless ignoreFailures. */
async function runUserCommands(
  connection: MiConnection,
  key: 'setupCommands' | 'postConnectCommands',
  commands: readonly SetupCommand[],
  log: (text: string) => void,
): Promise<void> {
  for (const command of commands) {
    try {
      const result = await connection.send(mi.consoleCommand(command.text));
      if (result.console) log(result.console);
    } catch (error) {
      if (!command.ignoreFailures) throw launchErrors.setupCommandFailed(key, command.text, error);
      log(`${key}: "${command.text}" failed (ignored): ${errorText(error)}\n`);
    }
  }
}

/**
 * gdb auto-loads vmlinux-gdb.py from beside vmlinux's real path only: a tree whose vmlinux is
 * a link (to a distribution's debug vmlinux, say) would lose its lx-* scripts. The script
 * beside the configured path, in the directory gdb was told is safe, is sourced then.
 */
async function loadLinuxScripts(connection: MiConnection, program: string): Promise<boolean> {
  const loaded = () =>
    connection.send(mi.consoleCommand('help lx-version')).then(
      () => true,
      () => false,
    );
  if (await loaded()) return true;
  const beside = path.join(path.dirname(program), 'vmlinux-gdb.py');
  const linked = await realpath(program).then(
    (real) => real !== path.resolve(program),
    () => false,
  );
  if (!linked || !existsSync(beside)) return false;
  await connection.send(mi.consoleCommand(`source ${beside}`)).catch(() => undefined);
  return loaded();
}

/** The kernel tree's vmlinux-gdb.py sits beside vmlinux: let gdb auto-load it from there only, and only from a trusted workspace. */
export function gdbOptions(config: ResolvedConfig): GdbStartOptions {
  return {
    gdbPath: config.gdbPath,
    ...(config.cwd ? { cwd: config.cwd } : {}),
    initCommands: config.loadGdbScripts ? [`add-auto-load-safe-path ${path.dirname(config.program)}`] : [],
    extraArgs: config.gdbArgs,
  };
}

/** How long gdb waits for its stub before it resends (see prepareGdb): never, in practice. */
const STUB_PATIENCE_SECONDS = 3600;

/** gdb retries a refused port and waits out a peer that never answers (30 s); a session start does not. */
const CONNECT_TIMEOUT_MS = 10_000;

/** A recording QEMU asked to quit writes the end of its log first; killed, the log would end short. */
const RECORDING_QUIT_MS = 15_000;

async function withinConnectTimeout<T>(connecting: Promise<T>, endpoint: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(
            `no gdb stub answered at ${endpoint} within ${CONNECT_TIMEOUT_MS / 1000} s (nothing listens there, or another program does)`,
          ),
        ),
      CONNECT_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([connecting, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * When QEMU or gdb died while the session started, that is the cause to show (with the tail of
 * its stderr), not what gdb saw next ("Connection refused"). Waits briefly for the exit to land.
 */
async function deathDuringStartup(error: unknown, qemu: ManagedProcess | undefined, gdb: ManagedProcess | undefined): Promise<unknown> {
  const watched = [qemu, gdb].filter((process): process is ManagedProcess => process !== undefined);
  if (!watched.some((process) => process.hasExited)) {
    await Promise.race([...watched.map((process) => process.exited), new Promise((resolve) => setTimeout(resolve, 250).unref())]);
  }
  if (qemu?.hasExited) return launchErrors.qemuExitedAtStart(qemu.describeExit());
  if (gdb?.hasExited) return launchErrors.gdbExitedAtStart(gdb.describeExit());
  return error;
}

function splitSetting(setting: string): [string, string] {
  const space = setting.indexOf(' ');
  return [setting.slice(0, space), setting.slice(space + 1)];
}

/** The disk of `plan` that QEMU could not lock because another process holds it, if that is why it failed. */
function diskInUse(error: unknown, plan: QemuPlan): string | undefined {
  const text = errorText(error);
  if (!/Failed to get "write" lock/.test(text)) return undefined;
  return [plan.stateDisk, plan.rootfs?.path].find((disk): disk is string => disk !== undefined && text.includes(disk));
}
