// Extension entry: registration only. Everything else is loaded when a debug session
// needs it, so activation costs next to nothing.
import * as vscode from 'vscode';
import { KernelQemuAdapterFactory } from './adapterFactory';
import { DiscoveredConfigurationProvider, KernelQemuConfigurationProvider } from './configProvider';
import { DEBUG_TYPE } from './contributes';
import { registerKernelCommands } from './kernelCommands';
import { registerKernelTreeContext } from './kernelTreeContext';
import { registerLogChannel } from './logChannel';
import { registerOopsLinks } from './oopsLinks';
import { registerPrerequisitesCommand } from './prerequisitesCommand';
import { registerSerialTerminal } from './serialTerminal';
import { registerStatusBar } from './statusBar';
import { registerSshTerminal } from './sshTerminal';
import { registerBuildFeatures } from './tasks/register';
import { registerSnapshotsView } from './views/snapshots';

export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    // Initial: launch.json's first configuration; its resolve* methods run for every kernel-qemu launch.
    vscode.debug.registerDebugConfigurationProvider(
      DEBUG_TYPE,
      new KernelQemuConfigurationProvider(),
      vscode.DebugConfigurationProviderTriggerKind.Initial,
    ),
    // Dynamic: one entry per open kernel build tree in the Run and Debug list. It has no
    // resolve* methods of its own (VS Code runs those of every provider of the type).
    vscode.debug.registerDebugConfigurationProvider(
      DEBUG_TYPE,
      new DiscoveredConfigurationProvider(),
      vscode.DebugConfigurationProviderTriggerKind.Dynamic,
    ),
    vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, new KernelQemuAdapterFactory(context.extensionUri)),
  );
  registerSnapshotsView(context);
  registerSerialTerminal(context);
  registerLogChannel(context);
  registerSshTerminal(context, registerStatusBar(context));
  registerPrerequisitesCommand(context);
  registerKernelCommands(context);
  registerOopsLinks(context);
  // Build Kernel / Build Rootfs tasks, the Builds view and the config doctor.
  const builds = registerBuildFeatures(context);
  registerKernelTreeContext(context, builds.workspace);
}

export function deactivate(): void {
  // Sessions end through their own disposal; nothing global to undo.
}
