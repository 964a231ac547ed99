// Where kernel-qemu keeps what is worth keeping between sessions (gdb's index cache, copies of
// modules gdb could not place as they are). The editor's kernelQemu.cacheDirectory setting
// (CACHE_ARGUMENT of a launch) overrides it; then KERNEL_QEMU_CACHE, then the XDG cache.
import * as path from 'node:path';
import { defaultCacheRoot } from '../cacheRoot';
import { CACHE_ARGUMENT } from './sessionProtocol';

let configured: string | undefined;

/** A launch or attach starts: its CACHE_ARGUMENT, when it has one, is the cache from now on; none, the default. */
export function useCacheDirectoryOf(args: unknown): void {
  const directory = typeof args === 'object' && args !== null ? (args as Record<string, unknown>)[CACHE_ARGUMENT] : undefined;
  configured = typeof directory === 'string' && directory.trim() !== '' ? path.resolve(directory) : undefined;
}

export function cacheDirectory(): string {
  return configured ?? defaultCacheRoot();
}
