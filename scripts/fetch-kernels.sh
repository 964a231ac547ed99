#!/usr/bin/env bash
# fetch-kernels.sh - fetch real Debian kernels (with full DWARF) and build a
# busybox initramfs, for kernel-qemu tests, demos and manual debugging.
#
# Usage: bash scripts/fetch-kernels.sh [--refresh] [--series 6.12] [x86_64|aarch64|all]   (default: all)
#
# Output, per arch, in ${KERNEL_QEMU_CACHE:-$HOME/.cache/kernel-qemu}/kernels/<arch>/
# (Debian's default cloud kernel, 6.1 on bookworm), or with --series S in kernels/<arch>-S/
# (bookworm also carries the 6.12 LTS kernels: linux-image-6.12-cloud-<arch>-dbg):
#   vmlinux     ELF with full DWARF (from linux-image-<abi>-cloud-<arch>-dbg)
#   kernel      bootable image for QEMU -kernel (x86_64: bzImage; aarch64: plain arm64 Image)
#   initrd.gz   busybox initramfs (newc cpio, gzip); /init prints
#               "kernel-qemu initramfs ready", then runs a job-control shell on the console;
#               exiting that shell powers the VM off
#   modules/    a few dependency-free .ko files from the image package (also in the
#               initramfs at /modules); modules/list names them, one per line;
#               modules/debug/ holds the same modules with DWARF (from the -dbg package)
#   guest-modules/lib/modules/<release>/
#               the virtio (PCI, disk, network), failover and fuse/virtiofs modules of the
#               image package, as modules_install lays them out: the kernel-qemu initramfs
#               loads them to mount a disk root and bring the network up (they are =m here)
#   config      the kernel .config
#   version     Debian package version (e.g. 6.1.192-2); written last = "complete" marker
#   release     uname -r (e.g. 6.1.0-56-cloud-amd64)
#
# Re-runs reuse the cache without asking apt anything (well under a second).
# --refresh asks apt for the current version and re-fetches if it changed.
# Runs unprivileged when the needed packages are known to apt; as root it may also
# run `apt-get update` and `dpkg --add-architecture arm64`.
set -euo pipefail

# Bump when the initramfs layout or /init changes: cached initrds are then rebuilt.
INITRD_REV=1
MODULE_CANDIDATES=(fs/nls/nls_utf8.ko lib/ts_kmp.ko crypto/michael_mic.ko lib/crc7.ko crypto/xxhash_generic.ko)
MODULE_COUNT=3

CACHE=${KERNEL_QEMU_CACHE:-$HOME/.cache/kernel-qemu}
REFRESH=0
WHICH=all
SERIES=""

die() { echo "fetch-kernels: error: $*" >&2; exit 1; }
log() { echo "fetch-kernels: $*" >&2; }
usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }

while [ $# -gt 0 ]; do
  a=$1; shift
  case "$a" in
    --refresh) REFRESH=1 ;;
    --series)
      [ $# -gt 0 ] && [[ "$1" =~ ^[0-9]+\.[0-9]+$ ]] || { echo "fetch-kernels: --series wants a kernel series such as 6.12" >&2; exit 2; }
      SERIES=$1; shift ;;
    -h|--help) usage; exit 0 ;;
    x86_64|amd64) WHICH=x86_64 ;;
    aarch64|arm64) WHICH=aarch64 ;;
    all) WHICH=all ;;
    *) usage >&2; exit 2 ;;
  esac
done
case "$WHICH" in
  all) ARCHES=(x86_64 aarch64) ;;
  *) ARCHES=("$WHICH") ;;
esac

IS_ROOT=0
[ "$(id -u)" = 0 ] && IS_ROOT=1

debarch_of() { case "$1" in x86_64) echo amd64 ;; aarch64) echo arm64 ;; esac; }
# apt needs ":arm64" on foreign-arch package names; harmless on native ones.
qual() { echo "$1:$(debarch_of "$2")"; }

