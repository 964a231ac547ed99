// Kernel-type summaries (kernel/kernelValues.ts) of the values the Variables view shows, asked
// of gdb: one evaluation per cpumask, one for all the list heads of a structure. Valid for one
// stop: reset() forgets nr_cpu_ids.
import type { DebugProtocol } from '@vscode/debugprotocol';
import { mi, type FrameContext } from '../mi/commands';
import type { MiConnection } from '../mi/connection';
import { kernelValueKind, parseUnsignedArray, summarize, summaryExpression } from './kernel/kernelValues';

export class ValueSummaries {
  /** nr_cpu_ids, read once per stop when a cpumask is shown. */
  private cpuCount: Promise<number | undefined> | undefined;

  constructor(private readonly mi: MiConnection) {}

  reset(): void {
    this.cpuCount = undefined;
  }

  /** A cpumask, list_head or hlist_head at `expression`, summarized (one gdb evaluation); undefined for other types. */
  async summary(expression: string | undefined, type: string | undefined, context: FrameContext | undefined): Promise<string | undefined> {
    const kind = kernelValueKind(type);
    if (!kind || expression === undefined) return undefined;
    try {
      const [answer, cpuCount] = await Promise.all([
        this.mi.send(mi.evaluate(summaryExpression(kind, expression), context)),
        kind === 'cpumask' ? this.readCpuCount() : undefined,
      ]);
      const printed = answer.results.optStr('value');
      return printed === undefined ? undefined : summarize(kind, printed, cpuCount);
    } catch {
      return undefined; // not readable here: gdb's own value stays
    }
  }

  /**
   * The empty-or-not summaries of the list and hlist heads among `variables`, asked in one
   * evaluation (a gdb array of the tests): task_struct has fifteen, and one round trip each
   * was a third of expanding it. undefined when there are fewer than two or gdb refuses the
   * array (one head it cannot read): they are then asked one by one.
   */
  async listEmptiness(
    variables: ReadonlyArray<[DebugProtocol.Variable, string | undefined]>,
    context: FrameContext | undefined,
  ): Promise<Map<number, string> | undefined> {
    const heads = variables.flatMap(([variable, expression], index) => {
      const kind = kernelValueKind(variable.type);
      return expression !== undefined && (kind === 'list_head' || kind === 'hlist_head')
        ? [{ index, kind, test: summaryExpression(kind, expression) }]
        : [];
    });
    if (heads.length < 2) return undefined;
    const answer = await this.mi.send(mi.evaluate(`{${heads.map((head) => head.test).join(', ')}}`, context)).catch(() => undefined);
    const values = parseUnsignedArray(answer?.results.optStr('value') ?? '');
    if (values?.length !== heads.length) return undefined;
    const shown = new Map<number, string>();
    heads.forEach((head, position) => {
      const summary = summarize(head.kind, values[position]!.toString());
      if (summary !== undefined) shown.set(head.index, summary);
    });
    return shown;
  }

  private readCpuCount(): Promise<number | undefined> {
    this.cpuCount ??= this.mi.send(mi.evaluate('nr_cpu_ids')).then(
      (result) => {
        const count = Number(result.results.optStr('value'));
        return Number.isInteger(count) && count > 0 ? count : undefined;
      },
      () => undefined,
    );
    return this.cpuCount;
  }
}
