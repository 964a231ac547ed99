// Loadable modules: when the guest loads one (do_init_module, before its init runs), the
// adapter finds its .ko with DWARF, adds its symbols at the section addresses the kernel
// chose, and gdb then places pending breakpoints in it. Modules already loaded (attach,
// snapshots) are picked up by walking the kernel's `modules` list.
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { mi } from '../../mi/commands';
import type { MiConnection } from '../../mi/connection';
import { readElfSummary } from '../../elf/elf';
import { placeableModule } from '../../elf/placeableModule';
import { type KernelLayout, moduleRegionExpressions } from './kernelLayout';
import { parseCString } from './tasks';

export const MODULE_LOAD_HOOK = 'do_init_module';
const MAX_MODULES = 1024;
const MAX_SEARCH_ENTRIES = 200_000;
const MAX_SECTIONS = 256;
const SECTION_BATCH = 16;

export interface LoadedModule {
  name: string;
  /** The .ko whose symbols were added, when one was found. */
  file?: string;
  textAddress?: string;
  /** Why there are no symbols, when there are none. */
  problem?: string;
}

/** Sections the kernel lists for a module that its .ko file has under no such name. */
const UNNAMED_IN_FILE = new Set(['.symtab', '.strtab']);

export class ModuleTracker {
  private readonly loaded = new Map<string, LoadedModule>();
  private index: Promise<Map<string, string[]>> | undefined;

  constructor(
    private readonly mi: MiConnection,
    /** Directories searched (recursively) for .ko files. */
    private readonly searchPath: readonly string[],
    private readonly layout: () => Promise<KernelLayout>,
    /** Where copies of modules that gdb could not place as they are are kept. */
    private readonly cacheDir: string,
  ) {}

  get modules(): LoadedModule[] {
    return [...this.loaded.values()];
  }

  /** At the module-load hook: `mod` is do_init_module's argument in the stopped frame. */
  async onModuleLoad(threadId: number): Promise<LoadedModule> {
    const address = (await this.mi.send(mi.evaluate('(unsigned long)mod', { threadId, frameLevel: 0 }))).results.str('value');
    return this.addModule(BigInt(address));
  }

  /** Every module in the kernel's list that we have not loaded symbols for. */
  async scanLoaded(): Promise<LoadedModule[]> {
    const head = await this.address('(unsigned long)&modules');
    const listOffset = await this.address('(unsigned long)&((struct module *)0)->list');
    const found: LoadedModule[] = [];
    let node = await this.address('(unsigned long)modules.next');
    for (let count = 0; node !== head && count < MAX_MODULES; count++) {
      const module = node - listOffset;
      const name = parseCString(await this.value(`((struct module *)${hex(module)})->name`));
      if (!this.loaded.has(name)) found.push(await this.addModule(module));
      node = await this.address(`(unsigned long)((struct module *)${hex(module)})->list.next`);
    }
    return found;
  }

  private async addModule(address: bigint): Promise<LoadedModule> {
    const mod = `((struct module *)${hex(address)})`;
    const name = parseCString(await this.value(`${mod}->name`));
    const module: LoadedModule = { name };
    const file = await this.findKo(name);
    // Without a .ko to give gdb, the sections are not read: a module load costs the stop alone.
    const sections = file ? await this.sectionAddresses(mod) : new Map<string, string>();
    // A module of only __init code (lib/test_module.c) has no .text: its .init.text is the base then.
    const base = ['.text', '.init.text'].find((section) => sections.has(section));
    const text = base === undefined ? undefined : sections.get(base);
    if (!file) module.problem = `no ${name}.ko with debug info under ${this.searchPath.join(', ') || '(no search path)'}`;
    else if (!text) module.problem = 'the kernel reported neither a .text nor an .init.text section';
    else {
      const placeable = await placeableModule(file, this.cacheDir);
      // gdb's positional address is .text's; any other base goes by name like the rest. gdb finds no
      // .symtab/.strtab section in the file (the kernel keeps its own copies): naming them only warns.
      const named = [...sections].filter(
        ([section]) => !(base === '.text' && section === '.text') && !section.startsWith('__') && !UNNAMED_IN_FILE.has(section),
      );
      const others = named.flatMap(([section, at]) => ['-s', section, at]);
      await this.mi.send(
        mi.consoleCommand(['add-symbol-file', quoteArgument(placeable.file), ...(base === '.text' ? [text] : []), ...others].join(' ')),
      );
      module.file = file;
      module.textAddress = text;
    }
    this.loaded.set(name, module);
    return module;
  }

