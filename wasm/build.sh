#!/usr/bin/env bash
# Builds the browser viewer into a self-contained folder (default wasm/dist): index.html, the
# script, the stylesheet, the wasm-bindgen glue and the WebAssembly (as a string in a script,
# so that the page needs no fetch and its CSP can say connect-src 'none'). Serve the folder with
# any static server, or `podsift serve`, which embeds it.
#
#   bash wasm/build.sh [OUT_DIR]
#
# Needs the wasm32-unknown-unknown target (rust-toolchain.toml lists it), wasm-bindgen-cli at
# exactly the version of the wasm-bindgen crate in Cargo.lock (installed with cargo install when
# it is missing), and python3; uses wasm-opt (binaryen 116 or later) when it is there.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-wasm/dist}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/podsift-target}"

want=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')
have=$(wasm-bindgen --version 2> /dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
    echo "installing wasm-bindgen-cli $want (found: ${have:-none}), the version of the crate in Cargo.lock"
    # Not --locked: its lock file names crates the registry mirror may not have.
    cargo install wasm-bindgen-cli --version "$want" --quiet
fi

cargo build -p podsift-wasm --target wasm32-unknown-unknown --profile web --locked
wasm="$CARGO_TARGET_DIR/wasm32-unknown-unknown/web/podsift_wasm.wasm"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
wasm-bindgen --target web --no-typescript --out-dir "$tmp" "$wasm"
# wasm-opt: $WASM_OPT, else the one on PATH. Binaryen before 116 (Debian 12 has 108) breaks
# the module's reference-typed table, so it is not used; without wasm-opt the module is larger
# but works the same.
opt="${WASM_OPT:-$(command -v wasm-opt || true)}"
version=$([ -n "$opt" ] && "$opt" --version 2> /dev/null | grep -o '[0-9]\+' | head -1 || true)
if [ -z "$opt" ]; then
    echo "wasm-opt not found: the module is not size-optimised" >&2
elif [ "${version:-0}" -lt 116 ]; then
    echo "wasm-opt $version is too old (116 or later; npm's binaryen package has one: WASM_OPT=.../node_modules/.bin/wasm-opt): not used" >&2
else
    "$opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
        --enable-mutable-globals --enable-reference-types --enable-multivalue \
        "$tmp/podsift_wasm_bg.wasm" -o "$tmp/opt.wasm"
    mv "$tmp/opt.wasm" "$tmp/podsift_wasm_bg.wasm"
fi
rm -rf "$out"
mkdir -p "$out"
cp wasm/web/index.html wasm/web/podsift.js wasm/web/style.css "$tmp/podsift_wasm.js" "$out/"
# The module as a string of one character per byte (U+0000 to U+00FF, in UTF-8): gzip finds
# the same repeats in it as in the bytes (base64 would shift them and cost a third more).
python3 - "$tmp/podsift_wasm_bg.wasm" "$out/podsift_wasm_bg.js" <<'PY'
import sys
text = open(sys.argv[1], "rb").read().decode("latin-1")
for a, b in (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r")):
    text = text.replace(a, b)
open(sys.argv[2], "wb").write(('export const WASM = "' + text + '";\n').encode("utf-8"))
PY
raw=$(stat -c %s "$tmp/podsift_wasm_bg.wasm")
served=0
for f in "$out"/*; do
    served=$((served + $(gzip -9 -c "$f" | wc -c)))
done
echo "viewer in $out: podsift_wasm_bg.wasm $raw bytes raw, $served bytes gzip-compressed as served"
