// package.json's `contributes`, built from the typed launch/attach schema in
// src/adapter/launchArgs.ts. Pure (no vscode import): scripts/gen-contributes.ts writes
// the result into package.json and test/unit/contributes.test.ts checks they agree.
import { attachSchema, launchSchema } from '../adapter/launchArgs';
import { doctorCommands, doctorMenus } from './doctorContributes';
import { buildTaskCommands, problemMatchers, taskDefinitions } from './tasks/tasksContributes';
import { buildsCommands, buildsMenus, buildsViews, buildsViewsWelcome } from './views/buildsContributes';
import { snapshotCommands, snapshotMenus, snapshotViews, snapshotViewsWelcome } from './views/snapshotsContributes';
import { IN_KERNEL_TREE } from './contextKeys';
import { walkthroughCommands, walkthroughs } from './walkthroughContributes';
import { KCONFIG_LANGUAGE, kernelCommands, kernelGrammars, kernelLanguages, kernelMenus, kernelSettings } from './kernelContributes';

export const DEBUG_TYPE = 'kernel-qemu';
export const SETTINGS_SECTION = 'kernelQemu';
export const VIEW_CONTAINER_ID = 'kernel-qemu';

/**
 * Languages in which the gutter accepts breakpoints: the kernel's C (and C++ when a
 * header is opened as such), Rust for Linux, and the language ids that the common
 * assembly extensions give to .S files (VS Code itself ships none).
 */
export const BREAKPOINT_LANGUAGES: readonly string[] = [
  'c',
  'cpp',
  'rust',
  'asm', // several generic assembly extensions
  'gas', // GNU assembler syntax extensions
  'asm-intel-x86-generic', // 13xforever.language-x86-64-assembly
  'arm', // dan-c-underwood.arm (Arm/AArch64 assembly)
  'arm64', // AArch64 assembly extensions
  'asm-collection', // ASM Code Lens
];

/**
 * Languages for which kernel-qemu offers itself when F5 is pressed with no launch.json: the
 * breakpoint languages (a kernel header opens as C++) and the tree's .config and Kconfig
 * files. A language not listed here, with no breakpoints either, makes VS Code offer the
 * Marketplace instead ("You don't have an extension for debugging Kconfig").
 */
export const DEBUGGER_LANGUAGES: readonly string[] = [...BREAKPOINT_LANGUAGES, KCONFIG_LANGUAGE];

/**
 * Breakpoints in plain-text files inside a kernel tree only: without an assembly extension VS
 * Code opens the kernel's .S files as plain text, where F5 would offer the Marketplace.
 */
const TREE_BREAKPOINTS: ReadonlyArray<{ language: string; when: string }> = [{ language: 'plaintext', when: IN_KERNEL_TREE }];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A plain JSON copy: drops `readonly`/`as const` typing and any undefined members. */
function json(value: unknown): Json {
  return JSON.parse(JSON.stringify(value)) as Json;
}

/**
 * A string for a `configurationSnippets` body. VS Code's JSON language service inserts
 * snippet bodies as snippet text, so `${workspaceFolder}` would be taken for a snippet
 * variable; a value starting with '^' is inserted verbatim, so it is written here as
 * its JSON text with the snippet metacharacters escaped.
 */
function snippetString(value: string): string {
  return '^' + JSON.stringify(value).replace(/[\\$]/g, '\\$&');
}

const VMLINUX = '${workspaceFolder}/vmlinux';
const BZIMAGE = '${workspaceFolder}/arch/x86/boot/bzImage';
const ARM64_IMAGE = '${workspaceFolder}/arch/arm64/boot/Image';

/** The configuration written into a new launch.json, and offered when nothing else is. */
export function initialConfiguration(): Record<string, string | boolean> {
  return {
    type: DEBUG_TYPE,
    request: 'launch',
    name: 'Kernel (QEMU): launch x86_64',
    arch: 'x86_64',
    program: VMLINUX,
    kernel: BZIMAGE,
    stopAtEntry: true,
  };
}

interface Snippet {
  label: string;
  description: string;
  body: Record<string, string | boolean | number>;
}

function snippets(): Snippet[] {
  const s = snippetString;
  return [
    {
      label: 'Kernel (QEMU): Launch x86_64 with an initramfs',
      description: 'Boot arch/x86/boot/bzImage with an initramfs in QEMU and debug vmlinux.',
      body: {
        type: DEBUG_TYPE,
        request: 'launch',
        name: 'Kernel (QEMU): launch x86_64',
        arch: 'x86_64',
        program: s(VMLINUX),
        kernel: s(BZIMAGE),
        initrd: s('${workspaceFolder}/initramfs.cpio.gz'),
        stopAtEntry: true,
      },
    },
    {
      label: 'Kernel (QEMU): Launch aarch64',
      description: 'Boot arch/arm64/boot/Image on the QEMU virt machine and debug vmlinux with gdb-multiarch.',
      body: {
        type: DEBUG_TYPE,
        request: 'launch',
        name: 'Kernel (QEMU): launch aarch64',
        arch: 'aarch64',
        program: s(VMLINUX),
        kernel: s(ARM64_IMAGE),
        initrd: s('${workspaceFolder}/initramfs.cpio.gz'),
        stopAtEntry: true,
      },
    },
    {
      label: 'Kernel (QEMU): Launch x86_64 with a root disk',
      description: 'Boot arch/x86/boot/bzImage with a disk image as the root file system (root=/dev/vda).',
      body: {
        type: DEBUG_TYPE,
        request: 'launch',
        name: 'Kernel (QEMU): launch x86_64 (rootfs)',
        arch: 'x86_64',
        program: s(VMLINUX),
        kernel: s(BZIMAGE),
        rootfs: s('${workspaceFolder}/rootfs.ext4'),
        stopAtEntry: true,
      },
    },
    {
      label: 'Kernel (QEMU): Attach to a running QEMU',
      description: "Debug a QEMU started elsewhere with '-gdb tcp:127.0.0.1:1234 -S'.",
      body: {
        type: DEBUG_TYPE,
        request: 'attach',
        name: 'Kernel (QEMU): attach',
        program: s(VMLINUX),
        target: '127.0.0.1:1234',
      },
    },
  ];
}

