// The vocabulary of build plans (targets.ts for kernel trees, buildrootTargets.ts for
// buildroot): the target ids, the error that stops a plan, and the steps both kinds share.
import { stillThere, type Finding } from './doctor';
import { Kconfig } from './kconfig';
import type { CallStep } from './runner';
import { readText } from './workspace';

export type TargetId =
  | 'defconfig'
  | 'tinyconfig'
  | 'olddefconfig'
  | 'menuconfig'
  | 'linux-menuconfig'
  | 'debug-config'
  | 'build-kernel'
  | 'build-rootfs'
  | 'build-all'
  | 'scripts-gdb'
  | 'minimal-config'
  | 'initramfs'
  | 'debian-image';

export const TARGET_IDS: readonly TargetId[] = [
  'defconfig',
  'tinyconfig',
  'olddefconfig',
  'menuconfig',
  'linux-menuconfig',
  'debug-config',
  'build-kernel',
  'build-rootfs',
  'build-all',
  'scripts-gdb',
  'minimal-config',
  'initramfs',
  'debian-image',
];

export interface TargetRef {
  id: TargetId;
  /** buildroot 'defconfig': the configs/ file, e.g. 'qemu_x86_64_defconfig'. */
  defconfig?: string;
}

/** A problem that stops a target before anything runs, in words for the user. */
export class PlanError extends Error {}

/** Findings a "fix all" applies: errors and warnings that have edits. */
export function blocking(findings: readonly Finding[]): Finding[] {
  return findings.filter((finding) => finding.severity !== 'info' && finding.edits.length > 0);
}

/** A tree's .config read, or a PlanError saying to configure it first. */
export async function readConfig(file: string, prefix: string): Promise<Kconfig> {
  const text = await readText(file);
  if (text === undefined) throw new PlanError(`${file} does not exist: configure the tree first (defconfig).`);
  return Kconfig.parse(text, prefix);
}

/** After olddefconfig: says which findings a fix did not clear (an unmet Kconfig dependency). */
export function verifyStep(file: string, prefix: string, fixed: readonly Finding[], recheck: (config: Kconfig) => Finding[]): CallStep {
  return {
    kind: 'call',
    title: 'Check the result',
    run: async (log) => {
      const left = stillThere(fixed, recheck(await readConfig(file, prefix)));
      if (left.length === 0) {
        log(`Fixed: ${fixed.map((finding) => finding.id).join(', ')}.`);
        return;
      }
      for (const finding of left) {
        log(`Still there after olddefconfig (a dependency is not met; search ${finding.symbol} in menuconfig): ${finding.message}`);
      }
    },
  };
}
