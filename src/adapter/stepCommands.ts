// The forward steps VS Code asks for, as gdb/MI commands.
import { mi } from '../mi/commands';
import type { LineStep, StepCommand } from './kernel/interruptedStep';

export type StepKind = 'next' | 'stepIn' | 'stepOut' | 'nextInstruction' | 'stepInstruction';

export const STEP_COMMANDS: Readonly<Record<StepKind, StepCommand>> = {
  next: mi.execNext,
  stepIn: mi.execStep,
  stepOut: mi.execFinish,
  nextInstruction: mi.execNextInstruction,
  stepInstruction: mi.execStepInstruction,
};

/** Step Over and Step Into go by lines, which an interrupt can break into (kernel/interruptedStep.ts); the others do not. */
export function lineStepOf(kind: StepKind, singleThread: boolean, from?: string): LineStep | undefined {
  return kind === 'next' || kind === 'stepIn' ? { command: STEP_COMMANDS[kind], singleThread, from } : undefined;
}
