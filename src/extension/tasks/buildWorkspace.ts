// The build trees of the open workspace folders (kernel trees, buildroot trees and
// outputs), detected once per folder and again when folders change; and the options the
// build plans take from this machine and a task's definition.
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { GuestArch } from '../../arch';
import type { PlanOptions } from '../../build/targets';
import { detectBuildTrees, detectTree, treeDir, type BuildTree } from '../../build/workspace';
import type { KernelQemuTaskDefinition } from './tasksContributes';

export interface FolderTree {
  folder: vscode.WorkspaceFolder;
  tree: BuildTree;
  /** The folder holds several trees: names tell them apart. */
  several: boolean;
}

export class BuildWorkspace implements vscode.Disposable {
  private cache: Promise<FolderTree[]> | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor() {
    this.subscriptions.push(
      this.changed,
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.refresh()),
    );
  }

  /** Forget what was detected (a tree was configured, a folder added). */
  refresh(): void {
    this.cache = undefined;
    this.changed.fire();
  }

  /** Every tree of every file-system workspace folder. */
  trees(): Promise<FolderTree[]> {
    this.cache ??= detectAll();
    return this.cache;
  }

  /** The tree a task definition names in `folder` (its `tree`, else the folder's only/first tree). */
  async treeFor(folder: vscode.WorkspaceFolder, definition: Pick<KernelQemuTaskDefinition, 'tree'>): Promise<FolderTree | undefined> {
    const inFolder = (await this.trees()).filter((entry) => entry.folder.uri.toString() === folder.uri.toString());
    if (!definition.tree || definition.tree === '.') return inFolder[0];
    const wanted = path.resolve(folder.uri.fsPath, definition.tree);
    const known = inFolder.find(
      (entry) => treeDir(entry.tree) === wanted || (entry.tree.kind === 'kernel' && entry.tree.srcDir === wanted),
    );
    if (known) return known;
    // A tree the definition names that detection did not list (deeper than one level).
    const tree = await detectTree(wanted, definition.tree);
    return tree ? { folder, tree, several: true } : undefined;
  }

  dispose(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
  }
}

async function detectAll(): Promise<FolderTree[]> {
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((folder) => folder.uri.scheme === 'file');
  const perFolder = await Promise.all(
    folders.map(async (folder) => {
      const trees = await detectBuildTrees(folder.uri.fsPath);
      return trees.map((tree) => ({ folder, tree, several: trees.length > 1 }));
    }),
  );
  return perFolder.flat();
}

/** The tree's path as a task definition's `tree` ('.' for the folder itself). */
export function relativeTree(folder: vscode.WorkspaceFolder, tree: BuildTree): string {
  return path.relative(folder.uri.fsPath, treeDir(tree)) || '.';
}

export function hostArch(): GuestArch {
  return process.arch === 'arm64' ? 'aarch64' : 'x86_64';
}

/** Plan options from this machine and a definition's arch/jobs/crossCompile. */
export function planOptions(definition: Partial<KernelQemuTaskDefinition> = {}): PlanOptions {
  const options: PlanOptions = {
    jobs: definition.jobs && definition.jobs > 0 ? Math.floor(definition.jobs) : availableParallelism(),
    hostArch: hostArch(),
  };
  if (definition.arch === 'x86_64' || definition.arch === 'aarch64') options.arch = definition.arch;
  if (definition.crossCompile) options.crossCompile = definition.crossCompile;
  if (Array.isArray(definition.files))
    options.initramfsFiles = definition.files.filter((file) => typeof file?.host === 'string' && typeof file.guest === 'string');
  // Guest root file systems cache busybox and Debian images where the setting says.
  const cache = vscode.workspace.getConfiguration('kernelQemu').get<string>('cacheDirectory', '');
  if (cache.trim() !== '') options.cacheDir = cache;
  return options;
}
