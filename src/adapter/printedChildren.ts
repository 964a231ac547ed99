// A structure's children from gdb's print of it and its type's members (structLayout.ts),
// matched one to one: the same names, types and values a var-object would list, with no
// var-object. undefined when the print and the members do not line up (a pretty-printer, two
// types of one name), so the caller lists the children with var-objects instead.
import type { StructMember } from './structLayout';
import { splitPrintedStruct } from './printedValue';

export interface PrintedChild {
  /** What a var-object calls it: the member's name, `<anonymous struct>` or `<anonymous union>`. */
  exp: string;
  member: StructMember;
  /** What the Variables view shows: the printed value, or `{type}` for a struct, union or array (as --simple-values leaves them). */
  value: string;
  /** The member's own printed value (a struct's, for its own children). */
  text: string;
}

export function childrenFromPrint(printed: string, members: readonly StructMember[]): PrintedChild[] | undefined {
  const parts = splitPrintedStruct(printed);
  if (!parts || parts.length !== members.length) return undefined;
  const children: PrintedChild[] = [];
  for (const [index, member] of members.entries()) {
    const part = parts[index]!;
    if (part.name !== member.name) return undefined;
    const exp = member.name ?? (member.union ? '<anonymous union>' : '<anonymous struct>');
    const shownWhole = member.kind === 'aggregate' || member.kind === 'array';
    children.push({ exp, member, value: shownWhole ? `{${member.type}}` : part.text, text: part.text });
  }
  return children;
}

/**
 * Whether a member expands as its var-object would: a struct, union or array with members or
 * elements (a flexible array `x[]` has none), or a pointer to anything but a function or
 * void. A pointer to a type this kernel never completes (`struct bpf_run_ctx *`) expands to
 * nothing, where its var-object would not expand: telling it would cost the target type
 * lookup that made var-objects slow.
 */
export function expands(member: StructMember): boolean {
  if (member.kind === 'pointer') return true;
  if (member.kind === 'array') return member.count > 0 && !/\[\]$/.test(member.type.trim());
  return member.kind === 'aggregate' && member.count > 0;
}
