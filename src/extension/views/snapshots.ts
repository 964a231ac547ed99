// The Snapshots view: the VM snapshots of the active kernel-qemu session (asked of the
// adapter through DAP custom requests, refreshed on its snapshotsChanged event), or with
// no session the snapshots stored in each launch configuration's image (qemu-img). Save,
// load, delete, launch from a snapshot, and the fixes when nothing can hold a snapshot.
import { statSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  SNAPSHOT_REQUEST,
  SNAPSHOTS_CHANGED_EVENT,
  type SnapshotEntry,
  type SnapshotListBody,
  type SnapshotOperationBody,
} from '../../adapter/snapshotProtocol';
import { findExecutable } from '../../process/which';
import { convertToQcow2, deleteImageSnapshot, diskFormat, findQemuImg, listImageSnapshots } from '../../qemu/qemuImg';
import { snapshotNameProblem } from '../../qemu/vmSnapshots';
import { DEBUG_TYPE, SETTINGS_SECTION } from '../contributes';
import { SNAPSHOT_COMMAND, SNAPSHOT_ITEM, SNAPSHOTS_VIEW_ID } from './snapshotsContributes';
import {
  convertedImagePath,
  launchJsonPath,
  launchTargets,
  snapshotDescription,
  snapshotImageOf,
  snapshotTooltip,
  withRootfs,
  type LaunchTarget,
} from './snapshotsModel';

type Source =
  { kind: 'session'; session: vscode.DebugSession; body: SnapshotListBody } | { kind: 'image'; target: LaunchTarget; image: string };

type Node =
  | { kind: 'snapshot'; entry: SnapshotEntry; source: Source }
  | { kind: 'image'; targets: LaunchTarget[]; image: string; snapshots: SnapshotEntry[] }
  | { kind: 'note'; text: string; tooltip?: string };

class SnapshotsView implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly sessions = new Set<vscode.DebugSession>();

  refresh(): void {
    this.changed.fire();
  }

  dispose(): void {
    this.changed.dispose();
  }

  track(session: vscode.DebugSession, started: boolean): void {
    if (session.type !== DEBUG_TYPE) return;
    if (started) this.sessions.add(session);
    else this.sessions.delete(session);
    this.refresh();
  }

  /** The kernel-qemu session the view shows: the active one, else the latest started. */
  session(): vscode.DebugSession | undefined {
    const active = vscode.debug.activeDebugSession;
    if (active?.type === DEBUG_TYPE) return active;
    return [...this.sessions].pop();
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.kind === 'note') {
      const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
      if (node.tooltip) item.tooltip = node.tooltip;
      item.iconPath = new vscode.ThemeIcon('info');
      return item;
    }
    if (node.kind === 'image') {
      const item = new vscode.TreeItem(node.targets.map((target) => target.name).join(', '), vscode.TreeItemCollapsibleState.Expanded);
      item.description = path.basename(node.image);
      item.tooltip = node.image;
      item.iconPath = new vscode.ThemeIcon('database');
      return item;
    }
    const { entry, source } = node;
    const item = new vscode.TreeItem(entry.name, vscode.TreeItemCollapsibleState.None);
    const origin = source.kind === 'session' && source.body.origin === entry.name;
    item.description = `${origin ? '● ' : ''}${snapshotDescription(entry)}`;
    item.tooltip =
      snapshotTooltip(entry, source.kind === 'session' ? source.body.image : source.image) +
      (origin ? '\nThe VM came from this snapshot.' : '');
    item.iconPath = new vscode.ThemeIcon(entry.vmStateSize ? 'device-camera' : 'archive');
    item.contextValue =
      entry.vmStateSize === 0 ? SNAPSHOT_ITEM.diskOnly : source.kind === 'session' ? SNAPSHOT_ITEM.session : SNAPSHOT_ITEM.image;
    return item;
  }

  async getChildren(node?: Node): Promise<Node[]> {
    if (node?.kind === 'image')
      return node.snapshots.map((entry) => ({
        kind: 'snapshot',
        entry,
        source: { kind: 'image', target: node.targets[0]!, image: node.image },
      }));
    if (node) return [];
    const session = this.session();
    if (session) return this.sessionChildren(session);
    return this.imageChildren();
  }

  private async sessionChildren(session: vscode.DebugSession): Promise<Node[]> {
    let body: SnapshotListBody;
    try {
      body = await listOf(session);
    } catch (error) {
      return [{ kind: 'note', text: 'Snapshots are listed once the kernel is connected.', tooltip: errorMessage(error) }];
    }
    const nodes: Node[] = body.snapshots.map((entry) => ({ kind: 'snapshot', entry, source: { kind: 'session', session, body } }));
    if (!body.canSave)
      nodes.push({ kind: 'note', text: 'No disk can hold snapshots yet: Save offers a state disk.', tooltip: storageProblem(body) });
    return nodes;
  }

  private async imageChildren(): Promise<Node[]> {
    const byImage = new Map<string, LaunchTarget[]>();
    for (const target of workspaceTargets()) {
      const image = await snapshotImageOf(target).catch(() => undefined);
      if (image) byImage.set(image, [...(byImage.get(image) ?? []), target]);
    }
    const images: Array<Extract<Node, { kind: 'image' }>> = [];
    for (const [image, targets] of byImage) {
      const qemuImg = qemuImgFor(targets[0]);
      if (!qemuImg) return [{ kind: 'note', text: 'qemu-img was not found (Debian/Ubuntu: apt-get install qemu-utils).' }];
      try {
        images.push({ kind: 'image', targets, image, snapshots: await listImageSnapshots(qemuImg, image) });
      } catch (error) {
        images.push({ kind: 'image', targets, image, snapshots: [] });
        void vscode.window.showWarningMessage(`Cannot list the snapshots of ${image}: ${errorMessage(error)}`);
      }
    }
    const withSnapshots = images.filter((image) => image.snapshots.length > 0);
    if (withSnapshots.length === 1) return this.getChildren(withSnapshots[0]);
    return withSnapshots;
  }
}

