// package.json as VS Code and the Marketplace read it: Workspace Trust declared (and what it
// gates named), no virtual workspaces, every contributed setting read by the code, views with
// icons shown only in kernel workspaces, walkthrough steps done by their outcome, command
// titles that do not repeat a prefix.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { unreadSettings } from './settingsRead';

const ROOT = path.resolve(__dirname, '../..');

interface Manifest {
  activationEvents: string[];
  capabilities?: {
    untrustedWorkspaces?: { supported?: unknown; description?: unknown; restrictedConfigurations?: unknown };
    virtualWorkspaces?: unknown;
  };
  contributes: {
    configuration: { properties: Record<string, unknown> };
    commands: Array<{ command: string; title: string; category?: string }>;
    viewsContainers: { activitybar: Array<{ id: string; icon?: string }> };
    views: Record<string, Array<{ id: string; icon?: string; when?: string }>>;
    walkthroughs: Array<{ steps: Array<{ id: string; completionEvents?: string[] }> }>;
  };
}

const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Manifest;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(file) : entry.name.endsWith('.ts') ? [file] : [];
  });
}

test('Workspace Trust: limited support, with a description of what needs trust', () => {
  const trust = manifest.capabilities?.untrustedWorkspaces;
  assert.equal(trust?.supported, 'limited');
  assert.equal(typeof trust?.description, 'string');
  for (const gated of [/debug session/, /build task/, /vmlinux-gdb\.py/]) assert.match(String(trust?.description), gated);
  // Settings that name programs to run are taken from user settings only in Restricted Mode.
  assert.deepEqual(trust?.restrictedConfigurations, ['kernelQemu.qemuPath', 'kernelQemu.gdbPath', 'kernelQemu.cacheDirectory']);
  assert.equal(manifest.capabilities?.virtualWorkspaces, false, 'QEMU and gdb need files on disk');
});

test('every contributed setting is read by code under src/', () => {
  const sources = sourceFiles(path.join(ROOT, 'src')).map((file) => ({
    file: path.relative(ROOT, file),
    text: readFileSync(file, 'utf8'),
  }));
  const keys = Object.keys(manifest.contributes.configuration.properties);
  assert.ok(keys.length >= 5, keys.join(', '));
  assert.deepEqual(unreadSettings(keys, sources), []);
});

test('the settings check fails on a setting nobody reads, or one read from another section', () => {
  const source = (text: string) => [{ file: 'x.ts', text }];
  const keys = ['kernelQemu.qemuPath'];
  assert.deepEqual(unreadSettings(keys, source("vscode.workspace.getConfiguration('kernelQemu').get<string>('qemuPath', '')")), []);
  assert.deepEqual(
    unreadSettings(
      keys,
      source("const s = vscode.workspace.getConfiguration(SETTINGS_SECTION, folder);\nconst q = s.get<string>('qemuPath', '');"),
    ),
    [],
  );
  assert.deepEqual(unreadSettings(keys, source('')), keys);
  // launch.json's configurations are not settings; nor is an unrelated map's get.
  assert.deepEqual(
    unreadSettings(
      keys,
      source("vscode.workspace.getConfiguration('kernelQemu');\nconst l = vscode.workspace.getConfiguration('launch').get('qemuPath');"),
    ),
    keys,
  );
  assert.deepEqual(unreadSettings(keys, source("const s = vscode.workspace.getConfiguration('kernelQemu');\nmap.get('qemuPath');")), keys);
});

test('views have icons and show only in a kernel or buildroot workspace or a kernel-qemu session', () => {
  const [container, ...others] = manifest.contributes.viewsContainers.activitybar;
  assert.equal(others.length, 0);
  assert.match(container?.icon ?? '', /\.svg$/);
  const views = manifest.contributes.views[container!.id] ?? [];
  assert.deepEqual(
    views.map((view) => view.id),
    ['kernelQemu.builds', 'kernelQemu.snapshots'],
  );
  for (const view of views) {
    assert.match(view.icon ?? '', /^\$\([a-z-]+\)$/, `${view.id} has a codicon`);
    // With every view hidden, VS Code hides the container (it is registered hideIfEmpty).
    assert.equal(view.when, "kernelQemu.inKernelTree || debugType == 'kernel-qemu'", view.id);
  }
});

test('the extension activates in every kind of tree its views show for (the context key needs it running)', () => {
  // A kernel source tree, a kernel O= build directory (its `source` link), a buildroot tree; one level down too.
  for (const event of [
    'workspaceContains:Kconfig',
    'workspaceContains:source/Kconfig',
    'workspaceContains:Config.in',
    'workspaceContains:*/Kconfig',
    'workspaceContains:*/Config.in',
  ]) {
    assert.ok(manifest.activationEvents.includes(event), event);
  }
});

test('walkthrough steps are done by what they lead to (tools found, a kernel found, a session), not a click', () => {
  const steps = manifest.contributes.walkthroughs.flatMap((walkthrough) => walkthrough.steps);
  assert.deepEqual(
    steps.map((step) => [step.id, step.completionEvents]),
    [
      ['prerequisites', ['onContext:kernelQemu.toolsFound']],
      ['kernel', ['onContext:kernelQemu.kernelFound']],
      ['launch', ["onContext:debugType == 'kernel-qemu'"]],
    ],
  );
  // The keys are set by the extension, not only named here.
  const sources = sourceFiles(path.join(ROOT, 'src/extension'))
    .map((file) => readFileSync(file, 'utf8'))
    .join('\n');
  for (const key of ['TOOLS_FOUND', 'KERNEL_FOUND']) assert.match(sources, new RegExp(`executeCommand\\('setContext', ${key},`), key);
});

test('no invented project addresses: the manifest names no repository, bugs or homepage', () => {
  // There is no public repository yet; `npm run package` passes --allow-missing-repository.
  const raw = manifest as unknown as Record<string, unknown>;
  assert.deepEqual(
    ['repository', 'bugs', 'homepage'].filter((key) => key in raw),
    [],
  );
});

test('command titles carry no prefix of their own (the palette shows "Category: Title")', () => {
  // "Kernel QEMU: Config Doctor: Check .config" reads twice: a title has no "Word: " prefix.
  const doubled = manifest.contributes.commands.filter(
    ({ title, category }) => (category && title.toLowerCase().startsWith(category.toLowerCase())) || /^[\w .-]+: /.test(title),
  );
  assert.deepEqual(doubled, []);
  assert.ok(
    manifest.contributes.commands.every(({ category }) => category === 'Kernel QEMU'),
    'one category for all',
  );
});
