#!/usr/bin/env bash
# The README's screenshots of the desktop app: podsift-gui run for real under Xvfb on the
# shipped sample (logs of testdata/sample, an hour of scrapes in testdata/metrics/hour), one
# window per view, captured with ImageMagick's `import`.
#   apt-get install xvfb imagemagick; bash docs/screenshots.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/podsift-target}"
cargo build --release -p podsift-gui
bin="$CARGO_TARGET_DIR/release/podsift-gui"
Xvfb :77 -screen 0 1400x900x24 > /dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2> /dev/null' EXIT
export DISPLAY=:77
sleep 1
shot() {
    local out=$1
    shift
    # A fresh settings folder, so that nothing remembered changes the picture.
    XDG_DATA_HOME=$(mktemp -d) "$bin" "$@" &
    local app=$!
    sleep "${WAIT:-6}"
    import -window root "$out"
    kill $app
    wait $app 2> /dev/null || true
}
shot docs/metrics.png --metrics \
    --chart 'container_memory_working_set_bytes{namespace="shop"}' \
    --chart 'http_requests_total{pod=~"api.*"}' \
    testdata/sample testdata/metrics/hour
shot docs/discover-query.png --query 'level:(error OR warn) -container:istio-proxy' \
    testdata/sample testdata/metrics/hour
echo "wrote docs/metrics.png docs/discover-query.png"
