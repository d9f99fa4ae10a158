#!/usr/bin/env bash
# `podsift report` against `podsift stats` on the same node tree (the 1 GB tree of
# bench/run.sh), in one hyperfine run. Bar (issue 8): the report costs at most 2x stats.
#
#   bench/report.sh [GB]
#
# Needs: hyperfine. Data is kept in bench/data (or $PODSIFT_BENCH_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
gb=${1:-1.0}
runs=${BENCH_RUNS:-5}
data=${PODSIFT_BENCH_DIR:-bench/data}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/podsift-target}"
command -v hyperfine > /dev/null || { echo "bench: apt-get install hyperfine" >&2; exit 2; }
. bench/tree.sh
echo "tree: $tree: $(du -sb "$tree" | cut -f1 | awk '{printf "%.2f GB on disk", $1/1e9}')"
echo "machine: $(nproc) cores, $(uname -r), $(lscpu | sed -n 's/^Model name: *//p')"
json=$(mktemp --suffix .json)
hyperfine --style basic --runs "$runs" --warmup 1 --export-json "$json" \
    -n stats "$podsift stats $tree --by namespace,pod,level --progress never" \
    -n report "$podsift report $tree -o json --progress never"
python3 - "$json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
s, p = r["stats"]["median"], r["report"]["median"]
print(f"\nstats  {s:7.3f} s\nreport {p:7.3f} s   ({p/s:.2f}x stats)")
print(f"bar: report <= 2x stats: {'PASS' if p <= 2 * s else 'FAIL'}")
PY
