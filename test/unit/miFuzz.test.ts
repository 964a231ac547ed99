// Fuzz: the MI parser over 120,000 random, truncated and mutated lines made from the real
// transcripts in test/fixtures/mi. parseMiLine never throws, always returns a record, and a
// line that is not MI comes back as a parseError that keeps the line; the connection that
// feeds on these lines never throws either, whatever pending commands it has.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { mi } from '../../src/mi/commands';
import { MiConnection } from '../../src/mi/connection';
import { parseMiLine } from '../../src/mi/parser';
import type { MiRecord, MiValue } from '../../src/mi/records';
import { MiTuple } from '../../src/mi/records';
import { seededRandom } from '../adapter/lifecycleCycles';

const FIXTURES = path.join(__dirname, '../fixtures/mi');
const REAL = readdirSync(FIXTURES)
  .filter((file) => file.endsWith('.txt'))
  .flatMap((file) => readFileSync(path.join(FIXTURES, file), 'utf8').split('\n'))
  .filter((line) => line.length > 0);

const SIGNIFICANT = [
  '"',
  '\\',
  '{',
  '}',
  '[',
  ']',
  ',',
  '=',
  '^',
  '*',
  '+',
  '~',
  '@',
  '&',
  '\n',
  '\r',
  '\0',
  '\\0',
  '\\x',
  '\\377',
  '\u2603',
  '\uD800',
  '\uDC00',
  '(gdb)',
  '99999999999999999999',
  ' ',
];
const TYPES = new Set(['result', 'exec', 'status', 'notify', 'console', 'target', 'log', 'prompt', 'parseError']);

type Random = () => number;

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

function randomText(random: Random, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) {
    const roll = random();
    text +=
      roll < 0.5
        ? pick(random, SIGNIFICANT)
        : roll < 0.9
          ? String.fromCharCode(32 + Math.floor(random() * 95))
          : String.fromCharCode(Math.floor(random() * 0x3000));
  }
  return text;
}

function mutate(random: Random, line: string): string {
  const at = () => Math.floor(random() * (line.length + 1));
  switch (Math.floor(random() * 9)) {
    case 0:
      return line.slice(0, at()); // truncated (gdb killed mid-line, a short read)
    case 1:
      return line.slice(at());
    case 2: {
      const i = at();
      return line.slice(0, i) + pick(random, SIGNIFICANT) + line.slice(i);
    }
    case 3: {
      const i = at();
      return line.slice(0, i) + line.slice(i + 1 + Math.floor(random() * 5));
    }
    case 4: {
      const i = at();
      return line.slice(0, i) + randomText(random, 1 + Math.floor(random() * 4)) + line.slice(i + 1);
    }
    case 5:
      return line + pick(random, REAL); // two lines run together
    case 6:
      return `${Math.floor(random() * 1e6)}${line.replace(/^\d+/, '')}`; // another token
    case 7: {
      // the same structure, repeated (large results)
      const i = at();
      const j = Math.min(line.length, i + Math.floor(random() * 200));
      return line.slice(0, j) + line.slice(i, j).repeat(1 + Math.floor(random() * 20)) + line.slice(j);
    }
    default:
      return randomText(random, Math.floor(random() * 120));
  }
}

function checkValue(value: MiValue): void {
  if (typeof value === 'string') return;
  if (Array.isArray(value)) return value.forEach(checkValue);
  assert.ok(value instanceof MiTuple);
  Object.values(value.fields).forEach(checkValue);
}

function checkRecord(line: string, record: MiRecord): void {
  assert.ok(record && TYPES.has(record.type), `no record for ${JSON.stringify(line)}`);
  if (record.type === 'parseError') {
    assert.equal(record.line, line);
    assert.ok(record.message.length > 0);
  } else if (record.type === 'result' || record.type === 'exec' || record.type === 'status' || record.type === 'notify') {
    checkValue(record.results);
  } else if (record.type === 'console' || record.type === 'target' || record.type === 'log') {
    assert.equal(typeof record.text, 'string');
  }
}

test('every real transcript line parses (the fuzz starts from valid MI)', () => {
  assert.ok(REAL.length > 300, `${REAL.length} lines`);
  for (const line of REAL) assert.notEqual(parseMiLine(line).type, 'parseError', line);
});

test('120,000 random, truncated and mutated MI lines: never throws, always a record', () => {
  const random = seededRandom(2024);
  let parseErrors = 0;
  let slowest = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < 120_000; i++) {
    let line = pick(random, REAL);
    for (let n = 1 + Math.floor(random() * 3); n > 0; n--) line = mutate(random, line);
    const before = process.hrtime.bigint();
    let record: MiRecord;
    try {
      record = parseMiLine(line);
    } catch (error) {
      assert.fail(`parseMiLine threw ${String(error)} for ${JSON.stringify(line).slice(0, 400)}`);
    }
    slowest = Math.max(slowest, Number(process.hrtime.bigint() - before) / 1e6);
    checkRecord(line, record);
    if (record.type === 'parseError') parseErrors++;
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  console.log(`120000 fuzzed MI lines in ${ms.toFixed(0)} ms: ${parseErrors} parse errors, slowest line ${slowest.toFixed(2)} ms`);
  assert.ok(parseErrors > 10_000, 'the mutations do produce invalid lines');
});

test('pathological lines: deep nesting, huge lines, long tokens, lone surrogates', () => {
  const cases = [
    `^done,a=${'['.repeat(200_000)}`,
    `^done,a=${'{b='.repeat(100_000)}"x"${'}'.repeat(100_000)}`,
    `^done,${Array.from({ length: 50_000 }, (_, i) => `f${i}="${'v'.repeat(10)}"`).join(',')}`,
    `~"${'\\\\'.repeat(200_000)}"`,
    `${'9'.repeat(1000)}^done`,
    '~"\uD800\uDFFF\uDC00"',
    '^done,__proto__={polluted="yes"},constructor="x",hasOwnProperty="y"',
    '',
    '\r',
  ];
  for (const line of cases) {
    const started = Date.now();
    const record = parseMiLine(line);
    checkRecord(line, record);
    assert.ok(Date.now() - started < 2000, `${Date.now() - started} ms for a ${line.length}-char line`);
  }
  const proto = parseMiLine(cases[6]!);
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution');
  if (proto.type === 'result') assert.equal(proto.results.optStr('hasOwnProperty'), 'y');
});

test('the MI connection takes 20,000 mutated lines with commands pending and never throws', async () => {
  const random = seededRandom(99);
  const connection = new MiConnection(() => undefined);
  const settled: Array<Promise<unknown>> = [];
  for (let i = 0; i < 200; i++) settled.push(connection.send(mi.threadInfo()).catch(() => undefined));
  let events = 0;
  for (const name of ['exec', 'notify', 'status', 'stream', 'parseError'] as const) connection.on(name, () => events++);
  for (let i = 0; i < 20_000; i++) {
    let line = pick(random, REAL).replace(/^\d+/, () => String(1 + Math.floor(random() * 220)));
    if (random() < 0.7) line = mutate(random, line);
    connection.handleLine(line);
  }
  connection.close('test over');
  await Promise.all(settled);
  assert.ok(events > 1000);
});