function workspaceTargets(): LaunchTarget[] {
  const folders = vscode.workspace.workspaceFolders ?? [];
  const scopes: Array<vscode.WorkspaceFolder | undefined> = folders.length ? [...folders] : [undefined];
  return scopes.flatMap((folder) => {
    const configurations = vscode.workspace.getConfiguration('launch', folder?.uri).get<unknown[]>('configurations') ?? [];
    return launchTargets(configurations, folder?.uri.fsPath);
  });
}

/** qemu-img of the configuration's QEMU (its qemuPath, or the kernelQemu.qemuPath setting), else on PATH. */
function qemuImgFor(target: LaunchTarget | undefined): string | undefined {
  const configured = target?.qemuPath ?? vscode.workspace.getConfiguration(SETTINGS_SECTION).get<string>('qemuPath', '');
  if (configured && isDirectory(configured)) return findExecutable(path.join(configured, 'qemu-img')) ?? findQemuImg();
  return findQemuImg(configured || undefined);
}

function isDirectory(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}

async function listOf(session: vscode.DebugSession): Promise<SnapshotListBody> {
  return (await session.customRequest(SNAPSHOT_REQUEST.list)) as SnapshotListBody;
}

function storageProblem(body: SnapshotListBody): string {
  return body.unsavedDisks.length
    ? `${body.unsavedDisks.join(', ')} is a raw image, which cannot hold snapshots.`
    : 'This VM boots an initrd only: it has no disk to hold snapshots.';
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function reportErrors(work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (error) {
    void vscode.window.showErrorMessage(errorMessage(error));
  }
}

function withProgress<T>(title: string, work: () => Thenable<T>): Thenable<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title }, () => work());
}

function requireSession(view: SnapshotsView): vscode.DebugSession {
  const session = view.session();
  if (!session) throw new Error('Start a kernel-qemu session first: snapshots are saved from and loaded into a running VM.');
  return session;
}

/** When nothing can hold a snapshot: attach a state disk now, or convert the raw rootfs for the next launch. */
async function offerStorage(session: vscode.DebugSession, body: SnapshotListBody): Promise<SnapshotListBody | undefined> {
  const attach = 'Attach State Disk';
  const convert = 'Convert Rootfs to qcow2…';
  const raw = body.unsavedDisks[0];
  const detail = raw
    ? `A state disk (${body.stateDisk.path}) can hold the VM state, but the raw disk is then not ` +
      `part of snapshots: loading one after the guest wrote to that disk can corrupt its file ` +
      `system. Converting writes a new qcow2 file (the original is only read) for the next ` +
      `launch.`
    : `A small qcow2 state disk (${body.stateDisk.path}) holds the VM state; the guest does not ` +
      `see it. Launches of this configuration use it from now on.`;
  const choice = await vscode.window.showWarningMessage(
    `Cannot save a VM snapshot yet. ${storageProblem(body)}`,
    { modal: true, detail },
    attach,
    ...(raw ? [convert] : []),
  );
  if (choice === attach) {
    await withProgress('Attaching a state disk…', () => session.customRequest(SNAPSHOT_REQUEST.attachStateDisk));
    return listOf(session);
  }
  if (choice === convert && raw) await convertRootfs(raw);
  return undefined;
}

