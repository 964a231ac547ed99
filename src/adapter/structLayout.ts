// The members of a structure or union type (name, gdb's type name, what kind of value), read
// by a small Python function in gdb and kept for the session by type name: a type's layout
// does not change while the vmlinux stays loaded. With gdb's print of a value, this gives the
// value's children without var-objects: gdb's -var-list-children on init_task costs ~400 ms
// the first time in a session (it resolves the target type of every pointer member) and
// ~15-25 ms after, where the print the adapter already made holds every member's value.
import { quote, type FrameContext, type MiCommand } from '../mi/commands';
import type { MiConnection } from '../mi/connection';

/** 'aggregate': struct or union; 'array'; 'pointer' (expands to its target); 'opaque': a pointer to a function or void; 'scalar'. */
export type MemberKind = 'aggregate' | 'array' | 'pointer' | 'opaque' | 'scalar';

export interface StructMember {
  /** undefined: an anonymous struct or union member. */
  name: string | undefined;
  type: string;
  kind: MemberKind;
  /** Members of an aggregate, elements of an array (0: nothing to expand). */
  count: number;
  /** An anonymous member's own kind of aggregate. */
  union: boolean;
}

export const STRUCT_LAYOUT_PYTHON = `
def kernel_qemu_layout(expression):
    import json
    members = []
    struct = gdb.parse_and_eval(expression).type.strip_typedefs()
    if struct.code not in (gdb.TYPE_CODE_STRUCT, gdb.TYPE_CODE_UNION):
        raise gdb.GdbError('not a struct or union')
    for field in struct.fields():
        member_type = field.type
        bare = member_type.strip_typedefs()
        code = bare.code
        count = 0
        union = code == gdb.TYPE_CODE_UNION
        if code in (gdb.TYPE_CODE_STRUCT, gdb.TYPE_CODE_UNION):
            kind = 'aggregate'
            count = len(bare.fields())
        elif code == gdb.TYPE_CODE_ARRAY:
            kind = 'array'
            low, high = bare.range()
            count = max(0, high - low + 1)
        elif code == gdb.TYPE_CODE_PTR:
            target = bare.target()
            while target.code == gdb.TYPE_CODE_TYPEDEF:
                target = target.target()
            kind = 'opaque' if target.code in (gdb.TYPE_CODE_FUNC, gdb.TYPE_CODE_VOID) else 'pointer'
        else:
            kind = 'scalar'
        members.append([field.name, str(member_type), kind, count, union])
    print(json.dumps(members))
`;

function defineCommand(): MiCommand {
  return {
    text: `-interpreter-exec console ${quote(`python exec(${JSON.stringify(STRUCT_LAYOUT_PYTHON)})`)}`,
    expect: ['done'],
    stopStable: true,
  };
}

/** The MI global options go before `console`, so the expression is read in the shown frame. */
function layoutCommand(expression: string, context: FrameContext | undefined): MiCommand {
  const where = context ? ` --thread ${context.threadId}${context.frameLevel === undefined ? '' : ` --frame ${context.frameLevel}`}` : '';
  return {
    text: `-interpreter-exec${where} console ${quote(`python kernel_qemu_layout(${JSON.stringify(expression)})`)}`,
    expect: ['done'],
    stopStable: true,
  };
}

const KINDS: ReadonlySet<string> = new Set(['aggregate', 'array', 'pointer', 'opaque', 'scalar']);

/** gdb's printed answer; undefined when it is not a layout. */
export function parseStructLayout(printed: string): StructMember[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(printed.trim());
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  const members: StructMember[] = [];
  for (const item of parsed as unknown[]) {
    if (!Array.isArray(item)) return undefined;
    const [name, type, kind, count, union] = item as unknown[];
    if (
      (name !== null && typeof name !== 'string') ||
      typeof type !== 'string' ||
      typeof kind !== 'string' ||
      !KINDS.has(kind) ||
      typeof count !== 'number'
    )
      return undefined;
    members.push({ name: name ?? undefined, type, kind: kind as MemberKind, count, union: union === true });
  }
  return members;
}

/** Named types are asked once; an anonymous `struct {...}` names no one type, so it is asked each time. */
function cacheable(type: string): boolean {
  return !type.includes('{');
}

export class StructLayouts {
  private readonly byType = new Map<string, Promise<StructMember[] | undefined>>();
  private python: Promise<boolean> | undefined;

  constructor(private readonly mi: MiConnection) {}

  /** The members of the type of `expression` (whose gdb type name is `type`); undefined where gdb cannot say (no Python). */
  async members(expression: string, type: string, context: FrameContext | undefined): Promise<StructMember[] | undefined> {
    const known = cacheable(type) ? this.byType.get(type) : undefined;
    if (known) return known;
    const asked = this.ask(expression, context);
    if (cacheable(type)) {
      this.byType.set(type, asked);
      void asked.then((members) => {
        if (!members && this.byType.get(type) === asked) this.byType.delete(type);
      });
    }
    return asked;
  }

  /** A layout found wrong for a value (two types of one name): asked again for it, not kept. */
  fresh(expression: string, context: FrameContext | undefined): Promise<StructMember[] | undefined> {
    return this.ask(expression, context);
  }

  private async ask(expression: string, context: FrameContext | undefined): Promise<StructMember[] | undefined> {
    this.python ??= this.mi.send(defineCommand()).then(
      () => true,
      () => false,
    );
    if (!(await this.python)) return undefined;
    const answer = await this.mi.send(layoutCommand(expression, context)).catch(() => undefined);
    return answer ? parseStructLayout(answer.console) : undefined;
  }
}
