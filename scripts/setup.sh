#!/usr/bin/env bash
# One idempotent set-up for a fresh Debian 12 machine: toolchains (Debian packages),
# cJSON from Debian's source package (pinned), and the npm dev dependencies.
# Safe to run again: every step checks before it acts.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

CJSON_VERSION=1.7.15
CJSON_ORIG_SHA256=5308fd4bd90cef7aa060558514de6a1a4a0819974a26e6ed13973c5f624c24b2
APT_PKGS=(emscripten wasi-libc libclang-rt-14-dev-wasm32 lld-14 clang-14 cmake make gcc dpkg-dev chromium
          libclang-rt-14-dev nodejs)

say() { printf '[setup] %s\n' "$*"; }
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo

# --- Debian packages -------------------------------------------------------
missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# apt-get source needs deb-src entries: derive them from the machine's own deb822 list.
SRC_LIST=/etc/apt/sources.list.d/lash-wasm-deb-src.sources
need_update=0
if [ ! -f "$SRC_LIST" ] && [ -f /etc/apt/sources.list.d/debian.sources ]; then
  say "adding deb-src entries ($SRC_LIST)"
  sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources | $SUDO tee "$SRC_LIST" >/dev/null
  need_update=1
fi
if [ ${#missing[@]} -gt 0 ] || [ $need_update = 1 ]; then
  say "apt-get update"
  $SUDO apt-get update -qq
fi
if [ ${#missing[@]} -gt 0 ]; then
  # nodejs: keep the machine's Node if one is already on PATH (any >= 20)
  if command -v node >/dev/null && node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)'; then
    missing=("${missing[@]/nodejs}")
  fi
  say "installing: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends ${missing[*]} >/dev/null
fi
command -v npm >/dev/null || { DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq npm >/dev/null; }

# --- cJSON from Debian's source package, patches applied, pinned --------------
DEPS=$ROOT/build/deps
CJSON_DIR=$DEPS/cjson
if [ ! -f "$CJSON_DIR/cJSON.c" ]; then
  say "fetching cJSON $CJSON_VERSION (Debian source package)"
  rm -rf "$DEPS/src" && mkdir -p "$DEPS/src"
  ( cd "$DEPS/src" && apt-get source -qq "cjson=$CJSON_VERSION-*" >/dev/null 2>&1 || apt-get source -qq cjson >/dev/null )
  orig=$(ls "$DEPS"/src/cjson_${CJSON_VERSION}.orig.tar.gz)
  got=$(sha256sum "$orig" | cut -d' ' -f1)
  if [ "$got" != "$CJSON_ORIG_SHA256" ]; then
    echo "[setup] cJSON checksum mismatch: $got" >&2; exit 1
  fi
  src=$(find "$DEPS/src" -maxdepth 1 -type d -name "cjson-${CJSON_VERSION}*" | head -1)
  [ -f "$src/cJSON.c" ] || { echo "[setup] cJSON source not unpacked" >&2; exit 1; }
  mkdir -p "$CJSON_DIR"
  cp "$src/cJSON.c" "$src/cJSON.h" "$src/LICENSE" "$CJSON_DIR/"
  ( cd "$src" && ls debian/patches 2>/dev/null ) > "$CJSON_DIR/PATCHES" || true
  say "cJSON ready in $CJSON_DIR"
fi

# --- npm dev dependencies ----------------------------------------------------
if [ -f package-lock.json ]; then
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    # `npm ci` would be stricter, but npm 11 rejects lock files that omit other
    # platforms' optional binaries (unrs-resolver's); --no-save installs exactly
    # the locked versions and leaves the lock file untouched.
    say "npm install (from package-lock.json)"
    npm install --no-save --no-audit --no-fund --loglevel=error
  fi
fi
# --- the wasm core the package loads (incremental; the main job needs it) --------
bash scripts/build.sh wasm
say "done"
