// Where kernel-qemu keeps what is worth keeping between sessions (gdb's index cache).
import * as os from 'node:os';
import * as path from 'node:path';

export function cacheDirectory(): string {
  return process.env.KERNEL_QEMU_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'kernel-qemu');
}
