// The VS Code side (activate, configuration provider, adapter factory) against a
// stand-in `vscode` module: registrations, F5 without launch.json, errors that stop a
// launch, defaults from settings, inline vs process adapter.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, beforeEach, test } from 'node:test';
import { CACHE_ARGUMENT, TRUST_ARGUMENT } from '../../src/adapter/sessionProtocol';
import { writeElf } from './elfFixture';

/** The extension's folder: the inline adapter is its dist/adapter.js (npm test builds it first). */
const EXTENSION_ROOT = path.resolve(__dirname, '../..');

type Folder = { name: string; index: number; uri: { fsPath: string; scheme: string } };

const calls = {
  providers: [] as Array<{ type: string; provider: Record<string, unknown>; trigger: number }>,
  factories: [] as Array<{ type: string; factory: { createDebugAdapterDescriptor(session: unknown): Promise<unknown> } }>,
  errors: [] as Array<{ message: string; items: string[] }>,
  warnings: [] as Array<{ message: string; modal: boolean; items: string[] }>,
  commands: [] as string[],
};
const state = {
  folders: [] as Folder[],
  settings: {} as Record<string, unknown>,
  errorChoice: undefined as string | undefined,
  warningChoice: undefined as string | undefined,
  trusted: true,
  /** setContext keys the extension set. */
  context: {} as Record<string, unknown>,
};

class DebugAdapterExecutable {
  constructor(
    readonly command: string,
    readonly args: string[],
    readonly options: unknown,
  ) {}
}
class DebugAdapterInlineImplementation {
  constructor(readonly implementation: unknown) {}
}

const disposable = () => ({ dispose() {} });

const vscodeStub = {
  DebugConfigurationProviderTriggerKind: { Initial: 1, Dynamic: 2 },
  // What views register at activation (they are tested in their own files).
  LogLevel: { Off: 0, Trace: 1, Debug: 2, Info: 3, Warning: 4, Error: 5 },
  EventEmitter: class {
    event = disposable;
    fire() {}
    dispose() {}
  },
  DebugAdapterExecutable,
  DebugAdapterInlineImplementation,
  // What the build features register at activation (tested in test/unit/buildExtension.test.ts).
  CodeActionKind: { QuickFix: 'quickfix' },
  languages: { createDiagnosticCollection: () => ({ set() {}, delete() {}, dispose() {} }), registerCodeActionsProvider: disposable },
  tasks: { registerTaskProvider: disposable, onDidStartTaskProcess: disposable, onDidEndTaskProcess: disposable },
  Uri: { joinPath: (base: { fsPath: string }, ...parts: string[]) => ({ fsPath: path.join(base.fsPath, ...parts) }) },
  debug: {
    registerDebugConfigurationProvider(type: string, provider: Record<string, unknown>, trigger: number) {
      calls.providers.push({ type, provider, trigger });
      return { dispose() {} };
    },
    registerDebugAdapterDescriptorFactory(type: string, factory: (typeof calls.factories)[number]['factory']) {
      calls.factories.push({ type, factory });
      return { dispose() {} };
    },
    registerDebugAdapterTrackerFactory: disposable,
    onDidStartDebugSession: disposable,
    onDidTerminateDebugSession: disposable,
    onDidChangeActiveDebugSession: disposable,
    onDidReceiveDebugSessionCustomEvent: disposable,
  },
  workspace: {
    onDidChangeConfiguration: disposable,
    onDidChangeWorkspaceFolders: disposable,
    onDidChangeTextDocument: disposable,
    createFileSystemWatcher: () => ({ onDidChange: disposable, onDidCreate: disposable, onDidDelete: disposable, dispose() {} }),
    get workspaceFolders() {
      return state.folders.length ? state.folders : undefined;
    },
    get isTrusted() {
      return state.trusted;
    },
    getConfiguration(section: string) {
      return { get: <T>(key: string, fallback: T): T => (state.settings[`${section}.${key}`] as T | undefined) ?? fallback };
    },
  },
  StatusBarAlignment: { Left: 1, Right: 2 },
  window: {
    registerTerminalLinkProvider: disposable,
    createStatusBarItem: () => ({ show() {}, hide() {}, dispose() {} }),
    createTreeView: disposable,
    // The Kernel QEMU log channel, at VS Code's default level (Info = 3).
    createOutputChannel: () => ({ logLevel: 3, onDidChangeLogLevel: disposable, info() {}, trace() {}, appendLine() {}, dispose() {} }),
    async showWarningMessage(message: string, options: { modal?: boolean }, ...items: string[]) {
      calls.warnings.push({ message, modal: options.modal === true, items });
      return state.warningChoice;
    },
    async showErrorMessage(message: string, ...items: string[]) {
      calls.errors.push({ message, items });
      return state.errorChoice;
    },
  },
  commands: {
    registerCommand: disposable,
    async executeCommand(command: string, ...args: unknown[]) {
      if (command === 'setContext') {
        state.context[String(args[0])] = args[1];
        return;
      }
      calls.commands.push(command);
    },
  },
};

