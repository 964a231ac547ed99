// kernel-qemu launch configurations: the initial launch.json entry, configurations
// discovered in kernel build trees (F5 with no launch.json, the dynamic list), defaults
// from settings, and a full check before anything starts, so a mistake is one error
// message naming the fix instead of a failed session.
import * as vscode from 'vscode';
import { launchConfigFromOutputs, outputsLaunch } from '../build/artifacts';
import { taskLabel } from '../build/targets';
import { detectBuildTrees, detectTree, type BuildTree } from '../build/workspace';
import { initialConfiguration, SETTINGS_SECTION } from './contributes';
import { discoverKernelTree, launchConfigFor, type KernelTree } from './discovery';
import { BUILD_COMMAND, TASK_TYPE } from './tasks/tasksContributes';
import { CACHE_ARGUMENT, LOG_ARGUMENT, TRUST_ARGUMENT } from '../adapter/sessionProtocol';
import { logArgument } from './logChannel';
import { offerGuest } from './noGuestOffer';
import { applyToolSettings } from './toolSettings';
import { trustedOrAsk } from './workspaceTrust';

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
    // Before discovery or a build-first task runs anything from the workspace.
    if (!(await trustedOrAsk('start a kernel-qemu session'))) return undefined;
    if (!config.type && !config.request && !config.name) {
      // F5 with no launch.json: use the kernel build tree that is open, if there is one.
      const found = await discoverInWorkspace(folder);
      if ('problem' in found) {
        // No built tree at a folder's top: the outputs of a buildroot (or nested kernel) tree.
        const built = await buildOutputConfigs(folder ? [folder] : fileFolders());
        const [first] = built.configs;
        if (!first) {
          void showNoKernelTree(built.problem ? `kernel-qemu: ${built.problem}` : found.problem, built.buildable);
          return undefined;
        }
        config = first.config;
        folder = first.folder;
      } else {
        config = (await withBuildFirst(launchConfigFor(found.tree, found.folder.name), found.folder)) as vscode.DebugConfiguration;
        folder = found.folder;
      }
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
    if (settings.get<boolean>('shareWorkspace', false)) shareWorkspace(config, folder);
    // Loaded on first use: it pulls in the ELF reader and the tool lookup.
    const { checkConfig } = await import('../adapter/configCheck');
    const error = await checkConfig(config.request as 'launch' | 'attach', config);
    if (error) {
      void showConfigError(error.message);
      return undefined; // nothing starts
    }
    if (!(await offerGuest(config))) return undefined;
    // The adapter's log lines go to the Kernel QEMU output channel, not the Debug Console.
    config[LOG_ARGUMENT] = logArgument();
    const cache = settings.get<string>('cacheDirectory', '');
    if (cache.trim() !== '') config[CACHE_ARGUMENT] = cache;
    config[TRUST_ARGUMENT] = vscode.workspace.isTrusted;
    return config;
  }
}

/** kernelQemu.shareWorkspace: the folder read-only at /mnt/workspace, unless the configuration shares it already or records. */
export function shareWorkspace(config: vscode.DebugConfiguration, folder: vscode.WorkspaceFolder | undefined): void {
  if (config.request !== 'launch' || !folder || folder.uri.scheme !== 'file' || config.record || config.replay) return;
  const shares = Array.isArray(config.shares) ? (config.shares as Array<{ host?: unknown; guest?: unknown }>) : [];
  if (shares.some((share) => share.host === folder.uri.fsPath || share.guest === '/mnt/workspace')) return;
  config.shares = [...shares, { host: folder.uri.fsPath, guest: '/mnt/workspace', readOnly: true }];
}

