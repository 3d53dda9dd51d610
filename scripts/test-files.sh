#!/usr/bin/env bash
# Prints the compiled test files to run, one per line as `<tier> <lib/test/...test.js>`, fast tiers
# first: domain (pure rules), workflow (stub activities, time-skipping), replay, then the full stack
# (test/*.test.ts and any other folder). The list comes from test/**/*.test.ts, so a compiled file
# whose source is gone never runs.
#
# With no argument: every test. Each argument selects files; a file runs once however many select it:
#   window                 files whose path under test/ contains "window" (window.test.ts)
#   test/domain            a folder: the files under it (also domain, domain/, test/domain/)
#   test/window.test.ts    one file, as its source or its compiled path (lib/test/window.test.js)
# An argument that selects nothing is an error, so a typo never passes as an empty run.
set -euo pipefail
cd "$(dirname "$0")/.."

tier_of() {
  case "$1" in
    domain/*) echo domain ;;
    workflow/*) echo workflow ;;
    replay/*) echo replay ;;
    *) echo full-stack ;;
  esac
}

# Source paths relative to test/, e.g. window.test.ts, domain/push-rules.test.ts.
mapfile -t all < <(find test -name '*.test.ts' -not -path 'test/support/*' | sed 's|^test/||' | LC_ALL=C sort)

# What an argument names, as a path relative to test/ (or a part of one).
normalise() {
  local a="${1#./}"
  a="${a#lib/test/}"
  a="${a#test/}"
  if [[ "$a" == *.test.js ]]; then a="${a%.js}.ts"; fi
  # A folder named by its path matches what is under it, not every path containing its name.
  if [ -d "test/$a" ] && [[ "$a" != */ ]]; then a="$a/"; fi
  printf '%s' "$a"
}

selected=()
if [ "$#" -eq 0 ]; then
  selected=("${all[@]}")
else
  declare -A chosen=()
  for arg in "$@"; do
    want="$(normalise "$arg")"
    hit=0
    for f in "${all[@]}"; do
      if [ -f "test/$want" ]; then [ "$f" = "$want" ] || continue     # a file: that one
      elif [ -d "test/$want" ]; then [[ "$f" == "$want"* ]] || continue # a folder: what is under it
      else [[ "$f" == *"$want"* ]] || continue                         # a pattern: a part of the path
      fi
      chosen["$f"]=1
      hit=1
    done
    if [ "$hit" -eq 0 ]; then
      echo "test-files: no test file matches '$arg' (files: ${all[*]})" >&2
      exit 2
    fi
  done
  for f in "${all[@]}"; do [ -n "${chosen[$f]:-}" ] && selected+=("$f"); done
fi

for tier in domain workflow replay full-stack; do
  for f in "${selected[@]}"; do
    if [ "$(tier_of "$f")" = "$tier" ]; then echo "$tier lib/test/${f%.ts}.js"; fi
  done
done
