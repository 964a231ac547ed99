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

/** gdb steps by lines only where it knows the function's line range (not in assembly, nor outside any symbol). */
const NO_LINE_BOUNDS = /Cannot find bounds of current function/;

/** Where Step Over or Step Into cannot go by lines, the instruction step that takes their place. */
export function instructionStepFor(kind: StepKind, refusal: string): StepKind | undefined {
  if (!NO_LINE_BOUNDS.test(refusal)) return undefined;
  return kind === 'next' ? 'nextInstruction' : kind === 'stepIn' ? 'stepInstruction' : undefined;
}
