#!/usr/bin/env bash
# Format detection and lock-in cost: a folder of plain logs in five formats (JSON, logfmt,
# klog, syslog, access log), read with detection, against the same files read one format at a
# time with --format forced. One thread for both, so that only parsing differs.
#
#   PODSIFT_BENCH_DIR=/path/with/space BENCH_RUNS=10 bash bench/formats.sh
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${PODSIFT_BENCH_DIR:-/tmp/podsift-bench}/formats
RUNS=${BENCH_RUNS:-10}
LINES=${FORMAT_LINES:-400000}
BIN=${CARGO_TARGET_DIR:-target}/release/podsift
[ -x "$BIN" ] || cargo build --release -p podsift-cli
if [ ! -f "$DIR/.done-$LINES" ]; then
  rm -rf "$DIR"; mkdir -p "$DIR"/{json,logfmt,klog,syslog,access}
  python3 - "$DIR" "$LINES" <<'PY'
import sys, random
d, n = sys.argv[1], int(sys.argv[2])
random.seed(7)
levels = ["info"] * 8 + ["warn", "error"]
words = "connection reset by peer while reading upstream cache miss for key user request done".split()
def msg(): return " ".join(random.choice(words) for _ in range(random.randint(4, 12)))
with open(f"{d}/json/app.log", "w") as f:
    for i in range(n):
        f.write('{"ts":"2024-03-01T10:%02d:%02d.%06dZ","level":"%s","msg":"%s","req":%d}\n' % (i // 60000 % 60, i // 1000 % 60, i % 1000000, random.choice(levels), msg(), i))
with open(f"{d}/logfmt/app.log", "w") as f:
    for i in range(n):
        f.write('time=2024-03-01T10:%02d:%02d.%06dZ level=%s msg="%s" req=%d\n' % (i // 60000 % 60, i // 1000 % 60, i % 1000000, random.choice(levels), msg(), i))
with open(f"{d}/klog/kubelet.log", "w") as f:
    for i in range(n):
        f.write('%s0301 10:%02d:%02d.%06d    812 kubelet.go:%d] "%s" pod="default/web-%d"\n' % (random.choice("IIIIIIIIWE"), i // 60000 % 60, i // 1000 % 60, i % 1000000, i % 3000, msg(), i % 50))
with open(f"{d}/syslog/syslog", "w") as f:
    for i in range(n):
        f.write('Mar  1 10:%02d:%02d node-1 containerd[700]: time="2024-03-01T10:00:00Z" level=%s msg="%s"\n' % (i // 60000 % 60, i // 1000 % 60, random.choice(levels), msg()))
with open(f"{d}/access/access.log", "w") as f:
    for i in range(n):
        f.write('10.0.%d.%d - - [01/Mar/2024:10:%02d:%02d +0000] "GET /api/v1/items/%d HTTP/1.1" %d %d "-" "curl/8.0"\n' % (i % 256, i % 200, i // 60000 % 60, i // 1000 % 60, i, random.choice([200] * 18 + [404, 503]), random.randint(10, 9000)))
PY
  touch "$DIR/.done-$LINES"
fi
export RAYON_NUM_THREADS=1
forced="for f in json:json logfmt:logfmt klog:klog syslog:syslog access:access; do $BIN stats --year 2024 $DIR/\${f%%:*} --format \${f##*:} --by format,level > /dev/null; done"
detected="for f in json logfmt klog syslog access; do $BIN stats --year 2024 $DIR/\$f --by format,level > /dev/null; done"
echo "bytes: $(du -sb "$DIR" | cut -f1)"
hyperfine -N --warmup 1 --runs "$RUNS" --export-json /tmp/podsift-formats.json \
  -n detected "bash -c '$detected'" -n forced "bash -c '$forced'" >/dev/null
python3 - <<'PY'
import json
r = {x["command"]: x for x in json.load(open("/tmp/podsift-formats.json"))["results"]}
d, f = r["detected"]["mean"], r["forced"]["mean"]
print(f"detected {d:.3f} s  forced {f:.3f} s  detection costs {100 * (d / f - 1):+.1f}%")
PY
