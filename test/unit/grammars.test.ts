// The kernel-log and Kconfig grammars tokenize fixture files as VS Code does (vscode-textmate on
// Oniguruma, line by line with the rule stack carried over): each line's scoped tokens are
// compared whole, so a missing, extra or misplaced scope fails.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { IGrammar } from 'vscode-textmate';
import { fixture, loadGrammar, tokenize, type Token } from './textmate';

const TS = 'constant.numeric.timestamp.kernel';
const LEVEL = 'keyword.other.level.kernel';
const PANIC = 'invalid.illegal.panic.kernel';
const FN = 'entity.name.function.kernel';
const OFF = 'constant.numeric.offset.kernel';
const SIZE = 'constant.numeric.size.kernel';
const ADDR = 'constant.numeric.address.kernel';
const MOD = 'entity.name.namespace.module.kernel';

let kernelLog: IGrammar;
let kconfig: IGrammar;
before(async () => {
  kernelLog = await loadGrammar('text.log.kernel');
  kconfig = await loadGrammar('source.kconfig');
});

/** The tokens that have a scope besides the grammar's own: [text, scopes inner to the root]. */
function scoped(tokens: Token[]): [string, string][] {
  return tokens.filter((token) => token.scopes.length > 1).map((token) => [token.text, token.scopes.slice(1).join(' ')]);
}

/** The scoped tokens of the first line of the tokenized file that contains text (or matches it). */
function lineWith(lines: Token[][], text: string | RegExp): [string, string][] {
  const line = lines.find((tokens) => {
    const joined = tokens.map((token) => token.text).join('');
    return typeof text === 'string' ? joined.includes(text) : text.test(joined);
  });
  assert.ok(line, `no line with ${String(text)}`);
  return scoped(line);
}

const frame = (fn: string, offset: string, size: string): [string, string][] => [
  [fn, FN],
  [offset, OFF],
  [size, SIZE],
];

test('panic.log: timestamps, the panic line, call trace frames, user RIP, registers, end marker', () => {
  const lines = tokenize(kernelLog, fixture('logs', 'panic.log'));
  for (const line of lines.filter((tokens) => tokens.length > 1 || tokens[0]?.text)) {
    assert.equal(scoped(line)[0]?.[1], TS, `a timestamp opens ${JSON.stringify(line.map((token) => token.text).join(''))}`);
  }
  assert.deepEqual(lineWith(lines, 'Kernel panic - not syncing: sysrq'), [
    ['[    5.103410]', TS],
    ['Kernel panic - not syncing:', PANIC],
  ]);
  assert.deepEqual(lineWith(lines, 'Comm: sh Not tainted'), [['[    5.104012]', TS]]);
  assert.deepEqual(lineWith(lines, 'Call Trace:'), [
    ['[    5.104801]', TS],
    ['Call Trace:', PANIC],
  ]);
  assert.deepEqual(lineWith(lines, '<TASK>'), [['[    5.105002]', TS]]);
  assert.deepEqual(lineWith(lines, 'sysrq_handle_crash+'), [['[    5.105672]', TS], ...frame('sysrq_handle_crash', '0x16', '0x20')]);
  assert.deepEqual(lineWith(lines, '__handle_sysrq'), [['[    5.105913]', TS], ...frame('__handle_sysrq.cold', '0x43', '0x11b')]);
  assert.deepEqual(lineWith(lines, '? do_filp_open'), [['[    5.106851]', TS], ...frame('do_filp_open', '0xaf', '0x160')]);
  assert.deepEqual(
    lineWith(lines, 'RIP: 0033'),
    [
      ['[    5.108050]', TS],
      ['RIP:', PANIC],
    ],
    'a user-space RIP is no kernel address',
  );
  assert.deepEqual(lineWith(lines, 'Code: 40 00'), [
    ['[    5.108331]', TS],
    ['Code:', PANIC],
  ]);
  assert.deepEqual(lineWith(lines, 'RSP: 002b'), [['[    5.108912]', TS]]);
  assert.deepEqual(lineWith(lines, 'RAX: ffffffffffffffda'), [
    ['[    5.109288]', TS],
    ['ffffffffffffffda', ADDR],
  ]);
  assert.deepEqual(lineWith(lines, '---[ end Kernel panic'), [
    ['[    5.111790]', TS],
    ['---[ end Kernel panic - not syncing: sysrq triggered crash ]---', PANIC],
  ]);
});

