// package.json contributions of the Snapshots view: the view, its commands and where they
// show (view title, items, Call Stack context, palette). Pure: src/extension/contributes.ts
// merges them into `contributes`.
import { IN_SESSION, KERNEL_WORKSPACE } from '../contextKeys';

export const SNAPSHOTS_VIEW_ID = 'kernelQemu.snapshots';

export const SNAPSHOT_COMMAND = {
  refresh: 'kernelQemu.snapshots.refresh',
  save: 'kernelQemu.snapshots.save',
  load: 'kernelQemu.snapshots.load',
  delete: 'kernelQemu.snapshots.delete',
  launch: 'kernelQemu.snapshots.launch',
  convertRootfs: 'kernelQemu.snapshots.convertRootfs',
} as const;

/** Tree item contextValues, matched by the menus below. */
export const SNAPSHOT_ITEM = {
  /** A snapshot of the running session's VM. */
  session: 'kernelQemu.snapshot.session',
  /** A snapshot stored in a launch configuration's image (no session). */
  image: 'kernelQemu.snapshot.image',
  /** A disk-only snapshot (no VM state): can only be deleted. */
  diskOnly: 'kernelQemu.snapshot.diskOnly',
} as const;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function snapshotViews(): Json[] {
  return [{ id: SNAPSHOTS_VIEW_ID, name: 'Snapshots', contextualTitle: 'Kernel QEMU', icon: '$(device-camera)', when: KERNEL_WORKSPACE }];
}

export function snapshotViewsWelcome(): Json[] {
  return [
    {
      view: SNAPSHOTS_VIEW_ID,
      contents:
        `No VM snapshots yet.\n[Save Snapshot](command:${SNAPSHOT_COMMAND.save})\nSave one while a ` +
        `kernel-qemu session runs; with no session this lists the snapshots in each launch ` +
        `configuration's qcow2 rootfs or state disk.`,
      when: IN_SESSION,
    },
    {
      view: SNAPSHOTS_VIEW_ID,
      contents:
        'No VM snapshots. Start a kernel-qemu session and save one here; they are kept in the ' +
        "qcow2 'rootfs' or, for an initrd or a raw disk, in a state disk.\n[Convert a Raw Rootfs " +
        'to qcow2](command:' +
        `${SNAPSHOT_COMMAND.convertRootfs})`,
      when: `!(${IN_SESSION})`,
    },
  ];
}

export function snapshotCommands(): Json[] {
  const category = 'Kernel QEMU';
  return [
    { command: SNAPSHOT_COMMAND.refresh, title: 'Refresh Snapshots', category, icon: '$(refresh)' },
    { command: SNAPSHOT_COMMAND.save, title: 'Save VM Snapshot…', category, icon: '$(device-camera)' },
    { command: SNAPSHOT_COMMAND.load, title: 'Load VM Snapshot…', category, icon: '$(history)' },
    { command: SNAPSHOT_COMMAND.delete, title: 'Delete VM Snapshot…', category, icon: '$(trash)' },
    { command: SNAPSHOT_COMMAND.launch, title: 'Launch from VM Snapshot…', category, icon: '$(debug-start)' },
    { command: SNAPSHOT_COMMAND.convertRootfs, title: 'Convert Raw Rootfs to qcow2 (for Snapshots)…', category },
  ];
}

export function snapshotMenus(): Record<string, Json[]> {
  const view = `view == ${SNAPSHOTS_VIEW_ID}`;
  const item = (value: string) => `${view} && viewItem == ${value}`;
  return {
    'view/title': [
      { command: SNAPSHOT_COMMAND.save, when: `${view} && ${IN_SESSION}`, group: 'navigation@1' },
      { command: SNAPSHOT_COMMAND.refresh, when: view, group: 'navigation@2' },
      { command: SNAPSHOT_COMMAND.convertRootfs, when: view, group: 'more@1' },
    ],
    'view/item/context': [
      { command: SNAPSHOT_COMMAND.load, when: item(SNAPSHOT_ITEM.session), group: 'inline@1' },
      { command: SNAPSHOT_COMMAND.launch, when: item(SNAPSHOT_ITEM.image), group: 'inline@1' },
      { command: SNAPSHOT_COMMAND.load, when: item(SNAPSHOT_ITEM.session), group: 'snapshot@1' },
      { command: SNAPSHOT_COMMAND.launch, when: item(SNAPSHOT_ITEM.image), group: 'snapshot@1' },
      { command: SNAPSHOT_COMMAND.delete, when: `${view} && viewItem =~ /^kernelQemu\\.snapshot\\./`, group: 'snapshot@9' },
    ],
    'debug/callstack/context': [{ command: SNAPSHOT_COMMAND.save, when: IN_SESSION, group: 'kernelQemu@1' }],
    commandPalette: [
      { command: SNAPSHOT_COMMAND.save, when: IN_SESSION },
      { command: SNAPSHOT_COMMAND.load, when: IN_SESSION },
      { command: SNAPSHOT_COMMAND.refresh, when: 'false' },
    ],
  };
}
