// configurationDone: the session's first run, from how it started. QEMU is halted (paused at
// reset, or wherever an attached VM was): an attach shows where it is, a launch from a VM
// snapshot where it was saved, a boot runs to start_kernel (or the stopAtEntry function),
// finding the KASLR offset on the way when the kernel is randomized.
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { Connected } from './connected';
import { KaslrDetector } from './kernel/kaslr';
import { loadRunningModules } from './services';
import type { StopInfo } from './stopReasons';

const HERE: StopInfo = { reason: 'entry', threadId: undefined, breakpointNumber: undefined, frame: undefined };

export async function runToFirstStop(
  { target, run, modules }: Connected,
  reportStop: (stop: StopInfo) => void,
  sendEvent: (event: DebugProtocol.Event) => void,
): Promise<void> {
  const config = target.config;
  run.markConfigured();
  run.boot.entryFunction = config.entryFunction;
  if (config.request === 'attach') {
    await loadRunningModules(modules, sendEvent);
    await run.boot.armModuleHook();
    return reportStop(HERE);
  }
  // Started from a VM snapshot (-loadvm): the kernel is past booting; show where it was saved.
  if (config.snapshot !== undefined)
    return run.stateReplaced(config.stopAtEntry ? { description: `Started from snapshot "${config.snapshot}"` } : 'resume');
  if (config.kaslr && !config.stopAtConnect)
    return run.boot.bootWithKaslr(new KaslrDetector(target.mi, config.arch, target.qemu?.qmp), config.program, config.stopAtEntry);
  if (!config.stopAtConnect) return run.boot.runToEntry(config.stopAtEntry);
  await run.boot.armEntry(config.stopAtEntry);
  reportStop(HERE);
}
