// Random malformed kernel-qemu launch configurations: a valid base with one or more faults
// (wrong types, missing or empty required keys, bad enums and numbers, missing or odd paths,
// NUL bytes, bad nested values) plus harmless noise. Each generated config is invalid by
// construction, so the adapter must refuse it with a named error before starting anything.
import { launchSchema, type PropertySchema, type SchemaType } from '../../src/adapter/launchArgs';

export interface FuzzBase {
  program: string;
  kernel: string;
  initrd: string;
  /** A directory (to put where a file is expected). */
  dir: string;
  /** An existing file that is not an ELF. */
  notElf: string;
}

export interface FuzzCase {
  config: unknown;
  faults: string[];
}

type Random = () => number;

const WEIRD_TEXT = [
  '',
  ' ',
  '\n',
  'a;b',
  '$(touch /tmp/kq-pwned)',
  '`id`',
  "it's",
  '"q"',
  'ünïcødé ☃',
  '../../..',
  '-S',
  '--help',
  'x'.repeat(5000),
  '%s%n',
  '\\',
];
const OTHER_TYPES: unknown[] = [0, -1, 1.5, 1e308, true, false, [], ['x'], {}, { a: 1 }, 'text', ''];

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

function isOfType(type: SchemaType, value: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'integer':
    case 'number':
      return typeof value === 'number';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && !Array.isArray(value);
  }
}

function wrongTypeFor(random: Random, property: PropertySchema): unknown {
  const types: readonly SchemaType[] = typeof property.type === 'string' ? [property.type] : property.type;
  return pick(
    random,
    OTHER_TYPES.filter((value) => !types.some((type) => isOfType(type, value))),
  );
}

const PATH_KEYS = ['program', 'kernel', 'initrd', 'rootfs'] as const;

/** One fault; mutates `config` and returns its name. */
function applyFault(random: Random, config: Record<string, unknown>, base: FuzzBase): string {
  const keys = Object.keys(launchSchema.properties) as Array<keyof typeof launchSchema.properties>;
  switch (Math.floor(random() * 14)) {
    case 0: {
      const key = pick(random, launchSchema.required);
      delete config[key];
      return `missing ${key}`;
    }
    case 1: {
      const key = pick(random, launchSchema.required);
      config[key] = pick(random, ['', '   ', '\t']);
      return `empty ${key}`;
    }
    case 2:
    case 3: {
      const key = pick(random, keys);
      config[key] = wrongTypeFor(random, launchSchema.properties[key]);
      return `wrong type for ${key}`;
    }
    case 4: {
      const key = pick(random, ['arch', 'accel'] as const);
      config[key] = pick(random, ['X86_64', 'arm64', 'riscv64', 'hvf', 'whpx', 'kvm ', ...WEIRD_TEXT.filter((text) => text !== '')]);
      return `bad enum for ${key}`;
    }
    case 5: {
      const key = pick(random, ['memory', 'smp'] as const);
      config[key] = pick(random, [0, -1, -512, 1.5, 63.9, 2 ** 40, Number.MAX_SAFE_INTEGER]);
      if (key === 'memory' && config[key] === 0) config[key] = 63;
      return `bad number for ${key}`;
    }
    case 6: {
      const key = pick(random, PATH_KEYS);
      config[key] = `/nonexistent/${pick(random, WEIRD_TEXT)}/${key}`;
      return `missing file for ${key}`;
    }
    case 7: {
      const key = pick(random, PATH_KEYS);
      config[key] = base.dir;
      return `directory for ${key}`;
    }
    case 8: {
      config.program = pick(random, [base.notElf, base.kernel]);
      return 'program is not an ELF vmlinux';
    }
    case 9: {
      const key = pick(random, ['program', 'kernel', 'append', 'cpu', 'machine', 'cwd', 'qemuPath'] as const);
      config[key] = `${typeof config[key] === 'string' ? config[key] : 'x'}\0tail`;
      return `NUL in ${key}`;
    }
    case 10: {
      const key = pick(random, ['qemuPath', 'gdbPath'] as const);
      config[key] = pick(random, ['qemu-system-nonexistent', '/nonexistent/gdb', 'gdb;rm -rf /', '$(id)']);
      return `tool not found for ${key}`;
    }
    case 11: {
      const which = Math.floor(random() * 6);
      if (which === 0) config.hardwareBreakpoints = { require: pick(random, ['yes', 1, {}, []]) };
      else if (which === 1) config.hardwareBreakpoints = { limit: pick(random, [-1, 1.5, '4', {}, 1e9]) };
      else if (which === 2) config.sourceFileMap = { '/build': pick(random, [1, null, true, ['x'], {}]) };
      else if (which === 3) config.setupCommands = [{ text: 'set pagination off', ignoreFailures: pick(random, ['yes', 0, []]) }];
      else if (which === 4) config.setupCommands = [pick(random, [null, 'text', 3, { description: 'no text' }, { text: 7 }])];
      else config.serverArgs = ['-smp', pick(random, [2, null, {}, ['x'], 'ok\0'])];
      return 'bad nested value';
    }
    case 12: {
      config.snapshot = pick(random, ['boot', 'x', ...WEIRD_TEXT.filter((text) => text.trim() !== '')]);
      delete config.rootfs;
      delete config.stateDisk;
      return 'snapshot without storage';
    }
    default: {
      config.arch = 'aarch64'; // the base program is an x86_64 vmlinux
      delete config.qemuPath;
      return 'arch does not match the vmlinux';
    }
  }
}

/** Valid extras: they must not rescue an invalid config nor break a check. */
function applyNoise(random: Random, config: Record<string, unknown>, touched: ReadonlySet<string>): void {
  const noise: Array<[string, () => unknown]> = [
    [`unknownKey${Math.floor(random() * 100)}`, () => pick(random, OTHER_TYPES)],
    ['append', () => pick(random, WEIRD_TEXT)],
    ['memory', () => pick(random, [64, 256, 1024])],
    ['smp', () => pick(random, [1, 2, 4])],
    ['trace', () => random() < 0.5],
    ['stopAtEntry', () => random() < 0.5],
    ['name', () => pick(random, WEIRD_TEXT)],
  ];
  for (let i = Math.floor(random() * 3); i > 0; i--) {
    const [key, value] = pick(random, noise);
    if (!touched.has(key)) config[key] = value();
  }
}

export function fuzzConfig(random: Random, base: FuzzBase): FuzzCase {
  const roll = random();
  if (roll < 0.04) {
    // Not an object at all (DAP arguments are whatever the client sent).
    return { config: pick(random, [null, [], 'launch', 42, true, [{ program: base.program }]]), faults: ['not an object'] };
  }
  const config: Record<string, unknown> = {
    type: 'kernel-qemu',
    request: 'launch',
    name: 'fuzz',
    program: base.program,
    kernel: base.kernel,
    initrd: base.initrd,
    accel: 'tcg',
  };
  const before = { ...config };
  const faults: string[] = [];
  for (let i = 1 + Math.floor(random() * 3); i > 0; i--) faults.push(applyFault(random, config, base));
  const touched = new Set([...Object.keys(before), ...Object.keys(config)].filter((key) => !Object.is(before[key], config[key])));
  applyNoise(random, config, touched);
  return { config, faults };
}
