// The kq.* words of the kernel command line that the kernel-qemu initramfs's /init reads
// (src/guest/initScript.ts): what to load, mount and run. Pure.

export interface GuestShareWords {
  tag: string;
  guestPath: string;
  readOnly: boolean;
  transport: '9p' | 'virtiofs';
}

export interface GuestWords {
  network: 'user' | 'none';
  shares: readonly GuestShareWords[];
  /** A shell command run on the console once the guest is up. */
  run?: string;
  modules: readonly string[];
}

/** The command is base64 on the command line: it may hold spaces and quotes, the command line may not. */
export function guestCommandLineWords(words: GuestWords): string[] {
  const out: string[] = [];
  if (words.network === 'user') out.push('kq.net=user');
  for (const share of words.shares) out.push(`kq.share=${share.tag}:${share.guestPath}:${share.readOnly ? 'ro' : 'rw'}:${share.transport}`);
  if (words.modules.length) out.push(`kq.modules=${words.modules.join(',')}`);
  if (words.run) out.push(`kq.run=${Buffer.from(words.run, 'utf8').toString('base64')}`);
  return out;
}