test('oops.log: a WARNING and an Oops with kernel RIPs, module frames, addresses and end-of-trace markers', () => {
  const lines = tokenize(kernelLog, fixture('logs', 'oops.log'));
  assert.deepEqual(lineWith(lines, 'WARNING: CPU: 1'), [
    ['[   42.318730]', TS],
    ['WARNING:', PANIC],
    ...frame('__flush_work', '0x2e1', '0x300'),
  ]);
  assert.deepEqual(lineWith(lines, 'Modules linked in'), [['[   42.319512]', TS]]);
  assert.deepEqual(lineWith(lines, 'RIP: 0010:__flush_work'), [
    ['[   42.321107]', TS],
    ['RIP:', PANIC],
    ...frame('__flush_work', '0x2e1', '0x300'),
  ]);
  assert.deepEqual(lineWith(lines, 'RSP: 0018:ffffb4c0c0a47c60'), [
    ['[   42.321622]', TS],
    ['ffffb4c0c0a47c60', ADDR],
  ]);
  assert.deepEqual(lineWith(lines, ' kq_demo_init+0x2a'), [
    ['[   42.322905]', TS],
    ...frame('kq_demo_init', '0x2a', '0x1000'),
    ['[kq_demo]', MOD],
  ]);
  assert.deepEqual(lineWith(lines, '---[ end trace'), [
    ['[   42.323813]', TS],
    ['---[ end trace 0000000000000000 ]---', PANIC],
  ]);
  assert.deepEqual(lineWith(lines, 'BUG: kernel NULL'), [
    ['[   42.324411]', TS],
    ['BUG:', PANIC],
  ]);
  assert.deepEqual(lineWith(lines, 'Oops: 0002'), [
    ['[   42.326231]', TS],
    ['Oops:', PANIC],
  ]);
  assert.deepEqual(lineWith(lines, 'Tainted: G        W'), [['[   42.326650]', TS]]);
  assert.deepEqual(lineWith(lines, 'RIP: 0010:kq_demo_init'), [
    ['[   42.327513]', TS],
    ['RIP:', PANIC],
    ...frame('kq_demo_init', '0x3f', '0x1000'),
    ['[kq_demo]', MOD],
  ]);
  assert.deepEqual(lineWith(lines, 'RDX: '), [
    ['[   42.330115]', TS],
    ['ffff9d5a7dd1f4e0', ADDR],
    ['ffff9d5a7dd1f4e0', ADDR],
  ]);
  assert.deepEqual(lineWith(lines, 'CR2: '), [['[   42.335002]', TS]]);
  assert.deepEqual(scoped(lines.at(-2)!), [
    ['[   42.335291]', TS],
    ['---[ end trace 0000000000000000 ]---', PANIC],
  ]);
});

test('boot-raw.log (dmesg -r): the <level> prefix, facility included, then the timestamp', () => {
  const lines = tokenize(kernelLog, fixture('logs', 'boot-raw.log'));
  assert.deepEqual(lineWith(lines, 'Linux version'), [
    ['<5>', LEVEL],
    ['[    0.000000]', TS],
  ]);
  assert.deepEqual(
    lineWith(lines, 'ACPI Error'),
    [
      ['<3>', LEVEL],
      ['[    0.701234]', TS],
    ],
    'an error message is no oops',
  );
  assert.deepEqual(lineWith(lines, 'systemd[1]'), [
    ['<30>', LEVEL],
    ['[    2.054816]', TS],
  ]);
  assert.deepEqual(lineWith(lines, 'Warning: no TERM'), [
    ['<12>', LEVEL],
    ['[    2.611204]', TS],
  ]);
  assert.deepEqual(lineWith(lines, 'crng init'), [
    ['<7>', LEVEL],
    ['[    3.004511]', TS],
  ]);
});

