#!/usr/bin/env bash
# Fails when an `#include "..."` in src/ points up the layering of
# docs/architecture.md ("Layering"):
#   util -> json -> model -> sched -> {store, prompt, tools, plugins, provider,
#   protocol, effect, lashlang} -> session -> turn -> {process, queue, trigger, replay,
#   frame} -> core (and diag, test builds only) -> wasm
# A file may include its own folder, a folder on its level, or any folder below.
# Readable from anywhere: the public headers (lash/), cJSON.h, and the hub
# core/state.h with core/error.h (data and the one error writer; both need only util/).
set -uo pipefail
cd "$(dirname "$0")/.."

level() {
  case "$1" in
    util) echo 0 ;;
    json) echo 1 ;;
    model) echo 2 ;;
    sched) echo 3 ;;
    store | prompt | tools | plugins | provider | protocol | effect | lashlang) echo 4 ;;
    session) echo 5 ;;
    turn) echo 6 ;;
    process | queue | trigger | replay | frame) echo 7 ;;
    core | diag) echo 8 ;;
    wasm) echo 9 ;;
    *) echo -1 ;;
  esac
}

bad=0
while IFS= read -r line; do
  file=${line%%:*}
  inc=$(sed -n 's/.*#include "\([^"]*\)".*/\1/p' <<<"${line#*:}")
  [ -n "$inc" ] || continue
  case "$inc" in lash/* | cJSON.h | core/state.h | core/error.h) continue ;; esac
  from=$(cut -d/ -f2 <<<"$file")
  to=${inc%%/*}
  [ "$to" != "$inc" ] || continue # a header beside the file
  lf=$(level "$from"); lt=$(level "$to")
  if [ "$lf" -lt 0 ]; then echo "check-layering: $file: folder src/$from/ has no layer (add it to docs/architecture.md and this script)"; bad=1; continue; fi
  if [ "$lt" -lt 0 ]; then echo "check-layering: $file includes \"$inc\": src/$to/ has no layer"; bad=1; continue; fi
  if [ "$lt" -gt "$lf" ]; then
    echo "check-layering: $file includes \"$inc\": $from (layer $lf) must not include $to (layer $lt)"
    bad=1
  fi
done < <(grep -rn --include='*.c' --include='*.h' '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' src)

[ "$bad" = 0 ] && echo "check-layering: ok"
exit "$bad"
