// The Registers scope, grouped the way a kernel developer reads them (general, segment,
// control/system, float, vector, SVE) instead of one flat list of hundreds. gdb's own
// register groups say which registers are raw (group "all") and which are float/vector/
// system; QEMU's x86 target description puts everything in one feature, so names decide
// the rest.
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { GuestArch } from '../arch';
import { mi, type FrameContext } from '../mi/commands';
import type { MiConnection } from '../mi/connection';

export interface RegisterInfo {
  number: number;
  name: string;
  groups: readonly string[];
}

export interface RegisterGroup {
  name: string;
  registers: RegisterInfo[];
}

/** Parses `maint print register-groups`: " Name Nr Rel Offset Size Type Groups". */
export function parseRegisterGroups(text: string): RegisterInfo[] {
  const registers: RegisterInfo[] = [];
  for (const line of text.split('\n')) {
    const match = /^\s*(\S+)\s+(\d+)\s+\d+\s+\d+\s+\d+\s+\S+\s*(\S*)\s*$/.exec(line);
    if (!match || match[1] === "''" || match[1] === 'Name') continue;
    registers.push({ name: match[1]!, number: Number(match[2]), groups: match[3] ? match[3].split(',') : [] });
  }
  return registers;
}

interface Rule {
  group: string;
  test: (register: RegisterInfo) => boolean;
}

const byName = (pattern: RegExp) => (register: RegisterInfo) => pattern.test(register.name);
const inGroup = (group: string) => (register: RegisterInfo) => register.groups.includes(group);

const RULES: Readonly<Record<GuestArch, readonly Rule[]>> = {
  x86_64: [
    { group: 'General', test: byName(/^(r[a-d]x|r[sd]i|r[bs]p|r(8|9|1[0-5])|rip|eflags)$/) },
    { group: 'Segment', test: byName(/^(cs|ss|ds|es|fs|gs|fs_base|gs_base|k_gs_base)$/) },
    { group: 'Control', test: byName(/^(cr\d+|efer|dr\d+)$/) },
    { group: 'Vector', test: (register) => /^(xmm|ymm|zmm|k[0-7]$|mxcsr)/.test(register.name) || inGroup('vector')(register) },
    { group: 'Floating point', test: inGroup('float') },
    { group: 'System', test: inGroup('system') },
  ],
  aarch64: [
    { group: 'General', test: byName(/^(x\d+|sp|pc|cpsr)$/) },
    { group: 'SVE', test: byName(/^(z\d+|p\d+|ffr|vg)$/) },
    {
      group: 'Floating point / SIMD',
      test: (register) => /^(v\d+|fpsr|fpcr)$/.test(register.name) || inGroup('float')(register) || inGroup('vector')(register),
    },
    { group: 'System', test: (register) => inGroup('system')(register) || inGroup('cp_regs')(register) },
  ],
};

export function groupRegisters(arch: GuestArch, registers: readonly RegisterInfo[]): RegisterGroup[] {
  const rules = RULES[arch];
  const groups = new Map<string, RegisterInfo[]>([...rules.map((rule): [string, RegisterInfo[]] => [rule.group, []]), ['Other', []]]);
  for (const register of registers) {
    // Raw registers are in gdb's "all" group; pseudo ones (eax, al, w0...) are views of them.
    if (!register.groups.includes('all')) continue;
    const rule = rules.find((candidate) => candidate.test(register));
    groups.get(rule?.group ?? 'Other')!.push(register);
  }
  return [...groups.entries()].filter(([, members]) => members.length > 0).map(([name, members]) => ({ name, registers: members }));
}

/** The Registers scope's reads: the groups (asked of gdb once a session) and a group's values at a frame. */
export class RegisterReader {
  private registerGroups: Promise<RegisterGroup[]> | undefined;

  constructor(
    private readonly connection: MiConnection,
    private readonly arch: GuestArch,
  ) {}

  groups(): Promise<RegisterGroup[]> {
    this.registerGroups ??= this.connection
      .send(mi.consoleCommand('maint print register-groups'))
      .then((result) => groupRegisters(this.arch, parseRegisterGroups(result.console)));
    return this.registerGroups;
  }

  async values(context: FrameContext, group: RegisterGroup): Promise<DebugProtocol.Variable[]> {
    const numbers = group.registers.map((register) => register.number);
    const result = await this.connection.send(mi.listRegisterValues(context, 'x', numbers));
    const names = new Map(group.registers.map((register) => [register.number, register.name]));
    return result.results.tuples('register-values').flatMap((register) => {
      const name = names.get(register.int('number'));
      return name ? [{ name, value: register.str('value'), variablesReference: 0, evaluateName: `$${name}` }] : [];
    });
  }
}
