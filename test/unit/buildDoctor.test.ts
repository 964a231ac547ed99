// The config doctor on fixture .config files (test/fixtures/kconfig: real tinyconfig and
// x86_64_defconfig output of Debian's 6.1 tree, hand-written arm64 and buildroot excerpts):
// each missing option is flagged on its line, and applying the finding's edits the way
// scripts/config does makes the flag go away. (The real scripts/config + olddefconfig run
// in test/adapter/kernelBuild.test.ts.)
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { allEdits, buildrootFindings, kernelConfigArch, kernelFindings, stillThere, type Finding } from '../../src/build/doctor';
import {
  configScriptArgs,
  dedupeEdits,
  disable,
  enable,
  fragmentLines,
  Kconfig,
  parseFragment,
  type ConfigEdit,
} from '../../src/build/kconfig';
import { blocking } from '../../src/build/targets';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'kconfig');
const read = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8');
const ids = (findings: readonly Finding[]) => findings.map((finding) => finding.id);

/**
 * What scripts/config does to a .config for -e/-d/--set-str/--set-val (set_var: replace the
 * symbol's line, or append it). Kconfig's dependency resolution (olddefconfig) is not
 * emulated: that part is tested on the real tree.
 */
function applyLikeScriptsConfig(text: string, edits: readonly ConfigEdit[], prefix = 'CONFIG_'): string {
  const lines = text.split('\n');
  for (const edit of edits) {
    const name = `${prefix}${edit.symbol}`;
    const line =
      edit.op === 'enable'
        ? `${name}=y`
        : edit.op === 'disable'
          ? `# ${name} is not set`
          : edit.op === 'module'
            ? `${name}=m`
            : edit.op === 'set-str'
              ? `${name}="${edit.value}"`
              : `${name}=${edit.value}`;
    const at = lines.findIndex((candidate) => candidate.startsWith(`${name}=`) || candidate === `# ${name} is not set`);
    if (at >= 0) lines[at] = line;
    else lines.splice(lines.length - 1, 0, line);
  }
  return lines.join('\n');
}

test('Kconfig.parse: values, "is not set", quoted strings, lines, later lines win', () => {
  const config = Kconfig.parse('# c\nCONFIG_A=y\n# CONFIG_B is not set\nCONFIG_S="a \\"b\\""\nCONFIG_N=42\nCONFIG_A=m\n');
  assert.equal(config.get('A'), 'm');
  assert.equal(config.get('B'), 'n');
  assert.equal(config.get('S'), 'a "b"');
  assert.equal(config.get('N'), '42');
  assert.equal(config.get('MISSING'), undefined);
  assert.equal(config.lineOf('B'), 2);
  assert.ok(config.isOn('A', true) && !config.isOn('A'));
  const br = Kconfig.parse('BR2_x86_64=y\n# BR2_ENABLE_DEBUG is not set\nCONFIG_X=y\n', 'BR2_');
  assert.equal(br.get('x86_64'), 'y');
  assert.equal(br.get('ENABLE_DEBUG'), 'n');
  assert.equal(br.get('X'), undefined);
});

test('scripts/config argv: one element per value, last edit of a symbol wins, no shell text', () => {
  assert.deepEqual(
    configScriptArgs('/k/.config', [
      enable('DEBUG_INFO'),
      disable('RANDOMIZE_BASE'),
      { op: 'set-str', symbol: 'LOCALVERSION', value: '-dbg $(x) "q"' },
      enable('RANDOMIZE_BASE'),
    ]),
    ['--file', '/k/.config', '-e', 'DEBUG_INFO', '-e', 'RANDOMIZE_BASE', '--set-str', 'LOCALVERSION', '-dbg $(x) "q"'],
  );
  assert.deepEqual(dedupeEdits([enable('A'), enable('B'), disable('A')]), [disable('A'), enable('B')]);
  assert.throws(() => configScriptArgs('/k/.config', [enable('A; rm -rf /')]), /not a Kconfig symbol/);
});

test('config fragments: written and read back', () => {
  const edits: ConfigEdit[] = [
    enable('DEBUG_INFO'),
    disable('DEBUG_INFO_REDUCED'),
    { op: 'set-str', symbol: 'CMDLINE', value: 'a "b"' },
    { op: 'set-val', symbol: 'NR_CPUS', value: '4' },
  ];
  const lines = fragmentLines(edits);
  assert.deepEqual(lines, [
    'CONFIG_DEBUG_INFO=y',
    '# CONFIG_DEBUG_INFO_REDUCED is not set',
    'CONFIG_CMDLINE="a \\"b\\""',
    'CONFIG_NR_CPUS=4',
  ]);
  assert.deepEqual(parseFragment(`# header\n${lines.join('\n')}\n`), edits);
});

