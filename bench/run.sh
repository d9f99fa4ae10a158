#!/usr/bin/env bash
# podsift against its peers on one generated node tree, in one run, so that the ratios hold on a
# noisy machine. Prints each tool's time and peak memory, the ratios, and whether podsift meets
# its bars: within 2x of ripgrep's scan, at least 5x faster than DuckDB, peak RSS under 300 MB.
#
#   bench/run.sh [GB]          # default 1.0 GB of log lines (3 nodes, 54 pods, rotated, .gz)
#
# Needs: ripgrep, hyperfine, lnav, GNU time (apt-get install ripgrep hyperfine lnav time) and
# DuckDB for Python (pip install duckdb). The tree is kept in bench/data (or $PODSIFT_BENCH_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
gb=${1:-1.0}
runs=${BENCH_RUNS:-5}
data=${PODSIFT_BENCH_DIR:-bench/data}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/podsift-target}"

for tool in rg hyperfine lnav /usr/bin/time python3; do
    command -v "$tool" > /dev/null || { echo "bench: $tool is missing (see the header of $0)" >&2; exit 2; }
done
python3 -c 'import duckdb' 2> /dev/null || { echo "bench: pip install duckdb" >&2; exit 2; }

. bench/tree.sh
logical=$(python3 -c "import json; t=json.load(open('$tree.truth.json')); print(t['bytes'], t['entries'], t['lines'])")
ondisk=$(du -sb "$tree" | cut -f1)
echo "tree: $tree: $(echo "$logical" | awk '{printf "%.2f GB of log lines, %d entries, %d lines", $1/1e9, $2, $3}'), $(awk "BEGIN {printf \"%.2f GB\", $ondisk/1e9}") on disk, $(find "$tree" -type f | wc -l) files ($(find "$tree" -name '*.gz' | wc -l) gzip)"
echo "machine: $(nproc) cores, $(uname -r), $(lscpu | sed -n 's/^Model name: *//p')"

# The same question for every tool: entries by namespace, pod and level.
duck=$(mktemp --suffix .py)
cat > "$duck" <<EOF
import duckdb
con = duckdb.connect()
con.execute("SET threads TO $(nproc)")
con.execute(r"""
SELECT regexp_extract(filename, '/pods/([^_/]+)_([^_/]+)_', 1) AS namespace,
       regexp_extract(filename, '/pods/([^_/]+)_([^_/]+)_', 2) AS pod,
       coalesce(nullif(lower(regexp_extract(line, '\b(DEBUG|INFO|WARN|WARNING|ERROR|FATAL|debug|info|warn|warning|error|fatal)\b', 1)), ''), 'unknown') AS level,
       count(*) AS entries
FROM read_csv('$tree/*/pods/*/*/*', columns={'line': 'VARCHAR'}, delim='\x01', quote='', escape='',
              header=false, filename=true, auto_detect=false, strict_mode=false, max_line_size=20000000)
GROUP BY ALL ORDER BY entries DESC
""").fetchall()
EOF
cmd_podsift="$podsift stats $tree --by namespace,pod,level --progress never"
cmd_rg="rg -z -c '' $tree"
cmd_duckdb="python3 $duck"
cmd_lnav="lnav -n -c ';SELECT log_level, count(*) AS n FROM all_logs GROUP BY log_level' '$tree/*/pods/*/*/*'"

# Warm the page cache, then time everything in one go.
find "$tree" -type f -exec cat {} + > /dev/null
json=$(mktemp --suffix .json)
hyperfine --warmup 1 --runs "$runs" --export-json "$json" -N \
    -n podsift "$cmd_podsift" -n ripgrep "$cmd_rg" -n duckdb "$cmd_duckdb" > /dev/null
# lnav indexes everything into memory and takes far longer: one timed run.
lnav_start=$(date +%s.%N)
eval "$cmd_lnav" > /dev/null
lnav_secs=$(echo "$(date +%s.%N) - $lnav_start" | bc)

rss() { /usr/bin/time -f %M bash -c "$1 > /dev/null" 2>&1 | tail -1; }
declare -A peak
peak[podsift]=$(rss "$cmd_podsift")
peak[ripgrep]=$(rss "$cmd_rg")
peak[duckdb]=$(rss "$cmd_duckdb")
peak[lnav]=$(rss "$cmd_lnav")

python3 - "$json" "$lnav_secs" "${peak[podsift]}" "${peak[ripgrep]}" "${peak[duckdb]}" "${peak[lnav]}" <<'EOF'
import json, sys
results = {r["command"]: (r["mean"], r["stddev"]) for r in json.load(open(sys.argv[1]))["results"]}
results["lnav"] = (float(sys.argv[2]), 0.0)
peaks = dict(zip(["podsift", "ripgrep", "duckdb", "lnav"], (int(x) / 1024 for x in sys.argv[3:7])))
base = results["podsift"][0]
print()
print(f"{'tool':<10}{'time (s)':>12}{'vs podsift':>12}{'peak RSS (MB)':>16}")
for name in ["podsift", "ripgrep", "duckdb", "lnav"]:
    mean, sd = results[name]
    print(f"{name:<10}{mean:>8.3f} ±{sd:>4.2f}{mean / base:>11.2f}x{peaks[name]:>15.0f}")
rg = results["ripgrep"][0] / base
duck = results["duckdb"][0] / base
bars = [
    ("within 2x of ripgrep's time", base <= 2 * results["ripgrep"][0], f"{1 / rg:.2f}x ripgrep's time"),
    ("at least 5x faster than DuckDB", duck >= 5, f"{duck:.2f}x faster"),
    ("peak RSS under 300 MB", peaks["podsift"] < 300, f"{peaks['podsift']:.0f} MB"),
]
print()
for what, ok, got in bars:
    print(f"{'PASS' if ok else 'FAIL'}  {what}: {got}")
EOF
rm -f "$duck" "$json"
