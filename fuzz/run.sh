#!/usr/bin/env bash
# Runs the fuzz targets on their seeded corpora; fails when one finds a crash (a panic, a hang
# past the timeout, memory past the limit). See FUZZING.md.
#
#   bash fuzz/run.sh [SECONDS] [TARGET...]      each target for SECONDS (default 20)
#   FUZZ_RUNS=10000000 bash fuzz/run.sh 0 ...   each target for that many executions
#   FUZZ_JOBS=2 ...                             that many targets at once (default 1)
#   FUZZ_DEV=1 ...                              unoptimized build (CI: builds in a third of
#                                               the time, runs a few times slower)
#
# The corpus each run grows is kept outside the clone ($PODSIFT_FUZZ_DIR, by default beside
# the build cache) and seeded again each time from testdata and ../shared/realdata
# (fuzz/seed.py). Prints one line per target: executions, corpus size, and the result.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-20}
shift || true
if [ $# -gt 0 ]; then
    targets=("$@")
else
    targets=()
    for f in fuzz_targets/*.rs; do targets+=("$(basename "$f" .rs)"); done
fi

export CARGO_TARGET_DIR="${PODSIFT_FUZZ_TARGET:-$HOME/.cache/podsift-fuzz-target}"
work="${PODSIFT_FUZZ_DIR:-$HOME/.cache/podsift-fuzz}"
tools="$HOME/.cache/podsift-tools"
export PATH="$tools/bin:$PATH"
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --version 0.13.2 --locked --root "$tools"
fi
# cargo-fuzz passes an unstable flag or two to rustc even without a sanitizer; the pinned
# stable toolchain accepts them when told it may.
export RUSTC_BOOTSTRAP=1

profile=()
if [ -n "${FUZZ_DEV:-}" ]; then profile=(--dev); fi
python3 seed.py "$work/seed"
cargo fuzz build -s none --codegen-units 16 "${profile[@]}"
bin="$CARGO_TARGET_DIR/x86_64-unknown-linux-gnu/$([ -n "${FUZZ_DEV:-}" ] && echo debug || echo release)"

mkdir -p "$work/logs"
run_one() {
    local t=$1
    mkdir -p "$work/corpus/$t" "artifacts/$t"
    local limit=(-max_total_time="$secs")
    if [ -n "${FUZZ_RUNS:-}" ]; then limit=(-runs="$FUZZ_RUNS"); fi
    local start rc=0
    start=$(date +%s)
    # The binary built above, run directly (so that an edit made meanwhile is not built into
    # a run half way through).
    "$bin/$t" "$work/corpus/$t" "$work/seed/$t" -artifact_prefix="artifacts/$t/" \
        "${limit[@]}" -timeout=20 -rss_limit_mb=3072 -max_len=262144 \
        -print_final_stats=1 >"$work/logs/$t.log" 2>&1 || rc=$?
    local execs
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/logs/$t.log" | tail -1)
    local corpus
    corpus=$(find "$work/corpus/$t" -type f | wc -l)
    if [ "$rc" -eq 0 ]; then
        printf '%-14s %12s executions %6ss  corpus %6s  ok\n' "$t" "${execs:-?}" \
            "$(( $(date +%s) - start ))" "$corpus"
    else
        printf '%-14s %12s executions %6ss  corpus %6s  FAILED (exit %s): see %s\n' "$t" \
            "${execs:-?}" "$(( $(date +%s) - start ))" "$corpus" "$rc" "$work/logs/$t.log"
        grep -E "^(==|thread|SUMMARY|artifact_prefix|Test unit written)" "$work/logs/$t.log" |
            head -8 | sed 's/^/    /'
        return 1
    fi
}

failed=0
jobs=${FUZZ_JOBS:-1}
if [ "$jobs" -le 1 ]; then
    for t in "${targets[@]}"; do run_one "$t" || failed=1; done
else
    pids=()
    for t in "${targets[@]}"; do
        run_one "$t" &
        pids+=($!)
        while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 1; done
    done
    for p in "${pids[@]}"; do wait "$p" || failed=1; done
fi
if [ "$failed" -ne 0 ]; then
    echo "fuzz: a target failed; its input is under fuzz/artifacts/ (replay: cargo fuzz run TARGET FILE;"
    echo "then keep it in fuzz/regressions/TARGET/ with the fix, so the test suite replays it)"
    exit 1
fi
