// A build task's terminal: runs the plan's steps with the build runner (argv, own process
// group), shows their output, reports state to the Builds view, and kills the whole make
// tree when the task is terminated (or Ctrl+C is typed in it).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { BuildRun, type RunResult, type Step } from '../../build/runner';
import { PlanError } from '../../build/targets';
import type { BuildStates } from './buildState';
import { DIAGNOSTIC_PATTERN } from './tasksContributes';

const DIAGNOSTIC_LINE = new RegExp(DIAGNOSTIC_PATTERN, 'm');

/**
 * How long the task stays open after a line the problem matcher reads. VS Code stops
 * matching 100 ms after a custom task ends, and it may not have read the last lines by
 * then (microsoft/vscode#92868): an error printed just before make fails would be lost.
 */
const MATCHER_SETTLE_MS = 1000;

export class BuildTerminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  private run: BuildRun | undefined;
  private closed = false;
  private lastDiagnosticAt = Number.NEGATIVE_INFINITY;

  constructor(
    /** Decides the steps when the task starts (the tree as it is then). */
    private readonly plan: () => Promise<Step[]>,
    private readonly states: BuildStates,
    private readonly key: string,
    private readonly onFinished: (result: RunResult) => void = () => undefined,
    /** The tree's sources: a file saved under it while make runs may be older than its object. */
    private readonly sourceDir?: string,
  ) {}
  private savedWhileRunning = false;
  private saves: vscode.Disposable | undefined;

  open(): void {
    void this.start();
  }

  /** The task was terminated or its terminal closed: stop make and everything it started. */
  close(): void {
    this.closed = true;
    this.run?.cancel();
  }

  handleInput(data: string): void {
    if (data === '\x03') {
      this.write('^C\n');
      this.run?.cancel();
    }
  }

  private async start(): Promise<void> {
    this.states.start(this.key);
    const sourceDir = this.sourceDir;
    if (sourceDir) {
      const inTree = (file: string) =>
        file === sourceDir || file.startsWith(sourceDir.endsWith(path.sep) ? sourceDir : sourceDir + path.sep);
      this.saves = vscode.workspace.onDidSaveTextDocument((document) => {
        if (document.uri.scheme === 'file' && inTree(document.uri.fsPath)) this.savedWhileRunning = true;
      });
    }
    let steps: Step[];
    try {
      steps = await this.plan();
    } catch (error) {
      const message = error instanceof PlanError || error instanceof Error ? error.message : String(error);
      this.write(`${message}\n`);
      this.finish({ ok: false, cancelled: false, durationMs: 0, firstError: message });
      return;
    }
    this.run = new BuildRun(steps, {
      output: (text) => this.write(text),
      progress: (status) => this.states.progress(this.key, status),
    });
    if (this.closed) this.run.cancel();
    this.finish(await this.run.start());
  }

  private finish(result: RunResult): void {
    this.saves?.dispose();
    this.states.finish(this.key, { ...result, clean: this.sourceDir !== undefined && !this.savedWhileRunning });
    const seconds = (result.durationMs / 1000).toFixed(1);
    this.write(
      result.ok
        ? `\nDone in ${seconds} s.\n`
        : result.cancelled
          ? `\nCancelled after ${seconds} s.\n`
          : `\nFailed after ${seconds} s: ${result.firstError ?? ''}\n`,
    );
    this.onFinished(result);
    const settle = this.closed ? 0 : this.lastDiagnosticAt + MATCHER_SETTLE_MS - Date.now();
    const close = (): void => this.closeEmitter.fire(result.ok ? 0 : 1);
    if (settle > 0) setTimeout(close, settle);
    else close();
  }

  private write(text: string): void {
    if (DIAGNOSTIC_LINE.test(text)) this.lastDiagnosticAt = Date.now();
    // A terminal needs CR LF.
    this.writeEmitter.fire(text.replace(/\r?\n/g, '\r\n'));
  }
}
