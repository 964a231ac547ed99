// Kernel panics. With breakOnPanic (the default) an internal breakpoint on panic() stops the
// session where the kernel gave up, so the user sees the panicking stack and the message; a
// panic seen only on the serial console (breakOnPanic off, or the breakpoint refused) is
// reported in the Debug Console, so a halted guest is never mistaken for a busy one.
import { mi } from '../../mi/commands';
import type { MiConnection } from '../../mi/connection';
import { errorText } from '../errors';
import type { StopInfo } from '../stopReasons';

export const PANIC_FUNCTION = 'panic';

export class PanicWatch {
  private breakpoint: string | undefined;
  private armed = false;

  constructor(private readonly mi: MiConnection) {}

  /** Sets the breakpoint once the kernel runs from its final mapping; returns a warning when it cannot. */
  async arm(): Promise<string | undefined> {
    if (this.armed) return undefined;
    this.armed = true;
    try {
      this.breakpoint = (await this.mi.send(mi.breakInsert({ location: PANIC_FUNCTION }))).results.tuple('bkpt').str('number');
      return undefined;
    } catch (error) {
      return `breakOnPanic: no breakpoint on ${PANIC_FUNCTION}() (${errorText(error)}); a panic is only reported from the serial console.\n`;
    }
  }

  isPanicStop(stop: StopInfo): boolean {
    return this.breakpoint !== undefined && stop.breakpointNumber === this.breakpoint;
  }

  /** "Kernel panic: <the format string panic() was called with>". */
  async describe(threadId: number): Promise<string> {
    try {
      const value = (await this.mi.send(mi.evaluate('fmt', { threadId, frameLevel: 0 }))).results.str('value');
      const text = /"((?:[^"\\]|\\.)*)"/.exec(value)?.[1];
      if (text) return `Kernel panic: ${text.replace(/\\n$/, '').replace(/\\n/g, ' ')}`;
    } catch {
      // no argument info (optimized out): the stack still shows it
    }
    return 'Kernel panic';
  }
}

const SERIAL_PANIC = /Kernel panic - not syncing: ([^\r\n]*)\r?\n/;

/** Finds the kernel's panic line in serial output that arrives in arbitrary chunks; reports each panic once. */
export class SerialPanicDetector {
  private tail = '';
  private reported = false;

  feed(text: string): string | undefined {
    if (this.reported) return undefined; // the kernel ends its panic with the same line ("---[ end Kernel panic ...")
    const window = this.tail + text;
    const match = SERIAL_PANIC.exec(window);
    this.tail = window.slice(-512);
    if (!match) return undefined;
    this.reported = true;
    return match[1]!.trim();
  }
}

/**
 * What the serial console feeds (each flushed text): a panic seen there is reported once in
 * the Debug Console. With breakOnPanic the session has already stopped at panic() instead.
 */
export function serialPanicReporter(breakOnPanic: boolean, print: (text: string) => void): (text: string) => void {
  const detector = new SerialPanicDetector();
  return (text) => {
    const panic = detector.feed(text);
    if (panic !== undefined && !breakOnPanic) print(`The guest kernel panicked: ${panic}. It is halted; pause to see where (or set "breakOnPanic": true to stop at panic()).\n`);
  };
}
