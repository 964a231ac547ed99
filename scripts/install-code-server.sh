#!/usr/bin/env bash
# Installs what the UI tests (test/ui) need: code-server (a real VS Code served to a browser),
# playwright-core to drive it, and Debian's chromium. Nothing goes into the project's
# package.json or node_modules: the npm packages live in one cache directory, printed last.
#   bash scripts/install-code-server.sh          (idempotent: a second run takes well under a second)
# Works with only the npm registry and the Debian mirrors reachable: @vscode/ripgrep's download
# from GitHub is replaced by Debian's ripgrep, node-gyp uses the local node headers.
set -euo pipefail

CODE_SERVER_VERSION=4.100.3 # the newest code-server that runs on Node 20 (VS Code 1.100.3)
PLAYWRIGHT_VERSION=1.65.1
CACHE=${KERNEL_QEMU_CACHE:-$HOME/.cache/kernel-qemu}
TOOLS=${KERNEL_QEMU_UI_TOOLS:-$CACHE/ui-tools}
DEST="$TOOLS/code-server-$CODE_SERVER_VERSION-playwright-$PLAYWRIGHT_VERSION"

log() { echo "install-code-server: $*" >&2; }
die() { echo "install-code-server: error: $*" >&2; exit 1; }

# Debian packages: chromium (the browser), ripgrep (replaces @vscode/ripgrep's download),
# and what node-gyp needs to build code-server's native modules (kerberos wants libkrb5-dev).
packages=(chromium ripgrep libkrb5-dev g++ python3 make)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    die "the UI tests need these Debian/Ubuntu packages: ${missing[*]}; install them with: sudo apt-get install -y ${missing[*]}"
  fi
  log "installing ${missing[*]} ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ -f "$DEST/.complete" ]; then echo "$DEST"; exit 0; fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" = 20 ] || die "code-server $CODE_SERVER_VERSION needs Node 20 (this is Node $node_major)"

mkdir -p "$TOOLS"
exec 9>"$TOOLS/.lock"
flock 9
if [ -f "$DEST/.complete" ]; then echo "$DEST"; exit 0; fi

stage=$(mktemp -d "$TOOLS/.stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
started=$(date +%s)
export npm_config_yes=true          # node-pty's postinstall runs npx
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
[ "$(id -u)" -eq 0 ] && export npm_config_unsafe_perm=true # code-server's postinstall insists, as root
# node-gyp downloads node's headers unless told where they are.
if [ -z "$(npm config get nodedir 2>/dev/null | grep -v '^undefined$' || true)" ] && [ -f /usr/include/node/node.h ]; then
  export npm_config_nodedir=/usr
fi
# Private TMPDIR: @vscode/ripgrep looks for its download in $TMPDIR/vscode-ripgrep-cache-<version>/.
export TMPDIR="$stage/tmp"
mkdir -p "$TMPDIR"

cd "$stage"
echo '{"name":"kernel-qemu-ui-tools","private":true}' >package.json
log "fetching code-server@$CODE_SERVER_VERSION and playwright-core@$PLAYWRIGHT_VERSION from npm ..."
npm install --no-save --ignore-scripts --loglevel=error "code-server@$CODE_SERVER_VERSION" "playwright-core@$PLAYWRIGHT_VERSION" >/dev/null

# The ripgrep that code-server's VS Code will install (its lockfile says which), served from Debian's rg.
rg_version=$(node -p 'require("./node_modules/code-server/lib/vscode/npm-shrinkwrap.json").packages["node_modules/@vscode/ripgrep"].version')
case "$(uname -m)" in
  x86_64) rg_target=x86_64-unknown-linux-musl ;;
  aarch64) rg_target=aarch64-unknown-linux-musl ;;
  *) die "no ripgrep target known for $(uname -m)" ;;
esac
rg_cache="$TMPDIR/vscode-ripgrep-cache-$rg_version"
mkdir -p "$rg_cache/pack"
cp /usr/bin/rg "$rg_cache/pack/rg"
for asset_version in v13.0.0-10 v13.0.0-13; do
  tar -czf "$rg_cache/ripgrep-$asset_version-$rg_target.tar.gz" -C "$rg_cache/pack" rg
done

log "building code-server's native modules (about a minute) ..."
if ! npm rebuild --loglevel=error >"$stage/rebuild.log" 2>&1; then
  tail -40 "$stage/rebuild.log" >&2
  die "code-server's install scripts failed (full log above)"
fi
[ -x node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin/rg ] || die "code-server installed without ripgrep"
rm -rf "$TMPDIR" "$stage/rebuild.log"

rm -rf "$DEST"
mv "$stage" "$DEST"
trap - EXIT
touch "$DEST/.complete"
log "installed in $DEST in $(($(date +%s) - started)) s"
echo "$DEST"