async function save(view: SnapshotsView): Promise<void> {
  const session = requireSession(view);
  let body: SnapshotListBody | undefined = await listOf(session);
  if (!body.canSave) body = await offerStorage(session, body);
  if (!body?.canSave) return;
  const taken = body.snapshots.map((snapshot) => snapshot.name);
  const name = await vscode.window.showInputBox({
    title: 'Save VM Snapshot',
    prompt: body.running
      ? 'Name of the snapshot (the kernel is running; it is paused while saving)'
      : 'Name of the snapshot of the stopped kernel',
    value: body.suggestedName,
    validateInput: (value) =>
      snapshotNameProblem(value) ??
      (taken.includes(value) ? { message: `Replaces the snapshot "${value}"`, severity: vscode.InputBoxValidationSeverity.Warning } : null),
  });
  if (name === undefined) return;
  const overwrite = taken.includes(name);
  if (overwrite) {
    const replace = await vscode.window.showWarningMessage(
      `Replace snapshot "${name}"?`,
      { modal: true, detail: 'Its saved state is lost.' },
      'Replace',
    );
    if (replace !== 'Replace') return;
  }
  const result = (await withProgress(`Saving snapshot "${name}"…`, () =>
    session.customRequest(SNAPSHOT_REQUEST.save, { name, overwrite }),
  )) as SnapshotOperationBody;
  vscode.window.setStatusBarMessage(`Snapshot "${name}" saved in ${result.totalMs} ms`, 5000);
}

async function pickSnapshot(
  view: SnapshotsView,
  purpose: string,
  loadableOnly: boolean,
): Promise<Extract<Node, { kind: 'snapshot' }> | undefined> {
  const nodes: Array<Extract<Node, { kind: 'snapshot' }>> = [];
  const collect = async (parent?: Node) => {
    for (const node of await view.getChildren(parent)) {
      if (node.kind === 'snapshot' && (!loadableOnly || node.entry.vmStateSize > 0)) nodes.push(node);
      if (node.kind === 'image') await collect(node);
    }
  };
  await collect();
  if (nodes.length === 0) throw new Error('There are no VM snapshots.');
  const picked = await vscode.window.showQuickPick(
    nodes.map((node) => ({
      label: node.entry.name,
      description: snapshotDescription(node.entry),
      detail: node.source.kind === 'image' ? `${node.source.target.name}: ${node.source.image}` : undefined,
      node,
    })),
    { title: purpose, placeHolder: 'Snapshot' },
  );
  return picked?.node;
}

async function load(view: SnapshotsView, node?: Node): Promise<void> {
  const picked = node?.kind === 'snapshot' ? node : await pickSnapshot(view, 'Load VM Snapshot', true);
  if (!picked) return;
  if (picked.source.kind === 'image') return launch(view, picked);
  const { session } = picked.source;
  const name = picked.entry.name;
  const result = (await withProgress(`Loading snapshot "${name}"…`, () =>
    session.customRequest(SNAPSHOT_REQUEST.load, { name }),
  )) as SnapshotOperationBody;
  vscode.window.setStatusBarMessage(`Snapshot "${name}" loaded in ${result.totalMs} ms`, 5000);
}

async function remove(view: SnapshotsView, node?: Node): Promise<void> {
  const picked = node?.kind === 'snapshot' ? node : await pickSnapshot(view, 'Delete VM Snapshot', false);
  if (!picked) return;
  const name = picked.entry.name;
  const source = picked.source;
  const origin = source.kind === 'session' && source.body.origin === name;
  const detail = origin
    ? 'The running VM came from this snapshot: you cannot go back to it afterwards, and a launch ' +
      'configuration whose "snapshot" names it cannot start.'
    : `It is removed from ${source.kind === 'session' ? source.body.image : source.image}.`;
  if ((await vscode.window.showWarningMessage(`Delete snapshot "${name}"?`, { modal: true, detail }, 'Delete')) !== 'Delete') return;
  if (source.kind === 'session') {
    await withProgress(`Deleting snapshot "${name}"…`, () =>
      source.session.customRequest(SNAPSHOT_REQUEST.delete, { name, force: origin }),
    );
    return;
  }
  const qemuImg = qemuImgFor(source.target);
  if (!qemuImg) throw new Error('qemu-img was not found (Debian/Ubuntu: apt-get install qemu-utils).');
  await withProgress(`Deleting snapshot "${name}"…`, () => deleteImageSnapshot(qemuImg, source.image, name));
  view.refresh();
}

