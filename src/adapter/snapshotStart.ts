// How a launch starts from a VM snapshot and attaches its state disk: planned before QEMU
// starts (kernelTarget.ts), apart from the request handlers of a running session (snapshots.ts).
import { existsSync } from 'node:fs';
import type { QemuPlan } from '../qemu/args';
import { createStateDisk } from '../qemu/qemuImg';
import type { QmpClient } from '../qemu/qmp';
import { loadSnapshot, queryNodes, snapshotLayout } from '../qemu/vmSnapshots';
import type { ResolvedLaunch } from './configCheck';
import { requireQemuImg, snapshotFailure } from './snapshotErrors';

export interface SnapshotStart {
  plan: Pick<QemuPlan, 'stateDisk' | 'loadSnapshot'>;
  /** Runs once QMP answers, before gdb connects. */
  afterStart(qmp: QmpClient): Promise<void>;
}

/**
 * How a launch attaches its state disk and starts from its snapshot: `-loadvm`, except with a
 * writable raw disk (which -loadvm refuses): then QMP loads the state-disk snapshot before gdb connects.
 */
export async function planSnapshotStart(config: ResolvedLaunch): Promise<SnapshotStart> {
  if (config.stateDisk && !existsSync(config.stateDisk)) await createStateDisk(requireQemuImg(config), config.stateDisk);
  const name = config.snapshot;
  const viaQmp = name !== undefined && config.rootfs?.format === 'raw';
  return {
    plan: {
      ...(config.stateDisk ? { stateDisk: config.stateDisk } : {}),
      ...(name !== undefined && !viaQmp ? { loadSnapshot: name } : {}),
    },
    afterStart: async (qmp) => {
      if (!viaQmp) return;
      try {
        await loadSnapshot(qmp, snapshotLayout(await queryNodes(qmp)), name);
      } catch (error) {
        throw snapshotFailure(`Starting from snapshot "${name}"`, error);
      }
    },
  };
}
