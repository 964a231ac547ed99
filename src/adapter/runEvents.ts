// What the run control tells the session (runControl.ts, and the boot phase it runs: bootPhase.ts).
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { LoadedModule } from './kernel/modules';
import type { StopInfo } from './stopReasons';

export interface RunControlEvents {
  stopped: [StopInfo];
  /** byUs: the adapter resumed it; otherwise gdb did (e.g. `continue` typed in the Debug Console). */
  resumed: [byUs: boolean];
  output: [text: string];
  /** Breakpoints whose placement changed (boot-time hardware ones became software). */
  breakpointsChanged: [DebugProtocol.Breakpoint[]];
  /** The guest loaded a module (symbols added when its .ko was found). */
  moduleLoaded: [LoadedModule];
  /** gdb says the target is gone (remote closed, exited). */
  targetExited: [reason: string];
  /** The kernel reached start_kernel and runs from its final mapping. */
  bootFinished: [];
}
