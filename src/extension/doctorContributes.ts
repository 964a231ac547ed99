// package.json contributions of the config doctor: its commands (the quick fixes call
// them too). Pure: src/extension/contributes.ts merges them into `contributes`.

export const DOCTOR_COMMAND = {
  /** Fix given findings of a .config: (uri: string, ids: string[]). Used by quick fixes and the Builds view. */
  fix: 'kernelQemu.doctor.fix',
  /** Fix every error and warning of the .config files (a picker when there are several). */
  fixAll: 'kernelQemu.doctor.fixAll',
  /** Re-read the .config files and show the findings in the Problems view. */
  check: 'kernelQemu.doctor.check',
} as const;

/** Diagnostics' `source`. */
export const DOCTOR_SOURCE = 'kernel-qemu doctor';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function doctorCommands(): Json[] {
  const category = 'Kernel QEMU';
  return [
    { command: DOCTOR_COMMAND.check, title: 'Check .config (Config Doctor)', category, icon: '$(checklist)' },
    { command: DOCTOR_COMMAND.fixAll, title: 'Enable Debug Options in .config (Config Doctor)', category, icon: '$(wand)' },
    { command: DOCTOR_COMMAND.fix, title: 'Apply Config Doctor Fix', category, icon: '$(wand)' },
  ];
}

export function doctorMenus(): Record<string, Json[]> {
  return {
    commandPalette: [{ command: DOCTOR_COMMAND.fix, when: 'false' }],
  };
}
