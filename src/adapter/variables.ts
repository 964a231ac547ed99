// Scopes and variables. Simple locals come from one -stack-list-variables call; a struct
// or pointer gets a gdb var-object only when the user expands it. Everything here is
// valid for one stop: reset() forgets the handles and deletes the var-objects.
import { Handles, Scope } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { mi, type FrameContext } from '../mi/commands';
import type { MiConnection } from '../mi/connection';
import type { MiTuple } from '../mi/records';

type VariableContainer =
  | { kind: 'locals'; context: FrameContext }
  | { kind: 'registers'; context: FrameContext }
  | { kind: 'expression'; context: FrameContext; expression: string }
  | { kind: 'varobj'; name: string };

export class VariableService {
  private handles = new Handles<VariableContainer>();
  private varobjRoots: string[] = [];
  private registerNames: Promise<string[]> | undefined;

  constructor(private readonly mi: MiConnection) {}

  /** Called when the target resumes: var-objects of the last stop are deleted in the background. */
  reset(): void {
    this.handles.reset();
    const roots = this.varobjRoots;
    this.varobjRoots = [];
    for (const name of roots) void this.mi.send(mi.varDelete(name)).catch(() => undefined);
  }

  scopes(context: FrameContext): DebugProtocol.Scope[] {
    const registers = new Scope('Registers', this.handles.create({ kind: 'registers', context }), true);
    (registers as DebugProtocol.Scope).presentationHint = 'registers';
    const locals = new Scope('Locals', this.handles.create({ kind: 'locals', context }), false);
    (locals as DebugProtocol.Scope).presentationHint = 'locals';
    return [locals, registers];
  }

  isKnown(reference: number): boolean {
    return this.handles.get(reference) !== undefined;
  }

  async variables(reference: number): Promise<DebugProtocol.Variable[]> {
    const container = this.handles.get(reference);
    if (!container) throw new Error(`unknown variablesReference ${reference}`);
    switch (container.kind) {
      case 'locals':
        return this.locals(container.context);
      case 'registers':
        return this.registers(container.context);
      case 'expression':
        return this.children(await this.createVarobj(container.expression, container.context));
      case 'varobj':
        return this.children(container.name);
    }
  }

  /** Evaluates an expression into a variable-like result, expandable when it has children. */
  async evaluate(expression: string, context: FrameContext | undefined): Promise<{ result: string; type?: string; variablesReference: number }> {
    // A var-object says whether the value expands; gdb's printed value reads better for
    // arrays and structs (a var-object shows a char[16] as "[16]"). Both in one round trip.
    const [created, printed] = await Promise.all([
      this.mi.send(mi.varCreate(expression, context)),
      this.mi.send(mi.evaluate(expression, context)).then(
        (result) => result.results.optStr('value'),
        () => undefined,
      ),
    ]);
    const varobj = created.results;
    const name = varobj.str('name');
    this.varobjRoots.push(name);
    const numchild = varobj.optInt('numchild') ?? 0;
    const type = varobj.optStr('type');
    return {
      result: (numchild > 0 ? printed : undefined) ?? varobj.optStr('value') ?? printed ?? '',
      ...(type ? { type } : {}),
      variablesReference: numchild > 0 || isPointerType(type) ? this.handles.create({ kind: 'varobj', name }) : 0,
    };
  }

  private async locals(context: FrameContext): Promise<DebugProtocol.Variable[]> {
    const result = await this.mi.send(mi.stackListVariables(context));
    return result.results.tuples('variables').map((variable) => {
      const name = variable.str('name');
      const value = variable.optStr('value');
      const type = variable.optStr('type');
      // --simple-values leaves out the value of structs, unions and arrays: expand them lazily.
      const expandable = value === undefined || isPointerType(type);
      return {
        name,
        value: value ?? (type ? `{${type}}` : '{...}'),
        ...(type ? { type } : {}),
        ...(variable.optStr('arg') === '1' ? { presentationHint: { kind: 'property' as const } } : {}),
        variablesReference: expandable ? this.handles.create({ kind: 'expression', context, expression: name }) : 0,
        evaluateName: name,
      };
    });
  }

  private async registers(context: FrameContext): Promise<DebugProtocol.Variable[]> {
    this.registerNames ??= this.mi.send(mi.listRegisterNames()).then((result) => result.results.strings('register-names'));
    const [names, values] = await Promise.all([this.registerNames, this.mi.send(mi.listRegisterValues(context, 'x'))]);
    return values.results.tuples('register-values').flatMap((register) => {
      const name = names[register.int('number')];
      if (!name) return [];
      return [{ name, value: register.str('value'), variablesReference: 0, evaluateName: `$${name}` }];
    });
  }

  private async createVarobj(expression: string, context: FrameContext): Promise<string> {
    const result = await this.mi.send(mi.varCreate(expression, context));
    const name = result.results.str('name');
    this.varobjRoots.push(name);
    return name;
  }

  private async children(varobjName: string): Promise<DebugProtocol.Variable[]> {
    const result = await this.mi.send(mi.varListChildren(varobjName));
    const variables: DebugProtocol.Variable[] = [];
    for (const child of result.results.tuples('children')) {
      variables.push(this.childVariable(child));
    }
    return variables;
  }

  private childVariable(child: MiTuple): DebugProtocol.Variable {
    const name = child.str('name');
    const numchild = child.optInt('numchild') ?? 0;
    const type = child.optStr('type');
    return {
      name: child.optStr('exp') ?? name,
      value: child.optStr('value') ?? (type ? `{${type}}` : '{...}'),
      ...(type ? { type } : {}),
      variablesReference: numchild > 0 ? this.handles.create({ kind: 'varobj', name }) : 0,
    };
  }
}

function isPointerType(type: string | undefined): boolean {
  return type !== undefined && /\*\s*$/.test(type) && !/^(const )?(unsigned )?char \*/.test(type) && !/void \*$/.test(type);
}
