// The Builds view: each kernel / buildroot tree of the workspace with its targets (state:
// never run, running with make's progress, succeeded in how long, failed with the first
// error; re-run inline), the outputs the build left (vmlinux, bzImage/Image, rootfs, the
// cross gdb, vmlinux-gdb.py) to open or reveal, and the config doctor's findings per .config.
import * as vscode from 'vscode';
import { findArtifacts, type Artifact } from '../../build/artifacts';
import type { Finding } from '../../build/doctor';
import { Kconfig } from '../../build/kconfig';
import { listTargets, type TargetSpec } from '../../build/targets';
import { treeDir } from '../../build/workspace';
import type { ConfigDoctor } from '../doctor';
import { DOCTOR_COMMAND } from '../doctorContributes';
import { buildKey, type BuildStates } from '../tasks/buildState';
import { planOptions, type BuildWorkspace, type FolderTree } from '../tasks/buildWorkspace';
import { runTarget, type BuildTaskProvider } from '../tasks/taskProvider';
import { BUILDS_COMMAND, BUILDS_ITEM, BUILDS_VIEW_ID } from './buildsContributes';
import {
  ARTIFACT_ICONS,
  artifactDescription,
  artifactLabel,
  doctorSummary,
  opensInEditor,
  targetDescription,
  targetIcon,
  targetTooltip,
} from './buildsModel';

type Node =
  | { kind: 'tree'; entry: FolderTree }
  | { kind: 'target'; entry: FolderTree; spec: TargetSpec; key: string }
  | { kind: 'outputs'; entry: FolderTree; artifacts: Artifact[] }
  | { kind: 'artifact'; artifact: Artifact }
  | { kind: 'config'; entry: FolderTree; file: string; prefix: string; findings: Finding[] }
  | { kind: 'finding'; file: string; finding: Finding; line: number };

class BuildsView implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly targetNodes = new Map<string, Node>();
  private ticker: NodeJS.Timeout | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly workspace: BuildWorkspace,
    private readonly states: BuildStates,
    private readonly doctor: ConfigDoctor,
  ) {
    this.subscriptions.push(
      this.changed,
      workspace.onDidChange(() => this.refresh()),
      doctor.onDidChange(() => this.refresh()),
      states.onChange((key) => this.stateChanged(key)),
    );
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(node: Node): vscode.TreeItem {
    const now = Date.now();
    switch (node.kind) {
      case 'tree': {
        const { tree } = node.entry;
        const item = new vscode.TreeItem(tree.name, vscode.TreeItemCollapsibleState.Expanded);
        item.description =
          tree.kind === 'kernel'
            ? tree.objDir === tree.srcDir
              ? 'kernel tree'
              : 'kernel build (O=)'
            : tree.makeDir
              ? 'buildroot'
              : 'buildroot output';
        item.tooltip =
          tree.kind === 'kernel'
            ? `Kernel sources: ${tree.srcDir}\nBuild: ${tree.objDir}`
            : `buildroot: ${tree.topDir ?? '(not found)'}\nOutput: ${tree.outputDir}`;
        item.iconPath = new vscode.ThemeIcon(tree.kind === 'kernel' ? 'circuit-board' : 'package');
        item.contextValue = BUILDS_ITEM.tree;
        return item;
      }
      case 'target': {
        const status = this.states.get(node.key);
        const item = new vscode.TreeItem(node.spec.label, vscode.TreeItemCollapsibleState.None);
        item.description = targetDescription(status, now);
        item.tooltip = targetTooltip(node.spec, status, now);
        item.iconPath = new vscode.ThemeIcon(
          targetIcon(status, node.spec),
          status.state === 'failed' && !status.cancelled ? new vscode.ThemeColor('errorForeground') : undefined,
        );
        item.contextValue = status.state === 'running' ? BUILDS_ITEM.running : BUILDS_ITEM.target;
        return item;
      }
      case 'outputs': {
        const item = new vscode.TreeItem(
          'Outputs',
          node.artifacts.length ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None,
        );
        item.description = node.artifacts.length ? `${node.artifacts.length} files` : 'nothing built yet';
        item.iconPath = new vscode.ThemeIcon('output');
        return item;
      }
      case 'artifact': {
        const item = new vscode.TreeItem(artifactLabel(node.artifact), vscode.TreeItemCollapsibleState.None);
        item.description = artifactDescription(node.artifact, now);
        item.tooltip = node.artifact.path;
        item.resourceUri = vscode.Uri.file(node.artifact.path);
        item.iconPath = new vscode.ThemeIcon(ARTIFACT_ICONS[node.artifact.kind]);
        item.contextValue = node.artifact.kind === 'config' ? BUILDS_ITEM.config : BUILDS_ITEM.artifact;
        item.command = { command: BUILDS_COMMAND.open, title: 'Open', arguments: [node] };
        return item;
      }
      case 'config': {
        const item = new vscode.TreeItem(
          `Config doctor: ${vscode.workspace.asRelativePath(node.file)}`,
          node.findings.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
        );
        item.description = doctorSummary(node.findings);
        item.tooltip = node.file;
        const worst = node.findings.some((finding) => finding.severity === 'error')
          ? 'error'
          : node.findings.some((finding) => finding.severity === 'warning')
            ? 'warning'
            : 'pass';
        item.iconPath = new vscode.ThemeIcon(worst === 'pass' ? 'pass' : worst);
        item.contextValue = BUILDS_ITEM.config;
        item.command = { command: 'vscode.open', title: 'Open', arguments: [vscode.Uri.file(node.file)] };
        return item;
      }
      case 'finding': {
        const { finding } = node;
        const item = new vscode.TreeItem(finding.symbol ? `${finding.symbol}` : finding.id, vscode.TreeItemCollapsibleState.None);
        item.description = finding.message;
        item.tooltip = `${finding.message}${finding.fixTitle ? `\nFix: ${finding.fixTitle}` : finding.hint ? `\n${finding.hint}` : ''}`;
        item.iconPath = new vscode.ThemeIcon(finding.severity === 'info' ? 'info' : finding.severity);
        item.contextValue =
          finding.edits.length || finding.action || finding.id === 'br-qcow2' ? BUILDS_ITEM.fixableFinding : BUILDS_ITEM.finding;
        item.command = {
          command: 'vscode.open',
          title: 'Open',
          arguments: [vscode.Uri.file(node.file), { selection: new vscode.Range(node.line, 0, node.line, 0) }],
        };
        return item;
      }
    }
  }

  async getChildren(node?: Node): Promise<Node[]> {
    if (!node) return (await this.workspace.trees()).map((entry) => ({ kind: 'tree', entry }));
    if (node.kind === 'tree') {
      const entry = node.entry;
      const specs = await listTargets(entry.tree, planOptions());
      const targets: Node[] = specs.map((spec) => {
        const key = buildKey(treeDir(entry.tree), spec.id, spec.defconfig);
        const target: Node = { kind: 'target', entry, spec, key };
        this.targetNodes.set(key, target);
        return target;
      });
      const configs: Node[] = [...this.doctor.results().values()]
        .filter((checked) => treeDir(checked.entry.tree) === treeDir(entry.tree))
        .map((checked) => ({
          kind: 'config',
          entry,
          file: checked.config.file,
          prefix: checked.config.kind === 'kernel' ? 'CONFIG_' : 'BR2_',
          findings: checked.findings,
        }));
      return [...targets, { kind: 'outputs', entry, artifacts: await findArtifacts(entry.tree) }, ...configs];
    }
    if (node.kind === 'outputs') return node.artifacts.map((artifact) => ({ kind: 'artifact', artifact }));
    if (node.kind === 'config') {
      const text = await vscode.workspace.fs.readFile(vscode.Uri.file(node.file)).then(
        (bytes) => Buffer.from(bytes).toString('utf8'),
        () => '',
      );
      const kconfig = Kconfig.parse(text, node.prefix);
      return node.findings.map((finding) => ({
        kind: 'finding',
        file: node.file,
        finding,
        line: (finding.symbol && kconfig.lineOf(finding.symbol)) || 0,
      }));
    }
    return [];
  }

  dispose(): void {
    if (this.ticker) clearInterval(this.ticker);
    for (const subscription of this.subscriptions) subscription.dispose();
  }

  private stateChanged(key: string): void {
    const node = this.targetNodes.get(key);
    this.changed.fire(node);
    // While something builds, its elapsed time ticks.
    if (this.states.anyRunning() && !this.ticker) {
      this.ticker = setInterval(() => {
        for (const [tickKey, tickNode] of this.targetNodes) if (this.states.isRunning(tickKey)) this.changed.fire(tickNode);
        if (!this.states.anyRunning() && this.ticker) {
          clearInterval(this.ticker);
          this.ticker = undefined;
        }
      }, 1000);
    }
    // A finished build changed the outputs: show them.
    if (!this.states.isRunning(key)) this.refresh();
  }
}

