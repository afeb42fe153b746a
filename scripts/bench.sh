#!/usr/bin/env bash
# Benchmarks of placecheck on generated fleets (docs/performance.md). Not a test: it prints a
# table of wall time, peak RSS and the per-stage times placecheck logs at -vv.
#
#   scripts/bench.sh            # three fleet sizes + the pre-commit case
#   RUNS=5 scripts/bench.sh     # best of 5 instead of 3
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-3}
out=${BENCH_DIR:-/tmp/placecheck-bench}
cargo build --release --quiet --bin placecheck --bin placecheck-gen
bin=target/release/placecheck
gen=target/release/placecheck-gen

# best-of-N wall seconds and the peak RSS (MiB) of that command
measure() {
  local best="" rss=""
  for _ in $(seq "$runs"); do
    /usr/bin/time -f '%e %M' -o /tmp/placecheck-bench.time "$@" >/dev/null 2>&1 || true
    read -r t m < /tmp/placecheck-bench.time
    if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; rss=$((m / 1024)); fi
  done
  echo "$best $rss"
}

stages() {
  local log
  log=$("$@" -vv 2>&1 >/dev/null | sed 's/\x1b\[[0-9;]*m//g')
  for stage in loaded inventory "placement facts" "input document" "policy evaluation"; do
    printf '%s %s; ' "$stage" "$(grep -m1 ": $stage " <<<"$log" | grep -o 'elapsed=[0-9.]*[a-zµ]*' | cut -d= -f2)"
  done
  echo
}

printf '| fleet | nodes | servers | models | lint wall (s) | peak RSS (MiB) | stages |\n|---|---|---|---|---|---|---|\n'
for size in "s1 100 50 1000" "s2 1000 500 10000" "s3 5000 2000 50000"; do
  set -- $size
  dir=$out/$1
  [ -d "$dir" ] || "$gen" --nodes "$2" --servers "$3" --models "$4" --out "$dir" 2>/dev/null
  read -r wall rss < <(measure "$bin" lint "$dir" --format json --fail-on never)
  st=$(stages "$bin" lint "$dir" --format json --fail-on never)
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4" "$wall" "$rss" "$st"
done

# Pre-commit: three changed files linted with a 200-object repository as context.
repo=$out/precommit
if [ ! -d "$repo" ]; then
  "$gen" --nodes 20 --servers 30 --models 150 --namespaces 2 --out "$repo" 2>/dev/null
  mkdir -p "$repo/changed"
  for i in 1 2 3; do
    printf 'apiVersion: mlops.seldon.io/v1alpha1\nkind: Model\nmetadata:\n  name: new-%s\n  namespace: team-0\nspec:\n  storageUri: gs://m/%s\n  requirements: [sklearn]\n' "$i" "$i" > "$repo/changed/model-$i.yaml"
  done
fi
read -r wall rss < <(measure "$bin" lint "$repo/changed/model-1.yaml" "$repo/changed/model-2.yaml" "$repo/changed/model-3.yaml" --context "$repo")
printf '\n| pre-commit case | wall (s) | peak RSS (MiB) |\n|---|---|---|\n| 3 files, --context of a 200-object repo | %s | %s |\n' "$wall" "$rss"