test('boot-decoded.log (dmesg -x): the facility:level prefix, then the timestamp; the cut-here line opens a report', () => {
  const lines = tokenize(kernelLog, fixture('logs', 'boot-decoded.log'));
  assert.deepEqual(lineWith(lines, 'Linux version'), [
    ['kern  :notice:', LEVEL],
    ['[    0.000000]', TS],
  ]);
  assert.deepEqual(
    lineWith(lines, 'ACPI Error'),
    [
      ['kern  :err   :', LEVEL],
      ['[    0.701234]', TS],
    ],
    'an error message is no oops',
  );
  assert.deepEqual(lineWith(lines, 'systemd[1]'), [
    ['daemon:info  :', LEVEL],
    ['[    2.054816]', TS],
  ]);
  assert.deepEqual(lineWith(lines, 'no TERM'), [
    ['user  :warn  :', LEVEL],
    ['[    2.611204]', TS],
  ]);
  assert.deepEqual(lineWith(lines, 'cut here'), [
    ['kern  :warn  :', LEVEL],
    ['[   42.318205]', TS],
    ['------------[ cut here ]------------', PANIC],
  ]);
  assert.deepEqual(lineWith(lines, 'WARNING: CPU'), [
    ['kern  :warn  :', LEVEL],
    ['[   42.318730]', TS],
    ['WARNING:', PANIC],
    ...frame('__flush_work', '0x2e1', '0x300'),
  ]);
  assert.deepEqual(lineWith(lines, 'crng init'), [
    ['kern  :debug :', LEVEL],
    ['[   42.401100]', TS],
  ]);
  const line = (text: string) => scoped(tokenize(kernelLog, text)[0]!);
  assert.deepEqual(
    line('kern  :info  : Freeing unused kernel memory: 2560K'),
    [['kern  :info  :', LEVEL]],
    'dmesg -x -t: a prefix without a timestamp',
  );
  assert.deepEqual(line('kernel:info: [    1.000000] x'), [], 'no facility is called kernel');
});

test('kernel log: a level without a timestamp, and words that only look like oops markers', () => {
  const line = (text: string) => scoped(tokenize(kernelLog, text)[0]!);
  assert.deepEqual(line('<6>Freeing unused kernel memory: 2560K'), [['<6>', LEVEL]]);
  assert.deepEqual(line('[    1.000000] Oopsie: CONFIG_DEBUG_BUG WARNINGS panic_timeout=0 [<1>]'), [['[    1.000000]', TS]]);
  assert.deepEqual(line('x [    1.000000] <3>'), [], 'timestamps and levels only open a line');
});

const KW = 'keyword.control.kconfig';
const TYPE = 'storage.type.kconfig';
const ATTR = 'keyword.other.attribute.kconfig';
const SYM = 'variable.other.symbol.kconfig';
const STR = 'string.quoted.double.kconfig';
const COMMENT = 'comment.line.number-sign.kconfig';
const HELP = 'comment.block.documentation.help.kconfig';

