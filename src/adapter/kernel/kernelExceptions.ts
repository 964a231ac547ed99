// The kernel's own exceptions as DAP exception filters: Panic, Oops/BUG and WARN, each an
// internal breakpoint placed where the kernel has already printed what it has to say, so the
// stop carries the kernel's formatted message and its report (from the printk ring):
// - panic: just after panic() formatted its message into its static buf (the call to
//   vscnprintf), still in panic() with the caller below;
// - WARN: in __warn() once its report has ended: after its call to add_taint (the end
//   marker's own function is inlined into __warn by some builds), else after show_regs;
// - Oops/BUG: at oops_exit(), which both arches call once die() has printed the report.
// Where that call is not found, the breakpoint goes on the function's entry instead.
import { mi } from '../../mi/commands';
import type { MiConnection } from '../../mi/connection';
import { errorText } from '../errors';
import type { StopInfo } from '../stopReasons';

export type KernelExceptionFilter = 'panic' | 'oops' | 'warn';

export const KERNEL_EXCEPTION_FILTERS: readonly { filter: KernelExceptionFilter; label: string; description: string; default: boolean }[] =
  [
    { filter: 'panic', label: 'Kernel panic', description: 'Stop where the kernel panics, with its message.', default: true },
    {
      filter: 'oops',
      label: 'Oops and BUG',
      description: 'Stop when the kernel reports an Oops or a BUG, with its report.',
      default: true,
    },
    { filter: 'warn', label: 'WARN', description: 'Stop at each WARN()/WARN_ON() the kernel reports, with its report.', default: false },
  ];

/** Where each filter stops: inside the first of `functions` that exists, right after its call to the first of `after` it makes. */
const PLACES: Readonly<Record<KernelExceptionFilter, { functions: readonly string[]; after: readonly string[] }>> = {
  // 6.13+ formats in vpanic(), which panic() calls.
  panic: { functions: ['vpanic', 'panic'], after: ['vscnprintf'] },
  warn: { functions: ['__warn'], after: ['add_taint', 'show_regs'] },
  oops: { functions: ['oops_exit'], after: [] },
};

export interface KernelException {
  filter: KernelExceptionFilter;
  /** One line: "Kernel panic: VFS: Unable to mount root fs on unknown-block(0,0)". */
  description: string;
  /** The kernel's report of it, from its log, when there is one. */
  report: string | undefined;
}

const REPORT_OPENING_LINES = 8;

/** Lines that begin the kernel's report of an Oops, a BUG or a WARN. */
const REPORT_START =
  /^(?:\[[\s\d.]+\] )?(?:------------\[ cut here \]------------|BUG: |Oops: |Unable to handle kernel |Internal error: |kernel BUG at |WARNING: )/;

export class KernelExceptions {
  private readonly wanted = new Set<KernelExceptionFilter>(
    KERNEL_EXCEPTION_FILTERS.filter((entry) => entry.default).map((entry) => entry.filter),
  );
  private readonly inserted = new Map<KernelExceptionFilter, string>();
  private ready = false;
  private filtersSeen = false;
  private last: KernelException | undefined;

  constructor(
    private readonly mi: MiConnection,
    private readonly readLog: () => Promise<string>,
    /** The launch configuration's breakOnPanic: false starts the session with the Panic filter off. */
    private readonly panicAtStart: boolean,
  ) {
    if (!panicAtStart) this.wanted.delete('panic');
  }

  /** The filters VS Code has switched on; applied at once when the kernel runs from its final mapping. Returns warnings. */
  async setFilters(filters: readonly string[]): Promise<string[]> {
    this.wanted.clear();
    for (const filter of filters) if (isFilter(filter)) this.wanted.add(filter);
    // VS Code sends its remembered filter states first; "breakOnPanic": false in launch.json wins over them at the start.
    if (!this.filtersSeen && !this.panicAtStart) this.wanted.delete('panic');
    this.filtersSeen = true;
    return this.ready ? this.apply() : [];
  }

  isOn(filter: KernelExceptionFilter): boolean {
    return this.wanted.has(filter) && (!this.ready || this.inserted.has(filter));
  }

  /** Called once the kernel runs from its final mapping (software breakpoints hold from then on). */
  async arm(): Promise<string[]> {
    this.ready = true;
    return this.apply();
  }

  /** Before a reboot: the breakpoints' numbers, for the caller to delete; arm() places them again. */
  async disarm(): Promise<string[]> {
    this.ready = false;
    const numbers = [...this.inserted.values()];
    this.inserted.clear();
    return numbers;
  }

  filterOf(stop: StopInfo): KernelExceptionFilter | undefined {
    for (const [filter, number] of this.inserted) if (stop.breakpointNumber === number) return filter;
    return undefined;
  }

