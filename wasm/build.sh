#!/usr/bin/env bash
# Builds the browser viewer into a self-contained folder (default wasm/dist): index.html, the
# script, the stylesheet, the wasm-bindgen glue and the WebAssembly (as a string in a script,
# so that the page needs no fetch and its CSP can say connect-src 'none'). Serve the folder with
# any static server, or `podsift serve`, which embeds it. Also writes the same viewer as one
# HTML file beside the folder (wasm/podsift.html) that opens from disk with a double click.
#
#   bash wasm/build.sh [OUT_DIR]
#
# Needs the wasm32-unknown-unknown target (rust-toolchain.toml lists it), wasm-bindgen-cli at
# exactly the version of the wasm-bindgen crate in Cargo.lock (installed with cargo install when
# it is missing), and python3; uses wasm-opt (binaryen 116 or later) when it is there.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-wasm/dist}"
# The one-file viewer, beside the folder.
single="${PODSIFT_SINGLE_HTML:-$(dirname "$out")/podsift.html}"
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
# The same viewer as one self-contained HTML file that opens from disk (file://, no server):
# module, glue, script and style inline; no ES-module imports (a page from disk may not load
# them); the CSP allows exactly that inline script, by its hash.
python3 - "$tmp/podsift_wasm_bg.wasm" "$tmp/podsift_wasm.js" wasm/web "$single" <<'PY'
import base64, hashlib, re, sys
wasm, glue_path, web, out = sys.argv[1:5]
glue = open(glue_path, encoding="utf-8").read()
glue = re.sub(r"^export (class|function|const|let) ", r"\1 ", glue, flags=re.M)
glue = re.sub(r"^export \{[^}]*\};?\s*$", "", glue, flags=re.M)
if re.search(r"^(import|export)\b", glue, flags=re.M):
    sys.exit("build.sh: the wasm-bindgen glue still imports or exports something")
app = open(f"{web}/podsift.js", encoding="utf-8").read()
app = re.sub(r'^import .* from "\./podsift_wasm(_bg)?\.js";\n', "", app, flags=re.M)
app = app.replace("await init({", "await __wbg_init({")
# One character per byte, as in podsift_wasm_bg.js; inside an HTML page NUL would become
# U+FFFD and "<" could end the script, so both are escaped too.
text = open(wasm, "rb").read().decode("latin-1")
for a, b in (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\0", "\\x00"), ("<", "\\x3c")):
    text = text.replace(a, b)
script = glue + '\nconst WASM = "' + text + '";\n' + app
if "</script" in script.lower():
    sys.exit("build.sh: the inline script holds </script")
digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
html = open(f"{web}/index.html", encoding="utf-8").read()
html = html.replace("script-src 'self' 'wasm-unsafe-eval'", f"script-src 'sha256-{digest}' 'wasm-unsafe-eval'")
css = open(f"{web}/style.css", encoding="utf-8").read()
html = html.replace('<link rel="stylesheet" href="style.css">', f"<style>\n{css}</style>")
html = html.replace('<script type="module" src="podsift.js"></script>', f'<script type="module">{script}</script>')
assert "podsift.js" not in html and "style.css" not in html, "build.sh: the page still links a file"
open(out, "wb").write(html.encode("utf-8"))
PY
echo "one-file viewer: $single ($(stat -c %s "$single") bytes; opens from disk)"
raw=$(stat -c %s "$tmp/podsift_wasm_bg.wasm")
served=0
for f in "$out"/*; do
    served=$((served + $(gzip -9 -c "$f" | wc -c)))
done
echo "viewer in $out: podsift_wasm_bg.wasm $raw bytes raw, $served bytes gzip-compressed as served"