test('Kconfig: blocks, types, attributes, symbols and strings', () => {
  const lines = tokenize(kconfig, fixture('kconfig', 'Kconfig.sample'));
  assert.deepEqual(lineWith(lines, '# SPDX'), [['# SPDX-License-Identifier: GPL-2.0-only', COMMENT]]);
  assert.deepEqual(lineWith(lines, 'menu "Kernel'), [
    ['menu', KW],
    ['"Kernel hacking"', STR],
  ]);
  assert.deepEqual(lineWith(lines, 'menuconfig'), [
    ['menuconfig', KW],
    ['DEBUG_KERNEL', SYM],
  ]);
  assert.deepEqual(lineWith(lines, 'bool "Kernel debugging"'), [
    ['bool', TYPE],
    ['"Kernel debugging"', STR],
  ]);
  assert.deepEqual(lineWith(lines, 'if DEBUG_KERNEL'), [
    ['if', KW],
    ['DEBUG_KERNEL', SYM],
  ]);
  assert.deepEqual(lineWith(lines, 'config DEBUG_INFO'), [
    ['config', KW],
    ['DEBUG_INFO', SYM],
  ]);
  assert.deepEqual(lineWith(lines, /^choice$/), [['choice', KW]]);
  assert.deepEqual(lineWith(lines, /^\tprompt /), [
    ['prompt', ATTR],
    ['"Debug information"', STR],
  ]);
  assert.deepEqual(lineWith(lines, 'depends on DEBUG_KERNEL'), [
    ['depends on', ATTR],
    ['DEBUG_KERNEL', SYM],
    ['COMPILE_TEST', SYM],
  ]);
  assert.deepEqual(lineWith(lines, 'default DEBUG_INFO_DWARF'), [
    ['default', ATTR],
    ['DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT', SYM],
    ['ARCH_HAS_NO_DEBUG_INFO', SYM],
  ]);
  assert.deepEqual(lineWith(lines, /^\tselect /), [
    ['select', ATTR],
    ['DEBUG_INFO', SYM],
  ]);
  assert.deepEqual(lineWith(lines, /^\timply /), [
    ['imply', ATTR],
    ['DEBUG_INFO_REDUCED', SYM],
  ]);
  assert.deepEqual(lineWith(lines, '\tint'), [
    ['int', TYPE],
    ['"Warn for stack frames larger than"', STR],
  ]);
  assert.deepEqual(lineWith(lines, /^\trange /), [['range', ATTR]]);
  assert.deepEqual(lineWith(lines, '\thex'), [
    ['hex', TYPE],
    ['"Alignment value to which kernel should be aligned"', STR],
  ]);
  assert.deepEqual(lineWith(lines, 'default "0x200000"'), [
    ['default', ATTR],
    ['"0x200000"', STR],
  ]);
  assert.deepEqual(lineWith(lines, '\ttristate'), [
    ['tristate', TYPE],
    [`"Test module loading with 'hello world' module"`, STR],
  ]);
  assert.deepEqual(lineWith(lines, 'depends on m'), [['depends on', ATTR]]);
  assert.deepEqual(lineWith(lines, '\tstring'), [
    ['string', TYPE],
    ['"Built-in kernel command string"', STR],
  ]);
  assert.deepEqual(lineWith(lines, 'source "arch'), [
    ['source', KW],
    ['"arch/$(SRCARCH)/Kconfig.debug"', STR],
  ]);
});

test('Kconfig: help text is one block up to the next statement, and trailing # comments', () => {
  const lines = tokenize(kconfig, fixture('kconfig', 'Kconfig.sample'));
  const help = (text: string): [string, string][] => [[text, HELP]];
  assert.deepEqual(lineWith(lines, 'Say Y here'), help('\t  Say Y here if you are developing drivers or trying to debug and'));
  assert.deepEqual(lineWith(lines, 'other than "None"'), help('\t  A kernel debug info option other than "None" has been selected'));
  assert.deepEqual(lineWith(lines, 'if unsure'), help('\t  if unsure, say N.'));
  assert.deepEqual(lineWith(lines, 'source level'), help('\t  source level debugging with gdb needs it; see CONFIG_GDB_SCRIPTS.'));
  assert.deepEqual(lineWith(lines, '# the line above'), help('\t  # the line above and this one are help text, not a comment'));
  assert.deepEqual(
    lineWith(lines, 'Generate DWARF v5'),
    help('\tGenerate DWARF v5 debug info. Requires binutils 2.35.2, gcc 5.0+ (gcc'),
    'help text as indented as help',
  );
  assert.deepEqual(lineWith(lines, '"Hello, world"'), help('\t  "Hello, world" on printk when loaded.'));
  assert.equal(
    lines.filter((tokens) => scoped(tokens).some(([, scopes]) => scopes === ATTR) && tokens.some((token) => token.text === 'help')).length,
    5,
  );
  assert.deepEqual(lineWith(lines, 'endchoice'), [
    ['endchoice', KW],
    ['# "Debug information"', COMMENT],
  ]);
  assert.deepEqual(
    lineWith(lines, 'config GDB_SCRIPTS'),
    [
      ['config', KW],
      ['GDB_SCRIPTS', SYM],
    ],
    'the help block before it ended',
  );
  assert.deepEqual(lineWith(lines, 'endif'), [
    ['endif', KW],
    ['# DEBUG_KERNEL', COMMENT],
  ]);
  assert.deepEqual(lineWith(lines, 'endmenu'), [
    ['endmenu', KW],
    ['# "Kernel hacking"', COMMENT],
  ]);
});