  /** The exception at this stop, kept for the exceptionInfo request. */
  async describe(filter: KernelExceptionFilter, threadId: number): Promise<KernelException> {
    const report = filter === 'panic' ? undefined : await this.readLog().then(lastReport, () => undefined);
    const description = filter === 'panic' ? await this.panicMessage(threadId) : describeReport(filter, report);
    this.last = { filter, description, report };
    return this.last;
  }

  get lastException(): KernelException | undefined {
    return this.last;
  }

  private async apply(): Promise<string[]> {
    const warnings: string[] = [];
    for (const [filter, number] of [...this.inserted]) {
      if (this.wanted.has(filter)) continue;
      await this.mi.send(mi.breakDelete([number])).catch(() => undefined);
      this.inserted.delete(filter);
    }
    for (const filter of this.wanted) {
      if (this.inserted.has(filter)) continue;
      try {
        const location = await this.location(filter);
        this.inserted.set(filter, (await this.mi.send(mi.breakInsert({ location }))).results.tuple('bkpt').str('number'));
      } catch (error) {
        warnings.push(`${label(filter)}: no breakpoint for it (${errorText(error)}); it is only seen on the serial console.\n`);
      }
    }
    return warnings;
  }

  /** `*0x…` just after the call named in PLACES, or the first of its functions that exists. */
  private async location(filter: KernelExceptionFilter): Promise<string> {
    const place = PLACES[filter];
    let lastError: unknown;
    for (const name of place.functions) {
      try {
        if (place.after.length === 0) {
          await this.mi.send(mi.evaluate(`(unsigned long)&${name}`));
          return name;
        }
        const instructions = (await this.mi.send(mi.disassembleFunction(name))).results
          .tuples('asm_insns')
          .map((instruction) => ({ address: instruction.optStr('address'), text: instruction.optStr('inst') ?? '' }));
        for (const callee of place.after) {
          const call = instructions.findIndex((instruction) => instruction.text.endsWith(`<${callee}>`));
          const next = call >= 0 ? instructions[call + 1]?.address : undefined;
          if (next) return `*${next}`;
        }
        return name;
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError instanceof Error ? lastError : new Error(`none of ${place.functions.join(', ')} is in this kernel`);
  }

  /** panic()'s message as it formatted it into its static buffer; its format string where that cannot be read. */
  private async panicMessage(threadId: number): Promise<string> {
    const context = { threadId, frameLevel: 0 };
    for (const expression of ["'vpanic'::buf", "'panic'::buf", 'fmt']) {
      try {
        const text = cString((await this.mi.send(mi.evaluate(expression, context))).results.str('value'));
        if (text) return `Kernel panic: ${text}`;
      } catch {
        // not in this kernel, or optimized out
      }
    }
    return 'Kernel panic';
  }
}

function isFilter(text: string): text is KernelExceptionFilter {
  return KERNEL_EXCEPTION_FILTERS.some((entry) => entry.filter === text);
}

function label(filter: KernelExceptionFilter): string {
  return KERNEL_EXCEPTION_FILTERS.find((entry) => entry.filter === filter)!.label;
}

/** gdb's print of a char array or pointer (`0x… "text\n"`, `"text", '\000' <repeats …>`) → the text, trimmed. */
export function cString(printed: string): string | undefined {
  const match = /"((?:[^"\\]|\\.)*)"/.exec(printed);
  if (!match) return undefined;
  const text = match[1]!.replace(/\\n/g, ' ').replace(/\\t/g, ' ').replace(/\\(.)/g, '$1').trim();
  return text || undefined;
}

/** The last report (Oops, BUG, WARN) in the kernel log: from its first line to the end of the log. */
export function lastReport(log: string): string | undefined {
  const lines = log.split('\n');
  for (let index = lines.length - 1; index >= 0; index--) {
    if (!REPORT_START.test(lines[index]!)) continue;
    // The lines that open the same report come a few lines before its "Oops:" (x86 prints
    // "BUG: kernel NULL pointer dereference", then "#PF: …" lines, then "Oops: 0002 [#1]").
    let start = index;
    for (let earlier = index - 1; earlier >= Math.max(0, index - REPORT_OPENING_LINES); earlier--) {
      if (REPORT_START.test(lines[earlier]!)) start = earlier;
    }
    return lines.slice(start).join('\n').trimEnd();
  }
  return undefined;
}

/** The report's telling line, without its timestamp: "WARNING: CPU: 0 PID: 1 at fs/open.c:42 f+0x1/0x2". */
export function describeReport(filter: KernelExceptionFilter, report: string | undefined): string {
  const fallback = filter === 'warn' ? 'Kernel WARN' : 'Kernel Oops';
  if (!report) return fallback;
  const lines = report.split('\n').map((line) => line.replace(/^\[[\s\d.]+\] /, ''));
  const telling = lines.find((line) => /^(?:WARNING: |BUG: |kernel BUG at |Unable to handle kernel |Oops: |Internal error: )/.test(line));
  if (!telling) return fallback;
  return telling.startsWith('Oops') ? telling : `${filter === 'warn' ? 'WARN' : 'Oops'}: ${telling}`;
}
