#!/usr/bin/env bash
# Fails when podsift-core depends on UI crates, touches the filesystem outside its native-only
# module, or imports across its layers the wrong way (.ci/layers.py, .ci/layers.txt). (The other
# browser-hostile APIs are banned by core/clippy.toml.)
set -euo pipefail
cd "$(dirname "$0")/.."
status=0

ui=$(cargo tree -p podsift-core -e normal,build --target all --prefix none --format '{p}' 2>/dev/null \
    | grep -Ei '^(egui|eframe|egui_plot|egui_kittest|winit|glow|wgpu)[ -]' | sort -u || true)
if [ -n "$ui" ]; then
    echo "layering: podsift-core must not depend on UI crates, but it depends on:" >&2
    echo "$ui" >&2
    status=1
fi

fs=$(grep -rnE 'std::fs|\bfs::|File::(open|create)|read_dir|walkdir|memmap' core/src \
    | grep -v '^core/src/sources/native.rs:' || true)
if [ -n "$fs" ]; then
    echo "layering: filesystem access outside core/src/sources/native.rs:" >&2
    echo "$fs" >&2
    status=1
fi

if ! grep -q 'cfg(not(target_arch = "wasm32"))' core/src/sources/mod.rs; then
    echo "layering: sources::native must be compiled for native targets only" >&2
    status=1
fi

# Inside core: no module imports from a layer above its own, and no two import each other.
python3 .ci/layers.py || status=1

[ $status -eq 0 ] && echo "layering: ok"
exit $status
