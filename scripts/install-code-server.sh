#!/usr/bin/env bash
# Idempotent offline install of code-server (a full VS Code 1.100 server + web workbench) from the npm registry only,
# for the integration tests in test/vscode/. Installs into a cache dir outside the repo so CI reruns on one machine
# reuse it; exits at once when that version is already installed.
# Prereqs (Debian): apt-get install -y ripgrep libkrb5-dev chromium build-essential python3 (.ci/run does this).
# Usage: scripts/install-code-server.sh [DEST]   (default ${LUTDLA_CODE_SERVER_DIR:-$HOME/.cache/lutdla/code-server})
set -euo pipefail
VER=${CODE_SERVER_VERSION:-4.100.3}   # 4.90.x-4.100.x run on Node 20; 4.101+ need Node 22
DEST=${1:-${LUTDLA_CODE_SERVER_DIR:-$HOME/.cache/lutdla/code-server}}
STAMP="$DEST/.installed-$VER"
ENTRY="$DEST/node_modules/code-server/out/node/entry.js"
if [ -f "$STAMP" ] && [ -f "$ENTRY" ]; then
  echo "code-server $VER already installed in $DEST"
  exit 0
fi
command -v rg >/dev/null || { echo "install-code-server: ripgrep (rg) is missing: apt-get install -y ripgrep" >&2; exit 1; }
export npm_config_nodedir=${npm_config_nodedir:-/usr}   # Node's headers from /usr/include/node; node-gyp cannot download them offline
export npm_config_yes=true                               # node-pty's post-install runs `npx node-gyp ...`
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
mkdir -p "$DEST"
cd "$DEST"
rm -f .installed-*
[ -f package.json ] || echo '{"name":"lutdla-code-server-host","version":"0.0.0","private":true}' > package.json
npm install "code-server@$VER" --ignore-scripts
npm rebuild argon2                       # its prebuilt download fails offline -> falls back to a source build
cd node_modules/code-server/lib/vscode
npm install --omit=dev --ignore-scripts
mkdir -p node_modules/@vscode/ripgrep/bin
ln -sf "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg   # its post-install skips the download when bin/ exists
npm rebuild                              # native modules: spdlog, node-pty, kerberos, native-watchdog, ...
(cd extensions && npm install --omit=dev)
node "$ENTRY" --version >/dev/null
touch "$STAMP"
echo "code-server $VER ready: node $ENTRY"
