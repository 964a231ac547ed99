// Which shape of its own structures this kernel has, asked from its DWARF once per session
// (type questions such as `sizeof(((struct module *)0)->mem)`, which gdb answers from the
// vmlinux without reading guest memory) rather than guessed from a version string: a
// distribution backports, a developer's tree sits between releases. Every reader of kernel
// structures (modules, tasks, dmesg) takes its expressions from here.
import { mi } from '../../mi/commands';
import { MiCommandError, type MiConnection } from '../../mi/connection';

/** How a module tells where its sections were put. */
export type ModuleSectionTable =
  /** 5.8–6.13: `sect_attrs->nsections` entries of `attrs[i].battr.attr.name` / `attrs[i].address`. */
  | 'attrs-address'
  /** 6.14+: the NULL-terminated `sect_attrs->grp.bin_attrs[i]`, address in `->private`. */
  | 'bin-attrs-private'
  /** Neither (no sysfs): only the memory regions below say where code went. */
  | 'none';

/** Where a module's memory regions are described. */
export type ModuleMemory =
  /** 6.4+: `struct module_memory mem[MOD_MEM_NUM_TYPES]`, indexed by MOD_TEXT, MOD_INIT_TEXT, ... */
  | 'mem'
  /** Before 6.4: `core_layout` and `init_layout`. */
  | 'layouts'
  | 'unknown';

export interface KernelLayout {
  moduleSections: ModuleSectionTable;
  moduleMemory: ModuleMemory;
  /** task_struct's state field: `__state` since 5.14, `state` before. */
  taskState: '__state' | 'state';
  /** The per-CPU pointer to the running task, by the name this kernel gives it; undefined if it has none. */
  currentTask: string | undefined;
  /** The lockless printk ring (`prb`, 5.10+) that dmesg reads. */
  printkRing: boolean;
  /**
   * x86_64 before 6.15 links per-CPU variables at offsets from 0 (`__per_cpu_start` is 0),
   * and KASLR leaves them there; gdb's rebase moves them with everything else, so their
   * offset is `&var - &__per_cpu_start`. Elsewhere `&var` is already the base to add to.
   */
  perCpuZeroBased: boolean;
}

/** gdb's value of an expression, or undefined where gdb rejects it (no such member, type or symbol). */
export type GdbAnswer = (expression: string) => Promise<string | undefined>;

/** Candidates for the running task's per-CPU pointer, tried in order. */
export const CURRENT_TASK_CANDIDATES = {
  // current_task until 6.1 and again from 6.15; pcpu_hot.current_task from 6.2 to 6.14.
  x86_64: ['current_task', 'pcpu_hot.current_task'],
  aarch64: ['__entry_task'],
} as const;

/** The questions asked, one per shape (exported for tests and recorded fixtures). */
export const LAYOUT_QUESTIONS = {
  sectAttrsAddress: 'sizeof(((struct module_sect_attr *)0)->address)',
  sectAttrsBinAttrs: 'sizeof(((struct module_sect_attrs *)0)->grp.bin_attrs)',
  moduleMem: 'sizeof(((struct module *)0)->mem)',
  moduleCoreLayout: 'sizeof(((struct module *)0)->core_layout)',
  taskStateUnderscore: 'sizeof(((struct task_struct *)0)->__state)',
  printkRing: 'sizeof(prb->desc_ring)',
  perCpuStart: '(unsigned long)&__per_cpu_start',
  currentTask: (name: string) => `sizeof(${name})`,
} as const;

export async function probeKernelLayout(answer: GdbAnswer, arch: keyof typeof CURRENT_TASK_CANDIDATES): Promise<KernelLayout> {
  const q = LAYOUT_QUESTIONS;
  const candidates = CURRENT_TASK_CANDIDATES[arch];
  const ask = async (expression: string) => (await answer(expression)) !== undefined;
  const [attrsAddress, binAttrs, mem, coreLayout, underscoreState, printkRing, perCpuStart, ...current] = await Promise.all([
    ask(q.sectAttrsAddress),
    ask(q.sectAttrsBinAttrs),
    ask(q.moduleMem),
    ask(q.moduleCoreLayout),
    ask(q.taskStateUnderscore),
    ask(q.printkRing),
    answer(q.perCpuStart),
    ...candidates.map((name) => ask(q.currentTask(name))),
  ]);
  return {
    // 6.14 kept `grp.bin_attrs` and dropped `struct module_sect_attr`: test the old one first.
    moduleSections: attrsAddress ? 'attrs-address' : binAttrs ? 'bin-attrs-private' : 'none',
    moduleMemory: mem ? 'mem' : coreLayout ? 'layouts' : 'unknown',
    taskState: underscoreState ? '__state' : 'state',
    currentTask: candidates.find((_, index) => current[index]),
    printkRing,
    // Zero-based per-CPU data starts below any kernel address, even moved by a KASLR offset.
    perCpuZeroBased: perCpuStart !== undefined && /^\d+$/.test(perCpuStart) && BigInt(perCpuStart) < KERNEL_SPACE,
  };
}

const KERNEL_SPACE = 0xffff000000000000n;

/** The address of CPU `cpu`'s copy of per-CPU variable `variable` (an lvalue expression). */
export function perCpuAddress(layout: KernelLayout, variable: string, cpu: number): string {
  const offset = layout.perCpuZeroBased ? `((char *)&${variable} - (char *)&__per_cpu_start)` : `(char *)&${variable}`;
  return `(${offset} + __per_cpu_offset[${cpu}])`;
}

/** Expressions for the start of a module's code regions, when its section table is missing. */
export function moduleRegionExpressions(memory: ModuleMemory, module: string): { text: string; initText: string } | undefined {
  if (memory === 'mem')
    return { text: `(unsigned long)${module}->mem[MOD_TEXT].base`, initText: `(unsigned long)${module}->mem[MOD_INIT_TEXT].base` };
  if (memory === 'layouts')
    return { text: `(unsigned long)${module}->core_layout.base`, initText: `(unsigned long)${module}->init_layout.base` };
  return undefined;
}

/** The layout of the kernel behind a gdb connection, probed on first use and kept for the session. */
export function layoutFromGdb(connection: MiConnection, arch: keyof typeof CURRENT_TASK_CANDIDATES): () => Promise<KernelLayout> {
  let layout: Promise<KernelLayout> | undefined;
  // Only gdb's own "no such member/type/symbol" is a no; a closed connection is an error.
  const ask: GdbAnswer = (expression) =>
    connection.send(mi.evaluate(expression)).then(
      (result) => result.results.str('value'),
      (error: unknown) => {
        if (error instanceof MiCommandError) return undefined;
        throw error;
      },
    );
  return () => {
    layout ??= probeKernelLayout(ask, arch);
    layout.catch(() => (layout = undefined));
    return layout;
  };
}
