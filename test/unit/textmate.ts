// Tokenizes text with the extension's TextMate grammars the way VS Code does: vscode-textmate
// on the Oniguruma regex engine (vscode-oniguruma's onig.wasm), line by line, the rule stack
// carried from one line to the next.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as oniguruma from 'vscode-oniguruma';
import { INITIAL, parseRawGrammar, Registry, type IGrammar } from 'vscode-textmate';

const ROOT = path.join(__dirname, '..', '..');
const GRAMMARS: Record<string, string> = {
  'text.log.kernel': 'syntaxes/kernel-log.tmLanguage.json',
  'source.kconfig': 'syntaxes/kconfig.tmLanguage.json',
};

export interface Token {
  text: string;
  /** Outermost first: the grammar's scope name, then the rules' scopes. */
  scopes: string[];
}

let registry: Registry | undefined;

export async function loadGrammar(scopeName: string): Promise<IGrammar> {
  if (!registry) {
    const wasm = readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
    await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
    registry = new Registry({
      onigLib: Promise.resolve({
        createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
        createOnigString: (text: string) => new oniguruma.OnigString(text),
      }),
      loadGrammar: async (name: string) => {
        const file = GRAMMARS[name];
        return file ? parseRawGrammar(readFileSync(path.join(ROOT, file), 'utf8'), path.join(ROOT, file)) : null;
      },
    });
  }
  const grammar = await registry.loadGrammar(scopeName);
  if (!grammar) throw new Error(`no grammar ${scopeName}`);
  return grammar;
}

/** The tokens of each line of text; the state at the end of a line starts the next. */
export function tokenize(grammar: IGrammar, text: string): Token[][] {
  let state = INITIAL;
  return text.split(/\r?\n/).map((line) => {
    const result = grammar.tokenizeLine(line, state);
    state = result.ruleStack;
    return result.tokens.map((token) => ({ text: line.slice(token.startIndex, token.endIndex), scopes: token.scopes }));
  });
}

export function fixture(...parts: string[]): string {
  return readFileSync(path.join(ROOT, 'test', 'fixtures', ...parts), 'utf8');
}
