// Scopes and variables. Simple locals come from one -stack-list-variables call; a struct
// or pointer gets a gdb var-object only when the user expands it. Everything here is
// valid for one stop: reset() forgets the handles and deletes the var-objects.
import { Handles, Scope } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { mi, type FrameContext } from '../mi/commands';
import type { MiConnection, MiResult } from '../mi/connection';
import type { MiTuple } from '../mi/records';
import { ErrorCode, errorText, UserError } from './errors';
import type { EvaluationPolicy } from './evaluationPolicy';
import { kernelValueKind, summarize, summaryExpression } from './kernel/kernelValues';
import type { GuestArch } from './launchArgs';
import { groupRegisters, parseRegisterGroups, type RegisterGroup } from './registers';

type VariableContainer =
  | { kind: 'locals'; context: FrameContext }
  | { kind: 'registers'; context: FrameContext }
  | { kind: 'registerGroup'; context: FrameContext; group: RegisterGroup }
  | { kind: 'expression'; context: FrameContext; expression: string }
  /** `path`: the C expression of the var-object's value, where it is known (for kernel-type summaries). */
  | { kind: 'varobj'; name: string; context: FrameContext | undefined; path?: VariablePath };

interface VariablePath {
  expression: string;
  type: string | undefined;
}

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
  private registerGroups: Promise<RegisterGroup[]> | undefined;
  /** nr_cpu_ids, read once per stop when a cpumask is shown. */
  private cpuCount: Promise<number | undefined> | undefined;

  constructor(
    private readonly mi: MiConnection,
    private readonly arch: GuestArch,
    private readonly policy: EvaluationPolicy,
  ) {}

  /** Called when the target resumes: var-objects of the last stop are deleted in the background. */
  reset(): void {
    this.handles.reset();
    this.cpuCount = undefined;
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
        return (await this.groups()).map((group) => ({
          name: group.name,
          value: `${group.registers.length} registers`,
          variablesReference: this.handles.create({ kind: 'registerGroup', context: container.context, group }),
          presentationHint: { kind: 'virtual' },
        }));
      case 'registerGroup':
        return this.registerValues(container.context, container.group);
      case 'expression': {
        const root = await this.createVarobj(container.expression, container.context);
        return this.children(root.name, container.context, { expression: container.expression, type: root.type });
      }
      case 'varobj':
        return this.children(container.name, container.context, container.path);
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
    const refusal = await this.policy.refusal(expression);
    let created: PromiseSettledResult<MiResult>;
    let printed: PromiseSettledResult<MiResult>;
    if (mode === 'read') {
      if (refusal) throw new UserError(ErrorCode.EvaluationFailed, refusal);
      // A var-object says whether the value expands; gdb's printed value reads better for
      // arrays and structs (a var-object shows a char[16] as "[16]"). Both in one round trip.
      [created, printed] = await this.policy.readOnly([mi.varCreate(expression, context), mi.evaluate(expression, context)] as const);
    } else {
      [printed] = await Promise.allSettled([this.mi.send(mi.evaluate(expression, context))]);
      // Unguarded, the var-object would evaluate it a second time.
      created = refusal || printed.status === 'rejected' ? { status: 'rejected', reason: undefined } : (await this.policy.readOnly([mi.varCreate(expression, context)] as const))[0];
    }
    if (created.status === 'fulfilled') this.varobjRoots.push(created.value.results.str('name'));
    if (printed.status === 'rejected') throw printed.reason;
    const printedValue = printed.value.results.optStr('value') ?? '';
    if (created.status === 'rejected') return { result: printedValue, variablesReference: 0 };
    const varobj = created.value.results;
    const name = varobj.str('name');
    const numchild = varobj.optInt('numchild') ?? 0;
    const type = varobj.optStr('type');
    const value = (await this.summary(expression, type, context)) ?? (numchild > 0 ? printedValue : undefined) ?? (varobj.optStr('value') || printedValue);
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
      case 'expression': {
        const parent = container.kind === 'varobj' ? container.name : (await this.createVarobj(container.expression, container.context)).name;
        const children = (await this.mi.send(mi.varListChildren(parent))).results.tuples('children');
        const child = children.find((candidate) => candidate.optStr('exp') === name);
        if (!child) throw new UserError(ErrorCode.UnknownReference, `No member '${name}' to set.`);
        // As a C assignment, gdb's refusal keeps its reason (-var-assign only says "Could not assign expression to variable object").
        const path = await this.pathExpression(child.str('name'));
        if (path !== undefined) return this.assign(path, value, container.context);
        const assigned = await this.mi.send(mi.varAssign(child.str('name'), value));
        return { result: assigned.results.optStr('value') ?? value, variablesReference: 0 };
      }
      case 'registers':
        throw new UserError(ErrorCode.BadArgument, 'Expand a register group to edit a register.');
    }
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
    if (!container) throw new UserError(ErrorCode.UnknownReference, `Unknown variablesReference ${reference} (the target ran since it was shown).`);
    return container;
  }

  private groups(): Promise<RegisterGroup[]> {
    this.registerGroups ??= this.mi
      .send(mi.consoleCommand('maint print register-groups'))
      .then((result) => groupRegisters(this.arch, parseRegisterGroups(result.console)));
    return this.registerGroups;
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
    return this.withSummaries(locals.map((local): [DebugProtocol.Variable, string] => [local, local.name]), context);
  }

  private async registerValues(context: FrameContext, group: RegisterGroup): Promise<DebugProtocol.Variable[]> {
    const numbers = group.registers.map((register) => register.number);
    const result = await this.mi.send(mi.listRegisterValues(context, 'x', numbers));
    const names = new Map(group.registers.map((register) => [register.number, register.name]));
    return result.results.tuples('register-values').flatMap((register) => {
      const name = names.get(register.int('number'));
      return name ? [{ name, value: register.str('value'), variablesReference: 0, evaluateName: `$${name}` }] : [];
    });
  }

  private async createVarobj(expression: string, context: FrameContext): Promise<{ name: string; type: string | undefined }> {
    const result = await this.mi.send(mi.varCreate(expression, context)).catch(async (error: unknown) => {
      throw (await this.gdbReason(expression, context)) ?? error;
    });
    const name = result.results.str('name');
    this.varobjRoots.push(name);
    return { name, type: result.results.optStr('type') };
  }

  private async children(varobjName: string, context: FrameContext | undefined, parent: VariablePath | undefined): Promise<DebugProtocol.Variable[]> {
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
    return this.withSummaries(children, context);
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
    return answer?.status === 'rejected' ? new UserError(ErrorCode.EvaluationFailed, errorText(answer.reason)) : undefined;
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

  /** A cpumask, list_head or hlist_head at `expression`, summarized (one gdb evaluation); undefined for other types. */
  private async summary(expression: string | undefined, type: string | undefined, context: FrameContext | undefined): Promise<string | undefined> {
    const kind = kernelValueKind(type);
    if (!kind || expression === undefined) return undefined;
    try {
      const [answer, cpuCount] = await Promise.all([this.mi.send(mi.evaluate(summaryExpression(kind, expression), context)), kind === 'cpumask' ? this.readCpuCount() : undefined]);
      const printed = answer.results.optStr('value');
      return printed === undefined ? undefined : summarize(kind, printed, cpuCount);
    } catch {
      return undefined; // not readable here: gdb's own value stays
    }
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

  /** Each variable with its C expression: kernel types get their summaries as values; the evaluations go to gdb together. */
  private withSummaries(variables: ReadonlyArray<[DebugProtocol.Variable, string | undefined]>, context: FrameContext | undefined): Promise<DebugProtocol.Variable[]> {
    return Promise.all(
      variables.map(async ([variable, expression]) => {
        const summary = await this.summary(expression, variable.type, context);
        return summary === undefined ? variable : { ...variable, value: summary };
      }),
    );
  }
}

/**
 * The C expression of a var-object child, from its parent's: a struct member, an array
 * element, a pointer's target, or a member of an anonymous struct/union (which C reaches
 * through the enclosing object). Undefined where it cannot be told.
 */
export function childPath(parent: VariablePath, child: MiTuple): VariablePath | undefined {
  const exp = child.optStr('exp');
  const type = child.optStr('type');
  if (exp === undefined) return undefined;
  const parentType = parent.type?.trim() ?? '';
  if (/^<anonymous (struct|union)>$/.test(exp)) return { expression: /\*$/.test(parentType) ? `(*(${parent.expression}))` : parent.expression, type };
  if (/\]$/.test(parentType) && /^\d+$/.test(exp)) return { expression: `(${parent.expression})[${exp}]`, type };
  if (exp.startsWith('*')) return { expression: `*(${parent.expression})`, type };
  if (!/^[A-Za-z_]\w*$/.test(exp)) return undefined;
  return { expression: /\*$/.test(parentType) ? `(${parent.expression})->${exp}` : `(${parent.expression}).${exp}`, type };
}

function isExpandablePointer(type: string | undefined): boolean {
  return type !== undefined && /\*\s*$/.test(type) && !/^(const )?(unsigned )?char \*/.test(type) && !/void \*$/.test(type);
}

/** The address a pointer value holds ("0xffff... <sym>" or "0x7ffd... \"/init\""), as a memoryReference. */
function pointerValue(value: string, type: string | undefined): string | undefined {
  if (!type || !/\*\s*$/.test(type)) return undefined;
  const match = /^(?:\([^)]*\)\s*)?(0x[0-9a-f]+)/i.exec(value);
  return match ? match[1] : undefined;
}
