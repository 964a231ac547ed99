// Scopes and variables. Simple locals come from one -stack-list-variables call; a struct
// or pointer gets a gdb var-object only when the user expands it. Everything here is
// valid for one stop: reset() forgets the handles and deletes the var-objects.
import { Handles, Scope } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { mi, type FrameContext } from '../mi/commands';
import type { MiConnection, MiResult } from '../mi/connection';
import { MiTuple } from '../mi/records';
import { errors, errorText, type UserError } from './errors';
import { MAX_EXPRESSION_CHARS, type EvaluationPolicy } from './evaluationPolicy';
import { kernelValueKind } from './kernel/kernelValues';
import { isWalkableHead, type KernelLists, type ListShape, type ListWalk, listSummary } from './kernel/lists';
import type { PerCpuValues } from './kernel/perCpu';
import { PerCpuVariables } from './kernel/perCpuVariables';
import { type UserMemory, userStringValue } from './kernel/userMemory';
import type { GuestArch } from '../arch';
import { RegisterReader, type RegisterGroup } from './registers';
import { childrenFromPrint, expands } from './printedChildren';
import { childPath, isCharPointer, isExpandablePointer, pointerValue, type VariablePath } from './variablePaths';

export { childPath } from './variablePaths';
import { isPureExpression } from './stopCache';
import { StructLayouts } from './structLayout';
import { ValueSummaries } from './valueSummaries';

type VariableContainer =
  | { kind: 'locals'; context: FrameContext }
  | { kind: 'registers'; context: FrameContext }
  | { kind: 'registerGroup'; context: FrameContext; group: RegisterGroup }
  | { kind: 'expression'; context: FrameContext | undefined; expression: string }
  /** A kernel list, walked: one child per entry. */
  | { kind: 'list'; context: FrameContext | undefined; shape: ListShape; walk: ListWalk }
  /** A per-CPU variable: one child per CPU. */
  | { kind: 'perCpu'; context: FrameContext | undefined; expression: string; type: string }
  /** `path`: the C expression of the var-object's value, where it is known (for kernel-type summaries). */
  | { kind: 'varobj'; name: string; context: FrameContext | undefined; path?: VariablePath }
  /** A struct or union member at a C expression: children from gdb's print of it (printedChildren.ts). */
  | { kind: 'struct'; context: FrameContext | undefined; path: VariablePath };

/** Hover and watch only read ('read'); what the user types in the Debug Console may change the kernel ('change'). */
export type EvaluationMode = 'read' | 'change';

export interface EvaluateResult {
  result: string;
  type?: string;
  variablesReference: number;
  memoryReference?: string;
}

export class VariableService {
  private handles = new Handles<VariableContainer>();
  private varobjRoots: string[] = [];
  private readonly registers: RegisterReader;
  private readonly summaries: ValueSummaries;
  /** gdb's print of values shown at this stop, by frame and expression: their children come from it. */
  private printedValues = new Map<string, string>();
  private readonly layouts: StructLayouts;

  constructor(
    private readonly mi: MiConnection,
    arch: GuestArch,
    private readonly policy: EvaluationPolicy,
    private readonly userMemory?: UserMemory,
    private readonly perCpu?: PerCpuValues,
    private readonly lists?: KernelLists,
  ) {
    this.layouts = new StructLayouts(mi);
    this.registers = new RegisterReader(mi, arch);
    this.summaries = new ValueSummaries(mi);
  }

  /** Called when the target resumes: var-objects of the last stop are deleted in the background. */
  reset(): void {
    this.handles.reset();
    this.summaries.reset();
    this.printedValues = new Map();
    this.userMemory?.reset();
    this.perCpu?.reset();
    const roots = this.varobjRoots;
    this.varobjRoots = [];
    for (const name of roots) void this.mi.send(mi.varDelete(name)).catch(() => undefined);
  }

  scopes(context: FrameContext): DebugProtocol.Scope[] {
    const locals: DebugProtocol.Scope = new Scope('Locals', this.handles.create({ kind: 'locals', context }), false);
    locals.presentationHint = 'locals';
    const registers: DebugProtocol.Scope = new Scope('Registers', this.handles.create({ kind: 'registers', context }), true);
    registers.presentationHint = 'registers';
    return [locals, registers];
  }

  isKnown(reference: number): boolean {
    return this.handles.get(reference) !== undefined;
  }