  /** Section name -> load address, read the way this kernel keeps them (see kernelLayout.ts). */
  private async sectionAddresses(mod: string): Promise<Map<string, string>> {
    const layout = await this.layout();
    const table = layout.moduleSections === 'none' ? 0n : await this.address(`(unsigned long)${mod}->sect_attrs`).catch(() => 0n);
    if (table !== 0n && layout.moduleSections === 'attrs-address') return this.sectionsFromAttrs(mod);
    if (table !== 0n && layout.moduleSections === 'bin-attrs-private') return this.sectionsFromBinAttrs(mod);
    // No section table (a kernel without sysfs): the code regions' starts are all there is.
    const regions = moduleRegionExpressions(layout.moduleMemory, mod);
    if (!regions) return new Map();
    const [text, initText] = await Promise.all([this.address(regions.text), this.address(regions.initText).catch(() => 0n)]);
    return new Map([['.text', hex(text)], ...(initText !== 0n ? [['.init.text', hex(initText)] as const] : [])]);
  }

  /** 5.8–6.13: `nsections` entries, each with its name and address; all asked in one pipeline. */
  private async sectionsFromAttrs(mod: string): Promise<Map<string, string>> {
    const count = Math.min(Number(await this.value(`${mod}->sect_attrs->nsections`)), MAX_SECTIONS);
    const attrs = Array.from({ length: count }, (_, index) => `${mod}->sect_attrs->attrs[${index}]`);
    return new Map(await Promise.all(attrs.map((attr) => this.section(`${attr}.battr.attr.name`, `(unsigned long)${attr}.address`))));
  }

  /** 6.14+: a NULL-terminated array of bin_attribute pointers, read a batch at a time. */
  private async sectionsFromBinAttrs(mod: string): Promise<Map<string, string>> {
    const binAttr = (index: number) => `${mod}->sect_attrs->grp.bin_attrs[${index}]`;
    const sections = new Map<string, string>();
    for (let start = 0; start < MAX_SECTIONS; start += SECTION_BATCH) {
      const indexes = Array.from({ length: SECTION_BATCH }, (_, offset) => start + offset);
      const pointers = await Promise.all(indexes.map((index) => this.address(`(unsigned long)${binAttr(index)}`)));
      const end = pointers.indexOf(0n);
      const present = end < 0 ? indexes : indexes.slice(0, end);
      for (const [name, at] of await Promise.all(
        present.map((index) => this.section(`${binAttr(index)}->attr.name`, `(unsigned long)${binAttr(index)}->private`)),
      ))
        sections.set(name, at);
      if (end >= 0) break;
    }
    return sections;
  }

  private async section(nameExpression: string, addressExpression: string): Promise<[string, string]> {
    const [name, address] = await Promise.all([this.value(nameExpression), this.address(addressExpression)]);
    return [parseCString(name), hex(address)];
  }

  private async address(expression: string): Promise<bigint> {
    return BigInt(await this.value(expression));
  }

  private async value(expression: string): Promise<string> {
    return (await this.mi.send(mi.evaluate(expression))).results.str('value');
  }

  /** The module's .ko with DWARF: "nls_utf8" matches nls_utf8.ko and nls-utf8.ko. */
  private async findKo(name: string): Promise<string | undefined> {
    this.index ??= Promise.resolve(indexKoFiles(this.searchPath));
    const candidates = (await this.index).get(name.replace(/-/g, '_')) ?? [];
    for (const candidate of candidates) {
      try {
        if ((await readElfSummary(candidate)).hasDebugInfo) return candidate;
      } catch {
        // unreadable: try the next
      }
    }
    return undefined;
  }
}

function indexKoFiles(roots: readonly string[]): Map<string, string[]> {
  const index = new Map<string, string[]>();
  let seen = 0;
  const walk = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (++seen > MAX_SEARCH_ENTRIES) return;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory() && !entry.name.startsWith('.')) walk(full);
      else if (entry.isFile() && entry.name.endsWith('.ko')) {
        const key = entry.name.slice(0, -3).replace(/-/g, '_');
        index.set(key, [...(index.get(key) ?? []), full]);
      }
    }
  };
  roots.forEach(walk);
  return index;
}

function hex(address: bigint): string {
  return `0x${address.toString(16)}`;
}

/** gdb's CLI splits arguments on spaces; a path with spaces or quotes is quoted. */
function quoteArgument(text: string): string {
  return /[\s"'\\]/.test(text) ? `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : text;
}
