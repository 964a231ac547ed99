// The event that tells the extension what a session runs on (its status bar item). Pure:
// shared by the adapter (src/adapter/session.ts) and the extension (src/extension/statusBar.ts).

/** Sent once the debugger is connected to the guest. */
export const SESSION_INFO_EVENT = 'kernelQemu.sessionInfo';

export interface SessionInfo {
  arch: 'x86_64' | 'aarch64';
  /** How the guest runs: TCG, KVM, or a QEMU this session attached to (its accelerator unknown). */
  accel: 'tcg' | 'kvm' | 'attach';
}
