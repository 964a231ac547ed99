// What a session owns once gdb is connected: its target and services, and the state that
// lives as long as they do (the snapshots' origin and busy flag). Made in services.ts
// (buildServices), dropped when the session ends; request handlers get it whole.
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { BreakpointService } from './breakpoints';
import type { DisassemblyService } from './disassembly';
import type { GotoTargets } from './gotoTargets';
import type { KernelLog } from './kernel/dmesg';
import type { KernelExceptions } from './kernel/kernelExceptions';
import type { ModuleTracker } from './kernel/modules';
import type { SerialConsole } from './kernel/serialConsole';
import type { TaskInspector } from './kernel/tasks';
import type { KernelTarget } from './kernelTarget';
import type { MemoryService } from './memory';
import type { Repl } from './repl';
import type { ReverseExecution } from './reverse';
import type { RunControl } from './runControl';
import type { SnapshotState } from './snapshotState';
import type { StackService } from './stack';
import type { VariableService } from './variables';

/** Everything that exists once gdb is connected. */
export interface Connected {
  target: KernelTarget;
  breakpoints: BreakpointService;
  stack: StackService;
  variables: VariableService;
  repl: Repl;
  memory: MemoryService;
  disassembly: DisassemblyService;
  run: RunControl;
  serial: SerialConsole;
  tasks: TaskInspector;
  kernelLog: KernelLog;
  modules: ModuleTracker;
  exceptions: KernelExceptions;
  gotoTargets: GotoTargets;
  reverse: ReverseExecution;
  snapshots: SnapshotState;
}

export interface CustomRequestContext extends Connected {
  print(text: string): void;
  sendEvent(event: DebugProtocol.Event): void;
}

export type CustomRequestHandler = (context: CustomRequestContext, args: Record<string, unknown>) => Promise<unknown>;