  async variables(reference: number): Promise<DebugProtocol.Variable[]> {
    const container = this.container(reference);
    switch (container.kind) {
      case 'locals':
        return this.locals(container.context);
      case 'registers':
        return (await this.registers.groups()).map((group) => ({
          name: group.name,
          value: `${group.registers.length} registers`,
          variablesReference: this.handles.create({ kind: 'registerGroup', context: container.context, group }),
          presentationHint: { kind: 'virtual' },
        }));
      case 'registerGroup':
        return this.registers.values(container.context, container.group);
      case 'expression': {
        const root = await this.createVarobj(container.expression, container.context);
        return this.children(root.name, container.context, { expression: container.expression, type: root.type });
      }
      case 'varobj':
        return (
          (container.path && (await this.printedChildren(container.path, container.context))) ??
          this.children(container.name, container.context, container.path)
        );
      case 'struct': {
        const printed = await this.printedChildren(container.path, container.context);
        if (printed) return printed;
        const root = await this.createVarobj(container.path.expression, container.context);
        return this.children(root.name, container.context, container.path);
      }
      case 'perCpu':
        return this.perCpuShown().copies(container.expression, container.type, container.context);
      case 'list':
        return container.walk.entries.map((entry) => ({
          name: `[${entry.key ?? entry.index}]`,
          value:
            entry.plain ??
            `(${container.shape.entryType} *) 0x${entry.address.toString(16)}` +
              (entry.label !== undefined ? ` ${JSON.stringify(entry.label)}` : ''),
          ...(entry.plain === undefined ? { type: container.shape.entryType, evaluateName: entry.expression } : {}),
          variablesReference:
            entry.plain === undefined
              ? this.handles.create({ kind: 'expression', context: container.context, expression: entry.expression })
              : 0,
          memoryReference: `0x${entry.address.toString(16)}`,
        }));
    }
  }

  /**
   * Evaluates an expression into a variable-like result, expandable when it has children.
   * 'read' (hover, watch) runs under the evaluation policy: gdb refuses writes and calls.
   * 'change' (the Debug Console) evaluates it once as typed (`i++` increments once), then
   * reads it as a var-object under the policy, for its type and children. A failure is gdb's
   * reason from -data-evaluate-expression ("Cannot access memory at address 0x0"): a
   * var-object says "-var-create: unable to create variable object", or shows "" for it.
   */
  async evaluate(expression: string, context: FrameContext | undefined, mode: EvaluationMode = 'read'): Promise<EvaluateResult> {
    if (expression.length > MAX_EXPRESSION_CHARS) throw errors.expressionTooLong(expression.length, MAX_EXPRESSION_CHARS);
    const refusal = await this.policy.refusal(expression);
    const hinted = refusal ? undefined : await this.lists?.fromHint(expression, context);
    if (hinted) return this.listValue(hinted, context);
    if (mode === 'read' && refusal) throw errors.evaluationFailed(refusal);
    const perCpuType = refusal ? undefined : this.perCpu?.perCpuType(expression, context);
    // A var-object says whether the value expands; gdb's printed value reads better for
    // arrays and structs (a var-object shows a char[16] as "[16]"). Both in one round trip,
    // sent with the per-CPU question (they only read): the answer waits for neither.
    const reads =
      mode === 'read' ? this.policy.readOnly([mi.varCreate(expression, context), mi.evaluate(expression, context)] as const) : undefined;
    reads?.catch(() => undefined); // a per-CPU question that fails leaves it unawaited
    const perCpu = await perCpuType;
    if (perCpu) {
      const [unused] = (await reads?.catch(() => undefined)) ?? [];
      if (unused?.status === 'fulfilled') this.varobjRoots.push(unused.value.results.str('name'));
      return this.perCpuShown().value(
        expression,
        perCpu,
        context,
        this.handles.create({ kind: 'perCpu', context, expression, type: perCpu }),
      );
    }
    let created: PromiseSettledResult<MiResult>;
    let printed: PromiseSettledResult<MiResult>;
    if (reads) {
      [created, printed] = await reads;
    } else {
      [printed] = await Promise.allSettled([this.mi.send(mi.evaluate(expression, context))]);
      // Unguarded, the var-object would evaluate it a second time.
      created =
        refusal || printed.status === 'rejected'
          ? { status: 'rejected', reason: undefined }
          : (await this.policy.readOnly([mi.varCreate(expression, context)] as const))[0];
    }
    if (created.status === 'fulfilled') this.varobjRoots.push(created.value.results.str('name'));
    if (printed.status === 'rejected') throw printed.reason;
    const printedValue = printed.value.results.optStr('value') ?? '';
    this.printedValues.set(printedKey(expression, context), printedValue);
    if (created.status === 'rejected') return { result: printedValue, variablesReference: 0 };
    const varobj = created.value.results;
    const name = varobj.str('name');
    const numchild = varobj.optInt('numchild') ?? 0;
    const type = varobj.optStr('type');
    const list = isWalkableHead(type) ? await this.lists?.fromExpression(expression, context, type).catch(() => undefined) : undefined;
    if (list) return this.listValue(list, context);
    const value =
      (await this.summaries.summary(expression, type, context)) ??
      (await this.userString(printedValue, type, context)) ??
      (numchild > 0 ? printedValue : undefined) ??
      (varobj.optStr('value') || printedValue);
    const memoryReference = pointerValue(value, type);
    return {
      result: value,
      ...(type ? { type } : {}),
      variablesReference: numchild > 0 ? this.handles.create({ kind: 'varobj', name, context, path: { expression, type } }) : 0,
      ...(memoryReference ? { memoryReference } : {}),
    };
  }

