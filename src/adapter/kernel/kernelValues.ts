// Kernel types that gdb shows unhelpfully in the Variables view, summarized: a cpumask as the
// CPU list the kernel itself prints ("0-3,8" rather than {bits = {271, 0 <repeats 127 times>}}),
// a list_head or hlist_head as empty or not (rather than two pointers to compare by eye).
// Pure: the variable service asks gdb for summaryExpression() and passes what it printed.

export type KernelValueKind = 'cpumask' | 'list_head' | 'hlist_head';

const BITS_PER_WORD = 64; // unsigned long on x86_64 and arm64

export function kernelValueKind(type: string | undefined): KernelValueKind | undefined {
  const bare = type?.replace(/\b(const|volatile)\s+/g, '').trim();
  if (bare === 'struct cpumask' || bare === 'cpumask_t') return 'cpumask';
  if (bare === 'struct list_head') return 'list_head';
  if (bare === 'struct hlist_head') return 'hlist_head';
  return undefined;
}

/** The C expression whose printed value gives the summary of the value at `path`. */
export function summaryExpression(kind: KernelValueKind, path: string): string {
  switch (kind) {
    case 'cpumask':
      return `(${path}).bits`;
    case 'list_head':
      return `(${path}).next == &(${path})`;
    case 'hlist_head':
      return `(${path}).first == 0`;
  }
}

/**
 * What the Variables view shows; undefined when gdb's answer is not what was expected. A
 * cpumask is read up to `cpuCount` (the kernel's nr_cpu_ids) as the kernel does: bits past it
 * are stale (cpumask_copy copies only those).
 */
export function summarize(kind: KernelValueKind, printed: string, cpuCount?: number): string | undefined {
  if (kind === 'cpumask') {
    const words = parseUnsignedArray(printed);
    if (!words) return undefined;
    const cpus = cpuList(words, cpuCount);
    return cpus ? `CPUs ${cpus}` : 'no CPUs';
  }
  if (printed === '1') return 'empty list';
  if (printed === '0') return 'list, not empty';
  return undefined;
}

/** gdb's print of an unsigned array: "{3, 0 <repeats 127 times>}" (decimal or hex). */
export function parseUnsignedArray(printed: string): bigint[] | undefined {
  const inner = /^\{(.*)\}$/.exec(printed.trim())?.[1];
  if (inner === undefined) return undefined;
  const words: bigint[] = [];
  for (const item of inner.split(',')) {
    const match = /^\s*(0x[0-9a-f]+|\d+)(?:\s+<repeats (\d+) times>)?\s*$/i.exec(item);
    if (!match) return undefined;
    const repeats = match[2] ? Number(match[2]) : 1;
    for (let count = 0; count < repeats; count++) words.push(BigInt(match[1]!));
  }
  return words;
}

/** Set bits (of the first `limit`) as the kernel's cpulist format: "0-3,8,10-11". */
export function cpuList(words: readonly bigint[], limit = Infinity): string {
  const ranges: string[] = [];
  let start = -1;
  const total = Math.min(words.length * BITS_PER_WORD, limit);
  for (let cpu = 0; cpu <= total; cpu++) {
    const set = cpu < total && ((words[Math.floor(cpu / BITS_PER_WORD)]! >> BigInt(cpu % BITS_PER_WORD)) & 1n) === 1n;
    if (set && start < 0) start = cpu;
    if (!set && start >= 0) {
      ranges.push(start === cpu - 1 ? `${start}` : `${start}-${cpu - 1}`);
      start = -1;
    }
  }
  return ranges.join(',');
}