function settings(): Record<string, Json> {
  return {
    [`${SETTINGS_SECTION}.qemuPath`]: {
      type: 'string',
      default: '',
      scope: 'machine-overridable',
      description:
        "QEMU to use when a launch configuration sets no 'qemuPath': a binary, or a directory " +
        "holding qemu-system-x86_64 and qemu-system-aarch64 (the one for the guest's arch is " +
        "used). Empty: found on PATH by the guest's arch.",
    },
    [`${SETTINGS_SECTION}.gdbPath`]: {
      type: 'string',
      default: '',
      scope: 'machine-overridable',
      description:
        "gdb to use when a configuration sets no 'gdbPath'. Empty: 'gdb' for a guest of the host's arch, otherwise 'gdb-multiarch'.",
    },
    [`${SETTINGS_SECTION}.cacheDirectory`]: {
      type: 'string',
      default: '',
      scope: 'machine-overridable',
      description:
        "Directory for kernel-qemu's caches: gdb's symbol index cache, copies of kernel modules " +
        "gdb cannot place as they are, the guest's busybox and built Debian images. Empty: " +
        '$KERNEL_QEMU_CACHE, else ~/.cache/kernel-qemu ($XDG_CACHE_HOME/kernel-qemu).',
    },
    [`${SETTINGS_SECTION}.adapterMode`]: {
      type: 'string',
      enum: ['inline', 'process'],
      enumDescriptions: [
        'Run the debug adapter inside the extension host (default, fastest start).',
        'Run the debug adapter as a separate Node.js process (dist/adapter.js): isolates it from ' +
          'the extension host, useful to debug the adapter itself.',
      ],
      default: 'inline',
      description: 'How VS Code runs the kernel-qemu debug adapter.',
    },
    [`${SETTINGS_SECTION}.buildBeforeLaunch`]: {
      type: 'boolean',
      default: true,
      description:
        'Launch configurations that kernel-qemu makes from a kernel or buildroot tree (F5 with no ' +
        "launch.json, the Run and Debug list) run the tree's Build Kernel task first " +
        '(preLaunchTask): make rebuilds only what changed. In launch.json, add "preLaunchTask": ' +
        '"kernel-qemu: Build Kernel" for the same.',
    },
    [`${SETTINGS_SECTION}.shareWorkspace`]: {
      type: 'boolean',
      default: false,
      description:
        'Share the workspace folder with every launched guest, read-only, at /mnt/workspace (an ' +
        "entry added to 'shares', mounted by the kernel-qemu initramfs). Off by default: QEMU " +
        'cannot save VM snapshots while a share is mounted.',
    },
  };
}

/** package.json's `contributes`, exactly as it must appear there. */
export function buildContributes(): Record<string, Json> {
  return {
    breakpoints: [...BREAKPOINT_LANGUAGES.map((language) => ({ language })), ...TREE_BREAKPOINTS.map((entry) => ({ ...entry }))],
    debuggers: [
      {
        type: DEBUG_TYPE,
        label: 'Kernel (QEMU)',
        languages: json(DEBUGGER_LANGUAGES),
        configurationAttributes: {
          launch: { required: json(launchSchema.required), properties: json(launchSchema.properties) },
          attach: { required: json(attachSchema.required), properties: json(attachSchema.properties) },
        },
        initialConfigurations: [initialConfiguration()],
        configurationSnippets: json(snippets()),
      },
    ],
    configuration: {
      title: 'Kernel QEMU',
      properties: { ...settings(), ...kernelSettings() },
    },
    languages: kernelLanguages(),
    grammars: kernelGrammars(),
    // VS Code registers a view container with `hideIfEmpty`: it shows while one of its views'
    // `when` holds (a kernel or buildroot tree, or a kernel-qemu session).
    viewsContainers: {
      activitybar: [{ id: VIEW_CONTAINER_ID, title: 'Kernel QEMU', icon: 'media/activity.svg' }],
    },
    // Each view brings its views, welcome texts, commands and menus (src/extension/views/*Contributes.ts).
    views: { [VIEW_CONTAINER_ID]: [...buildsViews(), ...snapshotViews()] },
    viewsWelcome: [...buildsViewsWelcome(), ...snapshotViewsWelcome()],
    commands: [
      ...buildTaskCommands(),
      ...doctorCommands(),
      ...buildsCommands(),
      ...snapshotCommands(),
      ...kernelCommands(),
      ...walkthroughCommands(),
    ],
    menus: mergeMenus(buildsMenus(), doctorMenus(), snapshotMenus(), kernelMenus()),
    // Build Kernel / Build Rootfs tasks (src/extension/tasks/tasksContributes.ts).
    taskDefinitions: taskDefinitions(),
    problemMatchers: problemMatchers(),
    walkthroughs: walkthroughs(),
  };
}

/** Menu contributions of several views, concatenated per menu id. */
function mergeMenus(...parts: ReadonlyArray<Record<string, Json[]>>): Record<string, Json[]> {
  const menus: Record<string, Json[]> = {};
  for (const part of parts) for (const [menu, items] of Object.entries(part)) (menus[menu] ??= []).push(...items);
  return menus;
}
