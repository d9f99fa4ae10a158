#!/usr/bin/env bash
# Metrics ingest: podsift reading a ~1 GB OpenMetrics file (bench/gen_metrics.py: 81 families,
# 8,100 series, 5.3M samples with timestamps) into its tables and summarizing it (`podsift
# metrics`), beside `promtool tsdb create-blocks-from openmetrics` on the same file, in one
# hyperfine run; and podsift pinned to one core (taskset) for MB/s per core. Bars (issue 6):
# at least 300 MB/s per core, at least 5x faster than promtool.
#
#   bench/metrics.sh [GB]
#
# Needs: hyperfine, promtool (apt-get install prometheus), python3, taskset. Data is kept in
# bench/data (or $PODSIFT_BENCH_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
gb=${1:-1.0}
runs=${BENCH_RUNS:-3}
data=${PODSIFT_BENCH_DIR:-bench/data}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/podsift-target}"
for t in hyperfine promtool python3 taskset; do
    command -v $t > /dev/null || { echo "bench: $t is missing (see the header)" >&2; exit 2; }
done
cargo build --release --locked -p podsift-cli
podsift="$CARGO_TARGET_DIR/release/podsift"
mkdir -p "$data"
om="$data/metrics-$gb.om"
if [ ! -f "$om.count" ]; then
    python3 bench/gen_metrics.py "$om" "$gb" > "$om.count.tmp" && mv "$om.count.tmp" "$om.count"
fi
want=$(cat "$om.count")
bytes=$(stat -c %s "$om")
echo "input: $om: $(awk "BEGIN {printf \"%.2f GB\", $bytes/1e9}"), $want samples"
echo "machine: $(nproc) cores, $(uname -r), $(lscpu | sed -n 's/^Model name: *//p')"
echo "promtool: $(promtool --version 2>&1 | head -1)"

# Both read every sample.
got=$("$podsift" metrics "$om" -o json --progress never | python3 -c 'import json,sys; print(sum(json.loads(l)["samples"] for l in sys.stdin))')
[ "$got" = "$want" ] || { echo "bench: podsift read $got samples, the file has $want" >&2; exit 1; }
blocks=$(mktemp -d)
trap 'rm -rf "$blocks"' EXIT
promtool_samples=$(promtool tsdb create-blocks-from openmetrics "$om" "$blocks" 2>&1 | awk 'length($1) == 26 && $1 ~ /^[0-9A-Z]+$/ {s += $5} END {print s}')
[ "$promtool_samples" = "$want" ] || { echo "bench: promtool wrote $promtool_samples samples, the file has $want" >&2; exit 1; }

cat "$om" > /dev/null
json=$(mktemp --suffix .json)
hyperfine --style basic --runs "$runs" --warmup 1 --export-json "$json" \
    -n podsift "$podsift metrics $om --progress never" \
    -n podsift-one-core "taskset -c 0 $podsift metrics $om --progress never" \
    -n promtool --prepare "rm -rf $blocks/*" "promtool tsdb create-blocks-from openmetrics $om $blocks"
python3 - "$json" "$bytes" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
mb = int(sys.argv[2]) / 1e6
p, one, t = (r[k]["median"] for k in ("podsift", "podsift-one-core", "promtool"))
print(f"\npodsift (all cores)   {p:7.3f} s  {mb/p:7.0f} MB/s")
print(f"podsift (one core)    {one:7.3f} s  {mb/one:7.0f} MB/s per core")
print(f"promtool              {t:7.3f} s  {mb/t:7.0f} MB/s   ({t/p:.1f}x podsift's time)")
print(f"bar: >= 300 MB/s per core: {'PASS' if mb/one >= 300 else 'FAIL'}")
print(f"bar: >= 5x promtool: {'PASS' if t/p >= 5 else 'FAIL'}")
PY
