// The Debian image recipe (pure): mmdebstrap's argv, the customize hook that makes the
// image a debugging guest (serial autologin, ssh with this image's key, DHCP on the
// user-mode network, fstab, the tree's modules, then mke2fs -d into a raw ext4 file), and
// the cache key of a recipe. The hook reads every path from the environment, so no
// user-chosen text is ever part of a shell command.
import { createHash } from 'node:crypto';
import type { GuestArch } from '../arch';

export const DEBIAN_ARCH: Readonly<Record<GuestArch, string>> = { x86_64: 'amd64', aarch64: 'arm64' };
export const DEBIAN_SUITE = 'bookworm';
/** systemd for a login on the serial console, udev, ssh, ip, modprobe. DHCP comes from systemd-networkd. */
export const BASE_PACKAGES = ['systemd-sysv', 'udev', 'openssh-server', 'iproute2', 'kmod', 'procps'];
/** Bump when the hook changes: cached images are then rebuilt. */
const RECIPE_REVISION = 1;

export interface DebianRecipe {
  arch: GuestArch;
  sizeMiB: number;
  packages: readonly string[];
}

/** The customize hook (sh, run by mmdebstrap with the new root as $1, outside the chroot). */
export const CUSTOMIZE_HOOK = `#!/bin/sh
# kernel-qemu: make a Debian root a debugging guest, then write it as an ext4 file system.
set -e
root="$1"
echo kernel-qemu > "$root/etc/hostname"
printf '127.0.1.1 kernel-qemu\\n' >> "$root/etc/hosts"
printf '/dev/vda / ext4 rw,errors=remount-ro 0 1\\n' > "$root/etc/fstab"
for tty in ttyS0 ttyAMA0 hvc0; do
  dir="$root/etc/systemd/system/serial-getty@$tty.service.d"
  mkdir -p "$dir"
  printf '[Service]\\nExecStart=\\nExecStart=-/sbin/agetty --autologin root --noclear --keep-baud 115200,57600,38400,9600 %%I $TERM\\n' > "$dir/autologin.conf"
done
mkdir -p "$root/etc/systemd/network"
printf '[Match]\\nName=en* eth*\\n\\n[Network]\\nDHCP=yes\\n' > "$root/etc/systemd/network/20-wired.network"
mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
ln -sf /lib/systemd/system/systemd-networkd.service "$root/etc/systemd/system/multi-user.target.wants/systemd-networkd.service"
chroot "$root" passwd -d root >/dev/null
mkdir -p "$root/root/.ssh"
chmod 700 "$root/root/.ssh"
cp "$KQ_SSH_PUBLIC_KEY" "$root/root/.ssh/authorized_keys"
chmod 600 "$root/root/.ssh/authorized_keys"
if [ -n "$KQ_MODULES" ] && [ -d "$KQ_MODULES/lib/modules" ]; then
  mkdir -p "$root/lib/modules"
  cp -a "$KQ_MODULES/lib/modules/." "$root/lib/modules/"
  for release in "$KQ_MODULES"/lib/modules/*; do chroot "$root" depmod -a "$(basename "$release")"; done
fi
rm -f "$root/etc/machine-id"; : > "$root/etc/machine-id"
# mmdebstrap has /proc, /sys and /dev mounted in the root while hooks run: copy the root
# without them (cp -x stays on its file system), then fill the ext4 file from the copy.
copy="$KQ_RAW_IMAGE.root"
rm -rf "$copy"
mkdir -p "$copy"
cp -ax "$root/." "$copy/"
mke2fs -q -F -t ext4 -L kernel-qemu -d "$copy" "$KQ_RAW_IMAGE" "\${KQ_SIZE_MIB}M"
rm -rf "$copy"
`;

/** mmdebstrap's argv for a recipe; the hook file and the output go last. */
export function mmdebstrapArgv(recipe: DebianRecipe, hookFile: string): [string, ...string[]] {
  return [
    'mmdebstrap',
    '--variant=minbase',
    `--architectures=${DEBIAN_ARCH[recipe.arch]}`,
    `--include=${[...BASE_PACKAGES, ...recipe.packages].join(',')}`,
    `--customize-hook=${hookFile}`,
    DEBIAN_SUITE,
    // The root is thrown away once the hook has written it as an ext4 file.
    '/dev/null',
  ];
}

/** A Debian package name (policy §5.6.1): anything else is refused before mmdebstrap runs. */
export function invalidPackages(packages: readonly string[]): string[] {
  return packages.filter((name) => !/^[a-z0-9][a-z0-9+.-]+$/.test(name));
}

/** What makes two builds the same image: the recipe, the key, the modules that go in. */
export function recipeKey(recipe: DebianRecipe, publicKey: string, modulesFingerprint: string): string {
  const hash = createHash('sha256');
  hash.update(
    JSON.stringify({
      revision: RECIPE_REVISION,
      hook: CUSTOMIZE_HOOK,
      suite: DEBIAN_SUITE,
      ...recipe,
      packages: [...recipe.packages].sort(),
      publicKey,
      modulesFingerprint,
    }),
  );
  return hash.digest('hex').slice(0, 16);
}

/** The private key kept beside an image (and its .pub): ssh -i, the Debug Console's hint, the terminal command. */
export function sshKeyOf(image: string): string {
  return `${image.replace(/\.qcow2$/, '')}.id_ed25519`;
}