  /** setVariable: a local, a struct member or a register, in the frame it was shown for. */
  async setVariable(reference: number, name: string, value: string): Promise<EvaluateResult> {
    const container = this.container(reference);
    switch (container.kind) {
      case 'locals':
        return this.assign(name, value, container.context);
      case 'registerGroup':
        return this.assign(`$${name}`, value, container.context);
      case 'varobj':
      case 'struct':
      case 'expression': {
        const parent =
          container.kind === 'varobj'
            ? container.name
            : (await this.createVarobj(container.kind === 'struct' ? container.path.expression : container.expression, container.context))
                .name;
        const children = (await this.mi.send(mi.varListChildren(parent))).results.tuples('children');
        const child = children.find((candidate) => candidate.optStr('exp') === name);
        if (!child) throw errors.noMemberToSet(name);
        // As a C assignment, gdb's refusal keeps its reason (-var-assign only says "Could not assign expression to variable object").
        const path = await this.pathExpression(child.str('name'));
        if (path !== undefined) return this.assign(path, value, container.context);
        const assigned = await this.mi.send(mi.varAssign(child.str('name'), value));
        return { result: assigned.results.optStr('value') ?? value, variablesReference: 0 };
      }
      case 'registers':
        throw errors.registerGroupEdit();
      case 'list':
        throw errors.listEntryEdit();
      case 'perCpu':
        throw errors.perCpuEdit(container.expression);
    }
  }

  private listValue(list: { shape: ListShape; walk: ListWalk }, context: FrameContext | undefined): EvaluateResult {
    const reference = list.walk.entries.length > 0 ? this.handles.create({ kind: 'list', context, ...list }) : 0;
    const of = list.shape.entryType || 'entries';
    const type = list.shape.kind === 'rbtree' ? `tree of ${of}` : list.shape.kind === 'xarray' ? `xarray of ${of}` : `list of ${of}`;
    return { result: listSummary(list.walk, list.shape), type, variablesReference: reference };
  }

  /** A structure's children with their summaries and walked lists, asked of gdb together. */
  private async decorated(
    children: ReadonlyArray<[DebugProtocol.Variable, string | undefined]>,
    parent: VariablePath | undefined,
    context: FrameContext | undefined,
  ): Promise<DebugProtocol.Variable[]> {
    const plain = children.map(([variable]) => variable);
    const [summarized, listed] = await Promise.all([
      this.withSummaries(children, context),
      this.withLists(
        plain,
        parent,
        children.map(([, path]) => path),
        context,
      ),
    ]);
    // A walked list's value replaces its head's summary.
    return summarized.map((variable, index) => (listed[index] === plain[index] ? variable : listed[index]!));
  }

  /** A list head among a structure's members, walked when the table knows its entries; others as they are. */
  private async withLists(
    variables: DebugProtocol.Variable[],
    parent: VariablePath | undefined,
    paths: ReadonlyArray<string | undefined>,
    context: FrameContext | undefined,
  ): Promise<DebugProtocol.Variable[]> {
    if (!this.lists || !parent) return variables;
    return Promise.all(
      variables.map(async (variable, index) => {
        const path = paths[index];
        if (!isWalkableHead(variable.type) || path === undefined) return variable;
        const list = await this.lists!.fromMember(parent.type, variable.name, path, context, variable.type).catch(() => undefined);
        if (!list) return variable;
        const shown = this.listValue(list, context);
        return { ...variable, value: shown.result, variablesReference: shown.variablesReference };
      }),
    );
  }

