// gdb's print of a structure or union, split into its members: `{a = 1, b = {c = 2}, {d = 3},
// s = "x, y"}` -> a = `1`, b = `{c = 2}`, (anonymous) `{d = 3}`, s = `"x, y"`. Pure. Strings,
// character literals and <...> annotations (`<repeats 11 times>`, `<init_task+2448>`,
// `<error: Cannot access memory at address 0x10>`) are taken whole, so a comma or brace in
// them does not split. Anything else than that shape gives undefined.

export interface PrintedMember {
  /** undefined for an anonymous struct or union member (gdb prints no `name = ` for it). */
  name: string | undefined;
  /** The member's value as gdb printed it. */
  text: string;
}

export function splitPrintedStruct(printed: string): PrintedMember[] | undefined {
  const text = printed.trim();
  if (!text.startsWith('{') || !text.endsWith('}')) return undefined;
  const members: PrintedMember[] = [];
  let depth = 0;
  let start = 1;
  for (let index = 1; index < text.length - 1; index++) {
    const char = text[index]!;
    if (char === '"' || char === "'") {
      index = closing(text, index, char);
      if (index < 0) return undefined;
    } else if (char === '<') {
      const end = text.indexOf('>', index);
      // A `<` that opens no annotation is an operator in a printed expression: leave it.
      if (end > 0 && /^<[A-Za-z_]/.test(text.slice(index, index + 2))) index = end;
    } else if (char === '{') depth++;
    else if (char === '}') {
      if (--depth < 0) return undefined;
    } else if (char === ',' && depth === 0) {
      if (!add(members, text.slice(start, index))) return undefined;
      start = index + 1;
    }
  }
  if (depth !== 0) return undefined;
  const last = text.slice(start, text.length - 1);
  if (last.trim() === '') return members.length === 0 ? [] : undefined;
  return add(members, last) ? members : undefined;
}

/**
 * Adds one comma-separated part: a member, or the rest of the previous one's value where a
 * char array prints as runs (`comm = "init", '\000' <repeats 11 times>`).
 */
function add(members: PrintedMember[], part: string): boolean {
  const member = parseMember(part);
  if (member) {
    members.push(member);
    return true;
  }
  const previous = members[members.length - 1];
  if (!previous || !/^\s*["']/.test(part)) return false;
  previous.text += `,${part}`;
  return true;
}

/** The index of the quote that closes the string or character opened at `open`; -1 when none does. */
function closing(text: string, open: number, quote: string): number {
  for (let index = open + 1; index < text.length; index++) {
    if (text[index] === '\\') index++;
    else if (text[index] === quote) return index;
  }
  return -1;
}

function parseMember(part: string): PrintedMember | undefined {
  const trimmed = part.trim();
  if (trimmed === '') return undefined;
  const named = /^([A-Za-z_]\w*) = ([\s\S]*)$/.exec(trimmed);
  if (named) return { name: named[1]!, text: named[2]! };
  // An anonymous struct or union member is printed as its braces alone.
  return trimmed.startsWith('{') ? { name: undefined, text: trimmed } : undefined;
}