/** Offers a launch configuration for each workspace folder that is a built kernel tree. */
export class DiscoveredConfigurationProvider implements vscode.DebugConfigurationProvider {
  async provideDebugConfigurations(folder: vscode.WorkspaceFolder | undefined): Promise<vscode.DebugConfiguration[]> {
    // VS Code asks once per folder and once more with no folder (for "user settings", and for
    // a .code-workspace): answering that one with every folder's trees listed each tree twice.
    if (!folder) return [];
    const configs: vscode.DebugConfiguration[] = [];
    const found = await discoverKernelTree(folder.uri.fsPath);
    if (!('problem' in found))
      configs.push((await withBuildFirst(launchConfigFor(found, folder.name), folder)) as vscode.DebugConfiguration);
    // What the folder's kernel and buildroot builds produced (buildroot outputs, O= and nested trees).
    for (const built of (await buildOutputConfigs([folder])).configs) {
      if (!configs.some((config) => config.program === built.config.program)) configs.push(built.config);
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
        'kernel-qemu: no folder is open. Open the top of a built kernel tree (with vmlinux and ' +
        'arch/x86/boot/bzImage or arch/arm64/boot/Image), then press F5 again.',
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

async function showNoKernelTree(message: string, buildable = false): Promise<void> {
  const hasFolder = (vscode.workspace.workspaceFolders ?? []).length > 0;
  const action = hasFolder ? 'Add Configuration' : 'Open Folder';
  const choice = await vscode.window.showErrorMessage(message, ...(buildable ? [BUILD_KERNEL] : []), action);
  if (choice === BUILD_KERNEL) await vscode.commands.executeCommand(BUILD_COMMAND.buildKernel);
  if (choice === 'Add Configuration') await vscode.commands.executeCommand('workbench.action.debug.configure');
  if (choice === 'Open Folder') await vscode.commands.executeCommand('workbench.action.files.openFolder');
}

// Launch settings from build outputs (src/build): configurations for what a kernel or
// buildroot build produced, and the tree's Build Kernel task run first (preLaunchTask).

const BUILD_KERNEL = 'Build Kernel';

function fileFolders(): vscode.WorkspaceFolder[] {
  return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
}

/** The Build Kernel task to run before a launch of `tree`, when the setting asks for it. */
function buildFirstTask(folder: vscode.WorkspaceFolder, tree: BuildTree, several: boolean): string | undefined {
  if (!vscode.workspace.getConfiguration(SETTINGS_SECTION, folder).get<boolean>('buildBeforeLaunch', true)) return undefined;
  if (tree.kind === 'buildroot' && !tree.makeDir) return undefined;
  return `${TASK_TYPE}: ${taskLabel({ id: 'build-kernel' }, several ? tree.name : undefined)}`;
}

/** A discovered kernel tree's configuration, with its Build Kernel first when the folder is a kernel source tree. */
async function withBuildFirst(config: Record<string, unknown>, folder: vscode.WorkspaceFolder): Promise<Record<string, unknown>> {
  const tree = await detectTree(folder.uri.fsPath, folder.name);
  const task = tree?.kind === 'kernel' ? buildFirstTask(folder, tree, false) : undefined;
  return task ? { ...config, preLaunchTask: task } : config;
}

async function buildOutputConfigs(folders: readonly vscode.WorkspaceFolder[]): Promise<{
  configs: Array<{ config: vscode.DebugConfiguration; folder: vscode.WorkspaceFolder }>;
  problem?: string;
  buildable: boolean;
}> {
  const configs: Array<{ config: vscode.DebugConfiguration; folder: vscode.WorkspaceFolder }> = [];
  let problem: string | undefined;
  let buildable = false;
  for (const folder of folders) {
    const trees = await detectBuildTrees(folder.uri.fsPath);
    for (const tree of trees) {
      buildable ||= tree.kind === 'kernel' || tree.makeDir !== undefined;
      const outputs = await outputsLaunch(tree);
      if ('problem' in outputs) {
        problem ??= outputs.problem;
        continue;
      }
      const name = `Kernel (QEMU): ${tree.name} (${tree.kind === 'buildroot' ? 'buildroot, ' : ''}${outputs.arch})`;
      const preLaunchTask = buildFirstTask(folder, tree, trees.length > 1);
      configs.push({
        config: launchConfigFromOutputs(outputs, name, preLaunchTask ? { preLaunchTask } : {}) as vscode.DebugConfiguration,
        folder,
      });
    }
  }
  return problem === undefined ? { configs, buildable } : { configs, problem, buildable };
}

async function showConfigError(message: string): Promise<void> {
  const choice = await vscode.window.showErrorMessage(message, OPEN_LAUNCH_JSON);
  if (choice === OPEN_LAUNCH_JSON) await vscode.commands.executeCommand('workbench.action.debug.configure');
}
