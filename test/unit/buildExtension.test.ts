// The build features inside VS Code, against a stand-in `vscode` module: the kernel-qemu
// task provider (tasks, definitions, executions, problem matcher), a build run through
// its pseudoterminal (paths the problem matcher reads, the Builds view's state), the
// config doctor's diagnostics, quick fixes and fix run, and launch configurations from
// build outputs (F5 with no launch.json in a buildroot tree; Build Kernel first).
import assert from 'node:assert/strict';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import { writeElf } from './elfFixture';
import { calls, CustomExecution, foldersChanged, ProcessExecution, state, Task, Uri, type Folder } from './vscodeBuildStub';

// ---------------------------------------------------------------------------------------
// Fixtures: the buildroot fixture tree, and a small "kernel tree" whose make, scripts/config
// and compiler are real processes (a stand-in Makefile and scripts/config, real gcc).

const FIXTURES = path.join(__dirname, '..', 'fixtures');
const scratch = mkdtempSync(path.join(tmpdir(), 'kq-build-ext-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function write(file: string, content: string | Buffer, mode?: number): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  if (mode) chmodSync(file, mode);
}

function folder(dir: string): Folder {
  return { name: path.basename(dir), index: 0, uri: Uri.file(dir) };
}

/** A kernel tree stand-in: make builds init/main.c with gcc; scripts/config appends lines (kconfig reads the last). */
function fakeKernelTree(dir: string, mainC: string): string {
  write(path.join(dir, 'Kconfig'), '# test stand-in\n');
  write(path.join(dir, 'arch/x86/Kconfig'), '');
  write(
    path.join(dir, 'scripts/config'),
    [
      '#!/bin/sh',
      '# Test stand-in for scripts/config: -e/-d append lines; the last line of a symbol wins.',
      'f=.config; [ "$1" = --file ] && { f=$2; shift 2; }',
      'while [ $# -gt 0 ]; do case $1 in -e) echo "CONFIG_$2=y" >>"$f";; -d) echo "# CONFIG_$2 is not set" >>"$f";; esac; shift 2; done',
      '',
    ].join('\n'),
    0o755,
  );
  write(
    path.join(dir, 'Makefile'),
    [
      'all:',
      '\t@echo "  CC      init/main.o"',
      '\tgcc -c init/main.c -o init/main.o',
      'olddefconfig:',
      '\t@echo "  SYNC    .config (test stand-in)"',
      '',
    ].join('\n'),
  );
  write(path.join(dir, 'init/main.c'), mainC);
  cpSync(path.join(FIXTURES, 'kconfig', 'x86_64-defconfig.config'), path.join(dir, '.config'));
  return dir;
}

const BUILDROOT = path.join(scratch, 'buildroot');
cpSync(path.join(FIXTURES, 'buildroot'), BUILDROOT, { recursive: true, verbatimSymlinks: true });
const LINUX = fakeKernelTree(path.join(scratch, 'linux'), 'int start_kernel(void) { return missing; }\n');

type Provider = (typeof calls.taskProviders)[number]['provider'];
let provider: Provider;
let context: {
  subscriptions: Array<{ dispose(): void }>;
  workspaceState: { get<T>(key: string, fallback: T): T; update(key: string, value: unknown): Promise<void> };
};

const until = async (check: () => boolean, what: string, ms = 20_000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

before(async () => {
  state.folders = [folder(BUILDROOT), folder(LINUX)];
  const { registerBuildFeatures } = await import('../../src/extension/tasks/register');
  const saved = new Map<string, unknown>();
  context = {
    subscriptions: [],
    workspaceState: {
      get: <T>(key: string, fallback: T) => (saved.get(key) as T | undefined) ?? fallback,
      update: async (key, value) => void saved.set(key, value),
    },
  };
  registerBuildFeatures(context as unknown as Parameters<typeof registerBuildFeatures>[0]);
  provider = calls.taskProviders[0]!.provider;
  await until(() => calls.diagnostics.size >= 3, 'the doctor to check the .config files');
});
after(() => {
  for (const subscription of context.subscriptions) subscription.dispose();
});
beforeEach(() => {
  calls.errors.length = 0;
  calls.infos.length = 0;
  state.settings = {};
  state.pick = undefined;
});

// ---------------------------------------------------------------------------------------

test("the kernel-qemu task provider lists each tree's targets, named, with definitions tasks.json can use", async () => {
  assert.deepEqual(
    calls.taskProviders.map((entry) => entry.type),
    ['kernel-qemu'],
  );
  const tasks = await provider.provideTasks();
  const summary = tasks.map((task) => [
    (task.scope as Folder).name,
    task.name,
    JSON.stringify(task.definition),
    task.execution.constructor.name,
    task.problemMatchers.join(','),
  ]);
  assert.deepEqual(summary.slice(0, 3), [
    ['buildroot', 'Build Kernel', '{"type":"kernel-qemu","target":"build-kernel","tree":"."}', 'CustomExecution', '$kernel-qemu-gcc'],
    ['buildroot', 'Build Rootfs', '{"type":"kernel-qemu","target":"build-rootfs","tree":"."}', 'CustomExecution', '$kernel-qemu-gcc'],
    ['buildroot', 'Build All', '{"type":"kernel-qemu","target":"build-all","tree":"."}', 'CustomExecution', '$kernel-qemu-gcc'],
  ]);
  assert.ok(
    summary.some(
      ([name, label, definition]) =>
        name === 'buildroot' &&
        label === 'qemu_aarch64_virt_defconfig' &&
        definition === '{"type":"kernel-qemu","target":"defconfig","tree":".","defconfig":"qemu_aarch64_virt_defconfig"}',
    ),
  );
  const linux = tasks.filter((task) => (task.scope as Folder).name === 'linux').map((task) => task.name);
  assert.deepEqual(linux, [
    'Build Kernel',
    'scripts_gdb',
    'Build Rootfs: initramfs',
    'Build Rootfs: Debian image',
    'Minimal QEMU Config',
    'defconfig',
    'tinyconfig',
    'olddefconfig',
    'Enable Debug Options',
    'menuconfig',
  ]);
  // menuconfig needs a real terminal: a process, no problem matcher.
  const menuconfig = tasks.find((task) => task.name === 'linux-menuconfig')!;
  assert.ok(menuconfig.execution instanceof ProcessExecution);
  assert.deepEqual(
    [menuconfig.execution.process, menuconfig.execution.args, menuconfig.execution.options.cwd],
    ['make', ['linux-menuconfig'], BUILDROOT],
  );
  assert.deepEqual(menuconfig.problemMatchers, []);
  assert.equal(tasks.find((task) => task.name === 'Build Kernel')!.group, 'build');
  assert.equal(
    tasks.find((task) => (task.scope as Folder).name === 'linux' && task.name === 'Build Kernel')!.detail,
    `make -j${availableParallelism()}`,
  );
});

test('a tasks.json entry resolves to a task with the same definition; an unknown target does not', async () => {
  const definition = { type: 'kernel-qemu', target: 'build-rootfs', tree: '.' };
  const resolved = await provider.resolveTask(
    new Task(definition, state.folders[0], 'x', 'Workspace', new CustomExecution(async () => undefined as never), []),
  );
  assert.equal(resolved?.definition, definition);
  assert.equal(resolved?.name, 'Build Rootfs');
  assert.equal(
    await provider.resolveTask(
      new Task(
        { type: 'kernel-qemu', target: 'nope' },
        state.folders[0],
        'x',
        'Workspace',
        new CustomExecution(async () => undefined as never),
        [],
      ),
    ),
    undefined,
  );
});

test('Build Kernel: a compile error is printed with its absolute path (what $kernel-qemu-gcc reads) and the Builds view shows it failed', async () => {
  const view = calls.treeViews.get('kernelQemu.builds')!;
  state.pick = (items) => items.find((item) => item.label === 'linux');
  await calls.commands.get('kernelQemu.build.kernel')!();
  const terminal = calls.terminals.find((candidate) => candidate.name === 'Build Kernel' && candidate.output.includes('gcc'))!;
  assert.equal(terminal.code, 1);
  assert.match(terminal.output, new RegExp(`\\r\\n${LINUX}/init/main\\.c:1:33: error: .missing. undeclared`));
  assert.ok(!terminal.output.includes('\n\n'), 'terminal lines end in CR LF');
  // VS Code stops matching 100 ms after a custom task closes, maybe before it read the error.
  assert.ok(
    terminal.closedAt! - terminal.lastWriteAt! >= 900,
    `the task stays open after the error line (closed ${terminal.closedAt! - terminal.lastWriteAt!} ms after it)`,
  );

  const [buildroot, linux] = await view.getChildren();
  assert.equal(view.getTreeItem(buildroot).label, 'buildroot');
  const children = await view.getChildren(linux);
  const items = children.map((child) => view.getTreeItem(child));
  const build = items.find((item) => item.label === 'Build Kernel')!;
  assert.match(build.description!, new RegExp(`^failed: ${LINUX}/init/main\\.c:1: .missing. undeclared`));
  assert.equal(build.iconPath!.id, 'error');
  assert.equal(build.contextValue, 'kernelQemu.build.target');
  assert.equal(items.find((item) => item.label === 'menuconfig')!.description, 'never run');
  assert.ok(items.some((item) => item.label === 'Config doctor: .config'));

  // Fixed source: the same task succeeds.
  writeFileSync(path.join(LINUX, 'init/main.c'), 'int start_kernel(void) { return 0; }\n');
  await calls.commands.get('kernelQemu.build.kernel')!();
  const after = (await view.getChildren(linux)).map((child) => view.getTreeItem(child)).find((item) => item.label === 'Build Kernel')!;
  assert.match(after.description!, /^succeeded in \d+s · just now$/);
});

test('Builds view: buildroot outputs (vmlinux, bzImage, rootfs, cross gdb) and its two .config files', async () => {
  const view = calls.treeViews.get('kernelQemu.builds')!;
  const [buildroot] = await view.getChildren();
  assert.equal(view.getTreeItem(buildroot).description, 'buildroot');
  const children = (await view.getChildren(buildroot)) as Array<{ kind: string }>;
  const outputs = children.find((child) => child.kind === 'outputs')!;
  const files = (await view.getChildren(outputs)).map((node) => view.getTreeItem(node));
  assert.deepEqual(
    files.map((item) => item.label),
    ['vmlinux', 'bzImage', 'rootfs.ext4', 'x86_64-linux-gdb', '.config', '.config'],
  );
  assert.match(files[0]!.description!, /^vmlinux \(symbols\) · 64 B · /);
  const configs = children.filter((child) => child.kind === 'config').map((node) => view.getTreeItem(node).description);
  assert.deepEqual(configs, ['1 warning, 1 note', '1 error, 2 warnings, 4 notes']);
});

test('the doctor: diagnostics on the lines of the .config files, a quick fix per finding and one for all', async () => {
  const brConfig = path.join(BUILDROOT, '.config');
  const br = calls.diagnostics.get(brConfig)!;
  assert.deepEqual(
    br.map((diagnostic) => [diagnostic.code, diagnostic.severity, diagnostic.range.start.line, diagnostic.source]),
    [
      ['br-debug', 1, readFileSync(brConfig, 'utf8').split('\n').indexOf('# BR2_ENABLE_DEBUG is not set'), 'kernel-qemu doctor'],
      ['br-qcow2', 2, readFileSync(brConfig, 'utf8').split('\n').indexOf('BR2_TARGET_ROOTFS_EXT2=y'), 'kernel-qemu doctor'],
    ],
  );
  const kernel = calls.diagnostics.get(path.join(LINUX, '.config'))!;
  assert.deepEqual(
    kernel.map((diagnostic) => diagnostic.code),
    ['debug-info', 'gdb-scripts', 'frame-pointer', 'kaslr'],
  );
  const lines = readFileSync(path.join(LINUX, '.config'), 'utf8').split('\n');
  assert.equal(lines[kernel[0]!.range.start.line], 'CONFIG_DEBUG_INFO_NONE=y');
  const actions = calls.codeActionProviders[0]!.provideCodeActions({ uri: Uri.file(path.join(LINUX, '.config')) }, kernel[0]!.range, {
    diagnostics: [kernel[0]!],
  });
  assert.deepEqual(
    actions.map((action) => [action.title, action.command!.command, action.command!.arguments[1]]),
    [
      ['Enable DEBUG_INFO (DWARF) (scripts/config + olddefconfig)', 'kernelQemu.doctor.fix', ['debug-info']],
      [
        'Fix all 3 debug problems of this .config (scripts/config + olddefconfig)',
        'kernelQemu.doctor.fix',
        ['debug-info', 'gdb-scripts', 'frame-pointer'],
      ],
    ],
  );
  const brActions = calls.codeActionProviders[0]!.provideCodeActions(
    { uri: Uri.file(path.join(BUILDROOT, 'output/build/linux-6.1.44/.config')) },
    kernel[0]!.range,
    {
      diagnostics: calls.diagnostics.get(path.join(BUILDROOT, 'output/build/linux-6.1.44/.config'))!.slice(0, 1),
    },
  );
  assert.equal(brActions[0]!.title, 'Enable DEBUG_INFO (DWARF) (kernel config fragment)');
});

test('a quick fix runs scripts/config and olddefconfig as a task, and the flags go away', async () => {
  const file = path.join(LINUX, '.config');
  await calls.commands.get('kernelQemu.doctor.fix')!(Uri.file(file).toString(), ['debug-info', 'gdb-scripts', 'frame-pointer']);
  const terminal = calls.terminals.find((candidate) => candidate.name === 'Config doctor: 3 fixes')!;
  assert.equal(terminal.code, 0, terminal.output);
  assert.match(
    terminal.output,
    new RegExp(
      `> scripts/config: bash ${LINUX}/scripts/config --file ${LINUX}/\\.config -e DEBUG_KERNEL ` +
        `-d DEBUG_INFO_NONE -e DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT -e DEBUG_INFO -e GDB_SCRIPTS`,
    ),
  );
  assert.match(terminal.output, /> olddefconfig: make olddefconfig/);
  assert.match(terminal.output, /Fixed: debug-info, gdb-scripts, frame-pointer\./);
  assert.deepEqual(
    calls.diagnostics.get(file)!.map((diagnostic) => diagnostic.code),
    ['kaslr'],
  );
});

test('Build Rootfs asks which tree (buildroot and kernel trees both have one); in a kernel tree it offers initramfs or a Debian image', async () => {
  const before = calls.terminals.length;
  const trees: string[] = [];
  state.pick = (items) => {
    trees.push(...items.map((item) => item.label));
    return items.find((item) => item.label === 'buildroot');
  };
  // The buildroot fixture's Makefile is a stub that fails: the run is what counts here.
  await calls.commands.get('kernelQemu.build.rootfs')!();
  const terminal = calls.terminals[before]!;
  assert.equal(terminal.name, 'Build Rootfs');
  assert.match(terminal.output, /> Build Rootfs: make rootfs-ext2\r\n/);
  assert.deepEqual(trees, ['buildroot', 'linux'], 'both trees can have a root file system');

  // A kernel tree alone: the kinds of root file system it can have are offered.
  state.folders = [folder(LINUX)];
  foldersChanged.fire();
  const offered: string[] = [];
  state.pick = (items) => {
    offered.push(...items.map((item) => item.label));
    return undefined; // cancelled: nothing runs
  };
  const terminals = calls.terminals.length;
  await calls.commands.get('kernelQemu.build.rootfs')!();
  assert.deepEqual(offered, ['initramfs', 'Debian image', 'Arch Linux image']);
  assert.equal(calls.terminals.length, terminals, 'a cancelled choice runs nothing');
  state.pick = undefined;
  state.folders = [folder(BUILDROOT), folder(LINUX)];
  foldersChanged.fire();
});

test('F5 with no launch.json in the buildroot tree: a configuration from its outputs, Build Kernel first', async () => {
  const { KernelQemuConfigurationProvider, DiscoveredConfigurationProvider } = await import('../../src/extension/configProvider');
  const initial = new KernelQemuConfigurationProvider();
  const output = path.join(BUILDROOT, 'output');
  const config = await initial.resolveDebugConfiguration(state.folders[0] as never, {} as never);
  assert.deepEqual(config, {
    type: 'kernel-qemu',
    request: 'launch',
    name: 'Kernel (QEMU): buildroot (buildroot, x86_64)',
    arch: 'x86_64',
    program: path.join(output, 'build/linux-6.1.44/vmlinux'),
    kernel: path.join(output, 'images/bzImage'),
    rootfs: path.join(output, 'images/rootfs.ext4'),
    gdbPath: path.join(output, 'host/bin/x86_64-linux-gdb'),
    stopAtEntry: true,
    preLaunchTask: 'kernel-qemu: Build Kernel',
    cwd: BUILDROOT,
  });
  // The preLaunchTask names a task the provider offers in that folder.
  const tasks = await provider.provideTasks();
  assert.ok(tasks.some((task) => (task.scope as Folder).name === 'buildroot' && `${task.source}: ${task.name}` === config.preLaunchTask));

  state.settings = { 'kernelQemu.buildBeforeLaunch': false };
  const noBuild = await initial.resolveDebugConfiguration(state.folders[0] as never, {} as never);
  assert.equal(noBuild!.preLaunchTask, undefined);

  state.settings = {};
  const offered = (await new DiscoveredConfigurationProvider().provideDebugConfigurations(state.folders[0] as never)) as Array<
    Record<string, unknown>
  >;
  assert.deepEqual(
    offered.map((entry) => entry.name),
    ['Kernel (QEMU): buildroot (buildroot, x86_64)'],
  );
});

test('F5 with no launch.json in a kernel tree that has no vmlinux yet offers Build Kernel; with one, Build Kernel runs first', async () => {
  const { KernelQemuConfigurationProvider } = await import('../../src/extension/configProvider');
  const initial = new KernelQemuConfigurationProvider();
  assert.equal(await initial.resolveDebugConfiguration(state.folders[1] as never, {} as never), undefined);
  await new Promise((resolve) => setImmediate(resolve));
  assert.match(calls.errors[0]!.message, /no vmlinux/);
  assert.deepEqual(calls.errors[0]!.items, ['Build Kernel', 'Add Configuration']);

  writeElf(path.join(LINUX, 'vmlinux'), 62, []);
  write(path.join(LINUX, 'arch/x86/boot/bzImage'), 'bz');
  const config = await initial.resolveDebugConfiguration(state.folders[1] as never, {} as never);
  assert.equal(config!.program, path.join(LINUX, 'vmlinux'));
  assert.equal(config!.preLaunchTask, 'kernel-qemu: Build Kernel');
});