/** Registers the Builds view and its item commands. */
export function registerBuildsView(
  context: vscode.ExtensionContext,
  deps: {
    workspace: BuildWorkspace;
    states: BuildStates;
    doctor: ConfigDoctor;
    provider: BuildTaskProvider;
    cancel: (key: string) => void;
  },
): BuildsView {
  const view = new BuildsView(deps.workspace, deps.states, deps.doctor);
  context.subscriptions.push(
    view,
    vscode.window.createTreeView(BUILDS_VIEW_ID, { treeDataProvider: view, showCollapseAll: true }),
    vscode.commands.registerCommand(BUILDS_COMMAND.refresh, () => {
      deps.workspace.refresh();
      void deps.doctor.refresh();
    }),
    vscode.commands.registerCommand(BUILDS_COMMAND.run, async (node?: Node) => {
      if (node?.kind === 'target') await runTarget(deps.provider, node.entry, node.spec);
    }),
    vscode.commands.registerCommand(BUILDS_COMMAND.cancel, (node?: Node) => {
      if (node?.kind === 'target') deps.cancel(node.key);
    }),
    vscode.commands.registerCommand(BUILDS_COMMAND.open, async (node?: Node) => {
      if (node?.kind !== 'artifact') return;
      const uri = vscode.Uri.file(node.artifact.path);
      if (opensInEditor(node.artifact)) await vscode.commands.executeCommand('vscode.open', uri);
      else await reveal(uri);
    }),
    vscode.commands.registerCommand(BUILDS_COMMAND.reveal, async (node?: Node) => {
      if (node?.kind === 'artifact') await reveal(vscode.Uri.file(node.artifact.path));
      if (node?.kind === 'config') await reveal(vscode.Uri.file(node.file));
    }),
    vscode.commands.registerCommand(BUILDS_COMMAND.fix, async (node?: Node) => {
      if (node?.kind === 'finding')
        await vscode.commands.executeCommand(DOCTOR_COMMAND.fix, vscode.Uri.file(node.file).toString(), [node.finding.id]);
    }),
  );
  return view;
}

/** Shows a file in the Explorer when it is in the workspace, else in the OS file manager. */
async function reveal(uri: vscode.Uri): Promise<void> {
  if (vscode.workspace.getWorkspaceFolder(uri)) await vscode.commands.executeCommand('revealInExplorer', uri);
  else await vscode.commands.executeCommand('revealFileInOS', uri);
}
