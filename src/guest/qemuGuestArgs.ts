// QEMU's argv for the guest's devices: the user-mode network with its loopback-only port
// forwards, and shared folders over virtio-9p. Pure, like src/qemu/args.ts.

export interface PortForward {
  /** Port on 127.0.0.1 (never another address). */
  host: number;
  guest: number;
}

export interface GuestShare {
  /** Host folder. */
  host: string;
  /** Where /init mounts it. */
  guest: string;
  readOnly: boolean;
  transport: '9p' | 'virtiofs';
  /** The mount tag, kqshare<N>. */
  tag: string;
  /** virtiofs: its virtiofsd's socket (src/guest/virtiofs.ts), set when the daemon runs. */
  socket?: string;
}

export interface GuestDevices {
  network: 'user' | 'none';
  forwards: readonly PortForward[];
  shares: readonly GuestShare[];
}

/** QEMU's option syntax splits on commas; a literal comma is written twice. */
function escape(value: string): string {
  return value.replace(/,/g, ',,');
}

/** virtiofs needs the guest's RAM shared with virtiofsd: one memfd backend as the only NUMA node. */
export function guestDeviceArgs(devices: GuestDevices, memoryMiB: number): string[] {
  const args: string[] = [];
  if (devices.network === 'user') {
    // hostfwd binds the host side to 127.0.0.1 only: QEMU's default would be every address.
    const forwards = devices.forwards.map((forward) => `,hostfwd=tcp:127.0.0.1:${forward.host}-:${forward.guest}`).join('');
    args.push('-netdev', `user,id=kqnet${forwards}`, '-device', 'virtio-net-pci,netdev=kqnet');
  }
  if (devices.shares.some((share) => share.transport === 'virtiofs')) {
    args.push('-object', `memory-backend-memfd,id=kqmem,size=${memoryMiB}M,share=on`, '-numa', 'node,memdev=kqmem');
  }
  for (const share of devices.shares) {
    if (share.transport === 'virtiofs') {
      if (!share.socket) throw new Error(`virtiofs share ${share.tag}: its virtiofsd has not started`);
      args.push(
        '-chardev',
        `socket,id=${share.tag}fs,path=${escape(share.socket)}`,
        '-device',
        `vhost-user-fs-pci,chardev=${share.tag}fs,tag=${share.tag}`,
      );
      continue;
    }
    const readOnly = share.readOnly ? ',readonly=on' : '';
    args.push(
      '-fsdev',
      `local,id=${share.tag},path=${escape(share.host)},security_model=none${readOnly}`,
      '-device',
      `virtio-9p-pci,fsdev=${share.tag},mount_tag=${share.tag}`,
    );
  }
  return args;
}
