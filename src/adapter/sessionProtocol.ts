// The event that tells the extension what a session runs on (its status bar item). Pure:
// shared by the adapter (src/adapter/session.ts) and the extension (src/extension/statusBar.ts).
import type { GuestArch } from '../arch';

/** Sent once the debugger is connected to the guest. */
export const SESSION_INFO_EVENT = 'kernelQemu.sessionInfo';

export interface SessionInfo {
  arch: GuestArch;
  /** How the guest runs: TCG, KVM, or a QEMU this session attached to (its accelerator unknown). */
  accel: 'tcg' | 'kvm' | 'attach';
  /** The guest's ssh, forwarded from 127.0.0.1 (launches with the network on); key: the image's own. */
  ssh?: { port: number; key?: string; withServer: boolean };
}

/**
 * A line for the editor's session log (VS Code: the "Kernel QEMU" output channel). Sent only
 * when the launch arguments carry LOG_ARGUMENT, which the extension adds: other DAP clients
 * get none and keep everything in their Debug Console.
 */
export const LOG_EVENT = 'kernelQemu.log';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warning' | 'error' | 'off';

export interface LogLine {
  level: 'trace' | 'info';
  /** One or more lines, without the trailing newline. */
  text: string;
}

/** Launch/attach argument the extension adds from the kernelQemu.cacheDirectory setting, when it is set. */
export const CACHE_ARGUMENT = '__kernelQemuCache';

/**
 * Launch/attach argument the extension adds: whether the workspace is trusted. false: gdb does
 * not auto-load the kernel's gdb scripts (vmlinux-gdb.py, Python from the workspace). Other DAP
 * clients have no Workspace Trust and send none: their user chose the program to debug.
 */
export const TRUST_ARGUMENT = '__kernelQemuWorkspaceTrusted';

/** Launch/attach argument the extension adds: its log channel's level when the session starts. */
export const LOG_ARGUMENT = '__kernelQemuLog';

export interface LogArgument {
  level: LogLevel;
}

/** Custom request the extension sends when its channel's level changes: arguments LogArgument. */
export const SET_LOG_LEVEL_REQUEST = 'kernelQemu.setLogLevel';
