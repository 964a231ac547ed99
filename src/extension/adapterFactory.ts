// How VS Code runs the debug adapter: inline in the extension host by default (no
// process to spawn, breakpoints in the adapter work when debugging the extension), or
// as the standalone dist/adapter.js when kernelQemu.adapterMode is "process".
import * as vscode from 'vscode';
import { SETTINGS_SECTION } from './contributes';

export class KernelQemuAdapterFactory implements vscode.DebugAdapterDescriptorFactory {
  constructor(private readonly extensionUri: vscode.Uri) {}

  async createDebugAdapterDescriptor(session: vscode.DebugSession): Promise<vscode.DebugAdapterDescriptor> {
    const mode = vscode.workspace.getConfiguration(SETTINGS_SECTION, session.workspaceFolder).get<string>('adapterMode', 'inline');
    if (mode === 'process') {
      const adapter = vscode.Uri.joinPath(this.extensionUri, 'dist', 'adapter.js').fsPath;
      // The extension host's own runtime as node: no dependency on a `node` on PATH.
      // (In desktop VS Code process.execPath is Electron, which ELECTRON_RUN_AS_NODE turns into node.)
      return new vscode.DebugAdapterExecutable(process.execPath, [adapter], { env: { ELECTRON_RUN_AS_NODE: '1' } });
    }
    // Loaded on first use, so activation does not evaluate the adapter, MI and QEMU code.
    const { KernelQemuSession } = await import('../adapter/session');
    return new vscode.DebugAdapterInlineImplementation(new KernelQemuSession());
  }
}
