#!/usr/bin/env bash
# Writes testdata/prometheus/data: what a real Prometheus leaves on disk after scraping
# testdata/prometheus/serve.py (counters, gauges and native histograms, every 200 ms) for a
# while with its native-histograms feature on: the WAL, the head's chunk files, and a snapshot
# block taken through the admin API; and beside it what promtool says about them
# (`promtool tsdb dump`) and what the target exposed as native histograms, which the tests
# compare podsift with.
#
#   bash testdata/prometheus/gen.sh [SECONDS]      (default 45)
#
# Needs: prometheus and promtool (apt-get install prometheus; 2.42 here), python3, curl.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-45}
for t in prometheus promtool python3 curl; do
    command -v $t > /dev/null || { echo "gen: $t is missing (see the header)" >&2; exit 2; }
done
work=$(mktemp -d)
trap 'kill $(jobs -p) 2> /dev/null || true; rm -rf "$work"' EXIT
target_port=19391
prom_port=19390
python3 serve.py $target_port &
cat > "$work/prometheus.yml" <<YML
global:
  scrape_interval: 200ms
  evaluation_interval: 1s
rule_files: [rules.yml]
scrape_configs:
  - job_name: demo
    static_configs:
      - targets: ['127.0.0.1:$target_port']
YML
cat > "$work/rules.yml" <<YML
groups:
  - name: demo
    rules:
      - record: job:demo_requests:rate5s
        expr: sum by (job, code) (rate(demo_requests_total[5s]))
YML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
    --web.listen-address=127.0.0.1:$prom_port --web.enable-admin-api \
    --enable-feature=native-histograms --log.level=warn &
prom=$!
sleep "$secs"
curl -fsS -X POST "http://127.0.0.1:$prom_port/api/v1/admin/tsdb/snapshot" > "$work/snapshot.json"
sleep 2
kill -TERM $prom
wait $prom || true
rm -f "$work/data/lock" "$work/data/queries.active"
rm -rf data
cp -r "$work/data" data
# What promtool reads: the head (from the WAL and the head chunks) of the data directory,
# and the snapshot's block.
promtool tsdb dump data | gzip -9n > dump-head.txt.gz
snap=$(ls -d data/snapshots/*)
mkdir -p "$work/snapdir/wal"
cp -r "$snap"/* "$work/snapdir/"
promtool tsdb dump "$work/snapdir" | gzip -9n > dump-snapshot.txt.gz
promtool --version 2>&1 | head -1 > promtool-version.txt
# What the target exposed as native histograms, scrape by scrape (promtool 2.42 does not dump
# them): more scrapes than the run made.
python3 serve.py --expect $(( secs * 5 + 50 )) | gzip -9n > histograms-expected.jsonl.gz
du -sh data
zcat dump-head.txt.gz | wc -l
zcat dump-snapshot.txt.gz | wc -l
