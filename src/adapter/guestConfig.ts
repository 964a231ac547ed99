// The guest keys of a launch (network, ports, shares, guestCommand, modprobe), checked and
// resolved before QEMU starts: QEMU's devices (src/guest/qemuGuestArgs.ts) and the kq.*
// command line words the kernel-qemu initramfs reads (src/guest/guestCommandLine.ts).
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { Kconfig } from '../build/kconfig';
import { virtiofsProblem } from '../guest/virtiofs';
import { sshKeyOf } from '../guest/debianImage';
import { createServer } from 'node:net';
import { guestCommandLineWords } from '../guest/guestCommandLine';
import type { GuestDevices, GuestShare, PortForward } from '../guest/qemuGuestArgs';
import { launchErrors } from './launchErrors';
import { DEFAULTS } from './launchArgs';
import type { SessionInfo } from './sessionProtocol';

export interface ShareOption {
  host: string;
  guest: string;
  readOnly?: boolean;
  transport?: 'auto' | '9p' | 'virtiofs';
}

export interface PortOption {
  host: number;
  guest: number;
}

export interface ResolvedGuest {
  devices: GuestDevices;
  /** The host port on 127.0.0.1 forwarded to the guest's ssh (22), when the network is on. */
  sshPort: number | undefined;
  /** kq.* words for the kernel command line. */
  commandLineWords: string[];
}

const SSH_PORT = 22;

/** A free TCP port on 127.0.0.1 (the kernel picks it), or a check that `port` is free there. */
export function loopbackPort(port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const chosen = typeof address === 'object' && address ? address.port : port;
      server.close(() => resolve(chosen));
    });
  });
}

async function forwardOf(option: PortOption): Promise<PortForward> {
  if (option.host === 0) return { host: await loopbackPort(), guest: option.guest };
  try {
    await loopbackPort(option.host);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw launchErrors.portTaken(option.host, code, error);
  }
  return { host: option.host, guest: option.guest };
}

/** The kernel's .config beside vmlinux (a kernel tree's build directory, or a fetched kernel's `config`). */
async function kernelConfigBeside(program: string | undefined): Promise<Kconfig | undefined> {
  if (!program) return undefined;
  for (const name of ['.config', 'config']) {
    const text = await readFile(path.join(path.dirname(program), name), 'utf8').catch(() => undefined);
    if (text) return Kconfig.parse(text);
  }
  return undefined;
}

/** 'auto': 9p when the kernel has it (or its .config is not found), virtiofs when it has only that. */
function transportFor(option: ShareOption, config: Kconfig | undefined): '9p' | 'virtiofs' {
  if (option.transport === '9p' || option.transport === 'virtiofs') return option.transport;
  const has = (symbol: string) => ['y', 'm'].includes(config?.get(symbol) ?? 'n');
  return config && !has('9P_FS') && has('VIRTIO_FS') ? 'virtiofs' : '9p';
}

async function shareOf(
  option: ShareOption,
  index: number,
  at: (value: string) => string,
  config: Kconfig | undefined,
): Promise<GuestShare> {
  const host = at(option.host);
  const info = await stat(host).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw launchErrors.shareMissing(index, host, info !== undefined);
  }
  // The mount point travels on the kernel command line as tag:path:mode: no spaces, colons or commas.
  if (!/^\/[\w./+@-]*$/.test(option.guest)) {
    throw launchErrors.badShareMountPoint(index, option.guest);
  }
  const transport = transportFor(option, config);
  const problem = transport === 'virtiofs' ? virtiofsProblem() : undefined;
  if (problem) {
    throw launchErrors.virtiofsUnusable(index, option.transport === 'virtiofs', problem);
  }
  return { host, guest: option.guest, readOnly: option.readOnly ?? DEFAULTS.shareReadOnly, transport, tag: `kqshare${index}` };
}