const VAR = 'variable.other.constant.config.kconfig';
const VALUE = 'constant.other.value.kconfig';
const UNSET = 'comment.line.unset.kconfig';
const unset = (name: string): [string, string][] => [
  ['# ', UNSET],
  [name, `${UNSET} ${VAR}`],
  [' is not set', UNSET],
];

test('.config (make x86_64_defconfig of 6.1): every line a setting, an unset symbol, a comment or blank', () => {
  const text = fixture('kconfig', 'x86_64-defconfig.config');
  const lines = tokenize(kconfig, text);
  assert.deepEqual(lineWith(lines, 'CONFIG_CC_VERSION_TEXT='), [
    ['CONFIG_CC_VERSION_TEXT', VAR],
    ['"gcc (Debian 12.2.0-14+deb12u1) 12.2.0"', VALUE],
  ]);
  assert.deepEqual(lineWith(lines, 'CONFIG_PHYSICAL_START='), [
    ['CONFIG_PHYSICAL_START', VAR],
    ['0x1000000', VALUE],
  ]);
  assert.deepEqual(lineWith(lines, 'CONFIG_INIT_ENV_ARG_LIMIT='), [
    ['CONFIG_INIT_ENV_ARG_LIMIT', VAR],
    ['32', VALUE],
  ]);
  assert.deepEqual(lineWith(lines, '# CONFIG_COMPILE_TEST is'), unset('CONFIG_COMPILE_TEST'));
  assert.deepEqual(lineWith(lines, '# Automatically generated'), [['# Automatically generated file; DO NOT EDIT.', COMMENT]]);
  const kinds = new Map<string, number>();
  const textLines = text.split('\n');
  assert.equal(textLines.pop(), '', 'the file ends with a newline');
  textLines.forEach((line, index) => {
    const set = /^(CONFIG_\w+)=(.*)$/.exec(line);
    const off = /^# (CONFIG_\w+) is not set$/.exec(line);
    const [kind, expected]: [string, [string, string][]] = set
      ? [
          set[2] === 'm' ? 'm' : 'set',
          [
            [set[1]!, VAR],
            [set[2]!, VALUE],
          ],
        ]
      : off
        ? ['unset', unset(off[1]!)]
        : line.startsWith('#')
          ? ['comment', [[line, COMMENT]]]
          : ['blank', []];
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    assert.deepEqual(scoped(lines[index]!), expected, `line ${index + 1}: ${line}`);
  });
  assert.deepEqual(Object.fromEntries(kinds), { comment: 733, set: 1578, m: 13, unset: 2539, blank: 275 });
});

test('defconfig and buildroot .config: settings and unset symbols, BR2_ ones too', () => {
  const defconfig = tokenize(kconfig, fixture('kconfig', 'qemu_x86_64_debug_defconfig'));
  assert.deepEqual(lineWith(defconfig, 'CONFIG_EXT4_FS'), [
    ['CONFIG_EXT4_FS', VAR],
    ['m', VALUE],
  ]);
  assert.deepEqual(lineWith(defconfig, 'CONFIG_CMDLINE'), [
    ['CONFIG_CMDLINE', VAR],
    ['"console=ttyS0 nokaslr"', VALUE],
  ]);
  assert.deepEqual(lineWith(defconfig, 'CONFIG_PHYSICAL_ALIGN'), [
    ['CONFIG_PHYSICAL_ALIGN', VAR],
    ['0x200000', VALUE],
  ]);
  assert.deepEqual(lineWith(defconfig, 'CONFIG_RANDOMIZE_BASE'), unset('CONFIG_RANDOMIZE_BASE'));
  const buildroot = tokenize(kconfig, fixture('kconfig', 'buildroot-nokernel.config'));
  assert.deepEqual(lineWith(buildroot, 'BR2_ARCH'), [
    ['BR2_ARCH', VAR],
    ['"x86_64"', VALUE],
  ]);
  assert.deepEqual(lineWith(buildroot, 'BR2_LINUX_KERNEL'), unset('BR2_LINUX_KERNEL'));
});
