// Where a kernel stack ends. The kernel's own backtraces stop at the entry frame: the syscall
// or exception entry from user space, the interrupt entry, kthread start (ret_from_fork), the
// boot or secondary-CPU start. gdb unwinds past them, where the entry code has no DWARF CFI, and
// shows what it guessed from the stack: on x86_64 below entry_SYSCALL_64 `fixed_percpu_data`
// (the per-CPU area, at address 0x3) then `??` at 0, below ret_from_fork and
// secondary_startup_64 `??` at 0, below asm_sysvec_apic_timer_interrupt a user-space `??`.
// A kernel frame's caller is never at a user address either, so a stack also ends there.
import type { MiTuple } from '../mi/records';
import type { GuestArch } from '../arch';

const ENTRY_FRAMES: Readonly<Record<GuestArch, RegExp>> = {
  // entry_64.S, entry_64_compat.S (syscalls; asm_* are the idtentry exception and interrupt
  // stubs; ret_from_fork, since 6.5 C code called by ret_from_fork_asm) and head_64.S (CPU start).
  x86_64:
    /^(entry_SYSCALL_64(_after_hwframe)?|entry_SYSCALL_compat(_after_hwframe)?|entry_SYSENTER_compat(_after_hwframe)?|entry_INT80_compat|asm_\w+|ret_from_fork(_asm)?|secondary_startup_64(_no_verify)?|startup_64)$/,
  // entry.S (the vectors: el0t_* from user space, el1h_* in the kernel; ret_from_fork) and
  // head.S (the boot CPU's __primary_switched, the others' __secondary_switched).
  aarch64: /^(el[01][th]_(64|32)_(sync|irq|fiq|error)|ret_from_fork|__primary_switched|__secondary_switched)$/,
};

/** Kernel text is in the upper half of the address space on x86_64 and arm64 alike. */
export function isKernelAddress(address: string | undefined): boolean | undefined {
  if (address === undefined || !/^0x[0-9a-f]+$/i.test(address)) return undefined;
  return BigInt(address) >= 1n << 63n;
}

/** How many of `frames` (gdb's, from level 0) belong to the stack; the rest are unwound from past its end. */
export function stackLength(frames: readonly MiTuple[], arch: GuestArch): number {
  for (let index = 0; index < frames.length; index++) {
    const frame = frames[index]!;
    // Nothing runs at address 0 (Linux maps no page there): a caller at 0 is gdb's guess past the end.
    if (index > 0 && /^0x0+$/.test(frame.optStr('addr') ?? '')) return index;
    // A stop in user space (frame 0 at a user address) keeps what gdb unwinds there.
    if (index > 0 && isKernelAddress(frames[index - 1]!.optStr('addr')) === true && isKernelAddress(frame.optStr('addr')) === false)
      return index;
    // The last of adjacent entry frames (6.5+: ret_from_fork, then ret_from_fork_asm).
    if (ENTRY_FRAMES[arch].test(frame.optStr('func') ?? '') && !ENTRY_FRAMES[arch].test(frames[index + 1]?.optStr('func') ?? ''))
      return index + 1;
  }
  return frames.length;
}
