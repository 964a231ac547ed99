// package.json's walkthrough: QEMU and gdb installed, a kernel with debug info, F5. Each step
// is done when its outcome is seen (tools found, a vmlinux found, a kernel-qemu session),
// not when its button is clicked. Pure: merged into `contributes` by src/extension/contributes.ts.
import { IN_SESSION, KERNEL_FOUND, TOOLS_FOUND } from './contextKeys';
import { BUILD_COMMAND } from './tasks/tasksContributes';

/** "Kernel QEMU: Check Prerequisites" (src/extension/prerequisitesCommand.ts). */
export const CHECK_PREREQUISITES_COMMAND = 'kernelQemu.checkPrerequisites';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function walkthroughCommands(): Json[] {
  return [{ command: CHECK_PREREQUISITES_COMMAND, title: 'Check Prerequisites (QEMU, gdb)', category: 'Kernel QEMU' }];
}

export function walkthroughs(): Json[] {
  return [
    {
      id: 'kernelQemu.getStarted',
      title: 'Debug a Linux kernel in QEMU',
      description: 'From nothing to a kernel stopped at start_kernel: QEMU and gdb, a kernel with debug info, F5.',
      steps: [
        {
          id: 'prerequisites',
          title: 'Install QEMU and gdb',
          description:
            `kernel-qemu runs qemu-system-x86_64 / qemu-system-aarch64 and gdb ` +
            `(gdb-multiarch).\n[Check Prerequisites](command:${CHECK_PREREQUISITES_COMMAND})`,
          media: { markdown: 'media/walkthrough/prerequisites.md' },
          completionEvents: [`onContext:${TOOLS_FOUND}`],
        },
        {
          id: 'kernel',
          title: 'Get a kernel with debug info',
          description:
            `Build one from a kernel tree, or install a ready-made debug kernel (Debian, ` +
            `Ubuntu).\n[Build Kernel](command:${BUILD_COMMAND.buildKernel})`,
          media: { markdown: 'media/walkthrough/kernel.md' },
          completionEvents: [`onContext:${KERNEL_FOUND}`],
        },
        {
          id: 'launch',
          title: 'Press F5',
          description:
            'Add a Kernel (QEMU) configuration and start: the kernel stops at start_kernel.\n[Add ' +
            'Configuration](command:debug.addConfiguration)\n[Start ' +
            'Debugging](command:workbench.action.debug.start)',
          media: { markdown: 'media/walkthrough/launch.md' },
          completionEvents: [`onContext:${IN_SESSION}`],
        },
      ],
    },
  ];
}
