// In the serial console terminal, oops and panic traces (`do_sys_openat2+0x1a/0x40`, RIP
// addresses) become links that open the source line, resolved by the adapter's gdb.
import * as vscode from 'vscode';
import { DEBUG_TYPE } from './contributes';
import { findOopsLocations } from './oopsLocations';
import { KERNEL_REQUEST, kernelRequest } from '../adapter/kernelProtocol';

interface OopsLink extends vscode.TerminalLink {
  location: string;
}

export function registerOopsLinks(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.window.registerTerminalLinkProvider({
      provideTerminalLinks(link): OopsLink[] {
        if (!link.terminal.name.startsWith('Kernel serial:')) return [];
        return findOopsLocations(link.line).map((found): OopsLink => ({ ...found, tooltip: 'Open the source line (kernel-qemu)' }));
      },
      async handleTerminalLink(link: OopsLink): Promise<void> {
        const session = vscode.debug.activeDebugSession;
        if (session?.type !== DEBUG_TYPE)
          return void vscode.window.showInformationMessage('Kernel locations resolve while a kernel-qemu session runs.');
        try {
          const resolved = await kernelRequest(session, KERNEL_REQUEST.resolveLocation, { location: link.location });
          if (!resolved.path) return void vscode.window.showInformationMessage(`No source line for ${link.location}.`);
          const line = Math.max(0, (resolved.line ?? 1) - 1);
          await vscode.window.showTextDocument(vscode.Uri.file(resolved.path), { selection: new vscode.Range(line, 0, line, 0) });
        } catch (error) {
          void vscode.window.showErrorMessage(
            `${link.location}: ${error instanceof Error ? error.message : String(error)} (stop the kernel to resolve it)`,
          );
        }
      },
    }),
  );
}
