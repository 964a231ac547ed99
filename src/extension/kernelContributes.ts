// package.json contributions of the kernel-aware commands: the serial console terminal, the
// kernel log and the task list, the kernel-log language and its grammar. Pure: merged into
// `contributes` by src/extension/contributes.ts.

import { IN_SESSION } from './contextKeys';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export const KERNEL_COMMAND = {
  showSerialConsole: 'kernelQemu.showSerialConsole',
  showDmesg: 'kernelQemu.showDmesg',
  listTasks: 'kernelQemu.listTasks',
  openSshTerminal: 'kernelQemu.openSshTerminal',
} as const;

export const KERNEL_LOG_LANGUAGE = 'kernel-log';

export function kernelCommands(): Json[] {
  return [
    { command: KERNEL_COMMAND.showSerialConsole, title: 'Show Serial Console', category: 'Kernel QEMU', enablement: IN_SESSION },
    { command: KERNEL_COMMAND.showDmesg, title: 'Show Kernel Log (dmesg)', category: 'Kernel QEMU', enablement: IN_SESSION },
    { command: KERNEL_COMMAND.listTasks, title: 'List Tasks', category: 'Kernel QEMU', enablement: IN_SESSION },
    {
      command: KERNEL_COMMAND.openSshTerminal,
      title: 'Open SSH Terminal in Guest',
      category: 'Kernel QEMU',
      enablement: IN_SESSION,
      icon: '$(remote)',
    },
  ];
}

export function kernelMenus(): Record<string, Json[]> {
  return {
    'debug/callstack/context': [{ command: KERNEL_COMMAND.showDmesg, when: IN_SESSION, group: 'kernelQemu@2' }],
  };
}

export const KCONFIG_LANGUAGE = 'kconfig';

export function kernelLanguages(): Json[] {
  return [
    { id: KERNEL_LOG_LANGUAGE, aliases: ['Kernel Log', 'dmesg'], extensions: ['.dmesg', '.kernel-log'] },
    // Kconfig files and the .config / defconfig files they produce; no generic "*.config" (web.config is not ours).
    {
      id: KCONFIG_LANGUAGE,
      aliases: ['Kconfig', 'Kernel .config'],
      filenames: ['Kconfig', '.config', 'Config.in'],
      filenamePatterns: ['Kconfig.*', '*_defconfig', 'Config.in.*'],
    },
  ];
}

export function kernelGrammars(): Json[] {
  return [
    { language: KERNEL_LOG_LANGUAGE, scopeName: 'text.log.kernel', path: './syntaxes/kernel-log.tmLanguage.json' },
    { language: KCONFIG_LANGUAGE, scopeName: 'source.kconfig', path: './syntaxes/kconfig.tmLanguage.json' },
  ];
}

export function kernelSettings(): Record<string, Json> {
  return {
    'kernelQemu.serialTerminal': {
      type: 'string',
      enum: ['auto', 'never'],
      enumDescriptions: [
        'Open a terminal on the guest serial console when a session launches',
        'Keep the serial console in the Debug Console',
      ],
      default: 'auto',
      description:
        "Where the guest's serial console goes while a kernel-qemu session runs: an interactive " +
        'terminal (type into the guest shell) or the Debug Console.',
    },
  };
}
