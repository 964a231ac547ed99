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
}

/** Asks gdb whether it can evaluate an expression (true) or rejects it (false). */
export type TypeQuestion = (expression: string) => Promise<boolean>;

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
  currentTask: (name: string) => `sizeof(${name})`,
} as const;

export async function probeKernelLayout(ask: TypeQuestion, arch: keyof typeof CURRENT_TASK_CANDIDATES): Promise<KernelLayout> {
  const q = LAYOUT_QUESTIONS;
  const candidates = CURRENT_TASK_CANDIDATES[arch];
  const [attrsAddress, binAttrs, mem, coreLayout, underscoreState, printkRing, ...current] = await Promise.all([
    ask(q.sectAttrsAddress),
    ask(q.sectAttrsBinAttrs),
    ask(q.moduleMem),
    ask(q.moduleCoreLayout),
    ask(q.taskStateUnderscore),
    ask(q.printkRing),
    ...candidates.map((name) => ask(q.currentTask(name))),
  ]);
  return {
    // 6.14 kept `grp.bin_attrs` and dropped `struct module_sect_attr`: test the old one first.
    moduleSections: attrsAddress ? 'attrs-address' : binAttrs ? 'bin-attrs-private' : 'none',
    moduleMemory: mem ? 'mem' : coreLayout ? 'layouts' : 'unknown',
    taskState: underscoreState ? '__state' : 'state',
    currentTask: candidates.find((_, index) => current[index]),
    printkRing,
  };
}

/** Expressions for the start of a module's code regions, when its section table is missing. */
export function moduleRegionExpressions(memory: ModuleMemory, module: string): { text: string; initText: string } | undefined {
  if (memory === 'mem') return { text: `(unsigned long)${module}->mem[MOD_TEXT].base`, initText: `(unsigned long)${module}->mem[MOD_INIT_TEXT].base` };
  if (memory === 'layouts') return { text: `(unsigned long)${module}->core_layout.base`, initText: `(unsigned long)${module}->init_layout.base` };
  return undefined;
}

/** The layout of the kernel behind a gdb connection, probed on first use and kept for the session. */
export function layoutFromGdb(connection: MiConnection, arch: keyof typeof CURRENT_TASK_CANDIDATES): () => Promise<KernelLayout> {
  let layout: Promise<KernelLayout> | undefined;
  // Only gdb's own "no such member/type/symbol" is a no; a closed connection is an error.
  const ask: TypeQuestion = (expression) =>
    connection.send(mi.evaluate(expression)).then(
      () => true,
      (error: unknown) => {
        if (error instanceof MiCommandError) return false;
        throw error;
      },
    );
  return () => {
    layout ??= probeKernelLayout(ask, arch);
    layout.catch(() => (layout = undefined));
    return layout;
  };
}
