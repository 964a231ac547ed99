// Restart (DAP `restart`): the same VM reset with QMP's system_reset instead of a new QEMU and
// gdb, so it costs a reboot and not a relaunch (gdb keeps vmlinux loaded and its breakpoints).
// The kernel then boots again exactly as at F5: breakpoints back in hardware for the boot
// phase (under KVM software ones would be overwritten as the kernel is loaded again), the
// entry breakpoint on start_kernel, the internal breakpoints after it.
import type { Connected } from './connected';
import { errors } from './errors';
import { KaslrDetector } from './kernel/kaslr';

/** How long gdb takes to say where the target is after reconnecting; it is not shown. */
const RECONNECT_STOP_TIMEOUT_MS = 5_000;
const RESET_TIMEOUT_MS = 5_000;

async function withTimeout(work: Promise<void>, ms: number, message: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([work, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(errors.timedOut(message, ms)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

export async function restartKernel({ target, run, stack, variables }: Connected, print: (text: string) => void): Promise<void> {
  const config = target.config;
  const qmp = target.qemu?.qmp;
  if (config.request !== 'launch' || !qmp) {
    throw errors.restartAttached();
  }
  if (qmp.isClosed) throw errors.monitorClosed('Restart');
  await run.haltSilently();
  const started = Date.now();
  // QEMU runs with -no-reboot (a guest's reboot ends the session), which turns system_reset
  // into a shutdown too: the reboot action is "reset" until the kernel is back at
  // start_kernel (x86's SeaBIOS, finding its POST already done, resets the machine once
  // more). The reset itself happens in QEMU's main loop, which says so (RESET).
  let onEvent: ((event: { event: string }) => void) | undefined;
  const reset = new Promise<void>((resolve) => {
    onEvent = (event) => {
      if (event.event === 'RESET') resolve();
    };
    qmp.on('event', onEvent);
  });
  await qmp.execute('set-action', { reboot: 'reset' });
  const rebootEndsSession = () => void qmp.execute('set-action', { reboot: 'shutdown' }).catch(() => undefined);
  try {
    await qmp.execute('system_reset');
    run.once('bootFinished', rebootEndsSession);
  } catch (error) {
    rebootEndsSession();
    throw error;
  }
  try {
    await withTimeout(reset, RESET_TIMEOUT_MS, 'QEMU did not report the reset');
  } finally {
    if (onEvent) qmp.off('event', onEvent);
  }
  // gdb's view of the target (registers, frames, memory, where each vCPU stopped) is of the
  // old run: a reconnect makes it read the reset CPUs afresh.
  const { stopped, cancel } = run.swallowNextStop();
  await target.reconnect();
  const timer = setTimeout(cancel, RECONNECT_STOP_TIMEOUT_MS);
  await stopped.catch(() => undefined);
  clearTimeout(timer);
  stack.reset();
  variables.reset();
  print(`Restart: the VM was reset in ${Date.now() - started} ms; the kernel boots again.\n`);
  if (config.kaslr && !config.stopAtConnect) {
    // A new boot chooses a new offset: symbols go back to vmlinux's addresses until it is found.
    const detector = new KaslrDetector(target.mi, config.arch, qmp);
    await detector.rebase(config.program, 0n);
    return run.rebooted(config.stopAtEntry, { detector, program: config.program });
  }
  return run.rebooted(config.stopAtEntry);
}
