// A parser for one line of gdb/MI output, following the grammar in gdb's manual
// ("GDB/MI Output Syntax"). It never throws: anything that is not MI becomes a
// parseError record that keeps the line.
import { MiTuple, type MiRecord, type MiValue, type ResultClass } from './records';

const RESULT_CLASSES: ReadonlySet<string> = new Set(['done', 'running', 'connected', 'error', 'exit']);

class ParseFailure extends Error {}

class Cursor {
  pos = 0;
  constructor(readonly text: string) {}

  peek(): string {
    return this.text[this.pos] ?? '';
  }

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  expect(char: string): void {
    if (this.text[this.pos] !== char) {
      throw new ParseFailure(`expected '${char}' at column ${this.pos}, found ${this.atEnd() ? 'end of line' : `'${this.peek()}'`}`);
    }
    this.pos++;
  }
}

export function parseMiLine(rawLine: string): MiRecord {
  const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
  try {
    return parseRecord(line);
  } catch (error) {
    const message = error instanceof ParseFailure ? error.message : `parser error: ${String(error)}`;
    return { type: 'parseError', line: rawLine, message };
  }
}

function parseRecord(line: string): MiRecord {
  if (line === '(gdb)' || line === '(gdb) ') return { type: 'prompt' };
  const cursor = new Cursor(line);
  const tokenText = /^\d*/.exec(line)![0];
  cursor.pos = tokenText.length;
  const token = tokenText.length > 0 && tokenText.length <= 15 ? Number(tokenText) : undefined;
  if (tokenText.length > 15) throw new ParseFailure('token too long');
  const marker = cursor.peek();
  cursor.pos++;
  switch (marker) {
    case '^': {
      const resultClass = readIdentifier(cursor);
      if (!RESULT_CLASSES.has(resultClass)) throw new ParseFailure(`unknown result class '${resultClass}'`);
      const results = readResults(cursor);
      return withToken({ type: 'result', resultClass: resultClass as ResultClass, results }, token);
    }
    case '*':
    case '+':
    case '=': {
      const asyncClass = readIdentifier(cursor);
      if (asyncClass.length === 0) throw new ParseFailure('missing async class');
      const results = readResults(cursor);
      const type = marker === '*' ? 'exec' : marker === '+' ? 'status' : 'notify';
      return withToken({ type, asyncClass, results }, token);
    }
    case '~':
    case '@':
    case '&': {
      if (token !== undefined) throw new ParseFailure('stream records carry no token');
      const text = readCString(cursor);
      if (!cursor.atEnd()) throw new ParseFailure(`trailing text at column ${cursor.pos}`);
      return { type: marker === '~' ? 'console' : marker === '@' ? 'target' : 'log', text };
    }
    default:
      throw new ParseFailure(marker === '' ? 'empty line' : `not an MI record (starts with '${marker}')`);
  }
}

function withToken<T extends object>(record: T, token: number | undefined): T & { token?: number } {
  return token === undefined ? record : { ...record, token };
}

/** Sticky: matched where the cursor is, without copying the rest of a long line (a 60 KB disassembly). */
const IDENTIFIER = /[A-Za-z_][\w-]*/y;

function readIdentifier(cursor: Cursor): string {
  IDENTIFIER.lastIndex = cursor.pos;
  const match = IDENTIFIER.exec(cursor.text);
  if (!match) return '';
  cursor.pos += match[0].length;
  return match[0];
}

/** ( "," result )* up to the end of the line. */
function readResults(cursor: Cursor): MiTuple {
  const fields: Record<string, MiValue> = {};
  while (!cursor.atEnd()) {
    cursor.expect(',');
    const [name, value] = readResult(cursor);
    fields[name] = value;
  }
  return new MiTuple(fields);
}

function readResult(cursor: Cursor): [string, MiValue] {
  const name = readIdentifier(cursor);
  if (name.length === 0) throw new ParseFailure(`expected a result name at column ${cursor.pos}`);
  cursor.expect('=');
  return [name, readValue(cursor)];
}

function readValue(cursor: Cursor): MiValue {
  switch (cursor.peek()) {
    case '"':
      return readCString(cursor);
    case '{':
      return readTuple(cursor);
    case '[':
      return readList(cursor);
    default:
      throw new ParseFailure(`expected a value at column ${cursor.pos}`);
  }
}

function readTuple(cursor: Cursor): MiTuple {
  cursor.expect('{');
  const fields: Record<string, MiValue> = {};
  if (cursor.peek() === '}') {
    cursor.pos++;
    return new MiTuple(fields);
  }
  for (;;) {
    const [name, value] = readResult(cursor);
    fields[name] = value;
    if (cursor.peek() === '}') {
      cursor.pos++;
      return new MiTuple(fields);
    }
    cursor.expect(',');
  }
}

/** A list of values, or of results whose names are dropped (they repeat: frame=,frame=). */
function readList(cursor: Cursor): MiValue[] {
  cursor.expect('[');
  const items: MiValue[] = [];
  if (cursor.peek() === ']') {
    cursor.pos++;
    return items;
  }
  for (;;) {
    const next = cursor.peek();
    items.push(next === '"' || next === '{' || next === '[' ? readValue(cursor) : readResult(cursor)[1]);
    if (cursor.peek() === ']') {
      cursor.pos++;
      return items;
    }
    cursor.expect(',');
  }
}

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = {
  n: 0x0a,
  t: 0x09,
  r: 0x0d,
  '"': 0x22,
  '\\': 0x5c,
  "'": 0x27,
  a: 0x07,
  b: 0x08,
  f: 0x0c,
  v: 0x0b,
  e: 0x1b,
};

/**
 * A C string; octal escapes are bytes, so the result is decoded as UTF-8. The runs between
 * escapes are taken whole (an 8 KiB memory read is one run): per character, parsing was
 * most of what a readMemory or disassemble request cost beyond gdb.
 */
function readCString(cursor: Cursor): string {
  cursor.expect('"');
  const text = cursor.text;
  const parts: Array<string | number[]> = [];
  let escaped = false;
  for (;;) {
    const quote = text.indexOf('"', cursor.pos);
    const backslash = text.indexOf('\\', cursor.pos);
    if (quote < 0 && backslash < 0) throw new ParseFailure('unterminated string');
    if (backslash < 0 || (quote >= 0 && quote < backslash)) {
      parts.push(text.slice(cursor.pos, quote));
      cursor.pos = quote + 1;
      break;
    }
    if (backslash > cursor.pos) parts.push(text.slice(cursor.pos, backslash));
    cursor.pos = backslash + 1;
    if (cursor.atEnd()) throw new ParseFailure('unterminated escape');
    escaped = true;
    parts.push(readEscape(cursor));
  }
  if (!escaped) return parts[0] as string;
  return Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : Buffer.from(part)))).toString('utf8');
}

/** The bytes of one escape, the cursor just after its backslash. */
function readEscape(cursor: Cursor): number[] {
  const text = cursor.text;
  const escape = text.codePointAt(cursor.pos)!;
  const char = String.fromCodePoint(escape);
  const octal = /^[0-7]{1,3}/.exec(text.slice(cursor.pos, cursor.pos + 3));
  if (octal) {
    cursor.pos += octal[0].length;
    return [Number.parseInt(octal[0], 8) & 0xff];
  }
  cursor.pos += char.length;
  if (char in SIMPLE_ESCAPES) return [SIMPLE_ESCAPES[char]!];
  return [...Buffer.from(char, 'utf8')];
}
