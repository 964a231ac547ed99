// The test kernels fetched by scripts/fetch-kernels.sh; a missing one fails loudly (never a skip).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { KERNEL_CACHE } from './fixture';

export interface Kernel {
  vmlinux: string;
  kernel: string;
  initrd: string;
}

export function fetchedKernel(arch: 'x86_64' | 'aarch64'): Kernel {
  const dir = path.join(KERNEL_CACHE, 'kernels', arch);
  const kernel: Kernel = { vmlinux: path.join(dir, 'vmlinux'), kernel: path.join(dir, 'kernel'), initrd: path.join(dir, 'initrd.gz') };
  for (const file of [kernel.vmlinux, kernel.kernel, kernel.initrd])
    assert.ok(existsSync(file), `${file} is missing: run 'bash scripts/fetch-kernels.sh ${arch}' (npm test does)`);
  return kernel;
}