  private perCpuShown(): PerCpuVariables {
    return new PerCpuVariables(this.perCpu!, (expression, context) => this.evaluate(expression, context, 'read'));
  }

  /** `expression = value` in the frame; gdb checks the types and prints the result. */
  async assign(expression: string, value: string, context: FrameContext | undefined): Promise<EvaluateResult> {
    await this.mi.send(mi.evaluate(`${expression} = ${value}`, context));
    return this.evaluate(expression, context, 'read');
  }

  /** The names of a frame's locals and arguments (the read VS Code's Locals makes, so usually answered by the stop cache). */
  async localNames(context: FrameContext): Promise<string[]> {
    const result = await this.mi.send(mi.stackListVariables(context));
    return result.results.tuples('variables').map((variable) => variable.str('name'));
  }

  evaluateName(reference: number, name: string): string | undefined {
    const container = this.handles.get(reference);
    if (!container) return undefined;
    if (container.kind === 'locals') return name;
    if (container.kind === 'registerGroup') return `$${name}`;
    return undefined;
  }

  private container(reference: number): VariableContainer {
    const container = this.handles.get(reference);
    if (!container) throw errors.staleReference('variablesReference', reference);
    return container;
  }

  private async locals(context: FrameContext): Promise<DebugProtocol.Variable[]> {
    const result = await this.mi.send(mi.stackListVariables(context));
    const locals = result.results.tuples('variables').map((variable) => {
      const name = variable.str('name');
      const value = variable.optStr('value');
      const type = variable.optStr('type');
      const memoryReference = value === undefined ? undefined : pointerValue(value, type);
      // --simple-values leaves out the value of structs, unions and arrays: expand them lazily.
      const expandable = value === undefined || isExpandablePointer(type);
      return {
        name,
        value: value ?? (type ? `{${type}}` : '{...}'),
        ...(type ? { type } : {}),
        variablesReference: expandable ? this.handles.create({ kind: 'expression', context, expression: name }) : 0,
        evaluateName: name,
        ...(memoryReference ? { memoryReference } : {}),
      };
    });
    return this.withSummaries(
      locals.map((local): [DebugProtocol.Variable, string] => [local, local.name]),
      context,
    );
  }

  private async createVarobj(expression: string, context: FrameContext | undefined): Promise<{ name: string; type: string | undefined }> {
    const result = await this.mi.send(mi.varCreate(expression, context)).catch(async (error: unknown) => {
      throw (await this.gdbReason(expression, context)) ?? error;
    });
    const name = result.results.str('name');
    this.varobjRoots.push(name);
    return { name, type: result.results.optStr('type') };
  }

  private async children(
    varobjName: string,
    context: FrameContext | undefined,
    parent: VariablePath | undefined,
  ): Promise<DebugProtocol.Variable[]> {
    const result = await this.mi.send(mi.varListChildren(varobjName));
    const children = await Promise.all(
      result.results.tuples('children').map(async (child): Promise<[DebugProtocol.Variable, string | undefined]> => {
        const path = parent ? childPath(parent, child) : undefined;
        const variable = this.childVariable(child, context, path);
        // A var-object shows a value it could not read as "": say why, as gdb's print does.
        if (child.optStr('value') === '') variable.value = await this.unreadable(child.str('name'), path?.expression, context);
        return [variable, path?.expression];
      }),
    );
    return this.decorated(children, parent, context);
  }

  /**
   * A struct's or union's children from gdb's print of it (made for the evaluate request, or
   * its parent's) and its type's members; undefined where they cannot be told that way.
   */
  private async printedChildren(parent: VariablePath, context: FrameContext | undefined): Promise<DebugProtocol.Variable[] | undefined> {
    if (!parent.type || !isPureExpression(parent.expression)) return undefined;
    const key = printedKey(parent.expression, context);
    const printed = this.printedValues.get(key) ?? (await this.printValue(parent.expression, context));
    if (printed === undefined) return undefined;
    const members = await this.layouts.members(parent.expression, parent.type, context);
    let children = members && childrenFromPrint(printed, members);
    if (!children && members) {
      const fresh = await this.layouts.fresh(parent.expression, context);
      children = fresh && childrenFromPrint(printed, fresh);
    }
    if (!children) return undefined;
    const shown = children.map((child): [DebugProtocol.Variable, string | undefined] => {
      const path = childPath(parent, new MiTuple({ exp: child.exp, type: child.member.type }));
      const { kind, type } = child.member;
      if (kind === 'aggregate' && path) this.printedValues.set(printedKey(path.expression, context), child.text);
      const expandable = path !== undefined && expands(child.member);
      const memoryReference = pointerValue(child.value, type);
      const variable: DebugProtocol.Variable = {
        name: child.exp,
        value: child.value,
        type,
        variablesReference: !expandable
          ? 0
          : kind === 'aggregate'
            ? this.handles.create({ kind: 'struct', context, path })
            : this.handles.create({ kind: 'expression', context, expression: path.expression }),
        ...(memoryReference ? { memoryReference } : {}),
      };
      return [variable, path?.expression];
    });
    return this.decorated(shown, parent, context);
  }

