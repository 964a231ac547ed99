// The `kernel-qemu` task type: one task per target of each tree in the workspace (Build
// Kernel, Build Rootfs, defconfig, menuconfig, Enable Debug Options, scripts_gdb, ...),
// and tasks.json entries of that type resolved to the same. Builds run through the build
// runner in a pseudoterminal (argv, own process group, paths made absolute for the
// problem matcher, state for the Builds view); menuconfig runs as a process in a real
// terminal, since it needs one.
import * as vscode from 'vscode';
import type { Step } from '../../build/runner';
import { listTargets, planTarget, PlanError, taskLabel, TARGET_IDS, type TargetRef, type TargetSpec } from '../../build/targets';
import { treeDir } from '../../build/workspace';
import { buildKey, type BuildStates } from './buildState';
import { BuildTerminal } from './buildTerminal';
import { planOptions, relativeTree, type BuildWorkspace, type FolderTree } from './buildWorkspace';
import { PROBLEM_MATCHER, TASK_TYPE, type KernelQemuTaskDefinition } from './tasksContributes';
import { trustedOrAsk } from '../workspaceTrust';

export class BuildTaskProvider implements vscode.TaskProvider {
  constructor(
    private readonly workspace: BuildWorkspace,
    private readonly states: BuildStates,
    /** After a build ends (refresh views, re-run the doctor). */
    private readonly onFinished: () => void,
  ) {}

  async provideTasks(): Promise<vscode.Task[]> {
    // A build runs the workspace's Makefile: none is offered in Restricted Mode.
    if (!vscode.workspace.isTrusted) return [];
    const tasks: vscode.Task[] = [];
    for (const entry of await this.workspace.trees()) {
      for (const spec of await listTargets(entry.tree, planOptions())) tasks.push(await this.taskFor(entry, spec));
    }
    return tasks;
  }

  async resolveTask(task: vscode.Task): Promise<vscode.Task | undefined> {
    const definition = task.definition as KernelQemuTaskDefinition;
    if (!TARGET_IDS.includes(definition.target)) return undefined;
    const folder = typeof task.scope === 'object' ? task.scope : vscode.workspace.workspaceFolders?.[0];
    if (!folder) return undefined;
    const entry = await this.workspace.treeFor(folder, definition);
    if (!entry) return undefined;
    const spec = (await listTargets(entry.tree, planOptions(definition))).find(
      (candidate) => candidate.id === definition.target && (!definition.defconfig || candidate.defconfig === definition.defconfig),
    );
    // A defconfig not among the listed ones (any configs/*_defconfig) is still a defconfig.
    const target: TargetSpec = spec ?? {
      id: definition.target,
      ...(definition.defconfig ? { defconfig: definition.defconfig } : {}),
      label: taskLabel({ id: definition.target, ...(definition.defconfig ? { defconfig: definition.defconfig } : {}) }),
      detail: '',
      group: 'build',
      interactive: ['menuconfig', 'linux-menuconfig'].includes(definition.target),
    };
    // VS Code wants the definition it passed in back.
    return this.taskFor(entry, target, definition);
  }

