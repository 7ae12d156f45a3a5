#!/usr/bin/env bash
# Build the core: `scripts/build.sh [native|wasm|wasi|fuzz ...]` (default: all four).
# wasm also refreshes js/wasm/lash.wasm, the module the JavaScript package loads.
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=/usr/share/nodejs   # Debian's emcc runs its optimizer under node
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(native wasm wasi fuzz)
for t in "${targets[@]}"; do
  printf '[build] %s\n' "$t"
  mkdir -p build
  cmake --preset "$t" >"build/cmake-$t.log" 2>&1 || { cat "build/cmake-$t.log"; exit 1; }
  if ! cmake --build --preset "$t" -j "$(nproc)" >"build/build-$t.log" 2>&1; then
    cat "build/build-$t.log"; echo "[build] $t failed" >&2; exit 1
  fi
  # show compiler diagnostics, not progress lines (the relay import is meant to be undefined)
  grep -E 'warning|error' "build/build-$t.log" | grep -v 'undefined symbol: call' || true
done
if [ -f js/wasm/lash.wasm ]; then
  printf '[build] js/wasm/lash.wasm: %s bytes (%s gzip)\n' "$(stat -c %s js/wasm/lash.wasm)" "$(gzip -9c js/wasm/lash.wasm | wc -c)"
fi
