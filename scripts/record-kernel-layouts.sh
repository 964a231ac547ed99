#!/usr/bin/env bash
# Records gdb's answers to the questions of src/adapter/kernel/kernelLayout.ts on real DWARF:
# the vmlinux of each fetched test kernel (scripts/fetch-kernels.sh, also --series 6.12) and
# test/fixtures/kernel-layouts/mainline-6.14-shapes.c compiled with -g. Writes one MI
# transcript per kernel to test/fixtures/kernel-layouts/, which test/unit/kernelLayout.test.ts
# replays. Re-run after a new kernel series joins the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE=${KERNEL_QEMU_CACHE:-$HOME/.cache/kernel-qemu}
out=test/fixtures/kernel-layouts
questions=$(node --import tsx -e '
  const { LAYOUT_QUESTIONS, CURRENT_TASK_CANDIDATES } = require("./src/adapter/kernel/kernelLayout.ts");
  const names = [...new Set([...CURRENT_TASK_CANDIDATES.x86_64, ...CURRENT_TASK_CANDIDATES.aarch64])];
  const all = [...Object.values(LAYOUT_QUESTIONS).filter((q) => typeof q === "string"), ...names.map(LAYOUT_QUESTIONS.currentTask)];
  for (const q of all) console.log(q);')

record() {  # record <elf> <fixture name> <description>
  local elf=$1 name=$2 description=$3 input
  input=$(while IFS= read -r q; do printf -- '-data-evaluate-expression "%s"\n' "$q"; done <<<"$questions"; echo '-gdb-exit')
  {
    echo "# $description"
    echo "# recorded by scripts/record-kernel-layouts.sh with $(gdb-multiarch --version | head -n1)"
    gdb-multiarch --interpreter=mi3 -nx -q "$elf" <<<"$input" 2>/dev/null | grep -E '^\^(done|error)' |
      paste -d'\n' <(sed 's/^/> /' <<<"$questions") -
  } >"$out/$name.txt"
  echo "recorded $out/$name.txt"
}

for dir in x86_64 aarch64 x86_64-6.12 aarch64-6.12; do
  k="$CACHE/kernels/$dir"
  [ -s "$k/vmlinux" ] || { echo "record-kernel-layouts: $k/vmlinux missing: run scripts/fetch-kernels.sh first" >&2; exit 1; }
  record "$k/vmlinux" "debian-$(cat "$k/release")" "vmlinux of Debian's $(cat "$k/release") ($(cat "$k/version"))"
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gcc -g -c -o "$tmp/shapes.o" "$out/mainline-6.14-shapes.c"
record "$tmp/shapes.o" mainline-6.14-shapes "mainline-6.14-shapes.c compiled with gcc -g (6.14+ module sections, 6.15 current_task)"
