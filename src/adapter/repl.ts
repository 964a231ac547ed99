// The Debug Console: what the user types goes to gdb the way gdb itself would take it. A line
// whose first word gdb knows as a command (gdb's own lookup, asked with `help WORD`, so
// abbreviations, aliases and the kernel's lx-* commands count) runs in gdb's CLI; anything
// else is an expression and answers with its value only; the name of one of the frame's own
// variables alone is that variable. `-…` is raw MI; cppdbg's `-exec …` runs a command. Errors
// are gdb's words, shown where the input was typed.
import { mi, type FrameContext } from '../mi/commands';
import { MiCommandError, type MiConnection } from '../mi/connection';
import { errors, errorText, UserError } from './errors';
import { MAX_EXPRESSION_CHARS, type EvaluationPolicy } from './evaluationPolicy';
import type { RunControl } from './runControl';
import type { EvaluateResult, VariableService } from './variables';

export type ReplInput =
  | { kind: 'empty' }
  | { kind: 'mi'; command: string }
  | { kind: 'command'; command: string }
  /** A command when gdb knows `word` as one, an expression otherwise. */
  | { kind: 'commandOrExpression'; word: string; text: string }
  | { kind: 'expression'; text: string };

/**
 * The first word as gdb's CLI reads a command name (cli-decode.c find_command_name_length:
 * letters, digits, `-`, `_`, `.`); empty when the line starts otherwise (`(char)x`, `*p`, `$rip`).
 */
export function commandWord(text: string): string {
  return /^[A-Za-z0-9_.-]*/.exec(text)![0];
}

export function parseInput(text: string): ReplInput {
  const line = text.trim();
  if (!line) return { kind: 'empty' };
  const exec = /^-exec(?:\s+(.*))?$/s.exec(line);
  if (exec) {
    const rest = (exec[1] ?? '').trim();
    if (!rest) return { kind: 'empty' };
    return rest.startsWith('-') ? { kind: 'mi', command: rest } : { kind: 'command', command: rest };
  }
  if (line.startsWith('-')) return { kind: 'mi', command: line };
  const word = commandWord(line);
  return word ? { kind: 'commandOrExpression', word, text: line } : { kind: 'expression', text: line };
}

/**
 * What a failed CLI command printed, then gdb's error: gdb also prints the error on its log
 * stream just before ^error, which would show it twice.
 */
export function failureText(transcript: string, message: string): string {
  const printed = transcript.endsWith(`${message}\n`) ? transcript.slice(0, -message.length - 1) : transcript;
  return `${printed}${message}`;
}

/** The services the console needs from the session. */
export interface ReplHost {
  mi: MiConnection;
  /** An expression's value, as watch shows it, but allowed to change the kernel (`x = 1`, `f()`). */
  evaluate(expression: string, context: FrameContext | undefined): Promise<EvaluateResult>;
  /** Before anything that may resume gdb (a loaded snapshot must be settled first). */
  beforeCommand(): Promise<void>;
  /** After a command: it may have changed gdb's settings or the target. */
  afterCommand(): void;
  /** The names of the frame's locals and arguments. */
  frameVariables(context: FrameContext): Promise<readonly string[]>;
}

export class Repl {
  constructor(private readonly host: ReplHost) {}

  async evaluate(text: string, context: FrameContext | undefined): Promise<EvaluateResult> {
    if (text.length > MAX_EXPRESSION_CHARS) throw errors.expressionTooLong(text.length, MAX_EXPRESSION_CHARS);
    const input = parseInput(text);
    switch (input.kind) {
      case 'empty':
        return { result: '', variablesReference: 0 };
      case 'mi':
        return this.runMi(input.command);
      case 'command':
        return this.runCommand(input.command);
      case 'commandOrExpression':
        // A variable of the frame shown wins over a gdb command of its name: `s` or `k` typed to
        // see a local must not step or kill the target (gdb's CLI would).
        if (
          input.word === input.text &&
          context &&
          /^[A-Za-z_]\w*$/.test(input.word) &&
          (await this.host.frameVariables(context)).includes(input.word)
        ) {
          return this.runExpression(input.text, context);
        }
        if (await this.isCommand(input.word)) return this.runCommand(input.text);
        return this.runExpression(input.text, context).catch((error: unknown) => {
          // Two words where C wants an operator (`inof registers`): a mistyped command, and
          // gdb's CLI says so (the word is no command, so nothing runs).
          if (/^\S+\s+[A-Za-z_$]/.test(input.text) && !/^sizeof\b/.test(input.text)) return this.runCommand(input.text);
          throw error;
        });
      case 'expression':
        return this.runExpression(input.text, context);
    }
  }

