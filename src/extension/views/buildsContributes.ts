// package.json contributions of the Builds view: the view, its welcome text, its commands
// and where they show. Pure: src/extension/contributes.ts merges them into `contributes`.
import { KERNEL_WORKSPACE } from '../contextKeys';
import { DOCTOR_COMMAND } from '../doctorContributes';
import { BUILD_COMMAND } from '../tasks/tasksContributes';

export const BUILDS_VIEW_ID = 'kernelQemu.builds';

export const BUILDS_COMMAND = {
  refresh: 'kernelQemu.builds.refresh',
  run: 'kernelQemu.builds.run',
  cancel: 'kernelQemu.builds.cancel',
  open: 'kernelQemu.builds.open',
  reveal: 'kernelQemu.builds.reveal',
  fix: 'kernelQemu.builds.fix',
} as const;

/** Tree item contextValues, matched by the menus below. */
export const BUILDS_ITEM = {
  tree: 'kernelQemu.build.tree',
  target: 'kernelQemu.build.target',
  running: 'kernelQemu.build.target.running',
  artifact: 'kernelQemu.build.artifact',
  config: 'kernelQemu.build.config',
  finding: 'kernelQemu.build.finding',
  fixableFinding: 'kernelQemu.build.finding.fixable',
} as const;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function buildsViews(): Json[] {
  return [{ id: BUILDS_VIEW_ID, name: 'Builds', contextualTitle: 'Kernel QEMU', icon: '$(tools)', when: KERNEL_WORKSPACE }];
}

export function buildsViewsWelcome(): Json[] {
  return [
    {
      view: BUILDS_VIEW_ID,
      contents:
        'No kernel or buildroot tree in this workspace. Open the top of a kernel source tree ' +
        '(Kconfig, arch/, scripts/config), a kernel O= build directory, or a buildroot tree ' +
        '(Makefile, Config.in, configs/).\n[Open Folder](command:workbench.action.files.openFolder)',
    },
  ];
}

export function buildsCommands(): Json[] {
  const category = 'Kernel QEMU';
  return [
    { command: BUILDS_COMMAND.refresh, title: 'Refresh Builds', category, icon: '$(refresh)' },
    { command: BUILDS_COMMAND.run, title: 'Run Build Target', category, icon: '$(play)' },
    { command: BUILDS_COMMAND.cancel, title: 'Cancel Build', category, icon: '$(debug-stop)' },
    { command: BUILDS_COMMAND.open, title: 'Open', category, icon: '$(go-to-file)' },
    { command: BUILDS_COMMAND.reveal, title: 'Reveal in File Explorer', category, icon: '$(folder-opened)' },
    { command: BUILDS_COMMAND.fix, title: 'Fix', category, icon: '$(wand)' },
  ];
}

export function buildsMenus(): Record<string, Json[]> {
  const view = `view == ${BUILDS_VIEW_ID}`;
  const item = (value: string) => `${view} && viewItem == ${value}`;
  return {
    'view/title': [
      { command: BUILD_COMMAND.buildKernel, when: view, group: 'navigation@1' },
      { command: BUILD_COMMAND.buildRootfs, when: view, group: 'navigation@2' },
      { command: BUILDS_COMMAND.refresh, when: view, group: 'navigation@3' },
      { command: DOCTOR_COMMAND.fixAll, when: view, group: 'more@1' },
    ],
    'view/item/context': [
      { command: BUILDS_COMMAND.run, when: item(BUILDS_ITEM.target), group: 'inline@1' },
      { command: BUILDS_COMMAND.cancel, when: item(BUILDS_ITEM.running), group: 'inline@1' },
      { command: BUILDS_COMMAND.reveal, when: item(BUILDS_ITEM.artifact), group: 'inline@1' },
      { command: BUILDS_COMMAND.fix, when: item(BUILDS_ITEM.fixableFinding), group: 'inline@1' },
      { command: BUILDS_COMMAND.run, when: item(BUILDS_ITEM.target), group: 'build@1' },
      { command: BUILDS_COMMAND.cancel, when: item(BUILDS_ITEM.running), group: 'build@1' },
      { command: BUILDS_COMMAND.open, when: `${view} && viewItem =~ /^kernelQemu\\.build\\.(artifact|config)$/`, group: 'file@1' },
      { command: BUILDS_COMMAND.reveal, when: `${view} && viewItem =~ /^kernelQemu\\.build\\.(artifact|config)$/`, group: 'file@2' },
      { command: BUILDS_COMMAND.fix, when: item(BUILDS_ITEM.fixableFinding), group: 'fix@1' },
    ],
    commandPalette: [BUILDS_COMMAND.run, BUILDS_COMMAND.cancel, BUILDS_COMMAND.open, BUILDS_COMMAND.reveal, BUILDS_COMMAND.fix].map(
      (command) => ({ command, when: 'false' }),
    ),
  };
}
