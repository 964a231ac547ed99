// Kernel panics seen on the serial console. With the Panic exception filter on (the default;
// kernelExceptions.ts) the session stops in panic() itself; a panic seen only on the serial
// console (the filter off, or its breakpoint refused) is reported in the Debug Console, so a
// halted guest is never mistaken for a busy one.
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
 * the Debug Console. With the Panic filter on the session has already stopped in panic() instead.
 */
export function serialPanicReporter(stopsAtPanic: () => boolean, print: (text: string) => void): (text: string) => void {
  const detector = new SerialPanicDetector();
  return (text) => {
    const panic = detector.feed(text);
    if (panic !== undefined && !stopsAtPanic()) {
      print(
        `The guest kernel panicked: ${panic}. It is halted; pause to see where (or switch on ` +
          `"Kernel panic" under Breakpoints to stop in panic()).\n`,
      );
    }
  };
}
