// Per-CPU variables (DEFINE_PER_CPU, linked into .data..percpu) shown per CPU, as the kernel
// reads them: CPU n's copy is at the variable's link address (or its offset into the section,
// on zero-based x86_64) plus __per_cpu_offset[n]. No gdb scripts needed: each copy is the
// gdb expression `{TYPE} ADDRESS`, which keeps the type for arrays and typedefs alike (gdb 13
// has no __typeof__ in casts).
import type { FrameContext } from '../../mi/commands';
import { type KernelLayout, perCpuAddress } from './kernelLayout';
import { type KernelReader, unsigned64 } from './kernelReader';

/** Names a per-CPU variable can be watched by: `runqueues`, `kernel_cpustat.cpustat`. */
const LVALUE_PATH = /^[A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*|\s*\[\s*\d+\s*\])*$/;

/** Upper bound on the CPUs listed (NR_CPUS on Debian's arm64 is 4096). */
export const MAX_LISTED_CPUS = 512;

export interface PerCpuCopy {
  /** `this_cpu` or `CPU n`. */
  name: string;
  cpu: number;
  /** The gdb expression of this CPU's copy. */
  expression: string;
}

export class PerCpuValues {
  private section: Promise<{ start: bigint; end: bigint } | undefined> | undefined;
  private cpuCount: Promise<number> | undefined;

  constructor(
    private readonly reader: KernelReader,
    private readonly layout: () => Promise<KernelLayout>,
  ) {}

  /** The target resumed: nr_cpu_ids is final only once the kernel has counted its CPUs, and KASLR may reload the symbols. */
  reset(): void {
    this.cpuCount = undefined;
    this.section = undefined;
  }

  /**
   * The type of `expression` when it names an object inside the per-CPU section, else
   * undefined. Its link address is often unreadable itself (x86_64 links per-CPU data at
   * offsets from 0), so only its address and type are asked.
   */
  async perCpuType(expression: string, context: FrameContext | undefined): Promise<string | undefined> {
    if (!LVALUE_PATH.test(expression.trim())) return undefined;
    const section = await this.sectionRange();
    if (!section) return undefined;
    try {
      const address = unsigned64(await this.reader.value(`(unsigned long)&(${expression})`, context));
      if (address < section.start || address >= section.end) return undefined;
      return await this.reader.type(expression, context);
    } catch {
      return undefined; // not an lvalue, not a symbol here
    }
  }

  /** One copy per possible CPU, `this_cpu` (the CPU of the stopped vCPU) first. */
  async copies(expression: string, type: string, context: FrameContext | undefined): Promise<PerCpuCopy[]> {
    const [layout, count] = await Promise.all([this.layout(), this.possibleCpus()]);
    const copy = (name: string, cpu: number): PerCpuCopy => ({
      name,
      cpu,
      expression: `{${type}} ${perCpuAddress(layout, expression, cpu)}`,
    });
    const all = Array.from({ length: Math.min(count, MAX_LISTED_CPUS) }, (_, cpu) => copy(`CPU ${cpu}`, cpu));
    // QEMU's stub numbers gdb threads from 1 for CPU 0 (one inferior).
    const thisCpu = context ? context.threadId - 1 : undefined;
    return thisCpu !== undefined && thisCpu < all.length ? [copy('this_cpu', thisCpu), ...all] : all;
  }

  private possibleCpus(): Promise<number> {
    this.cpuCount ??= this.reader.value('nr_cpu_ids').then(
      (printed) => {
        const count = Number(printed);
        return Number.isInteger(count) && count > 0 ? count : 1;
      },
      () => 1,
    );
    return this.cpuCount;
  }

  private sectionRange(): Promise<{ start: bigint; end: bigint } | undefined> {
    this.section ??= Promise.all([
      this.reader.value('(unsigned long)&__per_cpu_start'),
      this.reader.value('(unsigned long)&__per_cpu_end'),
    ]).then(
      ([start, end]) => ({ start: unsigned64(start), end: unsigned64(end) }),
      () => undefined,
    );
    return this.section;
  }
}
