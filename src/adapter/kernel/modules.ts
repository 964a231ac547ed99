// Loadable modules: when the guest loads one (do_init_module, before its init runs), the
// adapter finds its .ko with DWARF, adds its symbols at the section addresses the kernel
// chose, and gdb then places pending breakpoints in it. Modules already loaded (attach,
// snapshots) are picked up by walking the kernel's `modules` list.
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { mi } from '../../mi/commands';
import type { MiConnection } from '../../mi/connection';
import { readElfSummary } from '../../elf/elf';
import { parseCString } from './tasks';

export const MODULE_LOAD_HOOK = 'do_init_module';
const MAX_MODULES = 1024;
const MAX_SEARCH_ENTRIES = 200_000;

export interface LoadedModule {
  name: string;
  /** The .ko whose symbols were added, when one was found. */
  file?: string;
  textAddress?: string;
  /** Why there are no symbols, when there are none. */
  problem?: string;
}

export class ModuleTracker {
  private readonly loaded = new Map<string, LoadedModule>();
  private index: Promise<Map<string, string[]>> | undefined;

  constructor(
    private readonly mi: MiConnection,
    /** Directories searched (recursively) for .ko files. */
    private readonly searchPath: readonly string[],
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
    const value = async (expression: string) => (await this.mi.send(mi.evaluate(expression))).results.str('value');
    const head = BigInt(await value('(unsigned long)&modules'));
    const listOffset = BigInt(await value('(unsigned long)&((struct module *)0)->list'));
    const found: LoadedModule[] = [];
    let node = BigInt(await value('(unsigned long)modules.next'));
    for (let count = 0; node !== head && count < MAX_MODULES; count++) {
      const module = node - listOffset;
      const name = parseCString(await value(`((struct module *)0x${module.toString(16)})->name`));
      if (!this.loaded.has(name)) found.push(await this.addModule(module));
      node = BigInt(await value(`(unsigned long)((struct module *)0x${module.toString(16)})->list.next`));
    }
    return found;
  }

  private async addModule(address: bigint): Promise<LoadedModule> {
    const mod = `((struct module *)0x${address.toString(16)})`;
    const value = async (expression: string) => (await this.mi.send(mi.evaluate(expression))).results.str('value');
    const name = parseCString(await value(`${mod}->name`));
    const sections = new Map<string, string>();
    const count = Number(await value(`${mod}->sect_attrs->nsections`));
    for (let index = 0; index < count; index++) {
      const attr = `${mod}->sect_attrs->attrs[${index}]`;
      const [sectionName, sectionAddress] = await Promise.all([value(`${attr}.battr.attr.name`), value(`(unsigned long)${attr}.address`)]);
      sections.set(parseCString(sectionName), `0x${BigInt(sectionAddress).toString(16)}`);
    }
    const module: LoadedModule = { name };
    const file = await this.findKo(name);
    const text = sections.get('.text');
    if (!file) module.problem = `no ${name}.ko with debug info under ${this.searchPath.join(', ') || '(no search path)'}`;
    else if (!text) module.problem = 'the kernel reported no .text section';
    else {
      const others = [...sections].filter(([section]) => section !== '.text' && !section.startsWith('__')).flatMap(([section, at]) => ['-s', section, at]);
      await this.mi.send(mi.consoleCommand(['add-symbol-file', quoteArgument(file), text, ...others].join(' ')));
      module.file = file;
      module.textAddress = text;
    }
    this.loaded.set(name, module);
    return module;
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

/** gdb's CLI splits arguments on spaces; a path with spaces or quotes is quoted. */
function quoteArgument(text: string): string {
  return /[\s"'\\]/.test(text) ? `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : text;
}
