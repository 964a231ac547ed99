// The context keys kernel-qemu sets (setContext) and the `when` clauses package.json builds from
// them. Pure: the *Contributes.ts files use the clauses, kernelTreeContext.ts and
// prerequisitesCommand.ts set the keys.

/** Set while the workspace holds a kernel or buildroot tree (src/extension/kernelTreeContext.ts). */
export const IN_KERNEL_TREE = 'kernelQemu.inKernelTree';

/** Set while a tree of the workspace holds a built vmlinux, or a Debian debug kernel is installed. */
export const KERNEL_FOUND = 'kernelQemu.kernelFound';

/** Set once QEMU (both arches) and a gdb were found (at activation and by Check Prerequisites). */
export const TOOLS_FOUND = 'kernelQemu.toolsFound';

/** VS Code's own key: the focused debug session is a kernel-qemu one. */
export const IN_SESSION = "debugType == 'kernel-qemu'";

/** Where the Kernel QEMU views (and so their container) show: a kernel or buildroot tree, or a session. */
export const KERNEL_WORKSPACE = `${IN_KERNEL_TREE} || ${IN_SESSION}`;
