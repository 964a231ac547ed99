// The .config files of a tree that the config doctor reads, their findings, and the steps
// that fix a set of findings (scripts/config + olddefconfig for a kernel tree, a config
// fragment for buildroot's kernel, utils/config + olddefconfig for buildroot itself).
import * as path from 'node:path';
import { allEdits, buildrootFindings, kernelFindings, type BuildrootOutputs, type Finding } from './doctor';
import { buildrootEditSteps, buildrootKernelDirs, buildrootKernelEditSteps, kernelEditSteps, PlanError, type PlanOptions } from './targets';
import { Kconfig } from './kconfig';
import type { Step } from './runner';
import { isFile, kernelConfigFile, readText, type BuildTree } from './workspace';

export interface ConfigFile {
  file: string;
  /** 'kernel': CONFIG_ symbols; 'buildroot': BR2_ symbols. */
  kind: 'kernel' | 'buildroot';
  tree: BuildTree;
}

/** The .config files of a tree that exist. */
export async function configFilesOf(tree: BuildTree): Promise<ConfigFile[]> {
  const files: ConfigFile[] = [];
  if (tree.kind === 'kernel') {
    files.push({ file: kernelConfigFile(tree), kind: 'kernel', tree });
  } else {
    if (tree.configFile) files.push({ file: tree.configFile, kind: 'buildroot', tree });
    const [kernelDir] = await buildrootKernelDirs(tree);
    if (kernelDir) files.push({ file: path.join(kernelDir, '.config'), kind: 'kernel', tree });
  }
  const exists = await Promise.all(files.map((entry) => isFile(entry.file)));
  return files.filter((_, index) => exists[index]);
}

/** The findings on a .config as its text is now (`text`: an editor's unsaved text). */
export async function diagnose(config: ConfigFile, text?: string): Promise<Finding[]> {
  const content = text ?? (await readText(config.file));
  if (content === undefined) return [];
  if (config.kind === 'kernel') return kernelFindings(Kconfig.parse(content));
  return buildrootFindings(Kconfig.parse(content, 'BR2_'), await buildrootOutputs(config));
}

async function buildrootOutputs(config: ConfigFile): Promise<BuildrootOutputs> {
  if (config.tree.kind !== 'buildroot') return {};
  const images = path.join(config.tree.outputDir, 'images');
  const outputs: BuildrootOutputs = {};
  for (const name of ['rootfs.ext4', 'rootfs.ext2']) {
    if (await isFile(path.join(images, name))) {
      outputs.rawRootfs = path.join(images, name);
      break;
    }
  }
  if (await isFile(path.join(images, 'rootfs.qcow2'))) outputs.qcow2Rootfs = path.join(images, 'rootfs.qcow2');
  return outputs;
}

/** The steps that fix `findings` of `config` (all of them: edits merged into one scripts/config run). */
export async function fixSteps(config: ConfigFile, findings: readonly Finding[], options: PlanOptions): Promise<Step[]> {
  const steps: Step[] = [];
  const qcow2 = findings.find((finding) => finding.id === 'br-qcow2');
  if (qcow2 && config.tree.kind === 'buildroot') {
    const outputs = await buildrootOutputs(config);
    if (outputs.rawRootfs) {
      const target = path.join(path.dirname(outputs.rawRootfs), 'rootfs.qcow2');
      steps.push({
        kind: 'run',
        title: 'Convert the rootfs to qcow2',
        argv: ['qemu-img', 'convert', '-f', 'raw', '-O', 'qcow2', outputs.rawRootfs, target],
        cwd: path.dirname(target),
      });
    }
  }
  const withEdits = findings.filter((finding) => finding.edits.length > 0);
  const edits = allEdits(withEdits);
  if (edits.length === 0) {
    if (steps.length === 0) throw new PlanError(findings.map((finding) => finding.hint ?? finding.message).join(' '));
    return steps;
  }
  if (config.kind === 'buildroot') {
    if (config.tree.kind !== 'buildroot') throw new PlanError('A buildroot .config outside a buildroot tree.');
    steps.push(...(await buildrootEditSteps(config.tree, edits, withEdits)));
  } else if (config.tree.kind === 'buildroot') {
    steps.push(...(await buildrootKernelEditSteps(config.tree, edits)));
  } else {
    steps.push(...(await kernelEditSteps(config.tree, edits, options, withEdits)));
  }
  return steps;
}