init_script() {
  cat <<'EOF'
#!/bin/sh
# kernel-qemu initramfs /init (busybox)
/bin/busybox mkdir -p /proc /sys /dev /tmp /root /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
export PATH=/sbin:/usr/sbin:/bin:/usr/bin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev || echo "kernel-qemu: devtmpfs mount failed"
echo "kernel-qemu initramfs ready"
cat /proc/version
cd /root
# New session with the console (ttyS0, ttyAMA0, ...) as controlling tty => job control.
setsid cttyhack sh
echo "kernel-qemu: shell exited, powering off"
poweroff -f
EOF
}

initrd_id() {  # identifies the initramfs recipe; stored next to initrd.gz
  { echo "rev=$INITRD_REV"; init_script; cat "$1/modules/list" 2>/dev/null; cat "$1/.busybox-version" 2>/dev/null; } \
    | sha256sum | cut -d' ' -f1
}

complete() {  # complete <dir>: everything present and the initrd is current
  local d=$1 f
  for f in version release vmlinux kernel initrd.gz modules/list .initrd-id; do
    [ -s "$d/$f" ] || return 1
  done
  [ "$(cat "$d/.initrd-id")" = "$(initrd_id "$d")" ]
}

# ---------- prerequisites ----------
check_tools() {
  local missing=() t pkg
  for t in apt-get:apt apt-cache:apt dpkg:dpkg dpkg-deb:dpkg tar:tar gzip:gzip cpio:cpio \
           sha256sum:coreutils flock:util-linux find:findutils xz:xz-utils; do
    command -v "${t%%:*}" >/dev/null 2>&1 || missing+=("${t#*:}")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  if [ "$IS_ROOT" = 1 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing missing packages: ${missing[*]}"
    apt-get install -y --no-install-recommends "${missing[@]}" >&2
  else
    die "missing tools; install these apt packages (as root): apt-get install -y ${missing[*]}"
  fi
}

APT_UPDATED=0
apt_update() {
  [ "$APT_UPDATED" = 1 ] && return 0
  [ "$IS_ROOT" = 1 ] || return 1
  log "apt-get update"
  apt-get update -qq >&2 || apt-get update >&2
  APT_UPDATED=1
}

# Each apt-cache call costs ~1 s on images that disable apt's binary cache
# (Dir::Cache::pkgcache ""), so ask for several packages per call.
APT_SHOW=""
apt_show() {  # apt_show <qualified-pkg>...: candidate records into APT_SHOW; 1 if any unknown
  APT_SHOW=$(apt-cache show --no-all-versions "$@" 2>/dev/null) || return 1
}
field_of() {  # field_of <pkg> <Field>: from APT_SHOW
  awk -v p="$1" -v f="$2:" '/^Package:/{cur=$2} cur==p && $1==f{print $2; exit}' <<<"$APT_SHOW"
}

ensure_known() {  # ensure_known <arch> <qualified-pkg>...: apt_show, updating apt once if needed
  local arch=$1 da; shift
  apt_show "$@" && return 0
  da=$(debarch_of "$arch")
  if [ "$da" != "$(dpkg --print-architecture)" ] && ! dpkg --print-foreign-architectures | grep -qx "$da"; then
    if [ "$IS_ROOT" = 1 ]; then
      log "dpkg --add-architecture $da"
      dpkg --add-architecture "$da"
      APT_UPDATED=0
    else
      die "apt does not know $da packages. As root run: dpkg --add-architecture $da && apt-get update"
    fi
  fi
  apt_update || die "apt does not know $*. As root run: apt-get update"
  apt_show "$@" || die "apt-cache does not know $* even after apt-get update"
}

# Resolve the ABI-specific packages behind the meta package, e.g.
# linux-image-cloud-amd64-dbg -> linux-image-6.1.0-56-cloud-amd64-dbg (+ -unsigned)
resolve() {  # resolve <arch> -> sets DBG_PKG IMG_PKG VERSION
  local arch=$1 da meta dep iv
  da=$(debarch_of "$arch")
  meta=linux-image-${SERIES:+$SERIES-}cloud-$da-dbg
  ensure_known "$arch" "$(qual "$meta" "$arch")"
  dep=$(sed -n 's/^Depends: //p' <<<"$APT_SHOW" | tr ',' '\n' \
        | grep -o "linux-image-[^ :]*-cloud-$da-dbg" | head -n1) || true
  [ -n "$dep" ] || die "cannot resolve the dbg package behind $meta"
  DBG_PKG=$dep
  IMG_PKG=${dep%-dbg}-unsigned
  ensure_known "$arch" "$(qual "$DBG_PKG" "$arch")" "$(qual "$IMG_PKG" "$arch")"
  VERSION=$(field_of "$DBG_PKG" Version)
  iv=$(field_of "$IMG_PKG" Version)
  [ -n "$VERSION" ] && [ "$VERSION" = "$iv" ] || die "version mismatch: $DBG_PKG=$VERSION but $IMG_PKG=$iv"
}

download() {  # download <dir> <arch> <pkg>=<version>...: apt-get download into <dir>
  local dir=$1 arch=$2; shift 2
  local opts=(-q) specs=() p
  [ "$IS_ROOT" = 1 ] && opts+=(-o APT::Sandbox::User=root)
  for p in "$@"; do specs+=("$(qual "${p%%=*}" "$arch")=${p#*=}"); done
  if ! (cd "$dir" && apt-get download "${opts[@]}" "${specs[@]}" >&2); then
    # Stale lists (version no longer in the pool): update once and retry.
    apt_update || die "apt-get download failed for: ${specs[*]} (try apt-get update as root)"
    (cd "$dir" && apt-get download "${opts[@]}" "${specs[@]}" >&2) || die "apt-get download failed: ${specs[*]}"
  fi
}

# The .modinfo section is a list of NUL-separated key=value strings.
modinfo_depends() { tr '\0' '\n' <"$1" | grep -a -m1 '^depends=' | cut -d= -f2- || true; }

# ---------- busybox ----------
get_busybox() {  # get_busybox <arch> <stage>: puts a static busybox in $CACHE/busybox/<arch>/
  local arch=$1 stage=$2 bb="$CACHE/busybox/$1"
  [ -s "$bb/busybox" ] && [ -s "$bb/version" ] && return 0
  local v
  ensure_known "$arch" "$(qual busybox-static "$arch")"
  v=$(field_of busybox-static Version)
  mkdir -p "$stage/bb" "$bb"
  download "$stage/bb" "$arch" "busybox-static=$v"
  dpkg-deb --fsys-tarfile "$stage"/bb/busybox-static_*.deb | tar -x -C "$stage/bb" ./bin/busybox
  install -m 0755 "$stage/bb/bin/busybox" "$bb/.busybox.tmp"
  mv -f "$bb/.busybox.tmp" "$bb/busybox"
  echo "$v" >"$bb/.version.tmp" && mv -f "$bb/.version.tmp" "$bb/version"
  rm -rf "$stage/bb"
}

build_initrd() {  # build_initrd <arch> <outdir> <stage>
  local arch=$1 out=$2 stage=$3 root
  get_busybox "$arch" "$stage"
  cp "$CACHE/busybox/$arch/version" "$out/.busybox-version"
  root="$stage/initramfs"
  rm -rf "$root"
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,root,etc,modules}
  install -m 0755 "$CACHE/busybox/$arch/busybox" "$root/bin/busybox"
  ln -s busybox "$root/bin/sh"
  init_script >"$root/init"
  chmod 0755 "$root/init"
  cp "$out/modules/list" "$root/modules/list"
  local m
  while read -r m; do cp "$out/modules/$m" "$root/modules/$m"; done <"$out/modules/list"
  (cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -9n) >"$out/.initrd.gz.tmp"
  mv -f "$out/.initrd.gz.tmp" "$out/initrd.gz"
  initrd_id "$out" >"$out/.initrd-id.tmp"
  mv -f "$out/.initrd-id.tmp" "$out/.initrd-id"
  rm -rf "$root"
}

