#!/usr/bin/env bash
# The browser viewer's size and speed (issue 9). Size: the built viewer's files as served,
# gzip-compressed, and the raw .wasm. Speed: a node tree of bench/run.sh's shape packed as
# .tar.gz, opened in headless Chromium through the page's "Open files" input: time until the
# first histogram shows (entries counted while the read runs) and until the table is ready,
# and the module's memory then; beside `podsift stats` and the desktop app's read
# (frame_bench's table read) of the same bundle in the same run, as ratios.
#
#   bench/viewer.sh [GB]      # default 0.25: the tree's size before packing
#   PODSIFT_BIN=/old/podsift bench/viewer.sh [GB]   # the viewer another build embeds
#
# Needs: the viewer built (bash wasm/build.sh; podsift is built after it, so it embeds it), node with
# wasm/e2e/node_modules, chromium. Data is kept in bench/data (or $PODSIFT_BENCH_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
gb=${1:-0.25}
data=${PODSIFT_BENCH_DIR:-bench/data}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/podsift-target}"
[ -f wasm/dist/index.html ] || { echo "bench: bash wasm/build.sh first" >&2; exit 2; }

echo "viewer as served (gzip -9 of each file):"
total=0
for f in wasm/dist/*; do
    z=$(gzip -9 -c "$f" | wc -c)
    total=$((total + z))
    printf '  %-24s %10d bytes raw %10d gzip\n' "$(basename "$f")" "$(stat -c %s "$f")" "$z"
done
wasm_raw=$(python3 -c 'import json, sys
s = open(sys.argv[1], encoding="utf-8").read()
print(len(json.loads(s[s.index("\""):s.rindex("\"") + 1], strict=False)))' wasm/dist/podsift_wasm_bg.js)
echo "  total served, gzip: $total bytes ($(awk "BEGIN {printf \"%.2f\", $total/1048576}") MiB); the .wasm itself: $wasm_raw bytes raw"

. bench/tree.sh
bench_bundle
# Another build (with its own viewer embedded) to compare: PODSIFT_BIN=/path/to/podsift.
podsift=${PODSIFT_BIN:-$podsift}
echo "bundle: $bundle, $(du -b "$bundle" | cut -f1 | awk '{printf "%.0f MB", $1/1e6}') compressed"
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p')"

out=$(mktemp -d)
trap 'kill $server 2> /dev/null; rm -rf "$out"' EXIT
"$podsift" serve --port 0 > "$out/serve.txt" &
server=$!
for _ in $(seq 50); do grep -q http "$out/serve.txt" 2> /dev/null && break; sleep 0.1; done
url=$(sed -n 's/^podsift viewer: //p' "$out/serve.txt")

stats=$(python3 -c 'import subprocess, sys, time
t = time.time(); subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL); print(time.time() - t)' \
    "$podsift" stats "$bundle" --progress never)
node wasm/e2e/viewer.mjs "$url" "$bundle" "$out" "level:error" > "$out/viewer.json"
python3 - "$out/viewer.json" "$stats" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
stats = float(sys.argv[2])
first, ready = r["firstHistogramMs"] / 1000, r["readyMs"] / 1000
print(f"entries: {r['loaded'].get('entries')} ({r['loaded']['state']}; files skipped or left unread: {r['loaded'].get('skipped')})")
print(f"page up: {r['startMs'] / 1000:.2f} s")
if r.get("listedMs") is not None:
    print(f"archives listed: {r['listedMs'] / 1000:.2f} s after the bundle was given")
print(f"first histogram: {first:.2f} s after the bundle was given (bar: 5 s for 200 MB)")
print(f"table ready: {ready:.2f} s = {ready / stats:.1f}x `podsift stats` of the bundle ({stats:.2f} s, native, 2 cores)")
g = r.get("frameGaps")
if g:
    print(f"longest time without a frame while loading: {g['longestMs'] / 1000:.2f} s (at {g['atMs'] / 1000:.2f} s); gaps over 0.1 s: {g['over100']}, over 0.25 s: {g['over250']}, of {g['frames']} frames")
    print("  longest gaps (at s, for s): " + ", ".join(f"{a / 1000:.1f}: {d / 1000:.2f}" for a, d in g.get("top", [])))
m = r["memory"]
print(f"module memory: {m['wasm'] / 1e6:.0f} MB when ready, {m['wasmAtEnd'] / 1e6:.0f} MB after a query and a Parquet export; JS heap {(m['js'] or 0) / 1e6:.0f} MB (bar: 1.5 GB)")
for q in r.get("searches", []):
    print(f"query {q['query']!r} over the whole table: {q['ms'] / 1000:.2f} s, {q['shown']} entries shown")
if m.get("rendererPeak"):
    print(f"renderer process peak resident memory (VmHWM): {m['rendererPeak'] / 1e6:.0f} MB")
PY
