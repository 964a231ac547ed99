// Build Kernel before every F5 costs a no-op make when nothing changed (11 s on a built 6.1
// tree with 2 cores). When the last build succeeded and no file of the tree is newer, the
// build's steps are not run at all; any change runs them as before. No vscode.
import type { CallStep, Step } from './runner';
import { findChangeSince } from './treeChanges';
import type { KernelBuildTree } from './workspace';

/** A step that runs `steps` only when something in the tree changed after `builtAt`. */
export function skipWhenUnchanged(tree: KernelBuildTree, builtAt: number, steps: Step[]): CallStep {
  return {
    kind: 'call',
    title: 'Up to date? (file times against the last build)',
    run: async (log) => {
      const check = await findChangeSince(tree.srcDir, tree.objDir, builtAt);
      const looked = `${check.entries.toLocaleString('en-US')} files looked at in ${(check.durationMs / 1000).toFixed(2)} s`;
      if (check.changed === undefined) {
        log(
          `Nothing changed in ${tree.name} since the build that ended at ${new Date(builtAt).toLocaleTimeString('en-GB')}` +
            ` (${looked}): make was not run.`,
        );
        log("To run make anyway, use the command 'Kernel QEMU: Build Kernel'.");
        return [];
      }
      log(`${check.changed} changed after the last build (${looked}): running make.`);
      return steps;
    },
  };
}