  /** gdb's completions (`-complete`) of `text` up to the 0-based `cursor`; an expression completes as `print` would. */
  async completions(text: string, cursor: number): Promise<Array<{ label: string; start: number; length: number }>> {
    const typed = text.slice(0, cursor);
    const direct = await this.complete(typed);
    if (direct.length || !typed.trim() || typed.trimStart().startsWith('-')) return completionItems(typed, direct);
    const prefix = 'print ';
    const asExpression = await this.complete(prefix + typed);
    return completionItems(
      typed,
      asExpression.filter((match) => match.startsWith(prefix)).map((match) => match.slice(prefix.length)),
    );
  }

  private async complete(line: string): Promise<string[]> {
    try {
      const result = await this.host.mi.send(mi.complete(line));
      return result.results.has('matches')
        ? result.results.list('matches').filter((match): match is string => typeof match === 'string')
        : [];
    } catch {
      return []; // nothing to offer (e.g. the target runs and gdb will not look)
    }
  }

  private async isCommand(word: string): Promise<boolean> {
    try {
      await this.host.mi.send(mi.helpFor(word));
      return true;
    } catch (error) {
      if (error instanceof MiCommandError) return false;
      throw error;
    }
  }

  private async runCommand(command: string): Promise<EvaluateResult> {
    await this.host.beforeCommand();
    try {
      const result = await this.host.mi.send(mi.userCommand(command));
      return { result: result.transcript.replace(/\n$/, ''), variablesReference: 0 };
    } catch (error) {
      if (error instanceof MiCommandError) throw errors.evaluationFailed(failureText(error.transcript, error.message));
      throw error;
    } finally {
      this.host.afterCommand();
    }
  }

  private async runMi(command: string): Promise<EvaluateResult> {
    await this.host.beforeCommand();
    try {
      const result = await this.host.mi.send(mi.raw(command));
      const fields = Object.keys(result.results.fields).length ? ` ${JSON.stringify(result.results.fields)}` : '';
      return { result: `${result.transcript}^${result.resultClass}${fields}`, variablesReference: 0 };
    } catch (error) {
      throw errors.evaluationFailed(errorText(error));
    } finally {
      this.host.afterCommand();
    }
  }

  private async runExpression(expression: string, context: FrameContext | undefined): Promise<EvaluateResult> {
    try {
      return await this.host.evaluate(expression, context);
    } catch (error) {
      if (error instanceof MiCommandError || error instanceof UserError) throw errors.evaluationFailed(error.message);
      throw error;
    }
  }
}

/** gdb's characters that end a word for completion (gdb's default_word_break_characters, minus none). */
const WORD_BREAK = /[\s!@#$%^&*()+=|~`}{[\]"';:?/><,.-]/;

/**
 * gdb answers with whole lines ("p init_task"); VS Code wants the word being completed and how
 * much of the typed text it replaces. `start` is 0-based here (the session converts it).
 */
export function completionItems(typed: string, matches: readonly string[]): Array<{ label: string; start: number; length: number }> {
  let wordStart = typed.length;
  while (wordStart > 0 && !WORD_BREAK.test(typed[wordStart - 1]!)) wordStart--;
  const before = typed.slice(0, wordStart);
  const items = new Map<string, { label: string; start: number; length: number }>();
  for (const match of matches) {
    const item = match.startsWith(before)
      ? { label: match.slice(wordStart), start: wordStart, length: typed.length - wordStart }
      : { label: match, start: 0, length: typed.length };
    if (item.label) items.set(item.label, item);
  }
  return [...items.values()];
}

/** The Debug Console of a connected session. */
export function sessionRepl(connection: MiConnection, variables: VariableService, run: RunControl, policy: EvaluationPolicy): Repl {
  return new Repl({
    mi: connection,
    evaluate: (expression, context) => variables.evaluate(expression, context, 'change'),
    beforeCommand: () => run.settleResync(),
    afterCommand: () => policy.forget(),
    frameVariables: (context) => variables.localNames(context).catch(() => []),
  });
}
