// Hover and Watch must not change the kernel, and gdb itself sees to it, as gdb's own DAP
// server does for hover (python/lib/gdb/dap/evaluate.py): their evaluations run with
// `may-write-memory`, `may-write-registers` and `may-call-functions` off, and gdb refuses an
// assignment or an inferior call in its own words ("Writing to memory is not allowed (addr
// 0x…, len 4)"), while convenience functions ($lx_current(), $_strlen()) run. The settings are
// turned off and back in the same tick as the evaluation is sent, so no other command of the
// adapter's can run between them; the stop cache keeps what was read that way for the stop.
//
// gdb 13 refuses to change may-write-registers while connected ("Cannot change this setting
// while the inferior is running."). Where gdb cannot guard the registers, an expression that
// assigns to a `$` name (a register or a convenience variable) is refused here instead.
import { mi, type MiCommand } from '../mi/commands';
import type { MiConnection, MiResult } from '../mi/connection';

/**
 * The longest expression or Debug Console line sent to gdb. gdb takes seconds to refuse a 100,000
 * character name (1.5 s here without a target, over 20 s once in CI), and answers nothing else
 * meanwhile; no expression a person types comes near this.
 */
export const MAX_EXPRESSION_CHARS = 4096;

const GUARDS = ['may-write-memory', 'may-write-registers', 'may-call-functions'] as const;
type Guard = (typeof GUARDS)[number];

interface GuardState {
  /** The user's value, restored after each window. */
  value: string;
  /** gdb accepts changing it now. */
  settable: boolean;
}

/** An assignment or ++/-- whose target is a `$` name (`$rax = 1`, `$pc += 4`, `++$x`, `$xmm0.v4_int32[0] = 1`). */
const DOLLAR_WRITE = /\$\w+(?:\s*(?:\.\s*\w+|\[[^\]]*\]))*\s*(?:(?:[-+*/%&|^]|<<|>>)?=(?!=)|\+\+|--)|(?:\+\+|--)\s*\$\w+/;

/** Whether `expression` assigns to a `$` name; string and character literals do not count. */
export function writesDollarName(expression: string): boolean {
  return DOLLAR_WRITE.test(expression.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""'));
}

export class EvaluationPolicy {
  private guards: Promise<Map<Guard, GuardState>> | undefined;

  constructor(private readonly mi: MiConnection) {}

  /** A Debug Console command may have changed the settings (observer mode, `set may-…`): read them again. */
  forget(): void {
    this.guards = undefined;
  }

  /**
   * Why gdb cannot be trusted to keep `expression` from changing the kernel, or undefined
   * when it can (the expression then goes to gdb, which refuses what would write).
   */
  async refusal(expression: string): Promise<string | undefined> {
    const guards = await this.readGuards();
    if (guards.get('may-write-registers')?.settable || guards.get('may-write-registers')?.value === 'off' || !writesDollarName(expression))
      return undefined;
    return (
      `Not evaluated here: it assigns to a $ name, and this gdb cannot forbid register writes ` +
      `while connected (may-write-registers). Use the Debug Console to run it.`
    );
  }

  /**
   * Sends `commands` with gdb's writes and calls switched off, and switches them back; every
   * line goes out in this tick, so nothing else the adapter sends runs in between.
   */
  async readOnly<Commands extends readonly MiCommand[]>(
    commands: Commands,
  ): Promise<{ -readonly [K in keyof Commands]: PromiseSettledResult<MiResult> }> {
    const guards = await this.readGuards();
    const toggled = [...guards].filter(([, state]) => state.settable && state.value !== 'off');
    const switches = toggled.map(([guard]) => this.mi.send(mi.gdbSet(guard, 'off')));
    // Settled at once: a refused evaluation is an answer, never an unhandled rejection.
    const answers = Promise.allSettled(commands.map((command) => this.mi.send({ ...command, readOnly: true })));
    const restores = toggled.map(([guard, state]) => this.mi.send(mi.gdbSet(guard, state.value)));
    const switched = await Promise.allSettled([...switches, ...restores]);
    const failed = switched.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) {
      this.forget();
      await answers;
      throw failed.reason; // gdb refused a switch it accepted when probed: none of the answers is trusted
    }
    return (await answers) as { -readonly [K in keyof Commands]: PromiseSettledResult<MiResult> };
  }

  private readGuards(): Promise<Map<Guard, GuardState>> {
    this.guards ??= this.probeGuards();
    const guards = this.guards;
    guards.catch(() => {
      if (this.guards === guards) this.guards = undefined;
    });
    return guards;
  }

  /** Each guard's value, and whether gdb lets it change now (setting it to its own value tells). */
  private async probeGuards(): Promise<Map<Guard, GuardState>> {
    const states = await Promise.all(
      GUARDS.map(async (guard): Promise<[Guard, GuardState]> => {
        const value = (await this.mi.send(mi.gdbShow(guard))).results.str('value');
        const settable = await this.mi.send(mi.gdbSet(guard, value)).then(
          () => true,
          () => false,
        );
        return [guard, { value, settable }];
      }),
    );
    return new Map(states);
  }
}
