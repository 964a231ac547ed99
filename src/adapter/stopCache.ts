// Per-stop reads: while the kernel stays stopped, what gdb answered to a read-only command
// holds, so the same command is answered from here; and the reads VS Code makes after every
// stop (threads with their tasks, the stopped thread's frames, its top frame's locals) are
// sent the moment the stop is reported, so gdb works while the stopped event travels and
// the requests find their answers ready. Anything that may change the target (resuming,
// writes, assignments, calls, CLI commands, symbol loads) empties the cache first. An
// evaluation made under the evaluation policy (hover, watch) only read, by gdb's own guard.
import { mi, type MiCommand } from '../mi/commands';
import type { MiConnection, MiResult } from '../mi/connection';
import { errors } from './errors';
import type { StackService } from './stack';
import type { TaskInspector } from './kernel/tasks';

/** The first frames VS Code asks for after a stop (its stackTrace request: startFrame 0, levels 20). */
export const FIRST_FRAMES = 20;

type Kind = 'cached' | 'neutral' | 'changes';

/** Commands that only read the target or gdb's var-objects: neither cached nor a reason to forget. */
const NEUTRAL =
  /^-(var-(create|list-children|delete|info-path-expression|show-attributes|info-type|info-num-children)|data-list-register-names|data-list-register-values|data-read-memory-bytes|data-disassemble|stack-info-depth|break-list|list-features|gdb-show|gdb-set may-(write-memory|write-registers|call-functions) (on|off)|complete|interpreter-exec console "help)(\s|$)/;
const CACHED = /^-(thread-info|stack-list-frames|stack-list-variables)(\s|$)/;
const EVALUATE = /^-data-evaluate-expression((?: --(?:thread|frame) \d+)*) (.*)$/;

/** Type words that may stand before "(" in a cast (`(char (*)[16])`) without being a call. */
const TYPE_WORDS = new Set([
  'char',
  'short',
  'int',
  'long',
  'unsigned',
  'signed',
  'float',
  'double',
  'void',
  'const',
  'volatile',
  'sizeof',
  '_Alignof',
  'alignof',
  'typeof',
  '__typeof__',
]);

/**
 * True when evaluating `expression` cannot change the target: no assignment, no ++/--, and no
 * call. A cast to a typedef (`(u64 (*)[2])x`) looks like a call and is treated as one: that
 * costs a cache miss, never a stale answer.
 */
export function isPureExpression(expression: string): boolean {
  const code = expression.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""');
  if (/\+\+|--/.test(code)) return false;
  if (/(^|[^=!<>])=(?!=)|<<=|>>=/.test(code)) return false;
  for (const match of code.matchAll(/([A-Za-z_]\w*)\s*\(/g)) {
    if (!TYPE_WORDS.has(match[1]!)) return false;
  }
  return true;
}

/** MI c-string argument -> its text (`"a\"b"` -> `a"b`); an unquoted argument as is. */
function unquote(argument: string): string {
  if (!/^".*"$/.test(argument)) return argument;
  try {
    return JSON.parse(argument) as string;
  } catch {
    return argument;
  }
}

export function classify(command: MiCommand): Kind {
  const { text } = command;
  if (CACHED.test(text) || command.stopStable) return 'cached';
  const evaluate = EVALUATE.exec(text);
  // Read under the evaluation policy (evaluationPolicy.ts): gdb refused any write or call.
  if (evaluate && command.readOnly) return 'cached';
  if (evaluate) return isPureExpression(unquote(evaluate[2]!.trim())) ? 'cached' : 'changes';
  return NEUTRAL.test(text) ? 'neutral' : 'changes';
}

/** A command that resumes the target (either direction); -exec-interrupt stops it. */
const RESUME = /^-exec-(?!interrupt)/;
/** Reads gdb answers from its own state, without a packet to QEMU's stub. */
const GDB_LOCAL =
  /^-(break-list|list-features|gdb-show|gdb-set|complete|data-list-register-names|var-delete|var-info-\S+|var-show-attributes|interpreter-exec console "help)(\s|$)/;

/** A read of the target (memory, registers, frames, threads) that belongs to the last stop. */
function readsTarget(command: MiCommand): boolean {
  if (GDB_LOCAL.test(command.text)) return false;
  return classify(command) !== 'changes' || /^-\S+(?: .*)? --(thread|frame) \d+/.test(command.text);
}

export class StopCache {
  private readonly answers = new Map<string, Promise<MiResult>>();
  /** From the moment a resume is sent (gdb runs the commands after it with the target moving) until *stopped. */
  private resumed = false;

  constructor(private readonly connection: MiConnection) {
    connection.setSendHook((command, toGdb) => this.send(command, toGdb));
    // First of the listeners: run control's stop handler reads the new stop at once.
    connection.prependListener('exec', (record) => {
      if (record.asyncClass === 'running') {
        this.resumed = true;
        this.answers.clear();
      } else if (record.asyncClass === 'stopped') this.resumed = false;
    });
  }

  /** vCPUs (cpu, gdb thread) of the last stop: their tasks are read before -thread-info answers. */
  private vcpus: Array<[cpu: number, threadId: number]> = [];

  /**
   * What VS Code asks after a stop, asked now (see the file comment), in the order it waits
   * for them: the threads first (with each vCPU's task, read for the vCPUs of the last stop
   * right away, as they rarely change), then the frames and the locals.
   */
  prefetch(threadId: number, stack: StackService, tasks: TaskInspector): void {
    const ignore = () => undefined;
    const seen: Array<[number, number]> = [];
    stack
      .threads((cpu, thread) => {
        seen.push([cpu, thread]);
        return tasks.current(cpu, thread);
      })
      .then(() => (this.vcpus = seen), ignore);
    for (const [cpu, thread] of this.vcpus) tasks.current(cpu, thread).catch(ignore);
    // After the task reads, which start a few promise steps later.
    setImmediate(() => {
      this.connection.send(mi.stackListFrames(threadId, 0, FIRST_FRAMES)).catch(ignore);
      this.connection.send(mi.stackListVariables({ threadId, frameLevel: 0 })).catch(ignore);
    });
  }

  private send(command: MiCommand, toGdb: (command: MiCommand) => Promise<MiResult>): Promise<MiResult> {
    if (RESUME.test(command.text)) {
      this.resumed = true;
      this.answers.clear();
      const resuming = toGdb(command);
      // Refused (gdb did not resume): the stop stands.
      resuming.catch(() => (this.resumed = false));
      return resuming;
    }
    // A read left over from a stop that is gone (a prefetch still under way when VS Code
    // resumed) is not sent: its answer would describe a kernel that has moved on, and gdb
    // takes such reads in the middle of its step over a breakpoint. Where a step-over was
    // lost all the same, stepOverGuard.ts resumes the kernel again.
    // Answered like a stale frame or variables reference: VS Code asks again at the next stop, no notification.
    if (this.resumed && readsTarget(command)) return Promise.reject(errors.readAfterResume());
    const kind = classify(command);
    if (kind === 'changes') this.answers.clear();
    if (kind !== 'cached') return toGdb(command);
    const known = this.answers.get(command.text);
    if (known) return known;
    const answer = toGdb(command);
    this.answers.set(command.text, answer);
    // An error is not kept: the next asker gets gdb's own answer again.
    answer.catch(() => {
      if (this.answers.get(command.text) === answer) this.answers.delete(command.text);
    });
    return answer;
  }
}
