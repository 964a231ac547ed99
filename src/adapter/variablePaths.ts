// C expressions and addresses of the values the Variables view shows: a child's expression
// from its parent's, and the address a pointer's printed value holds. Pure.
import type { MiTuple } from '../mi/records';

/** A value's C expression and gdb's name for its type. */
export interface VariablePath {
  expression: string;
  type: string | undefined;
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
  if (/^<anonymous (struct|union)>$/.test(exp))
    return { expression: /\*$/.test(parentType) ? `(*(${parent.expression}))` : parent.expression, type };
  if (/\]$/.test(parentType) && /^\d+$/.test(exp)) return { expression: `(${parent.expression})[${exp}]`, type };
  if (exp.startsWith('*')) return { expression: `*(${parent.expression})`, type };
  if (!/^[A-Za-z_]\w*$/.test(exp)) return undefined;
  return { expression: /\*$/.test(parentType) ? `(${parent.expression})->${exp}` : `(${parent.expression}).${exp}`, type };
}

/** `char *`, `const char *`, `unsigned char *` (gcc drops `__user`: the address tells user from kernel). */
export function isCharPointer(type: string | undefined): boolean {
  return type !== undefined && /^(?:const\s+|volatile\s+)*(?:(?:un)?signed\s+)?char\s*(?:const\s*)?\*$/.test(type.trim());
}

export function isExpandablePointer(type: string | undefined): boolean {
  return type !== undefined && /\*\s*$/.test(type) && !/^(const )?(unsigned )?char \*/.test(type) && !/void \*$/.test(type);
}

/** The address a pointer value holds ("0xffff... <sym>" or "0x7ffd... \"/init\""), as a memoryReference. */
export function pointerValue(value: string, type: string | undefined): string | undefined {
  if (!type || !/\*\s*$/.test(type)) return undefined;
  const match = /^(?:\([^)]*\)\s*)?(0x[0-9a-f]+)/i.exec(value);
  return match ? match[1] : undefined;
}
