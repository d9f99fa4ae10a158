# Sourced by the bench scripts: builds podsift and the generator, and makes the node tree of
# `$gb` GB in `$data` once (kept between runs). Sets `podsift`, `testgen` and `tree`;
# `bench_bundle` also packs the tree as a .tar.gz once and sets `bundle`.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/podsift-target}"
cargo build --release --locked -p podsift-cli -p podsift-testgen
podsift="$CARGO_TARGET_DIR/release/podsift"
testgen="$CARGO_TARGET_DIR/release/podsift-testgen"
tree="$data/tree-$gb"
if [ ! -f "$tree.truth.json" ]; then
    rm -rf "$tree"
    echo "generating $gb GB of node logs in $tree"
    "$testgen" "$tree" --bench "$gb" --truth "$tree.truth.json"
fi

bench_bundle() {
    bundle="$data/tree-$gb.tar.gz"
    if [ ! -f "$bundle" ]; then
        tar -C "$data" -cf - "tree-$gb" | gzip -6 > "$bundle.tmp" && mv "$bundle.tmp" "$bundle"
    fi
}
