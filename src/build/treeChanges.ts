// Has anything in a kernel tree changed since a build finished? Answered by looking at the
// files' own times (mtime and ctime, so a `cp -p` or a rename counts too) instead of running
// make: a no-op make of a built tree re-reads every Kbuild file and takes seconds to tens of
// seconds, a walk of the tree's ~70,000 files a few hundred milliseconds. The outputs make
// writes (objects, .cmd files, images) are skipped by name: they date from the build itself.
// No vscode.
import { type Dirent, lstatSync, readdirSync, type Stats } from 'node:fs';
import * as path from 'node:path';

export interface TreeChange {
  /** The first file or folder found newer than the build, when one is. */
  changed?: string;
  /** Files and folders looked at. */
  entries: number;
  durationMs: number;
}

/** Folders that are not build inputs: version control, editors' caches, the documentation. */
const SKIPPED_DIRS = new Set(['.git', '.hg', '.svn', '.cache', '.vscode', '.idea', 'Documentation']);
/** What make itself writes: their times are the build's. */
const OUTPUT_FILE =
  /\.(o|ko|a|cmd|mod|mod\.c|d|order|symvers|dwo|lst|tmp|so|gz|xz|zst|lzma|cpio)$|^(vmlinux(\..*)?|System\.map|bzImage|Image)$/;
/**
 * Entries looked at between yields to the event loop. The calls are synchronous on purpose:
 * libuv's thread pool makes each lstat cost about four times as much (1.2 s against 0.33 s
 * for Debian's 6.1 tree here), and a slice this size blocks for a few milliseconds.
 */
const SLICE = 2000;

/**
 * Walks `srcDir` (and, for an O= build, `objDir`'s .config) for an entry whose mtime or ctime
 * is after `sinceMs`; stops at the first one found.
 */
export async function findChangeSince(srcDir: string, objDir: string, sinceMs: number): Promise<TreeChange> {
  const started = performance.now();
  let entries = 0;
  const newer = (stats: Stats | undefined) => stats !== undefined && Math.max(stats.mtimeMs, stats.ctimeMs) > sinceMs;
  const done = (changed?: string): TreeChange => ({ ...(changed ? { changed } : {}), entries, durationMs: performance.now() - started });

  const stat = (file: string) => {
    entries++;
    return lstatSync(file, { throwIfNoEntry: false });
  };
  if (path.resolve(objDir) !== path.resolve(srcDir)) {
    const config = path.join(objDir, '.config');
    if (newer(stat(config))) return done(config);
  }
  const pending = [srcDir.replace(/\/+$/, '') || '/'];
  let sliceEnd = SLICE;
  while (pending.length > 0) {
    const dir = pending.pop()!;
    // The folder itself: a file added, removed or renamed in it changes its times.
    if (newer(stat(dir))) return done(dir);
    let listing: Dirent[];
    try {
      listing = readdirSync(dir, { withFileTypes: true });
    } catch {
      continue; // unreadable: make cannot read it either
    }
    for (const entry of listing) {
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name)) pending.push(`${dir}/${entry.name}`);
      } else if (!OUTPUT_FILE.test(entry.name)) {
        const file = `${dir}/${entry.name}`;
        if (newer(stat(file))) return done(file);
      }
    }
    if (entries >= sliceEnd) {
      sliceEnd = entries + SLICE;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return done();
}
