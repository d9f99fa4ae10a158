#!/usr/bin/env bash
# Two builds of podsift on the same data in one run, command by command: for a change that must
# not make anything slower (a refactor). Each command runs interleaved under hyperfine, so the
# ratios hold on a noisy machine.
#
#   bench/before-after.sh OLD_PODSIFT [GB]     # default 1.0 GB tree of bench/run.sh
#
# OLD_PODSIFT is a podsift binary built from the commit before the change, e.g.
#   git worktree add /tmp/base <commit> && (cd /tmp/base && cargo build --release -p podsift-cli)
# The new one is built from this checkout. Needs hyperfine, GNU time and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
old=${1:?"usage: bench/before-after.sh OLD_PODSIFT [GB]"}
gb=${2:-1.0}
runs=${BENCH_RUNS:-5}
data=${PODSIFT_BENCH_DIR:-bench/data}
old=$(realpath "$old")

. bench/tree.sh
bench_bundle
metrics=testdata/metrics/bundle
echo "tree: $tree; bundle: $bundle; machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p')"
find "$tree" -type f -exec cat {} + > /dev/null

sql='SELECT namespace, pod, level, COUNT(*) AS n FROM logs GROUP BY namespace, pod, level'
declare -a names cmds
add() { names+=("$1"); cmds+=("$2"); }
add "stats by ns,pod,level" "stats $tree --by namespace,pod,level --progress never"
add "sources" "sources $tree --progress never -o json"
add "sql count by ns,pod,level" "sql $tree '$sql' --progress never -o csv"
add "logs -o json (errors)" "logs $tree --level error -o json --progress never"
add "report" "report $tree --progress never -o json"
add "stats of the .tar.gz" "stats $bundle --progress never"
add "metrics summary" "metrics $metrics --progress never"

json=$(mktemp -d)
rss() { /usr/bin/time -f %M bash -c "$1 > /dev/null 2>&1" 2>&1 | tail -1; }
printf '%-28s %10s %10s %8s %12s %12s\n' command "old (s)" "new (s)" "new/old" "old RSS MB" "new RSS MB"
for i in "${!names[@]}"; do
    hyperfine --warmup 1 --runs "$runs" -N -i --export-json "$json/$i.json" \
        -n old "$old ${cmds[$i]}" -n new "$podsift ${cmds[$i]}" > /dev/null 2>&1
    python3 - "$json/$i.json" "${names[$i]}" "$(rss "$old ${cmds[$i]}")" "$(rss "$podsift ${cmds[$i]}")" <<'PY'
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
print(f"{sys.argv[2]:<28} {r['old']:>10.3f} {r['new']:>10.3f} {r['new'] / r['old']:>7.2f}x "
      f"{int(sys.argv[3]) / 1024:>12.0f} {int(sys.argv[4]) / 1024:>12.0f}")
PY
done
rm -rf "$json"
