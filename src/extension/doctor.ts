// The config doctor in the editor: diagnostics on each tree's .config files (the kernel's,
// buildroot's, and the kernel .config buildroot generated), kept up to date as the files
// change or are edited, and quick fixes that run the fix as a task — scripts/config or
// utils/config, then make olddefconfig — never an edit of the file by hand.
import * as vscode from 'vscode';
import { configFilesOf, diagnose, fixSteps, type ConfigFile } from '../build/configFiles';
import type { Finding } from '../build/doctor';
import { Kconfig } from '../build/kconfig';
import { blocking } from '../build/targets';
import { DOCTOR_COMMAND, DOCTOR_SOURCE } from './doctorContributes';
import { planOptions, type BuildWorkspace, type FolderTree } from './tasks/buildWorkspace';
import { executeAndWait, runTarget, type BuildTaskProvider } from './tasks/taskProvider';

export interface Checked {
  config: ConfigFile;
  entry: FolderTree;
  findings: Finding[];
}

function severity(value: Finding['severity']): vscode.DiagnosticSeverity {
  return value === 'error'
    ? vscode.DiagnosticSeverity.Error
    : value === 'warning'
      ? vscode.DiagnosticSeverity.Warning
      : vscode.DiagnosticSeverity.Information;
}

export class ConfigDoctor implements vscode.CodeActionProvider, vscode.Disposable {
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('kernel-qemu-doctor');
  private readonly checked = new Map<string, Checked>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [];
  private refreshTimer: NodeJS.Timeout | undefined;
  private readonly editTimers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly workspace: BuildWorkspace,
    private readonly provider: BuildTaskProvider,
  ) {
    const watcher = vscode.workspace.createFileSystemWatcher('**/.config');
    this.subscriptions.push(
      this.diagnostics,
      this.changed,
      watcher,
      watcher.onDidChange((uri) => this.fileChanged(uri)),
      watcher.onDidCreate(() => this.scheduleRefresh()),
      watcher.onDidDelete(() => this.scheduleRefresh()),
      workspace.onDidChange(() => this.scheduleRefresh()),
      vscode.workspace.onDidChangeTextDocument((event) => this.edited(event.document)),
      vscode.languages.registerCodeActionsProvider({ scheme: 'file', pattern: '**/.config' }, this, {
        providedCodeActionKinds: [vscode.CodeActionKind.QuickFix],
      }),
    );
  }

  /** Reads every tree's .config files again. */
  async refresh(): Promise<void> {
    const seen = new Set<string>();
    for (const entry of await this.workspace.trees()) {
      for (const config of await configFilesOf(entry.tree)) {
        seen.add(config.file);
        await this.check({ config, entry, findings: [] });
      }
    }
    for (const file of [...this.checked.keys()]) {
      if (seen.has(file)) continue;
      this.checked.delete(file);
      this.diagnostics.delete(vscode.Uri.file(file));
    }
    this.changed.fire();
  }

  /** The findings of the .config files, by file. */
  results(): ReadonlyMap<string, Checked> {
    return this.checked;
  }

  provideCodeActions(document: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const checked = this.checked.get(document.uri.fsPath);
    if (!checked) return [];
    const actions: vscode.CodeAction[] = [];
    for (const diagnostic of context.diagnostics) {
      if (diagnostic.source !== DOCTOR_SOURCE) continue;
      const finding = checked.findings.find((candidate) => candidate.id === diagnostic.code);
      if (!finding) continue;
      if (finding.edits.length || finding.id === 'br-qcow2') {
        const action = new vscode.CodeAction(`${finding.fixTitle ?? 'Fix'} (${fixTool(checked.config)})`, vscode.CodeActionKind.QuickFix);
        action.command = { command: DOCTOR_COMMAND.fix, title: action.title, arguments: [document.uri.toString(), [finding.id]] };
        action.diagnostics = [diagnostic];
        action.isPreferred = true;
        actions.push(action);
      } else if (finding.action) {
        const label = finding.action.defconfig ?? finding.action.id;
        const action = new vscode.CodeAction(`Run ${label}`, vscode.CodeActionKind.QuickFix);
        action.command = { command: DOCTOR_COMMAND.fix, title: action.title, arguments: [document.uri.toString(), [finding.id]] };
        action.diagnostics = [diagnostic];
        actions.push(action);
      }
    }
    const all = blocking(checked.findings);
    if (all.length > 1 && actions.length) {
      const action = new vscode.CodeAction(
        `Fix all ${all.length} debug problems of this .config (${fixTool(checked.config)})`,
        vscode.CodeActionKind.QuickFix,
      );
      action.command = {
        command: DOCTOR_COMMAND.fix,
        title: action.title,
        arguments: [document.uri.toString(), all.map((finding) => finding.id)],
      };
      actions.push(action);
    }
    return actions;
  }

  /** Fixes findings of a .config as a task; re-checks the file afterwards. */
  async fix(uri: string | vscode.Uri, ids: readonly string[]): Promise<void> {
    const file = (typeof uri === 'string' ? vscode.Uri.parse(uri) : uri).fsPath;
    const checked = this.checked.get(file);
    if (!checked) {
      void vscode.window.showErrorMessage(`kernel-qemu: ${file} is not a .config of a kernel or buildroot tree in this workspace.`);
      return;
    }
    const findings = checked.findings.filter((finding) => ids.includes(finding.id));
    if (findings.length === 0) return;
    const [first] = findings;
    if (findings.length === 1 && first && first.edits.length === 0 && first.action && first.id !== 'br-qcow2') {
      await runTarget(this.provider, checked.entry, first.action);
    } else {
      // Unsaved edits would be overwritten by scripts/config: save first.
      const open = vscode.workspace.textDocuments.find((document) => document.uri.fsPath === file);
      if (open?.isDirty) await open.save();
      const title = findings.length === 1 ? (first?.fixTitle ?? first?.id ?? 'fix') : `${findings.length} fixes`;
      const task = this.provider.stepsTask(checked.entry, { id: 'debug-config' }, `Config doctor: ${title}`, () =>
        fixSteps(checked.config, findings, planOptions()),
      );
      await executeAndWait(task);
    }
    await this.check(checked);
    this.changed.fire();
  }

  /** The palette's "Enable Debug Options": every error and warning with a fix, of the chosen .config. */
  async fixAll(): Promise<void> {
    await this.refresh();
    const candidates = [...this.checked.values()].filter((checked) => blocking(checked.findings).length > 0);
    if (candidates.length === 0) {
      void vscode.window.showInformationMessage(
        this.checked.size
          ? 'kernel-qemu: the .config files have the debug options.'
          : 'kernel-qemu: no .config in this workspace: configure a kernel or buildroot tree first (defconfig).',
      );
      return;
    }
    let chosen = candidates[0]!;
    if (candidates.length > 1) {
      const pick = await vscode.window.showQuickPick(
        candidates.map((checked) => ({
          label: vscode.workspace.asRelativePath(checked.config.file),
          description: `${blocking(checked.findings).length} to fix`,
          checked,
        })),
        { placeHolder: 'Which .config?' },
      );
      if (!pick) return;
      chosen = pick.checked;
    }
    await this.fix(
      vscode.Uri.file(chosen.config.file),
      blocking(chosen.findings).map((finding) => finding.id),
    );
  }

  dispose(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    for (const timer of this.editTimers.values()) clearTimeout(timer);
    for (const subscription of this.subscriptions) subscription.dispose();
  }

  private async check(checked: Checked, text?: string): Promise<void> {
    const content =
      text ??
      (await vscode.workspace.fs.readFile(vscode.Uri.file(checked.config.file)).then(
        (bytes) => Buffer.from(bytes).toString('utf8'),
        () => undefined,
      ));
    if (content === undefined) return;
    const findings = await diagnose(checked.config, content);
    this.checked.set(checked.config.file, { ...checked, findings });
    const kconfig = Kconfig.parse(content, checked.config.kind === 'kernel' ? 'CONFIG_' : 'BR2_');
    this.diagnostics.set(
      vscode.Uri.file(checked.config.file),
      findings.map((finding) => {
        const line = (finding.symbol && kconfig.lineOf(finding.symbol)) || 0;
        const diagnostic = new vscode.Diagnostic(
          new vscode.Range(line, 0, line, Number.MAX_SAFE_INTEGER),
          finding.hint ? `${finding.message} ${finding.hint}` : finding.message,
          severity(finding.severity),
        );
        diagnostic.source = DOCTOR_SOURCE;
        diagnostic.code = finding.id;
        return diagnostic;
      }),
    );
  }

  private fileChanged(uri: vscode.Uri): void {
    const checked = this.checked.get(uri.fsPath);
    if (!checked) {
      this.scheduleRefresh();
      return;
    }
    void this.check(checked).then(() => this.changed.fire());
  }

  private edited(document: vscode.TextDocument): void {
    const checked = this.checked.get(document.uri.fsPath);
    if (!checked) return;
    const file = document.uri.fsPath;
    clearTimeout(this.editTimers.get(file));
    this.editTimers.set(
      file,
      setTimeout(() => {
        this.editTimers.delete(file);
        void this.check(checked, document.getText()).then(() => this.changed.fire());
      }, 300),
    );
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      void this.refresh();
    }, 500);
  }
}

function fixTool(config: ConfigFile): string {
  if (config.kind === 'buildroot') return 'utils/config + olddefconfig';
  return config.tree.kind === 'buildroot' ? 'kernel config fragment' : 'scripts/config + olddefconfig';
}
