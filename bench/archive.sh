#!/usr/bin/env bash
# Reading a bundle in place against unpacking it first: `podsift stats bundle.tar.gz` beside
# `tar xzf bundle.tar.gz` followed by `podsift stats` on the folder, and beside `gzip -dc` alone
# (the decompression floor). One hyperfine run, so the ratios hold on a noisy machine. The bar
# (issue 5): reading the .tar.gz in place costs no more than unpacking it and reading the folder.
# Also the same read streamed (`--max-held 64M`: what a tar.gz unpacking to more than
# `--max-held` costs, decompressed twice and read in windows) and each read's peak memory.
#
#   bench/archive.sh [GB]      # the node tree of bench/run.sh (default 1.0), packed as .tar.gz
#
# Needs: hyperfine, GNU tar and gzip. Data is kept in bench/data (or $PODSIFT_BENCH_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
gb=${1:-1.0}
runs=${BENCH_RUNS:-5}
data=${PODSIFT_BENCH_DIR:-bench/data}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/podsift-target}"
command -v hyperfine > /dev/null || { echo "bench: apt-get install hyperfine" >&2; exit 2; }

. bench/tree.sh
bench_bundle
unpacked=$(gzip -dc "$bundle" | wc -c)
echo "bundle: $bundle: $(du -b "$bundle" | cut -f1 | awk '{printf "%.2f GB", $1/1e9}') compressed, $(awk "BEGIN {printf \"%.2f GB\", $unpacked/1e9}") of tar, $(tar -tzf "$bundle" | wc -l) entries"
echo "machine: $(nproc) cores, $(uname -r), $(lscpu | sed -n 's/^Model name: *//p')"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
by="--by namespace,pod,level --progress never"
# The same answer both ways.
diff <("$podsift" stats "$bundle" $by | sed "s|$bundle/tree-$gb|T|") \
     <(tar -C "$scratch" -xzf "$bundle" && "$podsift" stats "$scratch/tree-$gb" $by | sed "s|$scratch/tree-$gb|T|") \
    > /dev/null || { echo "bench: stats of the bundle and of the unpacked folder differ" >&2; exit 1; }
diff <("$podsift" stats "$bundle" $by) <("$podsift" stats "$bundle" $by --max-held 64M) \
    > /dev/null || { echo "bench: stats of the bundle held and streamed differ" >&2; exit 1; }
rm -rf "${scratch:?}"/*

cat "$bundle" > /dev/null
json=$(mktemp --suffix .json)
hyperfine --style basic --runs "$runs" --warmup 1 --export-json "$json" \
    -n podsift-in-place "$podsift stats $bundle $by" \
    -n podsift-streamed "$podsift stats $bundle $by --max-held 64M" \
    -n tar-then-podsift --prepare "rm -rf $scratch/tree-$gb" "tar -C $scratch -xzf $bundle && $podsift stats $scratch/tree-$gb $by" \
    -n gzip-only "gzip -dc $bundle > /dev/null"
python3 - "$json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
p, t, g, s = (r[k]["median"] for k in ("podsift-in-place", "tar-then-podsift", "gzip-only", "podsift-streamed"))
print(f"\npodsift in place  {p:7.3f} s")
print(f"  streamed        {s:7.3f} s   ({s/p:.2f}x held)")
print(f"tar xzf + podsift {t:7.3f} s   ({t/p:.2f}x the in-place time)")
print(f"gzip -dc alone    {g:7.3f} s   (in place is {p/g:.2f}x the decompression alone)")
print(f"bar: in place <= unpack then read: {'PASS' if p <= t else 'FAIL'}")
PY
peak() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
echo "peak memory: held $(( $(peak "$podsift" stats "$bundle" $by) / 1024 )) MB, streamed $(( $(peak "$podsift" stats "$bundle" $by --max-held 64M) / 1024 )) MB"
