// Wiring of the build features: the `kernel-qemu` task provider, the Build Kernel / Build
// Rootfs commands, the config doctor and the Builds view. Called from activate().
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ConfigDoctor } from '../doctor';
import { DOCTOR_COMMAND } from '../doctorContributes';
import { registerBuildsView } from '../views/builds';
import { buildKey, BuildStates, type BuildStatus } from './buildState';
import { BuildWorkspace } from './buildWorkspace';
import { buildCommand } from './buildCommands';
import { BuildTaskProvider } from './taskProvider';
import { BUILD_COMMAND, TASK_TYPE, type KernelQemuTaskDefinition } from './tasksContributes';

const STATE_KEY = 'kernelQemu.builds';

export interface BuildFeatures {
  workspace: BuildWorkspace;
  provider: BuildTaskProvider;
}

export function registerBuildFeatures(context: vscode.ExtensionContext): BuildFeatures {
  const workspace = new BuildWorkspace();
  const states = new BuildStates(context.workspaceState.get<Record<string, BuildStatus>>(STATE_KEY, {}));
  const doctorRef: { current?: ConfigDoctor } = {};
  const provider = new BuildTaskProvider(workspace, states, () => {
    // A build may have created or changed .config files and outputs.
    workspace.refresh();
    void doctorRef.current?.refresh();
  });
  const doctor = new ConfigDoctor(workspace, provider);
  doctorRef.current = doctor;
  let saveTimer: NodeJS.Timeout | undefined;
  context.subscriptions.push(
    workspace,
    doctor,
    states.onChange(() => {
      if (saveTimer) clearTimeout(saveTimer);
      saveTimer = setTimeout(() => void context.workspaceState.update(STATE_KEY, states.toJSON()), 500);
    }),
    vscode.tasks.registerTaskProvider(TASK_TYPE, provider),
    vscode.commands.registerCommand(BUILD_COMMAND.buildKernel, () => buildCommand(workspace, provider, 'build-kernel')),
    vscode.commands.registerCommand(BUILD_COMMAND.buildRootfs, () => buildCommand(workspace, provider, 'build-rootfs')),
    vscode.commands.registerCommand(DOCTOR_COMMAND.fix, (uri: string | vscode.Uri, ids: string[]) => doctor.fix(uri, ids ?? [])),
    vscode.commands.registerCommand(DOCTOR_COMMAND.fixAll, () => doctor.fixAll()),
    vscode.commands.registerCommand(DOCTOR_COMMAND.check, async () => {
      await doctor.refresh();
      await vscode.commands.executeCommand('workbench.actions.view.problems');
    }),
    // menuconfig runs as a plain process: follow it through the task process events.
    vscode.tasks.onDidStartTaskProcess((event) => {
      const key = interactiveKey(event.execution.task);
      if (key) states.start(key);
    }),
    vscode.tasks.onDidEndTaskProcess((event) => {
      const key = interactiveKey(event.execution.task);
      if (key)
        states.finish(key, {
          ok: event.exitCode === 0,
          cancelled: event.exitCode === undefined,
          firstError: `exited with ${event.exitCode ?? 'a signal'}`,
        });
    }),
  );
  registerBuildsView(context, {
    workspace,
    states,
    doctor,
    provider,
    cancel: (key) => {
      for (const execution of vscode.tasks.taskExecutions) if (keyOf(execution.task) === key) execution.terminate();
    },
  });
  void doctor.refresh();
  return { workspace, provider };
}

/** The Builds view key of a kernel-qemu task. */
function keyOf(task: vscode.Task): string | undefined {
  if (task.definition.type !== TASK_TYPE || typeof task.scope !== 'object') return undefined;
  const definition = task.definition as KernelQemuTaskDefinition;
  return buildKey(path.resolve(task.scope.uri.fsPath, definition.tree ?? '.'), definition.target, definition.defconfig);
}

function interactiveKey(task: vscode.Task): string | undefined {
  return task.execution instanceof vscode.ProcessExecution ? keyOf(task) : undefined;
}
