// "Open SSH Terminal in Guest": a terminal running ssh to the session's forwarded port on
// 127.0.0.1, with the image's own key; ssh is started from an argv (no shell).
import * as vscode from 'vscode';
import type { SessionInfo } from '../adapter/sessionProtocol';
import { sshArgs } from '../guest/sshArgs';
import { KERNEL_COMMAND } from './kernelContributes';

export function registerSshTerminal(
  context: vscode.ExtensionContext,
  infoOf: (session: vscode.DebugSession) => SessionInfo | undefined,
): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(KERNEL_COMMAND.openSshTerminal, () => {
      const session = vscode.debug.activeDebugSession;
      const info = session && infoOf(session);
      if (!session || !info)
        return void vscode.window.showErrorMessage(
          'kernel-qemu: no kernel-qemu session is running. Start one (F5), then open the ssh terminal.',
        );
      if (!info.ssh)
        return void vscode.window.showErrorMessage(
          'kernel-qemu: this session has no guest network ("network": "none", or an attach): there is no ssh port to connect to.',
        );
      if (!info.ssh.withServer) {
        return void vscode.window.showErrorMessage(
          'kernel-qemu: this guest boots an initramfs, which has no ssh server; its shell is the ' +
            'serial console (Show Serial Console). Build Rootfs → Debian image gives a guest with ssh.',
        );
      }
      const terminal = vscode.window.createTerminal({
        name: `ssh: ${session.name}`,
        shellPath: 'ssh',
        shellArgs: sshArgs(info.ssh),
        iconPath: new vscode.ThemeIcon('remote'),
      });
      terminal.show();
    }),
  );
}