export async function resolveGuest(args: Record<string, unknown>, at: (value: string) => string): Promise<ResolvedGuest> {
  const network = (args.network as 'user' | 'none' | undefined) ?? DEFAULTS.network;
  const ports = (args.ports as PortOption[] | undefined) ?? [];
  for (const [index, port] of ports.entries()) {
    for (const side of ['host', 'guest'] as const) {
      const value = port[side];
      const lowest = side === 'host' ? 0 : 1;
      if (!Number.isInteger(value) || value < lowest || value > 65535) throw launchErrors.badPort(index, side, lowest);
    }
  }
  if (network === 'none' && ports.length) throw launchErrors.portsWithoutNetwork();
  const shareOptions = (args.shares as ShareOption[] | undefined) ?? [];
  const kernelConfig = shareOptions.length
    ? await kernelConfigBeside(typeof args.program === 'string' ? at(args.program) : undefined)
    : undefined;
  const shares = await Promise.all(shareOptions.map((share, index) => shareOf(share, index, at, kernelConfig)));
  const forwards: PortForward[] = [];
  let sshPort: number | undefined;
  if (network === 'user') {
    for (const port of ports) forwards.push(await forwardOf(port));
    const sshForward = forwards.find((forward) => forward.guest === SSH_PORT) ?? { host: await loopbackPort(), guest: SSH_PORT };
    if (!forwards.includes(sshForward)) forwards.push(sshForward);
    sshPort = sshForward.host;
  }
  const modules = (args.modprobe as string[] | undefined) ?? [];
  const badModule = modules.find((name) => !/^[\w-]+$/.test(name));
  if (badModule !== undefined) throw launchErrors.badModuleName(badModule);
  const commandLineWords = guestCommandLineWords({
    network,
    shares: shares.map((share) => ({ tag: share.tag, guestPath: share.guest, readOnly: share.readOnly, transport: share.transport })),
    run: typeof args.guestCommand === 'string' && args.guestCommand.trim() ? args.guestCommand : undefined,
    modules,
  });
  return { devices: { network, forwards, shares }, sshPort, commandLineWords };
}

/** Debug Console lines that say how to reach the guest. */
export function guestSummary(guest: ResolvedGuest, sshKey: string | undefined): string[] {
  const lines: string[] = [];
  if (guest.devices.network === 'user') {
    const ssh =
      guest.sshPort === undefined
        ? ''
        : sshKey
          ? `ssh -i ${sshKey} -p ${guest.sshPort} root@127.0.0.1`
          : `127.0.0.1:${guest.sshPort} → the guest's ssh port (22), when it runs an ssh server`;
    lines.push(`Guest network: user-mode, the guest is 10.0.2.15 and reaches the host as 10.0.2.2. ssh: ${ssh}`);
    for (const forward of guest.devices.forwards)
      if (forward.guest !== SSH_PORT) lines.push(`Forwarded: 127.0.0.1:${forward.host} → guest port ${forward.guest}`);
  }
  for (const share of guest.devices.shares)
    lines.push(
      `Shared folder: ${share.host} → ${share.guest} ` +
        `(${share.readOnly ? 'read-only' : 'read-write'}, ${share.transport} tag ${share.tag})`,
    );
  return lines.map((line) => `${line}\n`);
}

/** What the extension's status bar and ssh command learn of a session: arch, accelerator, the forwarded ssh. */
export function sessionInfoOf(
  config: { request: 'launch' | 'attach'; arch: SessionInfo['arch']; guest?: ResolvedGuest; rootfs?: { path: string } },
  underKvm: boolean,
): SessionInfo {
  const info: SessionInfo = { arch: config.arch, accel: config.request === 'attach' ? 'attach' : underKvm ? 'kvm' : 'tcg' };
  if (config.request !== 'launch' || config.guest?.sshPort === undefined) return info;
  const key = config.rootfs && existsSync(sshKeyOf(config.rootfs.path)) ? sshKeyOf(config.rootfs.path) : undefined;
  // An initramfs has no ssh server; a disk image may.
  return { ...info, ssh: { port: config.guest.sshPort, ...(key ? { key } : {}), withServer: config.rootfs !== undefined } };
}