// Serve the stand-in for `require('vscode')` before the extension modules load.
const moduleInternals = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
const realLoad = moduleInternals._load;
moduleInternals._load = function (request: string, ...rest: unknown[]) {
  return request === 'vscode' ? vscodeStub : realLoad.call(this, request, ...rest);
};

const scratch = mkdtempSync(path.join(tmpdir(), 'kq-extension-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function folder(name: string, files: Record<string, Buffer | string>): Folder {
  const dir = path.join(scratch, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), content);
  }
  return { name, index: 0, uri: { fsPath: dir, scheme: 'file' } };
}

/** An x86_64 ELF header without sections: a vmlinux with no debug info. */
function vmlinuxWithoutDwarf(): Buffer {
  const header = Buffer.alloc(64);
  header.writeUInt32BE(0x7f454c46, 0);
  header[4] = 2;
  header[5] = 1;
  header[6] = 1;
  header.writeUInt16LE(62, 18);
  return header;
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

type Provider = {
  provideDebugConfigurations(folder?: Folder): unknown;
  resolveDebugConfiguration(folder: Folder | undefined, config: Record<string, unknown>): Promise<Record<string, unknown> | undefined>;
  resolveDebugConfigurationWithSubstitutedVariables(
    folder: Folder | undefined,
    config: Record<string, unknown>,
  ): Promise<Record<string, unknown> | undefined>;
};

async function activated(): Promise<{ initial: Provider; dynamic: Provider; factory: (typeof calls.factories)[number]['factory'] }> {
  calls.providers.length = 0;
  calls.factories.length = 0;
  const extension = (await import('../../src/extension/extension')) as { activate(context: unknown): void };
  const subscriptions: unknown[] = [];
  extension.activate({
    subscriptions,
    extensionUri: { fsPath: EXTENSION_ROOT },
    workspaceState: { get: <T>(_key: string, fallback: T) => fallback, update: async () => undefined },
  });
  assert.ok(subscriptions.length >= 3, `${subscriptions.length} subscriptions`);
  const initial = calls.providers.find((p) => p.trigger === 1)!;
  const dynamic = calls.providers.find((p) => p.trigger === 2)!;
  return {
    initial: initial.provider as unknown as Provider,
    dynamic: dynamic.provider as unknown as Provider,
    factory: calls.factories[0]!.factory,
  };
}

beforeEach(() => {
  calls.errors.length = 0;
  calls.warnings.length = 0;
  calls.commands.length = 0;
  state.trusted = true;
  state.warningChoice = undefined;
  state.folders = [];
  state.settings = {};
  state.errorChoice = undefined;
});

test('activate registers an initial and a dynamic provider and the adapter factory for kernel-qemu', async () => {
  await activated();
  assert.deepEqual(
    calls.providers.map((p) => [p.type, p.trigger]),
    [
      ['kernel-qemu', 1],
      ['kernel-qemu', 2],
    ],
  );
  assert.deepEqual(
    calls.factories.map((f) => f.type),
    ['kernel-qemu'],
  );
  // Only the initial provider resolves: VS Code runs the resolve* methods of every provider.
  assert.equal(calls.providers[1]!.provider.resolveDebugConfiguration, undefined);
});

test('the initial configuration is an x86_64 launch of vmlinux + bzImage', async () => {
  const { initial } = await activated();
  const [config] = initial.provideDebugConfigurations() as Array<Record<string, unknown>>;
  assert.equal(config!.type, 'kernel-qemu');
  assert.equal(config!.request, 'launch');
  assert.equal(config!.program, '${workspaceFolder}/vmlinux');
  assert.equal(config!.kernel, '${workspaceFolder}/arch/x86/boot/bzImage');
});

test('F5 without launch.json in a kernel tree fills a launch configuration', async () => {
  const { initial, dynamic } = await activated();
  const tree = folder('linux', { vmlinux: vmlinuxWithoutDwarf(), 'arch/x86/boot/bzImage': 'bz' });
  state.folders = [tree];
  const config = await initial.resolveDebugConfiguration(tree, {});
  assert.deepEqual(config, {
    type: 'kernel-qemu',
    request: 'launch',
    name: 'Kernel (QEMU): linux (x86_64)',
    arch: 'x86_64',
    program: path.join(tree.uri.fsPath, 'vmlinux'),
    kernel: path.join(tree.uri.fsPath, 'arch/x86/boot/bzImage'),
    stopAtEntry: true,
    cwd: tree.uri.fsPath,
  });
  assert.deepEqual(calls.errors, []);
  const offered = (await dynamic.provideDebugConfigurations(tree)) as Array<Record<string, unknown>>;
  assert.deepEqual(
    offered.map((c) => c.name),
    ['Kernel (QEMU): linux (x86_64)'],
  );
});

test('the Run and Debug list offers each tree once: per folder, and nothing for "user settings"', async () => {
  const { dynamic } = await activated();
  const first = folder('linux-a', { vmlinux: vmlinuxWithoutDwarf(), 'arch/x86/boot/bzImage': 'bz' });
  const second = folder('linux-b', { vmlinux: vmlinuxWithoutDwarf(), 'arch/x86/boot/bzImage': 'bz' });
  state.folders = [first, second];
  // VS Code asks per folder, then with no folder for the user-settings (and workspace-file) launch.
  const names: unknown[] = [];
  for (const asked of [first, second, undefined]) {
    for (const config of (await dynamic.provideDebugConfigurations(asked)) as Array<Record<string, unknown>>) names.push(config.name);
  }
  assert.deepEqual(names, ['Kernel (QEMU): linux-a (x86_64)', 'Kernel (QEMU): linux-b (x86_64)']);
});

test('the inKernelTree context key says whether a folder holds a kernel tree', async () => {
  const tree = folder('ktree', { Kconfig: '', 'arch/x86/Kconfig': '', 'scripts/config': '' });
  state.folders = [tree];
  state.context = {};
  await activated();
  await until(() => state.context['kernelQemu.inKernelTree'] !== undefined);
  assert.equal(state.context['kernelQemu.inKernelTree'], true);

  state.folders = [folder('plain', { 'README.md': '# notes' })];
  state.context = {};
  await activated();
  await until(() => state.context['kernelQemu.inKernelTree'] !== undefined);
  assert.equal(state.context['kernelQemu.inKernelTree'], false);
});

test("the kernelFound context key (the walkthrough's kernel step) follows a built vmlinux in a tree", async () => {
  const tree = { Kconfig: '', 'arch/x86/Kconfig': '', 'scripts/config': '' };
  state.folders = [folder('built', { ...tree, vmlinux: vmlinuxWithoutDwarf() })];
  state.context = {};
  await activated();
  await until(() => state.context['kernelQemu.kernelFound'] !== undefined);
  assert.equal(state.context['kernelQemu.kernelFound'], true);

  // Not false where a Debian debug kernel is installed: that counts as a kernel found too.
  if (existsSync('/usr/lib/debug/boot')) return;
  state.folders = [folder('unbuilt', tree)];
  state.context = {};
  await activated();
  await until(() => state.context['kernelQemu.kernelFound'] !== undefined);
  assert.equal(state.context['kernelQemu.kernelFound'], false);
});

test("the toolsFound context key (the walkthrough's first step) is false when the gdb set cannot be found", async () => {
  state.folders = [];
  state.settings = { 'kernelQemu.gdbPath': '/nonexistent/gdb' };
  state.context = {};
  try {
    await activated();
    await until(() => state.context['kernelQemu.toolsFound'] !== undefined);
    assert.equal(state.context['kernelQemu.toolsFound'], false);
  } finally {
    state.settings = {};
  }
});

test('F5 without launch.json outside a kernel tree starts nothing and says what to open', async () => {
  const { initial, dynamic } = await activated();
  const plain = folder('notes', { 'README.md': '# notes' });
  state.folders = [plain];
  assert.equal(await initial.resolveDebugConfiguration(plain, {}), undefined);
  await settle();
  assert.equal(calls.errors.length, 1);
  assert.match(calls.errors[0]!.message, /no vmlinux.*arch\/x86\/boot\/bzImage or arch\/arm64\/boot\/Image/);
  assert.deepEqual(await dynamic.provideDebugConfigurations(plain), []);

  state.folders = [];
  assert.equal(await initial.resolveDebugConfiguration(undefined, {}), undefined);
  await settle();
  assert.match(calls.errors[1]!.message, /no folder is open/);
  assert.deepEqual(calls.errors[1]!.items, ['Open Folder']);
});

test('a failing configuration check shows the error with Open launch.json and starts nothing', async () => {
  const { initial } = await activated();
  const tree = folder('nodwarf', { vmlinux: vmlinuxWithoutDwarf(), 'arch/x86/boot/bzImage': 'bz' });
  state.errorChoice = 'Open launch.json';
  const config = await initial.resolveDebugConfiguration(tree, {
    type: 'kernel-qemu',
    request: 'launch',
    name: 'k',
    program: 'vmlinux',
    kernel: 'arch/x86/boot/bzImage',
  });
  assert.equal(config!.cwd, tree.uri.fsPath);
  assert.equal(await initial.resolveDebugConfigurationWithSubstitutedVariables(tree, config!), undefined);
  await settle();
  assert.equal(calls.errors.length, 1);
  assert.match(calls.errors[0]!.message, /no debug info/);
  assert.deepEqual(calls.errors[0]!.items, ['Open launch.json']);
  assert.deepEqual(calls.commands, ['workbench.action.debug.configure']);
});

test('a missing required key is reported before anything starts', async () => {
  const { initial } = await activated();
  const config = { type: 'kernel-qemu', request: 'launch', name: 'k', program: '/nonexistent/vmlinux' };
  assert.equal(await initial.resolveDebugConfigurationWithSubstitutedVariables(undefined, config), undefined);
  await settle();
  assert.match(calls.errors[0]!.message, /'kernel' is required/);
});

test('settings fill gdbPath and qemuPath before the check', async () => {
  const { initial } = await activated();
  state.settings = { 'kernelQemu.gdbPath': '/opt/gdb/bin/gdb', 'kernelQemu.qemuPath': '/opt/qemu/bin/qemu-system-x86_64' };
  const config: Record<string, unknown> = {
    type: 'kernel-qemu',
    request: 'launch',
    name: 'k',
    program: '/nonexistent/vmlinux',
    kernel: '/k',
  };
  await initial.resolveDebugConfigurationWithSubstitutedVariables(undefined, config);
  assert.equal(config.gdbPath, '/opt/gdb/bin/gdb');
  assert.equal(config.qemuPath, '/opt/qemu/bin/qemu-system-x86_64');
});

/** A folder with an x86_64 vmlinux (DWARF section) and a bzImage, and a launch of them that passes the check. */
function bootableTree(name: string): { tree: Folder; config: Record<string, unknown> } {
  const tree = folder(name, { 'vmlinux-placeholder': 'x' });
  const vmlinux = path.join(tree.uri.fsPath, 'vmlinux');
  writeElf(vmlinux, 62, ['.text', '.debug_info']);
  writeFileSync(path.join(tree.uri.fsPath, 'bzImage'), 'bz');
  writeFileSync(path.join(tree.uri.fsPath, 'initrd.gz'), 'cpio');
  const initrd = path.join(tree.uri.fsPath, 'initrd.gz');
  return {
    tree,
    config: {
      type: 'kernel-qemu',
      request: 'launch',
      name: 'k',
      program: vmlinux,
      kernel: path.join(tree.uri.fsPath, 'bzImage'),
      initrd,
      accel: 'tcg',
    },
  };
}

test('the cacheDirectory setting reaches the adapter as its launch argument; unset, none is added', async () => {
  const { initial } = await activated();
  const { tree, config: base } = bootableTree('cache-setting');
  state.settings = { 'kernelQemu.cacheDirectory': '/var/cache/kq-test' };
  const withSetting = await initial.resolveDebugConfigurationWithSubstitutedVariables(tree, { ...base });
  assert.equal(withSetting?.[CACHE_ARGUMENT], '/var/cache/kq-test');
  state.settings = {};
  const without = await initial.resolveDebugConfigurationWithSubstitutedVariables(tree, { ...base });
  assert.ok(without, 'the configuration passes the check');
  assert.equal(CACHE_ARGUMENT in without, false);
});

test('F5 with no initrd and no rootfs warns of the panic before QEMU starts: Boot anyway goes on, a dismissed dialog starts nothing', async () => {
  const { initial } = await activated();
  const tree = folder('no-guest', { 'vmlinux-placeholder': 'x' });
  const vmlinux = path.join(tree.uri.fsPath, 'vmlinux');
  writeElf(vmlinux, 62, ['.text', '.debug_info']);
  writeFileSync(path.join(tree.uri.fsPath, 'bzImage'), 'bz');
  const base = {
    type: 'kernel-qemu',
    request: 'launch',
    name: 'k',
    program: vmlinux,
    kernel: path.join(tree.uri.fsPath, 'bzImage'),
    accel: 'tcg',
  };
  state.warningChoice = undefined;
  assert.equal(await initial.resolveDebugConfigurationWithSubstitutedVariables(tree, { ...base }), undefined, 'dismissed: nothing starts');
  const warning = calls.warnings.at(-1)!;
  assert.match(warning.message, /no initrd and no rootfs, so it will panic at "VFS: Unable to mount root fs"/);
  // Not a kernel tree (a bare folder): no build offer, a file or boot anyway.
  assert.deepEqual(warning.items, ['Choose an initrd…', 'Boot anyway']);
  state.warningChoice = 'Boot anyway';
  assert.ok(await initial.resolveDebugConfigurationWithSubstitutedVariables(tree, { ...base }));
  state.warningChoice = undefined;
});

test('kernelQemu.shareWorkspace adds the workspace folder read-only at /mnt/workspace, once; off by default', async () => {
  const { initial } = await activated();
  const { tree, config: base } = bootableTree('share-workspace');
  state.settings = {};
  const off = await initial.resolveDebugConfigurationWithSubstitutedVariables(tree, { ...base });
  assert.equal(off?.shares, undefined);
  state.settings = { 'kernelQemu.shareWorkspace': true };
  const on = await initial.resolveDebugConfigurationWithSubstitutedVariables(tree, { ...base });
  assert.deepEqual(on?.shares, [{ host: tree.uri.fsPath, guest: '/mnt/workspace', readOnly: true }]);
  const again = await initial.resolveDebugConfigurationWithSubstitutedVariables(tree, {
    ...base,
    shares: [{ host: tree.uri.fsPath, guest: '/src' }],
  });
  assert.deepEqual(again?.shares, [{ host: tree.uri.fsPath, guest: '/src' }], 'a configuration that shares it already is left alone');
  state.settings = {};
});

test('a configuration with a bad request is refused', async () => {
  const { initial } = await activated();
  assert.equal(await initial.resolveDebugConfiguration(undefined, { type: 'kernel-qemu', request: 'run', name: 'k' }), undefined);
  await settle();
  assert.match(calls.errors[0]!.message, /"request" must be "launch" or "attach"/);
});

test('the adapter runs inline by default and as dist/adapter.js in process mode', async () => {
  const { factory } = await activated();
  const session = { workspaceFolder: undefined };
  assert.ok(existsSync(path.join(EXTENSION_ROOT, 'dist', 'adapter.js')), "dist/adapter.js is missing: run 'npm run build'");
  const inline = (await factory.createDebugAdapterDescriptor(session)) as DebugAdapterInlineImplementation;
  assert.ok(inline instanceof DebugAdapterInlineImplementation);
  assert.equal((inline.implementation as object).constructor.name, 'KernelQemuSession');
  (inline.implementation as { dispose(): void }).dispose();

  state.settings = { 'kernelQemu.adapterMode': 'process' };
  const executable = (await factory.createDebugAdapterDescriptor(session)) as DebugAdapterExecutable;
  assert.ok(executable instanceof DebugAdapterExecutable);
  assert.equal(executable.command, process.execPath);
  assert.deepEqual(executable.args, [path.join(EXTENSION_ROOT, 'dist', 'adapter.js')]);
  assert.deepEqual(executable.options, { env: { ELECTRON_RUN_AS_NODE: '1' } });
});

test('Restricted Mode: F5 asks for trust in a modal, offers Manage Workspace Trust, and starts nothing', async () => {
  const { initial } = await activated();
  const { tree, config } = bootableTree('untrusted');
  state.trusted = false;
  state.warningChoice = 'Manage Workspace Trust';
  assert.equal(await initial.resolveDebugConfiguration(tree, { ...config }), undefined, 'nothing starts');
  assert.equal(calls.warnings.length, 1);
  assert.equal(calls.warnings[0]!.modal, true);
  assert.match(calls.warnings[0]!.message, /Restricted Mode/);
  assert.deepEqual(calls.warnings[0]!.items, ['Manage Workspace Trust']);
  assert.deepEqual(calls.commands, ['workbench.trust.manage']);
  // F5 with no launch.json asks too, before it looks for a tree to build or boot.
  state.folders = [tree];
  assert.equal(await initial.resolveDebugConfiguration(undefined, {}), undefined);
  assert.equal(calls.warnings.length, 2);

  state.trusted = true;
  const resolved = await initial.resolveDebugConfiguration(tree, { ...config });
  assert.ok(resolved, 'trusted: the configuration goes on');
  const checked = await initial.resolveDebugConfigurationWithSubstitutedVariables(tree, resolved);
  assert.equal(checked?.[TRUST_ARGUMENT], true, 'the adapter is told the workspace is trusted (it may load vmlinux-gdb.py)');
  assert.equal(calls.warnings.length, 2);
});
