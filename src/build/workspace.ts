// What kind of build tree a workspace folder is: a kernel source tree (built in place or
// into an O= directory), a buildroot tree, a buildroot output directory, or a folder that
// holds several of them. Pure file checks, no vscode.
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import * as path from 'node:path';

export interface KernelBuildTree {
  kind: 'kernel';
  /** Short name for lists: the folder's name, or its path relative to the workspace folder. */
  name: string;
  /** The sources: Kconfig, arch/, scripts/config. */
  srcDir: string;
  /** Where .config, vmlinux and the images are: srcDir, or an O= build directory. */
  objDir: string;
}

export interface BuildrootBuildTree {
  kind: 'buildroot';
  name: string;
  /** buildroot's sources (Makefile, Config.in, configs/), when known. */
  topDir: string | undefined;
  /** output/ (or the O= directory): build/, images/, host/. */
  outputDir: string;
  /** Where `make <target>` runs: topDir, or an O= directory's wrapper Makefile. Undefined: outputs only. */
  makeDir: string | undefined;
  /** buildroot's .config (topDir/.config, or O=/.config). */
  configFile: string | undefined;
}

export type BuildTree = KernelBuildTree | BuildrootBuildTree;

/** Stable identity of a tree (its directory): task definitions and view state key on it. */
export function treeDir(tree: BuildTree): string {
  return tree.kind === 'kernel' ? tree.objDir : (tree.topDir ?? tree.outputDir);
}

/** The kernel's .config of a kernel tree. */
export function kernelConfigFile(tree: KernelBuildTree): string {
  return path.join(tree.objDir, '.config');
}

/**
 * The trees in a workspace folder: the folder itself when it is one, otherwise each
 * direct subfolder that is one (a workspace holding linux/ and buildroot/ side by side).
 */
export async function detectBuildTrees(folder: string): Promise<BuildTree[]> {
  const own = await detectTree(folder, path.basename(folder));
  if (own) return [own];
  let entries: string[];
  try {
    entries = (await readdir(folder, { withFileTypes: true }))
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.') && entry.name !== 'node_modules')
      .map((entry) => entry.name);
  } catch {
    return [];
  }
  const trees = await Promise.all(entries.sort().map((name) => detectTree(path.join(folder, name), name)));
  const found: BuildTree[] = [];
  for (const tree of trees) {
    if (tree && !found.some((other) => treeDir(other) === treeDir(tree))) found.push(tree);
  }
  return found;
}

/** The tree rooted at `dir`, if it is one. */
export async function detectTree(dir: string, name = path.basename(dir)): Promise<BuildTree | undefined> {
  if (await isBuildrootTop(dir)) return buildrootTreeAt(dir, name);
  if (await isKernelSource(dir)) {
    // A kernel that buildroot unpacked (output/build/linux-X) is built by buildroot, with its
    // cross toolchain: treat the folder as that buildroot's output.
    if ((await isFile(path.join(dir, '.stamp_extracted'))) && path.basename(path.dirname(dir)) === 'build') {
      return buildrootOutputAt(path.dirname(path.dirname(dir)), name);
    }
    return { kind: 'kernel', name, srcDir: dir, objDir: dir };
  }
  const kernelObj = await kernelObjDirSource(dir);
  if (kernelObj) return { kind: 'kernel', name, srcDir: kernelObj, objDir: dir };
  if (await isBuildrootOutput(dir)) return buildrootOutputAt(dir, name);
  return undefined;
}

/** buildroot's top: Makefile + Config.in + configs/. */
export async function isBuildrootTop(dir: string): Promise<boolean> {
  const [makefile, configIn, configs] = await Promise.all([
    isFile(path.join(dir, 'Makefile')),
    isFile(path.join(dir, 'Config.in')),
    isDir(path.join(dir, 'configs')),
  ]);
  return makefile && configIn && configs;
}

/** A kernel source tree: Kconfig + arch/ + scripts/config. */
export async function isKernelSource(dir: string): Promise<boolean> {
  const [kconfig, arch, script] = await Promise.all([
    isFile(path.join(dir, 'Kconfig')),
    isDir(path.join(dir, 'arch')),
    isFile(path.join(dir, 'scripts/config')),
  ]);
  return kconfig && arch && script;
}

/** The source tree of a kernel O= build directory (its `source` link), if `dir` is one. */
async function kernelObjDirSource(dir: string): Promise<string | undefined> {
  if (!(await isFile(path.join(dir, 'Makefile')))) return undefined;
  let source: string;
  try {
    source = await realpath(path.join(dir, 'source'));
  } catch {
    return undefined;
  }
  return (await isKernelSource(source)) ? source : undefined;
}

/** output/ or an O= directory of buildroot: build/ plus images/ or host/. */
async function isBuildrootOutput(dir: string): Promise<boolean> {
  const [build, images, host] = await Promise.all([
    isDir(path.join(dir, 'build')),
    isDir(path.join(dir, 'images')),
    isDir(path.join(dir, 'host')),
  ]);
  return build && (images || host);
}

async function buildrootTreeAt(top: string, name: string): Promise<BuildrootBuildTree> {
  return { kind: 'buildroot', name, topDir: top, outputDir: path.join(top, 'output'), makeDir: top, configFile: path.join(top, '.config') };
}

async function buildrootOutputAt(outputDir: string, name: string): Promise<BuildrootBuildTree> {
  const parent = path.dirname(outputDir);
  // In-tree output/: the tree is the parent.
  if (path.basename(outputDir) === 'output' && (await isBuildrootTop(parent))) return buildrootTreeAt(parent, name);
  // O= directory: buildroot writes a wrapper Makefile that runs `make -C TOP O=...`.
  const wrapper = await readText(path.join(outputDir, 'Makefile'));
  const top = wrapper && /^MAKEARGS\s*:=\s*-C\s+(\S+)/m.exec(wrapper)?.[1];
  const configFile = (await isFile(path.join(outputDir, '.config'))) ? path.join(outputDir, '.config') : undefined;
  if (top && (await isBuildrootTop(top)))
    return { kind: 'buildroot', name, topDir: top, outputDir, makeDir: outputDir, configFile: path.join(outputDir, '.config') };
  return { kind: 'buildroot', name, topDir: undefined, outputDir, makeDir: undefined, configFile };
}

export async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

export async function isDir(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}

export async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}