# ---------- kernel + symbols ----------
fetch_kernel() {  # fetch_kernel <arch> <outdir> <stage>
  local arch=$1 out=$2 stage=$3 x="$stage/x" rel
  resolve "$arch"
  log "$arch: $IMG_PKG + $DBG_PKG, version $VERSION"
  mkdir -p "$stage/debs" "$x"
  download "$stage/debs" "$arch" "$IMG_PKG=$VERSION" "$DBG_PKG=$VERSION"
  local img dbg
  img=$(ls "$stage"/debs/"$IMG_PKG"_*.deb)
  dbg=$(ls "$stage"/debs/"$DBG_PKG"_*.deb)

  # Image package: boot/vmlinuz-*, boot/config-*, and the candidate modules.
  local pats=('./boot/vmlinuz-*' './boot/config-*') c
  # 6.12's packages ship modules xz-compressed (nls_utf8.ko.xz); busybox's insmod wants them plain.
  for c in "${MODULE_CANDIDATES[@]}"; do pats+=("./lib/modules/*/kernel/$c" "./lib/modules/*/kernel/$c.xz"); done
  dpkg-deb --fsys-tarfile "$img" | tar -x -C "$x" --wildcards "${pats[@]}" 2>/dev/null || true
  local vmlinuz
  find "$x/lib/modules" -name '*.ko.xz' -exec xz -d {} + 2>/dev/null || true
  vmlinuz=$(ls "$x"/boot/vmlinuz-* 2>/dev/null | head -n1)
  [ -n "$vmlinuz" ] || die "no boot/vmlinuz-* in $img"
  rel=${vmlinuz##*/vmlinuz-}
  rm -f "$img"
  # Debian's arm64 vmlinuz is a plain Image today; should it ever be a gzip'd Image,
  # unpack it so every consumer (QEMU -kernel, other loaders) gets a plain Image.
  if [ "$(head -c2 "$vmlinuz" | od -An -tx1 | tr -d ' ')" = 1f8b ]; then
    gzip -dc <"$vmlinuz" >"$vmlinuz.raw" && mv -f "$vmlinuz.raw" "$vmlinuz"
  fi

  # Keep the first MODULE_COUNT candidates that exist and depend on nothing.
  mkdir -p "$stage/modules/debug"
  local chosen=() dbgpats=('./usr/lib/debug/boot/vmlinux-*') f
  for c in "${MODULE_CANDIDATES[@]}"; do
    [ ${#chosen[@]} -ge "$MODULE_COUNT" ] && break
    f="$x/lib/modules/$rel/kernel/$c"
    [ -f "$f" ] || continue
    [ -z "$(modinfo_depends "$f")" ] || continue
    cp "$f" "$stage/modules/"
    chosen+=("$c")
    dbgpats+=("./usr/lib/debug/lib/modules/$rel/kernel/$c")
  done
  [ ${#chosen[@]} -gt 0 ] || die "none of the candidate modules found in $IMG_PKG"
  for c in "${chosen[@]}"; do basename "$c"; done >"$stage/modules/list"

  # -dbg package: the vmlinux and the chosen modules with DWARF (one pass over ~280 MB).
  log "$arch: extracting vmlinux from $(basename "$dbg")"
  dpkg-deb --fsys-tarfile "$dbg" | tar -x -C "$x" --wildcards "${dbgpats[@]}"
  rm -f "$dbg"
  [ -s "$x/usr/lib/debug/boot/vmlinux-$rel" ] || die "vmlinux-$rel missing from $dbg"
  for c in "${chosen[@]}"; do
    cp "$x/usr/lib/debug/lib/modules/$rel/kernel/$c" "$stage/modules/debug/"
  done

  # Install: drop the completion marker first, move files in, write version last.
  mkdir -p "$out"
  rm -f "$out/version"
  mv -f "$x/usr/lib/debug/boot/vmlinux-$rel" "$out/vmlinux"
  mv -f "$vmlinuz" "$out/kernel"
  mv -f "$x/boot/config-$rel" "$out/config"
  rm -rf "$out/modules.old"
  [ -e "$out/modules" ] && mv "$out/modules" "$out/modules.old"
  mv "$stage/modules" "$out/modules"
  rm -rf "$out/modules.old" "$x"
  echo "$rel" >"$out/.release.tmp" && mv -f "$out/.release.tmp" "$out/release"
  build_initrd "$arch" "$out" "$stage"
  echo "$VERSION" >"$out/.version.tmp" && mv -f "$out/.version.tmp" "$out/version"
}

# The modules a guest on a virtio disk with a network needs (Debian builds them as modules).
GUEST_MODULES=(drivers/virtio drivers/block/virtio_blk.ko drivers/net/virtio_net.ko drivers/net/net_failover.ko
  net/core/failover.ko fs/fuse lib/libcrc32c.ko)

fetch_guest_modules() {  # fetch_guest_modules <arch> <outdir>: once per kernel version
  local arch=$1 out=$2 stage rel pats=() m
  [ -s "$out/guest-modules/.version" ] && [ "$(cat "$out/guest-modules/.version")" = "$(cat "$out/version")" ] && return 0
  # The cached kernel's own package (its ABI name), not whatever apt resolves to today.
  rel=$(cat "$out/release")
  local IMG_PKG="linux-image-$rel-unsigned" VERSION
  VERSION=$(cat "$out/version")
  stage=$(mktemp -d "$CACHE/kernels/.guest-modules-$arch.XXXXXX")
  STAGES+=("$stage")
  log "$arch: guest modules (virtio, fuse) from $IMG_PKG"
  download "$stage" "$arch" "$IMG_PKG=$VERSION"
  for m in "${GUEST_MODULES[@]}"; do pats+=("./lib/modules/$rel/kernel/$m*"); done
  pats+=("./lib/modules/$rel/modules.builtin*" "./lib/modules/$rel/modules.order")
  mkdir -p "$stage/root"
  dpkg-deb --fsys-tarfile "$stage"/*.deb | tar -x -C "$stage/root" --wildcards "${pats[@]}" 2>/dev/null || true
  [ -d "$stage/root/lib/modules/$rel/kernel/drivers/virtio" ] || die "no virtio modules in $IMG_PKG"
  find "$stage/root/lib/modules" -name '*.ko.xz' -exec xz -d {} + 2>/dev/null || true
  rm -rf "$out/guest-modules"
  mv "$stage/root" "$out/guest-modules"
  cat "$out/version" >"$out/guest-modules/.version"
}

kernel_dir() { echo "$CACHE/kernels/$1${SERIES:+-$SERIES}"; }

do_arch() {
  local arch=$1 out stage
  out=$(kernel_dir "$arch")
  if complete "$out"; then
    if [ "$REFRESH" = 0 ]; then fetch_guest_modules "$arch" "$out"; return 0; fi
    check_tools
    resolve "$arch"
    if [ "$(cat "$out/version")" = "$VERSION" ]; then return 0; fi
    log "$arch: cached $(cat "$out/version"), apt has $VERSION: re-fetching"
  fi
  check_tools
  mkdir -p "$CACHE/kernels"
  stage=$(mktemp -d "$CACHE/kernels/.stage-$arch${SERIES:+-$SERIES}.XXXXXX")
  STAGES+=("$stage")
  if [ -s "$out/version" ] && [ -s "$out/vmlinux" ] && [ -s "$out/kernel" ] && [ -s "$out/modules/list" ] \
     && [ "$REFRESH" = 0 ]; then
    log "$arch: rebuilding initrd.gz"   # kernel is fine, only the initramfs recipe changed
    build_initrd "$arch" "$out" "$stage"
  else
    fetch_kernel "$arch" "$out" "$stage"
  fi
  rm -rf "$stage"
  fetch_guest_modules "$arch" "$out"
}

STAGES=()
cleanup() { local s; for s in "${STAGES[@]}"; do rm -rf "$s"; done; }
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$CACHE"
# Serialize concurrent runs (parallel test jobs) on the same cache.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE/.fetch-kernels.lock"
  flock 9
fi

for arch in "${ARCHES[@]}"; do do_arch "$arch"; done

for arch in "${ARCHES[@]}"; do
  d=$(kernel_dir "$arch")
  echo "$arch $(cat "$d/version") $(cat "$d/release")"
  for f in vmlinux kernel initrd.gz modules; do printf '  %-10s %s\n' "$f" "$d/$f"; done
done