test('tinyconfig (x86, no ARCH=x86_64): 32-bit, no debug info, no gdb scripts, no console, no initramfs — each on its line', () => {
  const text = read('x86-tinyconfig.config');
  const config = Kconfig.parse(text);
  assert.deepEqual(kernelConfigArch(config), { arch: undefined, name: 'x86 (32-bit)' });
  const findings = kernelFindings(config);
  assert.deepEqual(ids(findings), [
    'arch-64bit',
    'debug-info',
    'gdb-scripts',
    'frame-pointer',
    'printk',
    'serial-console',
    'initramfs',
    'exec-init',
    'pseudo-fs',
    'guest-network',
    'guest-disk',
    'guest-shares',
  ]);
  const arch = findings[0]!;
  assert.equal(arch.severity, 'error');
  assert.deepEqual(arch.edits, [enable('64BIT')]);
  assert.match(text.split('\n')[config.lineOf(arch.symbol)!]!, /# CONFIG_64BIT is not set/);
  const debugInfo = findings.find((finding) => finding.id === 'debug-info')!;
  assert.equal(debugInfo.severity, 'error');
  assert.deepEqual(
    debugInfo.edits.map((edit) => `${edit.op} ${edit.symbol}`),
    ['enable DEBUG_KERNEL', 'disable DEBUG_INFO_NONE', 'enable DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT', 'enable DEBUG_INFO'],
  );
  // The boot groups name every missing symbol of the group.
  assert.deepEqual(findings.find((finding) => finding.id === 'serial-console')!.edits, [
    enable('TTY'),
    enable('SERIAL_8250'),
    enable('SERIAL_8250_CONSOLE'),
  ]);
});

test('x86_64_defconfig: boots, but has no DWARF and no gdb scripts, uses ORC, KASLR noted (not blocking)', () => {
  const findings = kernelFindings(Kconfig.parse(read('x86_64-defconfig.config')));
  assert.deepEqual(ids(findings), ['debug-info', 'gdb-scripts', 'frame-pointer', 'kaslr']);
  const kaslr = findings.find((finding) => finding.id === 'kaslr')!;
  assert.equal(kaslr.severity, 'info');
  assert.deepEqual(ids(blocking(findings)), ['debug-info', 'gdb-scripts', 'frame-pointer']);
  // x86_64 frame pointers come from the unwinder choice.
  assert.deepEqual(findings.find((finding) => finding.id === 'frame-pointer')!.edits, [
    disable('UNWINDER_ORC'),
    disable('UNWINDER_GUESS'),
    enable('UNWINDER_FRAME_POINTER'),
    enable('FRAME_POINTER'),
  ]);
});

test('the doctor-fixed tinyconfig has nothing blocking; what the guest features need is noted, with the options', () => {
  const findings = kernelFindings(Kconfig.parse(read('x86_64-tinyconfig-debug.config')));
  assert.deepEqual(blocking(findings), []);
  assert.deepEqual(ids(findings), ['guest-network', 'guest-disk', 'guest-shares']);
  assert.ok(findings.every((finding) => finding.severity === 'info'));
  assert.match(findings[0]!.message, /VIRTIO_NET.*no ssh/);
  assert.deepEqual(findings[2]!.edits, ['NET', 'NET_9P', 'NET_9P_VIRTIO', '9P_FS'].map(enable));
  // A kernel with virtiofs and no 9p (Debian's) can mount shares: nothing said about them.
  const debianLike = Kconfig.parse(`${read('x86_64-tinyconfig-debug.config')}\nCONFIG_FUSE_FS=m\nCONFIG_VIRTIO_FS=m\n`);
  assert.ok(!ids(kernelFindings(debianLike)).includes('guest-shares'));
});

test('arm64: reduced debug info, no gdb scripts, PL011 without console, KASLR', () => {
  const findings = kernelFindings(Kconfig.parse(read('arm64-reduced.config')));
  assert.deepEqual(ids(findings), [
    'debug-info-reduced',
    'gdb-scripts',
    'serial-console',
    'guest-network',
    'guest-disk',
    'guest-shares',
    'kaslr',
  ]);
  assert.deepEqual(findings.find((finding) => finding.id === 'serial-console')!.edits, [enable('SERIAL_AMBA_PL011_CONSOLE')]);
  assert.deepEqual(findings.find((finding) => finding.id === 'gdb-scripts')!.edits, [enable('GDB_SCRIPTS')]);
});

for (const fixture of ['x86-tinyconfig.config', 'x86_64-defconfig.config', 'arm64-reduced.config']) {
  test(`${fixture}: applying each finding's edits (as scripts/config does) makes that flag go away`, () => {
    const text = read(fixture);
    const before = kernelFindings(Kconfig.parse(text));
    assert.ok(before.length > 0);
    for (const finding of before) {
      const after = kernelFindings(Kconfig.parse(applyLikeScriptsConfig(text, finding.edits)));
      assert.ok(!ids(after).includes(finding.id), `${finding.id} still flagged after ${JSON.stringify(finding.edits)}`);
    }
    const fixedAll = kernelFindings(Kconfig.parse(applyLikeScriptsConfig(text, allEdits(before))));
    assert.deepEqual(ids(fixedAll), [], 'fix all clears every flag');
    assert.deepEqual(stillThere(before, fixedAll), []);
  });
}

test('an empty .config and foreign arches', () => {
  assert.deepEqual(ids(kernelFindings(Kconfig.parse(''))), ['empty']);
  const riscv = kernelFindings(Kconfig.parse('CONFIG_RISCV=y\nCONFIG_64BIT=y\n'));
  assert.equal(riscv[0]!.id, 'arch');
  assert.match(riscv[0]!.message, /riscv.*x86_64 and aarch64/);
  assert.deepEqual(riscv[0]!.edits, []);
  assert.deepEqual(riscv[0]!.action, { id: 'defconfig' });
});

test('buildroot fixture tree: no BR2_ENABLE_DEBUG; qcow2 noted when only rootfs.ext2 exists', () => {
  const text = readFileSync(path.join(__dirname, '..', 'fixtures', 'buildroot', '.config'), 'utf8');
  const config = Kconfig.parse(text, 'BR2_');
  assert.deepEqual(ids(buildrootFindings(config)), ['br-debug']);
  const findings = buildrootFindings(config, { rawRootfs: '/o/images/rootfs.ext2' });
  assert.deepEqual(ids(findings), ['br-debug', 'br-qcow2']);
  assert.deepEqual(findings[0]!.edits, [enable('ENABLE_DEBUG')]);
  assert.match(text.split('\n')[config.lineOf('ENABLE_DEBUG')!]!, /# BR2_ENABLE_DEBUG is not set/);
  assert.deepEqual(ids(buildrootFindings(config, { rawRootfs: '/o/images/rootfs.ext2', qcow2Rootfs: '/o/images/rootfs.qcow2' })), [
    'br-debug',
  ]);
});

test('buildroot: 32-bit arm, ext2 rev1 gzip-compressed, no debug, no cross gdb', () => {
  const text = read('buildroot-arm-ext2-gzip.config');
  const findings = buildrootFindings(Kconfig.parse(text, 'BR2_'));
  assert.deepEqual(ids(findings), ['br-arch', 'br-debug', 'br-ext4', 'br-rootfs-compressed', 'br-host-gdb']);
  assert.match(findings[0]!.message, /targets arm.*qemu_x86_64_defconfig or qemu_aarch64_virt_defconfig/);
  assert.deepEqual(findings[0]!.action, { id: 'defconfig', defconfig: 'qemu_x86_64_defconfig' });
  for (const finding of findings.filter((candidate) => candidate.edits.length)) {
    const after = buildrootFindings(Kconfig.parse(applyLikeScriptsConfig(text, finding.edits, 'BR2_'), 'BR2_'));
    assert.ok(!ids(after).includes(finding.id), `${finding.id} still flagged`);
  }
});

test('buildroot: no kernel, no rootfs image', () => {
  const findings = buildrootFindings(Kconfig.parse(read('buildroot-nokernel.config'), 'BR2_'));
  assert.deepEqual(ids(findings), ['br-linux', 'br-rootfs']);
  assert.deepEqual(findings[0]!.action, { id: 'menuconfig' });
  assert.deepEqual(findings[1]!.edits, [enable('TARGET_ROOTFS_EXT2'), enable('TARGET_ROOTFS_EXT2_4')]);
});
