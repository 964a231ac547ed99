#!/usr/bin/env bash
# Fetches Debian's linux-source-6.1 (the tree the test kernels were built from) and unpacks it
# once into $CACHE/src/linux-<version>. Prints the tree's path. Idempotent.
#   bash scripts/fetch-kernel-source.sh [--series 6.12] [--gdb-scripts] [VERSION]
# VERSION defaults to the x86_64 test kernel's of that series (scripts/fetch-kernels.sh).
# --gdb-scripts also makes the tree's lx-* scripts for that kernel (its .config, then
# `make scripts_gdb`, ~15 s) and links its vmlinux into the tree, where gdb auto-loads them.
set -euo pipefail
CACHE=${KERNEL_QEMU_CACHE:-$HOME/.cache/kernel-qemu}
series=6.1
kernels="$CACHE/kernels/x86_64"
gdb_scripts=0
while [ $# -gt 0 ]; do
  case "$1" in
    --series) series=${2:?--series wants a kernel series such as 6.12}; kernels="$CACHE/kernels/x86_64-$series"; shift 2 ;;
    --gdb-scripts) gdb_scripts=1; shift ;;
    *) break ;;
  esac
done

make_gdb_scripts() {  # make_gdb_scripts <tree>: lx-* scripts configured like the test kernel
  local tree=$1
  [ -f "$tree/.gdb-scripts-complete" ] && return 0
  [ -s "$kernels/config" ] && [ -s "$kernels/vmlinux" ] || { echo "fetch-kernel-source: $kernels has no kernel: run scripts/fetch-kernels.sh --series $series first" >&2; exit 1; }
  cp "$kernels/config" "$tree/.config"
  make -C "$tree" -s olddefconfig >/dev/null
  make -C "$tree" -s -j"$(nproc)" scripts_gdb >/dev/null
  ln -sfn "$kernels/vmlinux" "$tree/vmlinux"
  touch "$tree/.gdb-scripts-complete"
}
version=${1:-$(cat "$kernels/version" 2>/dev/null || true)}
pkg=linux-source-$series
if [ -z "$version" ]; then
  version=$(apt-cache policy "$pkg" 2>/dev/null | awk '/Candidate:/ {print $2}')
fi
[ -n "$version" ] && [ "$version" != "(none)" ] || { echo "fetch-kernel-source: cannot tell which $pkg version to fetch (run apt-get update)" >&2; exit 1; }
tree="$CACHE/src/linux-$version"
if [ -f "$tree/.complete" ]; then
  [ "$gdb_scripts" = 0 ] || make_gdb_scripts "$tree"
  echo "$tree"; exit 0
fi

mkdir -p "$CACHE/src"
exec 9>"$CACHE/src/.lock"
flock 9
if [ -f "$tree/.complete" ]; then
  [ "$gdb_scripts" = 0 ] || make_gdb_scripts "$tree"
  echo "$tree"; exit 0
fi

stage=$(mktemp -d "$CACHE/src/.stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
cd "$stage"
if ! apt-get download -o APT::Sandbox::User=root "$pkg=$version" >/dev/null 2>&1; then
  [ "$(id -u)" -eq 0 ] && apt-get update -qq >/dev/null 2>&1 || true
  apt-get download -o APT::Sandbox::User=root "$pkg=$version" >/dev/null
fi
dpkg-deb --fsys-tarfile ./*.deb | tar -x --wildcards './usr/src/linux-source-*.tar.xz'
mkdir unpacked
tar -xJf usr/src/linux-source-*.tar.xz -C unpacked
rm -rf "$tree"
mv unpacked/linux-source-* "$tree"
touch "$tree/.complete"
[ "$gdb_scripts" = 0 ] || make_gdb_scripts "$tree"
echo "$tree"