async function launch(view: SnapshotsView, node?: Node): Promise<void> {
  const picked =
    node?.kind === 'snapshot' && node.source.kind === 'image' ? node : await pickSnapshot(view, 'Launch from VM Snapshot', true);
  if (!picked) return;
  if (picked.source.kind !== 'image') throw new Error('A kernel-qemu session is running: load the snapshot into it instead.');
  const { target } = picked.source;
  const folder = vscode.workspace.workspaceFolders?.find((candidate) => candidate.uri.fsPath === target.folder);
  const config: vscode.DebugConfiguration = {
    ...target.config,
    type: DEBUG_TYPE,
    request: 'launch',
    name: `${target.name} (snapshot ${picked.entry.name})`,
    snapshot: picked.entry.name,
  };
  await vscode.debug.startDebugging(folder, config);
}

/** Converts a raw rootfs into a new qcow2 file next to it, then offers to use it in the configuration(s) that named it. */
async function convertRootfs(rawPath?: string): Promise<void> {
  const targets = workspaceTargets();
  let source = rawPath;
  if (!source) {
    const raws: LaunchTarget[] = [];
    for (const target of targets)
      if (target.rootfs && (await diskFormat(target.rootfs).catch(() => undefined)) === 'raw') raws.push(target);
    const picked = raws.length
      ? await vscode.window.showQuickPick(
          raws.map((target) => ({ label: target.name, description: target.rootfs!, target })),
          { title: 'Convert which rootfs to qcow2?' },
        )
      : undefined;
    if (!raws.length) {
      const chosen = await vscode.window.showOpenDialog({ title: 'Raw disk image to convert to qcow2', canSelectMany: false });
      source = chosen?.[0]?.fsPath;
    } else source = picked?.target.rootfs;
  }
  if (!source) return;
  const user = targets.find((target) => target.rootfs === source);
  const qemuImg = qemuImgFor(user);
  if (!qemuImg) throw new Error('qemu-img was not found (Debian/Ubuntu: apt-get install qemu-utils).');
  const target = convertedImagePath(source);
  const go = await vscode.window.showInformationMessage(
    `Convert ${path.basename(source)} to a new qcow2 file?`,
    { modal: true, detail: `${source} is only read; the copy ${target} can hold VM snapshots. It is used from the next launch.` },
    'Convert',
  );
  if (go !== 'Convert') return;
  await withProgress(`Converting ${path.basename(source)} to qcow2…`, () => convertToQcow2(qemuImg, source, target));
  const users = targets.filter((candidate) => candidate.rootfs === source);
  const use = users.length ? `Use It in ${users.map((candidate) => `"${candidate.name}"`).join(', ')}` : undefined;
  const choice = await vscode.window.showInformationMessage(`Converted to ${target}.`, ...(use ? [use] : []));
  if (choice !== use || !use) return;
  for (const candidate of users) {
    const folder = vscode.workspace.workspaceFolders?.find((workspaceFolder) => workspaceFolder.uri.fsPath === candidate.folder);
    const launchConfig = vscode.workspace.getConfiguration('launch', folder?.uri);
    const configurations = launchConfig.get<unknown[]>('configurations') ?? [];
    await launchConfig.update(
      'configurations',
      withRootfs(configurations, candidate, launchJsonPath(target, candidate.folder)),
      folder ? vscode.ConfigurationTarget.WorkspaceFolder : vscode.ConfigurationTarget.Global,
    );
  }
}

export function registerSnapshotsView(context: vscode.ExtensionContext): void {
  const view = new SnapshotsView();
  const command = (id: string, run: (node?: Node) => Promise<void>) =>
    vscode.commands.registerCommand(id, (node?: Node) => reportErrors(() => run(node)));
  context.subscriptions.push(
    view,
    vscode.window.createTreeView(SNAPSHOTS_VIEW_ID, { treeDataProvider: view }),
    command(SNAPSHOT_COMMAND.refresh, async () => view.refresh()),
    command(SNAPSHOT_COMMAND.save, () => save(view)),
    command(SNAPSHOT_COMMAND.load, (node) => load(view, node)),
    command(SNAPSHOT_COMMAND.delete, (node) => remove(view, node)),
    command(SNAPSHOT_COMMAND.launch, (node) => launch(view, node)),
    command(SNAPSHOT_COMMAND.convertRootfs, () => convertRootfs()),
    vscode.debug.onDidStartDebugSession((session) => view.track(session, true)),
    vscode.debug.onDidTerminateDebugSession((session) => view.track(session, false)),
    vscode.debug.onDidChangeActiveDebugSession(() => view.refresh()),
    // The list can be read once the adapter is connected (it sends `initialized` then), and
    // changes when the adapter says so.
    vscode.debug.registerDebugAdapterTrackerFactory(DEBUG_TYPE, {
      createDebugAdapterTracker: () => ({
        onDidSendMessage: (message: { type?: string; event?: string }) => {
          if (message.type === 'event' && (message.event === 'initialized' || message.event === SNAPSHOTS_CHANGED_EVENT)) view.refresh();
        },
      }),
    }),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('launch')) view.refresh();
    }),
  );
}
