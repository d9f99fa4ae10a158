#!/usr/bin/env bash
# Reading Prometheus's storage: TSDB blocks written by `promtool tsdb create-blocks-from
# openmetrics` from the ~1 GB OpenMetrics file of bench/gen_metrics.py (8,100 series, 5.3M
# samples, two 2-hour blocks), read by podsift into its tables (`podsift metrics`, and `-o
# dump` to /dev/null) beside `promtool tsdb dump` of the same blocks, in one hyperfine run;
# then one series asked for with --match; then peak memory (GNU time). Bars (issue 26): every
# sample decoded at least 10x faster than promtool dump, in less memory than the chunks (the
# dump, written series by series as read); one series under 50 ms.
#
#   bench/tsdb.sh [GB]
#
# Needs: hyperfine, promtool (apt-get install prometheus), python3, GNU time. Data is kept in
# bench/data (or $PODSIFT_BENCH_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
gb=${1:-1.0}
runs=${BENCH_RUNS:-3}
data=${PODSIFT_BENCH_DIR:-bench/data}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/podsift-target}"
for t in hyperfine promtool python3 /usr/bin/time; do
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
db="$data/tsdb-$gb"
if [ ! -f "$db.done" ]; then
    rm -rf "$db"
    mkdir -p "$db/wal"
    promtool tsdb create-blocks-from openmetrics "$om" "$db" > /dev/null
    touch "$db.done"
fi
chunk_bytes=$(cat "$db"/*/chunks/* | wc -c)
echo "input: $db: $(ls "$db"/*/meta.json | wc -l) blocks written by promtool from $om, $want samples, $(awk "BEGIN {printf \"%.1f MB\", $chunk_bytes/1e6}") of chunks"
echo "machine: $(nproc) cores, $(uname -r), $(lscpu | sed -n 's/^Model name: *//p')"
echo "promtool: $(promtool --version 2>&1 | head -1)"

# Both read every sample, and the same ones.
got=$("$podsift" metrics "$db" -o json --progress never | python3 -c 'import json,sys; print(sum(json.loads(l)["samples"] for l in sys.stdin))')
[ "$got" = "$want" ] || { echo "bench: podsift read $got samples, the blocks hold $want" >&2; exit 1; }
cmp <("$podsift" metrics "$db" -o dump --progress never) <(promtool tsdb dump "$db") \
    || { echo "bench: podsift's dump differs from promtool's" >&2; exit 1; }
one='container_metric_7_seconds{namespace="shop",pod=~"shop-api-.*"}'

# The data directory a real Prometheus wrote (testdata/prometheus: its WAL, head chunk file and
# a snapshot), copied (promtool opens it as a database).
live=$(mktemp -d)
cp -r testdata/prometheus/data "$live/"
# promtool 2.42 leaves native histograms out of its dump; podsift writes them too.
cmp <("$podsift" metrics "$live/data" -o dump --progress never | grep -v ' {count:') \
    <(promtool tsdb dump "$live/data") \
    || { echo "bench: podsift's dump of the WAL differs from promtool's" >&2; exit 1; }
live_n=$(promtool tsdb dump "$live/data" | wc -l)

json=$(mktemp --suffix .json)
hyperfine --style basic --runs "$runs" --warmup 1 --export-json "$json" \
    -n podsift "$podsift metrics $db --progress never" \
    -n podsift-dump "$podsift metrics $db -o dump --progress never > /dev/null" \
    -n promtool-dump "promtool tsdb dump $db > /dev/null" \
    -n podsift-one-series "$podsift metrics $db --progress never --match '$one' -o dump > /dev/null" \
    -n podsift-wal-dump "$podsift metrics $live/data -o dump --progress never > /dev/null" \
    -n promtool-wal-dump "promtool tsdb dump $live/data > /dev/null"
peak() { /usr/bin/time -f %M "$@" > /dev/null 2> "$json.mem" || true; tail -1 "$json.mem"; }
mem_podsift=$(peak "$podsift" metrics "$db" --progress never)
mem_promtool=$(peak promtool tsdb dump "$db")
mem_one=$(peak "$podsift" metrics "$db" --progress never --match "$one" -o dump)
mem_dump=$(peak "$podsift" metrics "$db" --progress never -o dump)
rm -rf "$live"
python3 - "$json" "$want" "$mem_podsift" "$mem_promtool" "$mem_one" "$chunk_bytes" "$mem_dump" "$live_n" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
n = int(sys.argv[2])
mp, mt, mo, cb, md, ln = (int(x) for x in sys.argv[3:9])
p, d, t, o = (r[k]["median"] for k in ("podsift", "podsift-dump", "promtool-dump", "podsift-one-series"))
print(f"\npodsift metrics (tables)   {p:7.3f} s  {n/p/1e6:6.1f} M samples/s  peak {mp/1024:6.0f} MB")
print(f"podsift metrics -o dump    {d:7.3f} s  {n/d/1e6:6.1f} M samples/s  peak {md/1024:6.0f} MB")
print(f"promtool tsdb dump         {t:7.3f} s  {n/t/1e6:6.1f} M samples/s  peak {mt/1024:6.0f} MB   ({t/p:.1f}x podsift's time, {t/d:.1f}x its dump's)")
print(f"podsift --match one series {o*1000:7.1f} ms  peak {mo/1024:6.0f} MB")
w, pw = (r[k]["median"] for k in ("podsift-wal-dump", "promtool-wal-dump"))
print(f"real data dir (WAL, {ln} samples): podsift -o dump {w*1000:.1f} ms, promtool tsdb dump {pw*1000:.1f} ms ({pw/w:.1f}x)")
print(f"chunks on disk             {cb/1e6:7.1f} MB")
print(f"bar: >= 10x promtool dump (tables): {'PASS' if t/p >= 10 else 'FAIL'}")
print(f"bar: >= 10x promtool dump (the same dump): {'PASS' if t/d >= 10 else 'FAIL'}")
print(f"bar: one series < 50 ms: {'PASS' if o < 0.05 else 'FAIL'}")
print(f"bar: peak memory below the chunks read (the dump): {'PASS' if md * 1024 < cb else 'FAIL'}")
print(f"     (the tables hold 20 bytes a sample: {mp * 1024 / cb:.1f}x the chunks)")
PY
