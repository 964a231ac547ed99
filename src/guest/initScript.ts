// The initramfs's /init (busybox sh). It reads what the session wants from the kernel
// command line (kq.* words, written by src/guest/guestCommandLine.ts), so one initramfs
// serves every launch configuration: modules to load, the network, shared folders, a
// command to run, or a root disk to switch to. Every failure prints a `kernel-qemu:` line
// that names the kernel option or the fix.

/** What /init prints once the guest is up: tests and the adapter wait for it. */
const GUEST_READY = 'kernel-qemu: guest ready';
/** Printed after the configured command, with its exit status. */
const COMMAND_DONE = 'kernel-qemu: command exited with status';

export const INIT_SCRIPT = `#!/bin/sh
# kernel-qemu initramfs /init (busybox)
/bin/busybox mkdir -p /proc /sys /dev /tmp /root /run /mnt /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
export PATH=/sbin:/usr/sbin:/bin:/usr/bin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null || echo "kernel-qemu: devtmpfs mount failed (CONFIG_DEVTMPFS)"
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t tmpfs tmpfs /tmp
hostname kernel-qemu

say() { echo "kernel-qemu: $*"; }
arg() { for word in $(cat /proc/cmdline); do case "$word" in "$1="*) echo "\${word#*=}" ;; esac; done; }
has_fs() { grep -qw "$1" /proc/filesystems; }

release=$(uname -r)
if [ -d "/lib/modules/$release" ] && [ ! -s "/lib/modules/$release/modules.dep" ]; then depmod -a 2>/dev/null; fi
load() { modprobe -q "$1" 2>/dev/null; }
for module in $(arg kq.modules | tr , ' '); do
  modprobe "$module" || say "modprobe $module failed (is it in /lib/modules/$release? rebuild the initramfs after building modules)"
done

# A disk root is mounted first, so the shares are mounted inside it and outlive switch_root.
root=$(arg root)
prefix=
if [ -n "$root" ] && [ "$(arg kq.root)" != initramfs ]; then
  load virtio_pci; load virtio_blk
  mkdir -p /newroot
  for try in 1 2 3 4 5 6 7 8 9 10; do [ -b "$root" ] && break; sleep 0.2; done
  if mount -o rw "$root" /newroot; then
    prefix=/newroot
  else
    say "cannot mount the root file system $root (a disk needs CONFIG_VIRTIO_BLK and CONFIG_VIRTIO_PCI): staying in the initramfs"
  fi
fi

if [ "$(arg kq.net)" = user ]; then
  load virtio_pci; load virtio_net
  if ip link set eth0 up 2>/dev/null; then
    ip link set lo up
    # QEMU's user-mode network: the guest is 10.0.2.15, the host's loopback is reached as 10.0.2.2.
    ip addr add 10.0.2.15/24 dev eth0
    ip route add default via 10.0.2.2
    echo "nameserver 10.0.2.3" > /etc/resolv.conf
    say "network up: eth0 10.0.2.15/24, gateway 10.0.2.2"
  else
    say "no network device: the kernel needs CONFIG_VIRTIO_PCI and CONFIG_VIRTIO_NET (built in, or as modules in the initramfs)"
  fi
fi

for share in $(arg kq.share); do
  tag=\${share%%:*}; rest=\${share#*:}
  shown=\${rest%%:*}; rest=\${rest#*:}
  mode=\${rest%%:*}; fs=\${rest#*:}
  point="$prefix$shown"
  mkdir -p "$point"
  load virtio_pci
  if [ "$fs" = virtiofs ]; then
    load virtiofs
    has_fs virtiofs || { say "cannot mount share $tag on $shown: the kernel has no virtiofs (CONFIG_VIRTIO_FS, CONFIG_FUSE_FS)"; continue; }
    mount -t virtiofs -o "$mode" "$tag" "$point" && say "share $tag mounted on $shown ($mode)"
  else
    load 9pnet_virtio; load 9p
    has_fs 9p || { say "cannot mount share $tag on $shown: the kernel has no 9p (CONFIG_NET_9P, CONFIG_NET_9P_VIRTIO, CONFIG_9P_FS)"; continue; }
    mount -t 9p -o "trans=virtio,version=9p2000.L,msize=262144,$mode" "$tag" "$point" && say "share $tag mounted on $shown ($mode)"
  fi
done

if [ -n "$prefix" ]; then
  for dir in /proc /sys /dev; do mount --move "$dir" "$prefix$dir" 2>/dev/null; done
  say "switching to the root file system on $root"
  exec switch_root "$prefix" /sbin/init
fi

say "$(cat /proc/version)"
echo "${GUEST_READY}"
cd /root
run=$(arg kq.run)
if [ -n "$run" ]; then
  command=$(echo "$run" | base64 -d)
  sh -c "$command"
  echo "${COMMAND_DONE} $?"
fi
# A new session with the console (ttyS0, ttyAMA0) as its controlling tty: job control works.
setsid cttyhack sh
say "shell exited, powering off"
poweroff -f
`;
