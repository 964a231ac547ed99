// How VS Code runs the debug adapter: inline in the extension host by default (no
// process to spawn, breakpoints in the adapter work when debugging the extension), or
// as the standalone dist/adapter.js when kernelQemu.adapterMode is "process".
import * as vscode from 'vscode';
import type { KernelQemuSession } from '../adapter/session';
import { SETTINGS_SECTION } from './contributes';

export class KernelQemuAdapterFactory implements vscode.DebugAdapterDescriptorFactory {
  constructor(private readonly extensionUri: vscode.Uri) {}

  async createDebugAdapterDescriptor(session: vscode.DebugSession): Promise<vscode.DebugAdapterDescriptor> {
    const mode = vscode.workspace.getConfiguration(SETTINGS_SECTION, session.workspaceFolder).get<string>('adapterMode', 'inline');
    const adapter = vscode.Uri.joinPath(this.extensionUri, 'dist', 'adapter.js').fsPath;
    if (mode === 'process') {
      // The extension host's own runtime as node: no dependency on a `node` on PATH.
      // (In desktop VS Code process.execPath is Electron, which ELECTRON_RUN_AS_NODE turns into node.)
      return new vscode.DebugAdapterExecutable(process.execPath, [adapter], { env: { ELECTRON_RUN_AS_NODE: '1' } });
    }
    // The adapter's own bundle, required on first use: the extension bundle does not carry the
    // session, MI and QEMU code, so activation does not parse it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a bundle loaded by path at run time, not a module import
    const { KernelQemuSession: Session } = require(adapter) as { KernelQemuSession: typeof KernelQemuSession };
    return new vscode.DebugAdapterInlineImplementation(new Session());
  }
}
