// Where kernel-qemu keeps what is worth keeping between sessions and builds, unless a setting
// says otherwise: KERNEL_QEMU_CACHE, then the XDG cache. Below every layer: the builds, the
// guest images and the adapter all keep their files under it.
import * as os from 'node:os';
import * as path from 'node:path';

export function defaultCacheRoot(): string {
  return process.env.KERNEL_QEMU_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'kernel-qemu');
}
