// A stand-in for the parts of the vscode API the build features use (buildExtension.test.ts).
// Importing it makes require('vscode') answer with this stand-in.
import { readFile } from 'node:fs/promises';
import Module from 'node:module';
import * as path from 'node:path';

type Listener<T> = (value: T) => void;
export class EventEmitter<T> {
  private readonly listeners = new Set<Listener<T>>();
  event = (listener: Listener<T>) => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };
  fire(value: T): void {
    for (const listener of [...this.listeners]) listener(value);
  }
  dispose(): void {
    this.listeners.clear();
  }
}
export class Uri {
  constructor(
    readonly fsPath: string,
    readonly scheme = 'file',
  ) {}
  static file(fsPath: string): Uri {
    return new Uri(fsPath);
  }
  static parse(text: string): Uri {
    return new Uri(decodeURIComponent(text.replace(/^file:\/\//, '')));
  }
  toString(): string {
    return `file://${encodeURI(this.fsPath)}`;
  }
}
export class Range {
  readonly start: { line: number; character: number };
  readonly end: { line: number; character: number };
  constructor(startLine: number, startCharacter: number, endLine: number, endCharacter: number) {
    this.start = { line: startLine, character: startCharacter };
    this.end = { line: endLine, character: endCharacter };
  }
}
export class Diagnostic {
  source?: string;
  code?: string;
  constructor(
    readonly range: Range,
    readonly message: string,
    readonly severity: number,
  ) {}
}
export class CodeAction {
  command?: { command: string; title: string; arguments: unknown[] };
  diagnostics?: Diagnostic[];
  isPreferred?: boolean;
  constructor(
    readonly title: string,
    readonly kind: string,
  ) {}
}
export class Task {
  group?: unknown;
  detail?: string;
  presentationOptions?: unknown;
  constructor(
    readonly definition: Record<string, unknown>,
    readonly scope: unknown,
    readonly name: string,
    readonly source: string,
    readonly execution: CustomExecution | ProcessExecution,
    readonly problemMatchers: string[],
  ) {}
}
export class CustomExecution {
  constructor(readonly callback: () => Promise<Pty>) {}
}
export class ProcessExecution {
  constructor(
    readonly process: string,
    readonly args: string[],
    readonly options: { cwd: string },
  ) {}
}
export interface Pty {
  onDidWrite: (listener: Listener<string>) => unknown;
  onDidClose: (listener: Listener<number>) => unknown;
  open(): void;
  close(): void;
}
export class TreeItem {
  description?: string;
  tooltip?: string;
  iconPath?: { id: string };
  contextValue?: string;
  command?: unknown;
  resourceUri?: Uri;
  constructor(
    readonly label: string,
    readonly collapsibleState: number,
  ) {}
}

export type Folder = { name: string; index: number; uri: Uri };
export const state = {
  folders: [] as Folder[],
  settings: {} as Record<string, unknown>,
  pick: undefined as ((items: Array<{ label: string }>) => unknown) | undefined,
};
export const calls = {
  taskProviders: [] as Array<{
    type: string;
    provider: { provideTasks(): Promise<Task[]>; resolveTask(task: Task): Promise<Task | undefined> };
  }>,
  diagnostics: new Map<string, Diagnostic[]>(),
  codeActionProviders: [] as Array<{
    provideCodeActions(document: unknown, range: Range, context: { diagnostics: Diagnostic[] }): CodeAction[];
  }>,
  treeViews: new Map<string, { getChildren(node?: unknown): Promise<unknown[]>; getTreeItem(node: unknown): TreeItem }>(),
  commands: new Map<string, (...args: unknown[]) => unknown>(),
  executed: [] as string[],
  errors: [] as Array<{ message: string; items: string[] }>,
  infos: [] as string[],
  terminals: [] as Array<{ name: string; output: string; code?: number; lastWriteAt?: number; closedAt?: number }>,
  processes: [] as ProcessExecution[],
};
export const foldersChanged = new EventEmitter<void>();
export const taskEnded = new EventEmitter<{ execution: unknown }>();
const disposable = () => ({ dispose() {} });

const vscodeStub = {
  EventEmitter,
  Uri,
  Range,
  Diagnostic,
  DiagnosticSeverity: { Error: 0, Warning: 1, Information: 2, Hint: 3 },
  CodeAction,
  CodeActionKind: { QuickFix: 'quickfix' },
  Task,
  TaskGroup: { Build: 'build' },
  TaskRevealKind: { Always: 1 },
  TaskPanelKind: { Dedicated: 2 },
  CustomExecution,
  ProcessExecution,
  TreeItem,
  TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
  ThemeIcon: class {
    constructor(
      readonly id: string,
      readonly color?: unknown,
    ) {}
  },
  ThemeColor: class {
    constructor(readonly id: string) {}
  },
  DebugConfigurationProviderTriggerKind: { Initial: 1, Dynamic: 2 },
  workspace: {
    isTrusted: true, // the Restricted Mode cases are in extension.test.ts
    get workspaceFolders() {
      return state.folders.length ? state.folders : undefined;
    },
    onDidChangeWorkspaceFolders: foldersChanged.event,
    onDidChangeTextDocument: disposable,
    onDidSaveTextDocument: disposable,
    textDocuments: [],
    createFileSystemWatcher: () => ({ onDidChange: disposable, onDidCreate: disposable, onDidDelete: disposable, dispose() {} }),
    getConfiguration(section: string) {
      return { get: <T>(key: string, fallback: T): T => (state.settings[`${section}.${key}`] as T | undefined) ?? fallback };
    },
    fs: { readFile: async (uri: Uri) => new Uint8Array(await readFile(uri.fsPath)) },
    asRelativePath: (file: string) => path.basename(file),
    getWorkspaceFolder: () => undefined,
  },
  languages: {
    createDiagnosticCollection: () => ({
      set: (uri: Uri, diagnostics: Diagnostic[]) => calls.diagnostics.set(uri.fsPath, diagnostics),
      delete: (uri: Uri) => calls.diagnostics.delete(uri.fsPath),
      dispose() {},
    }),
    registerCodeActionsProvider(_selector: unknown, provider: (typeof calls.codeActionProviders)[number]) {
      calls.codeActionProviders.push(provider);
      return disposable();
    },
  },
  tasks: {
    registerTaskProvider(type: string, provider: (typeof calls.taskProviders)[number]['provider']) {
      calls.taskProviders.push({ type, provider });
      return disposable();
    },
    onDidStartTaskProcess: disposable,
    onDidEndTaskProcess: disposable,
    onDidEndTask: taskEnded.event,
    taskExecutions: [],
    async executeTask(task: Task) {
      const execution = { task, terminate() {} };
      if (task.execution instanceof ProcessExecution) {
        calls.processes.push(task.execution);
        setImmediate(() => taskEnded.fire({ execution }));
        return execution;
      }
      const terminal: (typeof calls.terminals)[number] = { name: task.name, output: '' };
      calls.terminals.push(terminal);
      const pty = await task.execution.callback();
      pty.onDidWrite((text) => {
        terminal.output += text;
        terminal.lastWriteAt = Date.now();
      });
      pty.onDidClose((code) => {
        terminal.code = code;
        terminal.closedAt = Date.now();
        taskEnded.fire({ execution });
      });
      pty.open();
      return execution;
    },
  },
  window: {
    createTreeView(id: string, options: { treeDataProvider: typeof calls.treeViews extends Map<string, infer V> ? V : never }) {
      calls.treeViews.set(id, options.treeDataProvider);
      return disposable();
    },
    async showErrorMessage(message: string, ...items: string[]) {
      calls.errors.push({ message, items });
      return undefined;
    },
    async showInformationMessage(message: string) {
      calls.infos.push(message);
      return undefined;
    },
    async showQuickPick(items: Array<{ label: string }>) {
      return state.pick?.(items);
    },
  },
  commands: {
    registerCommand(id: string, handler: (...args: unknown[]) => unknown) {
      calls.commands.set(id, handler);
      return disposable();
    },
    async executeCommand(id: string, ...args: unknown[]) {
      calls.executed.push(id);
      return calls.commands.get(id)?.(...args);
    },
  },
};

const moduleInternals = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
const realLoad = moduleInternals._load;
moduleInternals._load = function (request: string, ...rest: unknown[]) {
  return request === 'vscode' ? vscodeStub : realLoad.call(this, request, ...rest);
};
