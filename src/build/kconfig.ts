// Reading Kconfig .config files (the kernel's CONFIG_*, buildroot's BR2_*) and writing
// the edits that the kernel's scripts/config and buildroot's utils/config apply. Pure:
// parsing text and building argv; the tools themselves do the editing.

/** A symbol's value as .config records it: 'y', 'm', 'n' (for "# X is not set"), or the raw text after '='. */
export type KconfigValue = string;

export interface KconfigSymbol {
  value: KconfigValue;
  /** 0-based line of the symbol in the file. */
  line: number;
}

export class Kconfig {
  private constructor(
    /** Symbol prefix, e.g. 'CONFIG_' or 'BR2_'. */
    readonly prefix: string,
    private readonly symbols: ReadonlyMap<string, KconfigSymbol>,
    readonly lineCount: number,
  ) {}

  /** Parses .config text. Names are kept without the prefix ('DEBUG_INFO', not 'CONFIG_DEBUG_INFO'). */
  static parse(text: string, prefix = 'CONFIG_'): Kconfig {
    const symbols = new Map<string, KconfigSymbol>();
    const lines = text.split('\n');
    const set = new RegExp(`^${escapeRegExp(prefix)}([A-Za-z0-9_]+)=(.*)$`);
    const unset = new RegExp(`^# ${escapeRegExp(prefix)}([A-Za-z0-9_]+) is not set\\s*$`);
    lines.forEach((raw, line) => {
      const text = raw.replace(/\r$/, '');
      const on = set.exec(text);
      if (on) {
        // Later lines win, as in kconfig's own reader.
        symbols.set(on[1]!, { value: unquote(on[2]!), line });
        return;
      }
      const off = unset.exec(text);
      if (off) symbols.set(off[1]!, { value: 'n', line });
    });
    return new Kconfig(prefix, symbols, lines.length);
  }

  /** The symbol's value; undefined when the file does not mention it (off, or not in this kernel). */
  get(name: string): KconfigValue | undefined {
    return this.symbols.get(name)?.value;
  }

  /** True for =y (and =m for tristates, when `orModule`). */
  isOn(name: string, orModule = false): boolean {
    const value = this.get(name);
    return value === 'y' || (orModule && value === 'm');
  }

  /** Where the symbol is written, for diagnostics; undefined when absent. */
  lineOf(name: string): number | undefined {
    return this.symbols.get(name)?.line;
  }

  has(name: string): boolean {
    return this.symbols.has(name);
  }

  get size(): number {
    return this.symbols.size;
  }
}

/** One change to a .config, as scripts/config (kernel) or utils/config (buildroot) makes it. */
export type ConfigEdit =
  | { op: 'enable'; symbol: string }
  | { op: 'disable'; symbol: string }
  | { op: 'module'; symbol: string }
  | { op: 'set-str'; symbol: string; value: string }
  | { op: 'set-val'; symbol: string; value: string };

export const enable = (symbol: string): ConfigEdit => ({ op: 'enable', symbol });
export const disable = (symbol: string): ConfigEdit => ({ op: 'disable', symbol });
export const asModule = (symbol: string): ConfigEdit => ({ op: 'module', symbol });

/**
 * The arguments after the script's path: `--file FILE -e A -d B --set-str C "v"`. Each value is
 * its own argv element, so nothing is ever parsed by a shell. Duplicate edits of a symbol
 * keep the last one.
 */
export function configScriptArgs(file: string, edits: readonly ConfigEdit[]): string[] {
  const args = ['--file', file];
  for (const edit of dedupeEdits(edits)) {
    assertSymbol(edit.symbol);
    switch (edit.op) {
      case 'enable':
        args.push('-e', edit.symbol);
        break;
      case 'disable':
        args.push('-d', edit.symbol);
        break;
      case 'module':
        args.push('-m', edit.symbol);
        break;
      case 'set-str':
        args.push('--set-str', edit.symbol, edit.value);
        break;
      case 'set-val':
        args.push('--set-val', edit.symbol, edit.value);
        break;
    }
  }
  return args;
}

/** The edits in their first-seen order, each symbol once with its last requested change. */
export function dedupeEdits(edits: readonly ConfigEdit[]): ConfigEdit[] {
  // Map.set on a known key keeps the key's first position: first-seen order, last value.
  const bySymbol = new Map<string, ConfigEdit>();
  for (const edit of edits) bySymbol.set(edit.symbol, edit);
  return [...bySymbol.values()];
}

/** .config lines for a config fragment (merge_config.sh input, e.g. buildroot's BR2_LINUX_KERNEL_CONFIG_FRAGMENT_FILES). */
export function fragmentLines(edits: readonly ConfigEdit[], prefix = 'CONFIG_'): string[] {
  return dedupeEdits(edits).map((edit) => {
    assertSymbol(edit.symbol);
    switch (edit.op) {
      case 'enable':
        return `${prefix}${edit.symbol}=y`;
      case 'disable':
        return `# ${prefix}${edit.symbol} is not set`;
      case 'module':
        return `${prefix}${edit.symbol}=m`;
      case 'set-str':
        return `${prefix}${edit.symbol}="${edit.value.replace(/["\\]/g, '\\$&')}"`;
      case 'set-val':
        return `${prefix}${edit.symbol}=${edit.value}`;
    }
  });
}

/** Reads back a fragment written by fragmentLines (or by hand) as edits. */
export function parseFragment(text: string, prefix = 'CONFIG_'): ConfigEdit[] {
  const config = Kconfig.parse(text, prefix);
  const edits: ConfigEdit[] = [];
  const re = new RegExp(`^(?:# )?${escapeRegExp(prefix)}([A-Za-z0-9_]+)`);
  for (const line of text.split('\n')) {
    const symbol = re.exec(line)?.[1];
    if (!symbol || edits.some((edit) => edit.symbol === symbol)) continue;
    const value = config.get(symbol);
    if (value === undefined) continue;
    if (value === 'y') edits.push(enable(symbol));
    else if (value === 'n') edits.push(disable(symbol));
    else if (value === 'm') edits.push(asModule(symbol));
    else if (/^".*"$/.test(line.slice(line.indexOf('=') + 1))) edits.push({ op: 'set-str', symbol, value });
    else edits.push({ op: 'set-val', symbol, value });
  }
  return edits;
}

function assertSymbol(symbol: string): void {
  if (!/^[A-Za-z0-9_]+$/.test(symbol)) throw new Error(`not a Kconfig symbol: ${JSON.stringify(symbol)}`);
}

function unquote(value: string): string {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) return value.slice(1, -1).replace(/\\(["\\])/g, '$1');
  return value;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