  /**
   * The task of a target of a tree (the definition names it, so tasks.json can refer to it).
   * `runMake`: the Build Kernel command and the Builds view always run make; the task run as a
   * preLaunchTask (or from Run Task) skips it when the tree is unchanged since its last build.
   */
  async taskFor(entry: FolderTree, spec: TargetSpec, given?: KernelQemuTaskDefinition, runMake = false): Promise<vscode.Task> {
    const definition: KernelQemuTaskDefinition = given ?? {
      type: TASK_TYPE,
      target: spec.id,
      tree: relativeTree(entry.folder, entry.tree),
      ...(spec.defconfig ? { defconfig: spec.defconfig } : {}),
    };
    const name = taskLabel(spec, entry.several ? entry.tree.name : undefined);
    const options = planOptions(definition);
    const key = buildKey(treeDir(entry.tree), spec.id, spec.defconfig);
    let task: vscode.Task;
    if (spec.interactive) {
      // menuconfig reads keys from a real terminal: a process in the task terminal.
      const [step] = await planTarget(entry.tree, spec, options);
      if (step?.kind !== 'run') throw new PlanError(`${spec.label} has no command`);
      const execution = new vscode.ProcessExecution(step.argv[0], step.argv.slice(1), { cwd: step.cwd });
      task = new vscode.Task(definition, entry.folder, name, TASK_TYPE, execution, []);
      task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, focus: true, panel: vscode.TaskPanelKind.Dedicated, clear: true };
    } else {
      const execution = new vscode.CustomExecution(async () => this.terminal(entry, spec, options, key, runMake));
      task = new vscode.Task(definition, entry.folder, name, TASK_TYPE, execution, [`$${PROBLEM_MATCHER}`]);
      task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, panel: vscode.TaskPanelKind.Dedicated, clear: true };
      if (spec.id === 'build-kernel' || spec.id === 'build-all') task.group = vscode.TaskGroup.Build;
    }
    task.detail = spec.detail;
    return task;
  }

  /** A task that runs given steps (a config doctor fix), shown under the tree's `target` in the Builds view. */
  stepsTask(entry: FolderTree, target: TargetRef, name: string, steps: () => Promise<Step[]>): vscode.Task {
    const definition: KernelQemuTaskDefinition = { type: TASK_TYPE, target: target.id, tree: relativeTree(entry.folder, entry.tree) };
    const key = buildKey(treeDir(entry.tree), target.id, target.defconfig);
    const execution = new vscode.CustomExecution(async () => new BuildTerminal(steps, this.states, key, () => this.onFinished()));
    const task = new vscode.Task(definition, entry.folder, name, TASK_TYPE, execution, [`$${PROBLEM_MATCHER}`]);
    task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, panel: vscode.TaskPanelKind.Dedicated, clear: true };
    return task;
  }

  private terminal(
    entry: FolderTree,
    target: TargetRef,
    options: ReturnType<typeof planOptions>,
    key: string,
    runMake: boolean,
  ): BuildTerminal {
    const { tree } = entry;
    if (tree.kind !== 'kernel' || target.id !== 'build-kernel')
      return new BuildTerminal(
        () => planTarget(tree, target, options),
        this.states,
        key,
        () => this.onFinished(),
      );
    // Read as the task starts (VS Code makes the terminal then), before the run marks the target running.
    const builtCleanAt = runMake ? undefined : this.states.builtCleanAt(key);
    const plan = () => planTarget(tree, target, builtCleanAt === undefined ? options : { ...options, builtCleanAt });
    return new BuildTerminal(plan, this.states, key, () => this.onFinished(), tree.srcDir);
  }
}

/** Runs a target's task (from a command or the Builds view). Resolves when the task ends. */
export async function runTarget(provider: BuildTaskProvider, entry: FolderTree, target: TargetRef): Promise<void> {
  if (!(await trustedOrAsk(`run '${taskLabel(target)}'`))) return;
  const spec = (await listTargets(entry.tree, planOptions())).find(
    (candidate) => candidate.id === target.id && candidate.defconfig === target.defconfig,
  );
  if (!spec) {
    void vscode.window.showErrorMessage(`kernel-qemu: ${entry.tree.name} has no '${taskLabel(target)}' target.`);
    return;
  }
  await executeAndWait(await provider.taskFor(entry, spec, undefined, true));
}

/** vscode.tasks.executeTask, resolved when the task's execution ends. */
export async function executeAndWait(task: vscode.Task): Promise<void> {
  const execution = await vscode.tasks.executeTask(task);
  await new Promise<void>((resolve) => {
    const listener = vscode.tasks.onDidEndTask((event) => {
      if (event.execution === execution) {
        listener.dispose();
        resolve();
      }
    });
  });
}