  private async printValue(expression: string, context: FrameContext | undefined): Promise<string | undefined> {
    const [answer] = await this.policy.readOnly([mi.evaluate(expression, context)] as const).catch(() => [undefined]);
    return answer?.status === 'fulfilled' ? answer.value.results.optStr('value') : undefined;
  }

  /** `<error: gdb's reason>` for a var-object child gdb could not read. */
  private async unreadable(varobjName: string, expression: string | undefined, context: FrameContext | undefined): Promise<string> {
    const path = expression ?? (await this.pathExpression(varobjName));
    if (path === undefined) return '<error: gdb could not read this value>';
    const [answer] = await this.policy.readOnly([mi.evaluate(path, context)] as const);
    if (answer.status === 'fulfilled') return answer.value.results.optStr('value') ?? '';
    return `<error: ${errorText(answer.reason)}>`;
  }

  /** gdb's own reason why `expression` cannot be evaluated (for var-object errors that do not say). */
  private async gdbReason(expression: string, context: FrameContext | undefined): Promise<UserError | undefined> {
    const [answer] = await this.policy.readOnly([mi.evaluate(expression, context)] as const).catch(() => [undefined]);
    return answer?.status === 'rejected' ? errors.evaluationFailed(errorText(answer.reason)) : undefined;
  }

  private pathExpression(varobjName: string): Promise<string | undefined> {
    return this.mi.send(mi.varInfoPathExpression(varobjName)).then(
      (result) => result.results.optStr('path_expr'),
      () => undefined,
    );
  }

  private childVariable(child: MiTuple, context: FrameContext | undefined, path: VariablePath | undefined): DebugProtocol.Variable {
    const name = child.str('name');
    const numchild = child.optInt('numchild') ?? 0;
    const type = child.optStr('type');
    const value = child.optStr('value') ?? (type ? `{${type}}` : '{...}');
    const memoryReference = pointerValue(value, type);
    return {
      name: child.optStr('exp') ?? name,
      value,
      ...(type ? { type } : {}),
      variablesReference: numchild > 0 ? this.handles.create({ kind: 'varobj', name, context, ...(path ? { path } : {}) }) : 0,
      ...(memoryReference ? { memoryReference } : {}),
    };
  }

  /**
   * A char pointer into user space that gdb could not read (arm64's PAN keeps its reads out;
   * elsewhere the page is not resident), read as the user's string; undefined otherwise.
   */
  private async userString(printed: string, type: string | undefined, context: FrameContext | undefined): Promise<string | undefined> {
    if (!this.userMemory || !context || !isCharPointer(type) || !printed.includes('<error:')) return undefined;
    const address = pointerValue(printed, type);
    if (address === undefined || !this.userMemory.isUserAddress(BigInt(address))) return undefined;
    return userStringValue(BigInt(address), await this.userMemory.string(BigInt(address), context));
  }

  /** Each variable with its C expression: kernel types get their summaries as values; the evaluations go to gdb together. */
  private async withSummaries(
    variables: ReadonlyArray<[DebugProtocol.Variable, string | undefined]>,
    context: FrameContext | undefined,
  ): Promise<DebugProtocol.Variable[]> {
    const emptiness = this.summaries.listEmptiness(variables, context);
    return Promise.all(
      variables.map(async ([variable, expression], index) => {
        const kind = kernelValueKind(variable.type);
        const batched = kind === 'list_head' || kind === 'hlist_head' ? (await emptiness)?.get(index) : undefined;
        const summary =
          batched ??
          (await this.summaries.summary(expression, variable.type, context)) ??
          (await this.userString(variable.value, variable.type, context));
        return summary === undefined ? variable : { ...variable, value: summary };
      }),
    );
  }
}

/** The printedValues key of an expression in a frame. */
function printedKey(expression: string, context: FrameContext | undefined): string {
  return context ? `${context.threadId}/${context.frameLevel ?? ''}/${expression}` : `-/${expression}`;
}
