#!/usr/bin/env bash
# Installs code-server 4.100.3 (= VS Code 1.100.3, the newest that runs on Node 20) into a cache dir outside
# the repo, so the extension's VS Code test suite can run in a real workbench on machines that can reach only
# the npm registry and Debian apt (desktop VS Code and Electron downloads fail there).
#
# Needs apt packages: libkrb5-dev pkg-config ripgrep (and chromium for the test runner); gcc/make/python3.
# Idempotent: a marker file written at the very end makes later runs a no-op.
# Prints the install prefix on the last line of stdout; the binary is PREFIX/bin/code-server.
set -euo pipefail

VERSION=4.100.3
PREFIX="${KP_CODE_SERVER_DIR:-$HOME/.cache/kernelpilot/code-server-$VERSION}"
MARKER="$PREFIX/.kernelpilot-install-complete"

if [[ -f "$MARKER" ]]; then
  echo "code-server $VERSION already installed" >&2
  echo "$PREFIX"
  exit 0
fi

for tool in rg pkg-config krb5-config gcc make python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install -y libkrb5-dev pkg-config ripgrep build-essential python3" >&2; exit 1; }
done

# ~/.npmrc on these machines sets yes=false, which makes node-pty's `npx node-gyp` refuse to run.
export npm_config_yes=true
# A private cache: a shared ~/.npm has thrown TAR_ENTRY_ERROR when several installs run at once.
export npm_config_cache="${KP_NPM_CACHE:-$HOME/.cache/kernelpilot/npm-cache}"
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

mkdir -p "$PREFIX"
echo "installing code-server $VERSION into $PREFIX" >&2

# --ignore-scripts: the package's postinstall downloads from GitHub, which is unreachable; we redo its steps below.
npm install -g --prefix "$PREFIX" --ignore-scripts "code-server@$VERSION" >&2

CS="$PREFIX/lib/node_modules/code-server"
cd "$CS"
# The prebuilt argon2 binary download fails offline; rebuild compiles it from source.
npm rebuild argon2 >&2

cd "$CS/lib/vscode"
npm install --omit=dev --ignore-scripts >&2
# @vscode/ripgrep's install script downloads rg from GitHub; Debian's rg is the same tool.
mkdir -p node_modules/@vscode/ripgrep/bin
cp /usr/bin/rg node_modules/@vscode/ripgrep/bin/rg
npm rebuild >&2

# The links code-server's postinstall.sh would have made.
ln -sfn node_modules node_modules.asar
(cd bin/remote-cli && ln -sfn code-linux.sh code-server)
(cd bin/helpers && ln -sfn browser-linux.sh browser.sh)
(cd extensions && npm install --omit=dev >&2)

"$PREFIX/bin/code-server" --version >&2
date -u +%FT%TZ >"$MARKER"
echo "installed code-server $VERSION: $PREFIX/bin/code-server" >&2
echo "$PREFIX"
