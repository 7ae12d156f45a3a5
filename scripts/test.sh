#!/usr/bin/env bash
# The test command: set up, build all targets, then run the C unit tests (ASan +
# UBSan), a bounded fuzz run of every libFuzzer target, and the Jest suites (wasm
# core, WASI reactor). Ends with one line: "tests: N passed, N failed".
# LASH_FUZZ_SECONDS (default 30) bounds each fuzz target.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
FUZZ_SECONDS=${LASH_FUZZ_SECONDS:-30}
passed=0; failed=0
step() { printf '\n[test] == %s ==\n' "$*"; }

step setup
bash scripts/setup.sh || { echo "[test] setup failed"; echo "tests: 0 passed, 1 failed"; exit 1; }
mkdir -p build

step "generated op table (js/core/ops.js from include/lash/*.h)"
ops_tmp=$(mktemp)
if node scripts/gen-ops.mjs --out "$ops_tmp" && cmp -s "$ops_tmp" js/core/ops.js; then
  echo "[test] js/core/ops.js is up to date"; passed=$((passed + 1))
else
  echo "[test] js/core/ops.js is stale: run npm run gen:ops and commit it"
  diff -u js/core/ops.js "$ops_tmp" | head -40; failed=$((failed + 1))
fi
rm -f "$ops_tmp"

step build
bash scripts/build.sh native wasm wasi fuzz || { echo "tests: 0 passed, 1 failed"; exit 1; }

step "layering (docs/architecture.md)"
if bash scripts/check-layering.sh; then passed=$((passed + 1)); else failed=$((failed + 1)); fi

step "C unit tests (gcc, ASan+UBSan)"
ctest --preset native 2>&1 | tee build/ctest.log | grep -E 'Test +#|tests passed|FAILED|Failed' || true
c_total=$(sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' build/ctest.log | tail -1)
c_failed=$(sed -n 's/.* \([0-9]*\) tests failed out of.*/\1/p' build/ctest.log | tail -1)
c_total=${c_total:-0}; c_failed=${c_failed:-1}
[ "$c_total" -gt 0 ] || { c_failed=1; echo "[test] ctest ran nothing"; }
passed=$((passed + c_total - c_failed)); failed=$((failed + c_failed))

step "fuzz (${FUZZ_SECONDS}s per target)"
for f in build/fuzz/fuzz_*; do
  [ -x "$f" ] || continue
  name=$(basename "$f"); seeds="fuzz/corpus/${name#fuzz_}"
  mkdir -p "build/fuzz/corpus-$name"
  if "$f" -max_total_time="$FUZZ_SECONDS" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
       "build/fuzz/corpus-$name" $( [ -d "$seeds" ] && echo "$seeds" ) >"build/$name.log" 2>&1; then
    printf '[test] %s: %s\n' "$name" "$(grep -Eo 'Done [0-9]+ runs' "build/$name.log" | tail -1)"
    passed=$((passed + 1))
  else
    echo "[test] $name FAILED"; tail -40 "build/$name.log"; failed=$((failed + 1))
  fi
done

step "Jest suites (wasm core, WASI reactor)"
node --experimental-vm-modules node_modules/jest/bin/jest.js --json --outputFile=build/jest.json \
  2> >(grep -v ExperimentalWarning | grep -v 'trace-warnings' >&2)
if [ -f build/jest.json ]; then
  read -r j_pass j_fail < <(node -e 'const r=require(process.argv[1]);console.log(r.numPassedTests, r.numFailedTests + r.numRuntimeErrorTestSuites)' "$ROOT/build/jest.json")
else
  j_pass=0; j_fail=1
fi
[ "$((j_pass + j_fail))" -gt 0 ] || { j_fail=1; echo "[test] jest ran nothing"; }
passed=$((passed + j_pass)); failed=$((failed + j_fail))

echo
echo "tests: $passed passed, $failed failed"
[ "$failed" = 0 ]
