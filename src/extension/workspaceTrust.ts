// Workspace Trust (the manifest declares "limited" support): a workspace not trusted yet can
// hold a launch.json that runs any QEMU and gdb, a Makefile that build tasks run, and a
// vmlinux-gdb.py that gdb would execute. In Restricted Mode the views and the config doctor
// read the trees; starting a session or a build asks for trust instead. VS Code asks first
// when F5 starts a session (test/ui/restrictedMode.ui.test.ts); this is the extension's own
// check, for the Builds view's targets and any start that reaches it untrusted.
import * as vscode from 'vscode';

export const MANAGE_TRUST = 'Manage Workspace Trust';

/** True when the workspace is trusted; otherwise asks for trust (a modal naming what waits for it) and returns false. */
export async function trustedOrAsk(action: string): Promise<boolean> {
  if (vscode.workspace.isTrusted) return true;
  const choice = await vscode.window.showWarningMessage(
    `kernel-qemu: this workspace is in Restricted Mode. To ${action}, trust it first: that ` +
      `runs QEMU, gdb and the kernel's gdb scripts (vmlinux-gdb.py) from it.`,
    { modal: true },
    MANAGE_TRUST,
  );
  if (choice === MANAGE_TRUST) await vscode.commands.executeCommand('workbench.trust.manage');
  return false;
}
