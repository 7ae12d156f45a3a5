#!/usr/bin/env bash
# Formats the tree: prettier for the JavaScript (.prettierrc.json, .prettierignore),
# clang-format for the C (.clang-format). With --check it writes nothing and fails
# when a file is not formatted. CLANG_FORMAT picks the binary (default clang-format).
set -euo pipefail
cd "$(dirname "$0")/.."
CLANG_FORMAT=${CLANG_FORMAT:-clang-format}
PRETTIER=node_modules/.bin/prettier
[ -x "$PRETTIER" ] || { echo "format: $PRETTIER is missing (npm install)" >&2; exit 1; }
command -v "$CLANG_FORMAT" >/dev/null || { echo "format: $CLANG_FORMAT is missing (apt-get install clang-format)" >&2; exit 1; }
mapfile -t js_files < <(git ls-files '*.js' '*.mjs' '*.cjs' '*.ts')
mapfile -t c_files < <(git ls-files '*.c' '*.h')
if [ "${1:-}" = --check ]; then
  rc=0 # report both languages before failing
  "$PRETTIER" --check --log-level warn "${js_files[@]}" || rc=1
  "$CLANG_FORMAT" --dry-run --Werror "${c_files[@]}" || rc=1
  exit $rc
else
  "$PRETTIER" --write --log-level warn "${js_files[@]}"
  "$CLANG_FORMAT" -i "${c_files[@]}"
fi
