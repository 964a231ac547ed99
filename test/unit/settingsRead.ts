// Which contributed settings no source reads: a read is `getConfiguration(<kernelQemu>…).get('name'`
// or `<variable>.get('name'` on a variable assigned such a getConfiguration in the same file
// (<kernelQemu> is the literal or SETTINGS_SECTION). Used by manifest.test.ts.

/** The call, with an optional scope argument (a folder, a uri) that holds no call itself. */
const SECTION = String.raw`getConfiguration\(\s*(?:SETTINGS_SECTION|'kernelQemu')\s*(?:,[^()]*)?\)`;
const GET = String.raw`\.get(?:<[^>]*>)?\(\s*'([\w.]+)'`;

export interface Source {
  file: string;
  text: string;
}

/** The names (without `kernelQemu.`) that a file reads from the kernelQemu configuration. */
export function settingsRead(text: string): Set<string> {
  const read = new Set<string>();
  for (const match of text.matchAll(new RegExp(`${SECTION}${GET}`, 'g'))) read.add(match[1]!);
  for (const assignment of text.matchAll(
    new RegExp(String.raw`(?:const|let)\s+(\w+)\s*=\s*(?:vscode\.)?(?:workspace\.)?${SECTION}`, 'g'),
  )) {
    const variable = assignment[1]!;
    for (const match of text.matchAll(new RegExp(String.raw`\b${variable}${GET}`, 'g'))) read.add(match[1]!);
  }
  return read;
}

/** The keys of `keys` (full `kernelQemu.x` names) that no source reads. */
export function unreadSettings(keys: readonly string[], sources: readonly Source[]): string[] {
  const read = new Set(sources.flatMap(({ text }) => [...settingsRead(text)]));
  return keys.filter((key) => !read.has(key.replace(/^kernelQemu\./, '')));
}
