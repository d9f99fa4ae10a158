#!/usr/bin/env bash
# Keep the build cache outside the clone from filling the disk: every commit links new test
# binaries (hundreds of MB each, since each one links polars) beside the old ones.
# Keeps the newest binary of each name, drops incremental state, and starts over when the
# cache is still large or the disk is nearly full.
set -euo pipefail
target="${CARGO_TARGET_DIR:?}"
[ -d "$target" ] || exit 0
for profile in debug release profiling x86_64-unknown-linux-gnu/debug x86_64-unknown-linux-gnu/release; do
    deps="$target/$profile/deps"
    [ -d "$deps" ] || continue
    # Executables (test and bench binaries) are named <stem>-<16 hex>; keep the newest per stem.
    find "$deps" -maxdepth 1 -type f -perm -u+x -regextype posix-extended \
        -regex '.*/[A-Za-z0-9_]+-[0-9a-f]{16}' -printf '%T@ %p\n' |
        sort -rn |
        awk '{ n = $2; sub(/.*\//, "", n); sub(/-[0-9a-f]+$/, "", n); if (seen[n]++) print $2 }' |
        xargs -r rm -f
    rm -rf "$target/$profile/incremental"
done
size_gb=$(( $(du -sk "$target" | cut -f1) / 1024 / 1024 ))
free_gb=$(( $(df -Pk "$target" | awk 'NR == 2 { print $4 }') / 1024 / 1024 ))
echo "build cache: ${size_gb} GB, ${free_gb} GB free on its disk"
if [ "$size_gb" -gt 40 ] || [ "$free_gb" -lt 20 ]; then
    echo "build cache: starting over (more than 40 GB, or less than 20 GB free)"
    rm -rf "$target/debug" "$target/profiling" "$target/x86_64-unknown-linux-gnu/debug"
fi
