// Maps source paths between the DWARF (where the kernel was built, e.g. Debian's
// /build/reproducible-path/linux-6.1.176/...) and this machine.
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';

export class SourceMapper {
  private readonly rules: Array<[from: string, to: string]>;
  private readonly cache = new Map<string, string>();

  constructor(
    sourceFileMap: Readonly<Record<string, string>>,
    private readonly sourceRoot: string | undefined,
    private readonly fileExists: (file: string) => boolean = existsSync,
  ) {
    this.rules = Object.entries(sourceFileMap)
      .map(([from, to]): [string, string] => [trimSlash(from), trimSlash(to)])
      .sort((a, b) => b[0].length - a[0].length);
  }

  /** gdb `set substitute-path` commands for the explicit rules, so gdb's own `list` finds files too. */
  get substitutions(): ReadonlyArray<readonly [string, string]> {
    return this.rules;
  }

  /** A debugger path -> the file on this machine (or the debugger path when nothing matches). */
  toLocal(debuggerPath: string): string {
    const cached = this.cache.get(debuggerPath);
    if (cached !== undefined) return cached;
    const mapped = this.applyRules(debuggerPath, this.rules) ?? this.fromSourceRoot(debuggerPath) ?? debuggerPath;
    this.cache.set(debuggerPath, mapped);
    return mapped;
  }

  /** A local path (from a breakpoint) -> the path the debugger knows it by. */
  toDebugger(localPath: string): string {
    const reversed = this.applyRules(
      localPath,
      this.rules.map(([from, to]): [string, string] => [to, from]).sort((a, b) => b[0].length - a[0].length),
    );
    if (reversed) return reversed;
    if (this.sourceRoot && isUnder(localPath, this.sourceRoot)) {
      // gdb matches a relative location by path suffix, e.g. "init/main.c".
      return path.relative(this.sourceRoot, localPath);
    }
    return localPath;
  }

  private applyRules(file: string, rules: ReadonlyArray<readonly [string, string]>): string | undefined {
    for (const [from, to] of rules) {
      if (file === from || file.startsWith(`${from}/`)) return to + file.slice(from.length);
    }
    return undefined;
  }

  /** Finds the shortest tail of the DWARF path that exists under sourceRoot. */
  private fromSourceRoot(debuggerPath: string): string | undefined {
    if (!this.sourceRoot || this.fileExists(debuggerPath)) return undefined;
    const parts = debuggerPath.split('/').filter(Boolean);
    for (let start = 0; start < parts.length; start++) {
      const candidate = path.join(this.sourceRoot, ...parts.slice(start));
      if (this.fileExists(candidate)) return candidate;
    }
    return undefined;
  }
}

function trimSlash(text: string): string {
  return text.length > 1 ? text.replace(/\/+$/, '') : text;
}

function isUnder(file: string, dir: string): boolean {
  const relative = path.relative(dir, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

/** A directory that holds a kernel source tree (init/main.c is in every one). */
function isKernelTree(dir: string, fileExists: (file: string) => boolean): boolean {
  return fileExists(path.join(dir, 'init/main.c'));
}

/**
 * Where the sources probably are when the user did not say: the tree vmlinux was built in
 * (vmlinux sits at its top), the workspace, or buildroot's output/build/linux-* under it.
 */
export function detectSourceRoot(
  cwd: string | undefined,
  program: string,
  fileExists: (file: string) => boolean = existsSync,
  listDir: (dir: string) => string[] = safeReadDir,
): string | undefined {
  const candidates = [path.dirname(program)];
  if (cwd) {
    candidates.push(cwd);
    const buildDir = path.join(cwd, 'output/build');
    for (const entry of listDir(buildDir)
      .filter((name) => /^linux-/.test(name) && !/^linux-(headers|firmware)/.test(name))
      .sort()) {
      candidates.push(path.join(buildDir, entry));
    }
  }
  return candidates.find((dir) => isKernelTree(dir, fileExists));
}

function safeReadDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
