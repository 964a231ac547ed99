// The Snapshots view and its commands against a stand-in `vscode` module and a scripted
// session (the adapter side is test/adapter/snapshots.test.ts); images with no session are
// real qcow2 files handled by the real qemu-img.
import type { ExtensionContext } from 'vscode';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, beforeEach, describe, test } from 'node:test';
import type { SnapshotEntry, SnapshotListBody } from '../../src/adapter/snapshotProtocol';
import { convertToQcow2, createStateDisk, diskFormat, listImageSnapshots } from '../../src/qemu/qemuImg';
import { SNAPSHOT_COMMAND, SNAPSHOT_ITEM } from '../../src/extension/views/snapshotsContributes';
import {
  convertedImagePath,
  launchJsonPath,
  launchTargets,
  snapshotDescription,
  snapshotImageOf,
  substituteVariables,
  withRootfs,
} from '../../src/extension/views/snapshotsModel';

const scratch = mkdtempSync(path.join(tmpdir(), 'kq-snapview-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
process.env.KERNEL_QEMU_STATE_DIR = path.join(scratch, 'state');

// ---- the stand-in vscode -------------------------------------------------------------
type Handler = (...args: unknown[]) => unknown;
const ui = {
  commands: new Map<string, Handler>(),
  provider: undefined as
    | undefined
    | {
        getChildren(node?: unknown): Promise<unknown[]>;
        getTreeItem(node: unknown): Record<string, unknown>;
        onDidChangeTreeData(listener: () => void): unknown;
      },
  tracker: undefined as undefined | { createDebugAdapterTracker(session: unknown): { onDidSendMessage(message: unknown): void } },
  answers: [] as unknown[],
  asked: [] as Array<{ kind: string; text: string; items: unknown[]; options?: unknown }>,
  errors: [] as string[],
  started: [] as Array<{ folder: unknown; config: Record<string, unknown> }>,
  updates: [] as Array<{ key: string; value: unknown; target: unknown }>,
  launch: { configurations: [] as unknown[] },
  folders: [] as Array<{ name: string; index: number; uri: { fsPath: string } }>,
  activeSession: undefined as unknown,
};
function answer(kind: string, text: string, items: unknown[], options?: unknown): unknown {
  ui.asked.push({ kind, text, items, options });
  return ui.answers.shift();
}
class EventEmitter {
  private listeners: Array<() => void> = [];
  event = (listener: () => void) => {
    this.listeners.push(listener);
    return { dispose() {} };
  };
  fire() {
    this.listeners.forEach((listener) => listener());
  }
  dispose() {}
}
const disposable = () => ({ dispose() {} });
const vscodeStub = {
  TreeItem: class {
    constructor(
      readonly label: string,
      readonly collapsibleState: number,
    ) {}
  },
  TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
  ThemeIcon: class {
    constructor(readonly id: string) {}
  },
  EventEmitter,
  ProgressLocation: { Notification: 15 },
  InputBoxValidationSeverity: { Warning: 2 },
  ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
  window: {
    createTreeView(_id: string, options: { treeDataProvider: typeof ui.provider }) {
      ui.provider = options.treeDataProvider;
      return { dispose() {} };
    },
    showInputBox: async (options: { value?: string; validateInput?(value: string): unknown }) =>
      answer('input', options.value ?? '', [], options),
    showWarningMessage: async (text: string, options: unknown, ...items: unknown[]) => answer('warning', text, items, options),
    showInformationMessage: async (text: string, ...rest: unknown[]) =>
      answer(
        'info',
        text,
        rest.filter((item) => typeof item === 'string'),
      ),
    showErrorMessage: async (text: string) => void ui.errors.push(text),
    showQuickPick: async (items: Array<{ label: string }>) => answer('pick', '', items),
    showOpenDialog: async () => answer('open', '', []),
    withProgress: (_options: unknown, task: () => Promise<unknown>) => task(),
    setStatusBarMessage: disposable,
  },
  commands: {
    registerCommand(id: string, handler: Handler) {
      ui.commands.set(id, handler);
      return { dispose() {} };
    },
  },
  debug: {
    get activeDebugSession() {
      return ui.activeSession;
    },
    onDidStartDebugSession: disposable,
    onDidTerminateDebugSession: disposable,
    onDidChangeActiveDebugSession: disposable,
    registerDebugAdapterTrackerFactory(_type: string, factory: typeof ui.tracker) {
      ui.tracker = factory;
      return { dispose() {} };
    },
    startDebugging: async (folder: unknown, config: Record<string, unknown>) => {
      ui.started.push({ folder, config });
      return true;
    },
  },
  workspace: {
    get workspaceFolders() {
      return ui.folders.length ? ui.folders : undefined;
    },
    getConfiguration(section: string) {
      return {
        get: <T>(key: string, fallback?: T) =>
          (section === 'launch' && key === 'configurations' ? ui.launch.configurations : fallback) as T,
        update: async (key: string, value: unknown, target: unknown) => {
          ui.updates.push({ key, value, target });
          if (section === 'launch' && key === 'configurations') ui.launch.configurations = value as unknown[];
        },
      };
    },
    onDidChangeConfiguration: disposable,
  },
};
const moduleInternals = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
const realLoad = moduleInternals._load;
moduleInternals._load = function (request: string, ...rest: unknown[]) {
  return request === 'vscode' ? vscodeStub : realLoad.call(this, request, ...rest);
};

// ---- a scripted kernel-qemu session ---------------------------------------------------
const A: SnapshotEntry = { name: 'a', id: '1', date: Date.now(), vmClockNs: 4e9, vmStateSize: 84_185_581 };
const body = (extra: Partial<SnapshotListBody> = {}): SnapshotListBody => ({
  snapshots: [A],
  image: '/s/state.qcow2',
  canSave: true,
  unsavedDisks: [],
  stateDisk: { attached: true, path: '/s/state.qcow2' },
  origin: undefined,
  suggestedName: 'do_sys_openat2',
  running: false,
  ...extra,
});
class Session {
  readonly type = 'kernel-qemu';
  readonly requests: Array<[string, unknown]> = [];
  constructor(public replies: Record<string, (args: unknown) => unknown>) {}
  async customRequest(command: string, args?: unknown): Promise<unknown> {
    this.requests.push([command, args]);
    const reply = this.replies[command];
    if (!reply) throw new Error(`unexpected ${command}`);
    return reply(args);
  }
}

async function activate(): Promise<void> {
  const { registerSnapshotsView } = await import('../../src/extension/views/snapshots');
  ui.commands.clear();
  registerSnapshotsView({ subscriptions: [] } as unknown as ExtensionContext);
}
async function run(command: string, node?: unknown): Promise<void> {
  await ui.commands.get(command)!(node);
}
async function items(node?: unknown): Promise<Array<Record<string, unknown>>> {
  return (await ui.provider!.getChildren(node)).map((child) => ui.provider!.getTreeItem(child));
}

beforeEach(async () => {
  await activate();
  ui.answers = [];
  ui.asked = [];
  ui.errors = [];
  ui.started = [];
  ui.updates = [];
  ui.launch.configurations = [];
  ui.folders = [];
  ui.activeSession = undefined;
});

describe('with a kernel-qemu session', () => {
  test("the view lists the session's snapshots with size and time; the origin is marked", async () => {
    ui.activeSession = new Session({ 'kernelQemu.snapshots.list': () => body({ origin: 'a' }) });
    const [item] = await items();
    assert.equal(item!.label, 'a');
    assert.match(String(item!.description), /^● 80\.3 MiB · /);
    assert.equal(item!.contextValue, SNAPSHOT_ITEM.session);
    assert.match(String(item!.tooltip), /VM clock: 00:00:04\.000[\s\S]*\/s\/state\.qcow2[\s\S]*came from this snapshot/);
  });

  test('save with only an initrd offers the state disk, attaches it, then saves under the suggested name', async () => {
    let attached = false;
    const session = new Session({
      'kernelQemu.snapshots.list': () =>
        attached ? body() : body({ canSave: false, snapshots: [], stateDisk: { attached: false, path: '/s/new.qcow2' } }),
      'kernelQemu.snapshots.attachStateDisk': () => ((attached = true), { path: '/s/new.qcow2', created: true }),
      'kernelQemu.snapshots.save': () => ({ qemuMs: 150, totalMs: 170 }),
    });
    ui.activeSession = session;
    ui.answers = ['Attach State Disk', 'do_sys_openat2'];
    await run(SNAPSHOT_COMMAND.save);
    assert.deepEqual(ui.errors, []);
    assert.match(ui.asked[0]!.text, /initrd only/);
    assert.deepEqual(ui.asked[0]!.items, ['Attach State Disk']);
    assert.match(String((ui.asked[0]!.options as { detail: string }).detail), /\/s\/new\.qcow2/);
    assert.equal(ui.asked[1]!.text, 'do_sys_openat2', 'the input box suggests the stop location');
    const validate = (ui.asked[1]!.options as { validateInput: (value: string) => unknown }).validateInput;
    assert.match(String(validate('12')), /digits/);
    assert.equal(validate('fresh'), null);
    assert.deepEqual(
      session.requests.map(([command]) => command),
      ['kernelQemu.snapshots.list', 'kernelQemu.snapshots.attachStateDisk', 'kernelQemu.snapshots.list', 'kernelQemu.snapshots.save'],
    );
    assert.deepEqual(session.requests[3]![1], { name: 'do_sys_openat2', overwrite: false });
  });

  test('a raw rootfs is offered conversion too; saving over a name asks first', async () => {
    ui.activeSession = new Session({ 'kernelQemu.snapshots.list': () => body({ canSave: false, unsavedDisks: ['/w/rootfs.ext2'] }) });
    ui.answers = [undefined];
    await run(SNAPSHOT_COMMAND.save);
    assert.deepEqual(ui.asked[0]!.items, ['Attach State Disk', 'Convert Rootfs to qcow2…']);
    assert.match(String((ui.asked[0]!.options as { detail: string }).detail), /corrupt/);

    const session = new Session({
      'kernelQemu.snapshots.list': () => body(),
      'kernelQemu.snapshots.save': () => ({ qemuMs: 1, totalMs: 2 }),
    });
    ui.activeSession = session;
    ui.asked = [];
    ui.answers = ['a', 'Replace'];
    await run(SNAPSHOT_COMMAND.save);
    assert.match(ui.asked[1]!.text, /Replace snapshot "a"/);
    assert.deepEqual(session.requests.at(-1), ['kernelQemu.snapshots.save', { name: 'a', overwrite: true }]);
  });

  test('deleting the snapshot the VM came from says so and forces; load errors are shown as the adapter says', async () => {
    const session = new Session({
      'kernelQemu.snapshots.list': () => body({ origin: 'a' }),
      'kernelQemu.snapshots.delete': () => ({ qemuMs: 30, totalMs: 31 }),
      'kernelQemu.snapshots.load': () => {
        throw new Error('There is no snapshot "a". The VM has no snapshots. Nothing was changed: the kernel keeps running.');
      },
    });
    ui.activeSession = session;
    const [node] = await ui.provider!.getChildren();
    ui.answers = ['Delete'];
    await run(SNAPSHOT_COMMAND.delete, node);
    assert.match(String((ui.asked[0]!.options as { detail: string }).detail), /came from this snapshot/);
    assert.deepEqual(session.requests.at(-1), ['kernelQemu.snapshots.delete', { name: 'a', force: true }]);
    await run(SNAPSHOT_COMMAND.load, node);
    assert.match(ui.errors[0]!, /no snapshot "a".*keeps running/);
  });

  test("the adapter's snapshotsChanged event refreshes the view", async () => {
    let fired = 0;
    ui.provider!.onDidChangeTreeData(() => fired++);
    const tracker = ui.tracker!.createDebugAdapterTracker({});
    tracker.onDidSendMessage({ type: 'event', event: 'kernelQemu.snapshotsChanged', body: body() });
    tracker.onDidSendMessage({ type: 'event', event: 'output' });
    assert.equal(fired, 1);
  });
});

describe("with no session: snapshots in the launch configurations' images (real qemu-img)", () => {
  const folder = path.join(scratch, 'ws');
  const stateDisk = path.join(folder, 'state.qcow2');

  test("lists an image's snapshots, deletes one with qemu-img, launches from one", async () => {
    await createStateDisk('qemu-img', stateDisk);
    execFileSync('qemu-img', ['snapshot', '-c', 'disk1', stateDisk]);
    execFileSync('qemu-img', ['snapshot', '-c', 'disk2', stateDisk]);
    ui.folders = [{ name: 'ws', index: 0, uri: { fsPath: folder } }];
    ui.launch.configurations = [
      {
        type: 'kernel-qemu',
        request: 'launch',
        name: 'k',
        program: 'vmlinux',
        kernel: 'bzImage',
        stateDisk: '${workspaceFolder}/state.qcow2',
      },
      { type: 'cppdbg', request: 'launch', name: 'other' },
    ];
    const listed = await items();
    assert.deepEqual(
      listed.map((item) => [item.label, item.contextValue, item.description]),
      [
        ['disk1', SNAPSHOT_ITEM.diskOnly, 'disk only'],
        ['disk2', SNAPSHOT_ITEM.diskOnly, 'disk only'],
      ],
    );
    const [first] = await ui.provider!.getChildren();
    ui.answers = ['Delete'];
    await run(SNAPSHOT_COMMAND.delete, first);
    assert.deepEqual(ui.errors, []);
    assert.deepEqual(
      (await listImageSnapshots('qemu-img', stateDisk)).map((s) => s.name),
      ['disk2'],
    );

    const target = launchTargets(ui.launch.configurations, folder)[0]!;
    await run(SNAPSHOT_COMMAND.launch, {
      kind: 'snapshot',
      entry: { ...A, name: 'vm1' },
      source: { kind: 'image', target, image: stateDisk },
    });
    assert.equal(ui.started[0]!.config.snapshot, 'vm1');
    assert.equal(ui.started[0]!.config.stateDisk, '${workspaceFolder}/state.qcow2');
    assert.equal(ui.started[0]!.config.type, 'kernel-qemu');
  });

  test('converting a raw rootfs writes a new qcow2 next to it, leaves the original alone, and updates launch.json', async () => {
    const raw = path.join(folder, 'rootfs.ext2');
    writeFileSync(raw, Buffer.alloc(1024 * 1024, 7));
    const before = statSync(raw).mtimeMs;
    ui.folders = [{ name: 'ws', index: 0, uri: { fsPath: folder } }];
    ui.launch.configurations = [
      {
        type: 'kernel-qemu',
        request: 'launch',
        name: 'k',
        program: 'vmlinux',
        kernel: 'bzImage',
        rootfs: '${workspaceFolder}/rootfs.ext2',
      },
    ];
    // The quick pick (first answer) picks the configuration it offers; then Convert, then use it.
    ui.answers = [undefined, 'Convert', 'Use It in "k"'];
    const showQuickPick = vscodeStub.window.showQuickPick;
    vscodeStub.window.showQuickPick = async (offered: Array<{ label: string }>) => (answer('pick', '', offered), offered[0]);
    try {
      await run(SNAPSHOT_COMMAND.convertRootfs);
    } finally {
      vscodeStub.window.showQuickPick = showQuickPick;
    }
    assert.deepEqual(ui.errors, []);
    const converted = path.join(folder, 'rootfs.qcow2');
    assert.equal(await diskFormat(converted), 'qcow2');
    assert.equal(statSync(raw).mtimeMs, before);
    assert.deepEqual(readFileSync(raw), Buffer.alloc(1024 * 1024, 7));
    assert.equal((ui.launch.configurations[0] as Record<string, unknown>).rootfs, '${workspaceFolder}/rootfs.qcow2');
    assert.equal(ui.updates[0]!.target, 3, "written to the folder's launch.json");
    await assert.rejects(convertToQcow2('qemu-img', raw, converted), /already exists/);
  });
});

describe('the model', () => {
  test('launch.json variables and relative paths resolve like VS Code would', () => {
    const context = { env: { IMAGES: '/img' }, home: '/home/u' };
    assert.equal(
      substituteVariables('${workspaceFolder}/a:${userHome}:${env:IMAGES}:${env:NONE}:${workspaceFolderBasename}:${command:x}', {
        ...context,
        folder: '/w/linux',
      }),
      '/w/linux/a:/home/u:/img::linux:${command:x}',
    );
    const [target] = launchTargets(
      [
        {
          type: 'kernel-qemu',
          request: 'launch',
          name: 'k',
          kernel: 'arch/x86/boot/bzImage',
          initrd: '${env:IMAGES}/initrd.gz',
          rootfs: 'rootfs.qcow2',
          cwd: '${workspaceFolder}/build',
        },
      ],
      '/w/linux',
      context,
    );
    assert.deepEqual(
      [target!.kernel, target!.initrd, target!.rootfs, target!.stateDisk],
      ['/w/linux/build/arch/x86/boot/bzImage', '/img/initrd.gz', '/w/linux/build/rootfs.qcow2', undefined],
    );
    assert.deepEqual(launchTargets([{ type: 'kernel-qemu', request: 'attach', name: 'a', target: 'x' }, null, 'junk'], '/w'), []);
  });

  test('an initrd-only configuration has no image until its default state disk exists', async () => {
    const [target] = launchTargets(
      [{ type: 'kernel-qemu', request: 'launch', name: 'k', kernel: '/k/bzImage-model', initrd: '/k/initrd' }],
      undefined,
    );
    assert.equal(await snapshotImageOf(target!), undefined);
    const { proposedStateDisk } = (await import('../../src/qemu/qemuImg')).snapshotStorage({
      ...target!,
      rootfsFormat: undefined,
      stateDiskDirectory: process.env.KERNEL_QEMU_STATE_DIR!,
    });
    await createStateDisk('qemu-img', proposedStateDisk);
    assert.equal(await snapshotImageOf(target!), proposedStateDisk);
    assert.equal((statSync(path.dirname(proposedStateDisk)).mode & 0o777).toString(8), '700');
  });

  test('descriptions, converted names, launch.json paths and the rootfs edit', () => {
    const now = new Date(A.date);
    assert.match(snapshotDescription(A, now), /^80\.3 MiB · \d/);
    assert.equal(snapshotDescription({ ...A, vmStateSize: 0 }, now), 'disk only');
    assert.equal(
      convertedImagePath('/w/rootfs.ext2', () => false),
      '/w/rootfs.qcow2',
    );
    assert.equal(
      convertedImagePath('/w/disk.img', (file) => file === '/w/disk.qcow2'),
      '/w/disk-2.qcow2',
    );
    assert.equal(launchJsonPath('/w/linux/rootfs.qcow2', '/w/linux'), '${workspaceFolder}/rootfs.qcow2');
    assert.equal(launchJsonPath('/elsewhere/rootfs.qcow2', '/w/linux'), '/elsewhere/rootfs.qcow2');
    const configurations = [
      { type: 'kernel-qemu', request: 'launch', name: 'k', rootfs: 'old' },
      { type: 'kernel-qemu', request: 'launch', name: 'j', rootfs: 'old' },
    ];
    assert.deepEqual(withRootfs(configurations, { name: 'k' }, 'new'), [{ ...configurations[0], rootfs: 'new' }, configurations[1]]);
  });
});
