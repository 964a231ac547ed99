#!/usr/bin/env bash
# Fetches Debian's linux-source-6.1 (the tree the test kernels were built from) and unpacks it
# once into $CACHE/src/linux-<version>. Prints the tree's path. Idempotent.
#   bash scripts/fetch-kernel-source.sh [VERSION]   (default: the x86_64 test kernel's version)
set -euo pipefail
CACHE=${KERNEL_QEMU_CACHE:-$HOME/.cache/kernel-qemu}
version=${1:-$(cat "$CACHE/kernels/x86_64/version" 2>/dev/null || true)}
pkg=linux-source-6.1
if [ -z "$version" ]; then
  version=$(apt-cache policy "$pkg" 2>/dev/null | awk '/Candidate:/ {print $2}')
fi
[ -n "$version" ] && [ "$version" != "(none)" ] || { echo "fetch-kernel-source: cannot tell which $pkg version to fetch (run apt-get update)" >&2; exit 1; }
tree="$CACHE/src/linux-$version"
if [ -f "$tree/.complete" ]; then echo "$tree"; exit 0; fi

mkdir -p "$CACHE/src"
exec 9>"$CACHE/src/.lock"
flock 9
if [ -f "$tree/.complete" ]; then echo "$tree"; exit 0; fi

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
echo "$tree"
