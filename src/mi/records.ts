// Typed gdb/MI output records. Values are read through typed getters that name the
// missing or mistyped field, so a format surprise reads as one clear error.

export type MiValue = string | MiTuple | MiValue[];

export class MiFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MiFormatError';
  }
}

export class MiTuple {
  constructor(readonly fields: Readonly<Record<string, MiValue>> = {}) {}

  has(key: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.fields, key);
  }

  get(key: string): MiValue | undefined {
    return this.has(key) ? this.fields[key] : undefined;
  }

  str(key: string): string {
    const value = this.get(key);
    if (typeof value !== 'string') throw new MiFormatError(`MI field '${key}' is ${describe(value)}, expected a string`);
    return value;
  }

  optStr(key: string): string | undefined {
    const value = this.get(key);
    return typeof value === 'string' ? value : undefined;
  }

  int(key: string): number {
    const text = this.str(key);
    const value = Number.parseInt(text, 10);
    if (!Number.isFinite(value)) throw new MiFormatError(`MI field '${key}' is '${text}', expected an integer`);
    return value;
  }

  optInt(key: string): number | undefined {
    return this.has(key) ? this.int(key) : undefined;
  }

  tuple(key: string): MiTuple {
    const value = this.get(key);
    if (!(value instanceof MiTuple)) throw new MiFormatError(`MI field '${key}' is ${describe(value)}, expected a tuple`);
    return value;
  }

  optTuple(key: string): MiTuple | undefined {
    const value = this.get(key);
    return value instanceof MiTuple ? value : undefined;
  }

  list(key: string): MiValue[] {
    const value = this.get(key);
    if (!Array.isArray(value)) throw new MiFormatError(`MI field '${key}' is ${describe(value)}, expected a list`);
    return value;
  }

  /** A list whose elements are tuples (e.g. stack=[frame={...},...]); absent means empty. */
  tuples(key: string): MiTuple[] {
    if (!this.has(key)) return [];
    return this.list(key).map((item, index) => {
      if (!(item instanceof MiTuple)) throw new MiFormatError(`MI field '${key}[${index}]' is ${describe(item)}, expected a tuple`);
      return item;
    });
  }

  /** A list whose elements are strings (e.g. register-names=["rax",...]); absent means empty. */
  strings(key: string): string[] {
    if (!this.has(key)) return [];
    return this.list(key).map((item, index) => {
      if (typeof item !== 'string') throw new MiFormatError(`MI field '${key}[${index}]' is ${describe(item)}, expected a string`);
      return item;
    });
  }
}

function describe(value: MiValue | undefined): string {
  if (value === undefined) return 'missing';
  if (typeof value === 'string') return `the string '${value}'`;
  return Array.isArray(value) ? 'a list' : 'a tuple';
}

export type ResultClass = 'done' | 'running' | 'connected' | 'error' | 'exit';

export interface ResultRecord {
  type: 'result';
  token?: number;
  resultClass: ResultClass;
  results: MiTuple;
}

/** `*` exec, `+` status and `=` notify async records. */
export interface AsyncRecord {
  type: 'exec' | 'status' | 'notify';
  token?: number;
  asyncClass: string;
  results: MiTuple;
}

/** `~` console, `@` target and `&` log stream records. */
export interface StreamRecord {
  type: 'console' | 'target' | 'log';
  text: string;
}

export interface PromptRecord {
  type: 'prompt';
}

/** A line that is not valid MI: kept, never thrown. */
export interface ParseErrorRecord {
  type: 'parseError';
  line: string;
  message: string;
}

export type MiRecord = ResultRecord | AsyncRecord | StreamRecord | PromptRecord | ParseErrorRecord;
