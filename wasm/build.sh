#!/usr/bin/env bash
# Builds the browser viewer into a self-contained folder (default wasm/dist): index.html, the
# script, the stylesheet, the wasm-bindgen glue and the WebAssembly (as base64 in a script, so
# that the page needs no fetch and its CSP can say connect-src 'none'). Serve the folder with
# any static server, or `podsift serve`, which embeds it.
#
#   bash wasm/build.sh [OUT_DIR]
#
# Needs the wasm32-unknown-unknown target (rust-toolchain.toml lists it), wasm-bindgen-cli at
# exactly the version of the wasm-bindgen crate in Cargo.lock (this script says how to install
# it), and uses wasm-opt (Debian's binaryen) when it is there.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-wasm/dist}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/podsift-target}"

want=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')
have=$(wasm-bindgen --version 2> /dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
    echo "wasm-bindgen-cli $want is needed (found: ${have:-none}):" >&2
    echo "    cargo install wasm-bindgen-cli --version $want --locked" >&2
    exit 2
fi

cargo build -p podsift-wasm --target wasm32-unknown-unknown --profile web --locked
wasm="$CARGO_TARGET_DIR/wasm32-unknown-unknown/web/podsift_wasm.wasm"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
wasm-bindgen --target web --no-typescript --out-dir "$tmp" "$wasm"
if command -v wasm-opt > /dev/null; then
    # Features the Rust target emits; an older wasm-opt that does not know one is skipped.
    if wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
        --enable-mutable-globals --enable-reference-types --enable-multivalue \
        "$tmp/podsift_wasm_bg.wasm" -o "$tmp/opt.wasm"; then
        mv "$tmp/opt.wasm" "$tmp/podsift_wasm_bg.wasm"
    else
        echo "wasm-opt failed; the unoptimised module is used" >&2
    fi
else
    echo "wasm-opt not found (apt-get install binaryen): the module is not size-optimised" >&2
fi
rm -rf "$out"
mkdir -p "$out"
cp wasm/web/index.html wasm/web/podsift.js wasm/web/style.css "$tmp/podsift_wasm.js" "$out/"
{
    printf 'export const WASM = "'
    base64 -w0 "$tmp/podsift_wasm_bg.wasm"
    printf '";\n'
} > "$out/podsift_wasm_bg.js"
raw=$(stat -c %s "$tmp/podsift_wasm_bg.wasm")
served=0
for f in "$out"/*; do
    served=$((served + $(gzip -9 -c "$f" | wc -c)))
done
echo "viewer in $out: podsift_wasm_bg.wasm $raw bytes raw, $served bytes gzip-compressed as served"
