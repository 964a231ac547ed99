// A per-CPU variable as the Variables view and watches show it: scalars with each CPU's
// value in one line, structs as one expandable copy per CPU (kernel/perCpu.ts finds them).
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { FrameContext } from '../../mi/commands';
import { errorText } from '../errors';
import type { PerCpuCopy, PerCpuValues } from './perCpu';

/** What an evaluation shows: its text, type and the reference to expand it. */
export interface ShownValue {
  result: string;
  type?: string;
  variablesReference: number;
}

/** Scalar per-CPU values listed in the one-line value. */
const PER_CPU_SUMMARY = 8;

export class PerCpuVariables {
  constructor(
    private readonly perCpu: PerCpuValues,
    private readonly evaluate: (expression: string, context: FrameContext | undefined) => Promise<ShownValue>,
  ) {}

  /** A per-CPU variable: scalars list each CPU's value, anything else says how many copies it expands to. */
  async value(expression: string, type: string, context: FrameContext | undefined, variablesReference: number): Promise<ShownValue> {
    const copies = (await this.perCpu.copies(expression, type, context)).filter((copy) => copy.name !== 'this_cpu');
    // The first copy tells a struct (expanded on demand) from a scalar (listed inline).
    const [first] = await this.copyVariables(copies.slice(0, 1), type, context);
    if (!first || first.variablesReference > 0) {
      return {
        result: `per-CPU ${type}, ${copies.length} CPU${copies.length === 1 ? '' : 's'}`,
        type: `per-CPU ${type}`,
        variablesReference,
      };
    }
    const values = [first, ...(await this.copyVariables(copies.slice(1, PER_CPU_SUMMARY), type, context))];
    const shown = values.map((copy) => `${copy.name}: ${copy.value}`);
    const more = copies.length > PER_CPU_SUMMARY ? ', …' : '';
    return { result: `{${shown.join(', ')}${more}}`, type: `per-CPU ${type}`, variablesReference };
  }

  /** Each CPU's copy, a variable each (this_cpu named with its CPU). */
  async copies(expression: string, type: string, context: FrameContext | undefined): Promise<DebugProtocol.Variable[]> {
    return this.copyVariables(await this.perCpu.copies(expression, type, context), type, context);
  }

  private copyVariables(copies: readonly PerCpuCopy[], type: string, context: FrameContext | undefined): Promise<DebugProtocol.Variable[]> {
    return Promise.all(
      copies.map(async (copy): Promise<DebugProtocol.Variable> => {
        const shown = await this.evaluate(copy.expression, context).catch((error: unknown) => ({
          result: `<error: ${errorText(error)}>`,
          variablesReference: 0,
        }));
        return {
          name: copy.name === 'this_cpu' ? `this_cpu (CPU ${copy.cpu})` : copy.name,
          value: shown.result,
          type,
          variablesReference: shown.variablesReference,
          evaluateName: copy.expression,
        };
      }),
    );
  }
}
