#!/usr/bin/env bash
# Installs the Debian packages kernel-qemu's tests and demo need (QEMU for both arches,
# gdb-multiarch, busybox for the initramfs, the toolchain to build a kernel). As root it uses apt-get; otherwise it says what to run.
set -euo pipefail
packages=(qemu-system-x86 qemu-system-arm qemu-utils gdb-multiarch busybox-static cpio socat util-linux xz-utils)
# Building a kernel from source (test/adapter/kernelBuild.test.ts, the Build Kernel task);
# kmod's depmod for make modules_install (Build Rootfs stages the tree's modules).
packages+=(make gcc flex bison bc libelf-dev libssl-dev dwarves kmod)
# Guest root file systems: Debian images (mmdebstrap; arm64 ones under qemu-user binfmt
# emulation), ext4 from a directory, the image's ssh key and the ssh client.
packages+=(mmdebstrap arch-test qemu-user-static binfmt-support e2fsprogs openssh-client)
# node-gyp, for the native parts of dev-only npm packages (cdt-gdb-adapter, the bench's peer).
packages+=(g++ python3)
# A DAP client that is not ours: Emacs dap-mode in batch mode (test/adapter/otherEditor.test.ts).
packages+=(emacs-nox elpa-dap-mode)
# arm64 Debian images run arm64 programs under qemu-user: binfmt_misc must be mounted and the
# emulator registered (a fresh machine or container often has neither).
enable_binfmt() {
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || [ "$(id -u)" -ne 0 ] && return 0
  mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || true
  update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
}
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && { enable_binfmt; exit 0; }
if [ "$(id -u)" -ne 0 ]; then
  echo "kernel-qemu needs these Debian/Ubuntu packages: ${missing[*]}" >&2
  echo "Install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing ${missing[*]} ..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
enable_binfmt
