// kernel-qemu launch configurations: the initial launch.json entry, configurations
// discovered in kernel build trees (F5 with no launch.json, the dynamic list), defaults
// from settings, and a full check before anything starts, so a mistake is one error
// message naming the fix instead of a failed session.
import * as vscode from 'vscode';
import { initialConfiguration, SETTINGS_SECTION } from './contributes';
import { discoverKernelTree, launchConfigFor, type KernelTree } from './discovery';
import { applyToolSettings } from './toolSettings';

const OPEN_LAUNCH_JSON = 'Open launch.json';

/** Provides the initial configuration and resolves (fills in, checks) every kernel-qemu configuration. */
export class KernelQemuConfigurationProvider implements vscode.DebugConfigurationProvider {
  provideDebugConfigurations(): vscode.DebugConfiguration[] {
    return [initialConfiguration() as vscode.DebugConfiguration];
  }

  async resolveDebugConfiguration(
    folder: vscode.WorkspaceFolder | undefined,
    config: vscode.DebugConfiguration,
  ): Promise<vscode.DebugConfiguration | undefined> {
    if (!config.type && !config.request && !config.name) {
      // F5 with no launch.json: use the kernel build tree that is open, if there is one.
      const found = await discoverInWorkspace(folder);
      if ('problem' in found) {
        void showNoKernelTree(found.problem);
        return undefined;
      }
      config = launchConfigFor(found.tree, found.folder.name) as vscode.DebugConfiguration;
      folder = found.folder;
    }
    if (config.request !== 'launch' && config.request !== 'attach') {
      void showConfigError(`"request" must be "launch" or "attach" in the kernel-qemu configuration "${String(config.name)}".`);
      return undefined;
    }
    // Relative paths mean the workspace folder, as the schema's cwd default says.
    if (folder && (config.cwd === undefined || config.cwd === '')) config.cwd = folder.uri.fsPath;
    return config;
  }

  async resolveDebugConfigurationWithSubstitutedVariables(
    folder: vscode.WorkspaceFolder | undefined,
    config: vscode.DebugConfiguration,
  ): Promise<vscode.DebugConfiguration | undefined> {
    const settings = vscode.workspace.getConfiguration(SETTINGS_SECTION, folder);
    await applyToolSettings(config, {
      qemuPath: settings.get<string>('qemuPath', ''),
      gdbPath: settings.get<string>('gdbPath', ''),
    });
    // Loaded on first use: it pulls in the ELF reader and the tool lookup.
    const { checkConfig } = await import('../adapter/configCheck');
    const error = await checkConfig(config.request as 'launch' | 'attach', config);
    if (error) {
      void showConfigError(error.message);
      return undefined; // nothing starts
    }
    return config;
  }
}

/** Offers a launch configuration for each workspace folder that is a built kernel tree. */
export class DiscoveredConfigurationProvider implements vscode.DebugConfigurationProvider {
  async provideDebugConfigurations(folder: vscode.WorkspaceFolder | undefined): Promise<vscode.DebugConfiguration[]> {
    const folders = folder ? [folder] : (vscode.workspace.workspaceFolders ?? []);
    const configs: vscode.DebugConfiguration[] = [];
    for (const candidate of folders) {
      const found = await discoverKernelTree(candidate.uri.fsPath);
      if (!('problem' in found)) configs.push(launchConfigFor(found, candidate.name) as vscode.DebugConfiguration);
    }
    return configs;
  }
}

type Discovery = { tree: KernelTree; folder: vscode.WorkspaceFolder } | { problem: string };

async function discoverInWorkspace(folder: vscode.WorkspaceFolder | undefined): Promise<Discovery> {
  const folders = folder ? [folder] : (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
  if (folders.length === 0) {
    return {
      problem:
        'kernel-qemu: no folder is open. Open the top of a built kernel tree (with vmlinux and arch/x86/boot/bzImage or arch/arm64/boot/Image), then press F5 again.',
    };
  }
  let first: string | undefined;
  for (const candidate of folders) {
    const found = await discoverKernelTree(candidate.uri.fsPath);
    if (!('problem' in found)) return { tree: found, folder: candidate };
    first ??= found.problem;
  }
  return { problem: `kernel-qemu: ${first!}` };
}

async function showNoKernelTree(message: string): Promise<void> {
  const hasFolder = (vscode.workspace.workspaceFolders ?? []).length > 0;
  const action = hasFolder ? 'Add Configuration' : 'Open Folder';
  const choice = await vscode.window.showErrorMessage(message, action);
  if (choice === 'Add Configuration') await vscode.commands.executeCommand('workbench.action.debug.configure');
  if (choice === 'Open Folder') await vscode.commands.executeCommand('workbench.action.files.openFolder');
}

async function showConfigError(message: string): Promise<void> {
  const choice = await vscode.window.showErrorMessage(message, OPEN_LAUNCH_JSON);
  if (choice === OPEN_LAUNCH_JSON) await vscode.commands.executeCommand('workbench.action.debug.configure');
}
