"""Writes expo_expected.json: for every exposition file under ../shared/realdata/05_prometheus
(outside the OpenMetrics suite), the number of samples that prometheus_client (an independent
parser, `pip install prometheus_client`) reads from it, or its error. OpenMetrics files (ending
in `# EOF`) go through its OpenMetrics parser, the rest through its text-format parser.

    python3 testdata/metrics/expo_expected.py ../shared/realdata > testdata/metrics/expo_expected.json
"""
import gzip
import json
import os
import sys

from prometheus_client.openmetrics.parser import text_string_to_metric_families as om_parse
from prometheus_client.parser import text_string_to_metric_families as text_parse

root = os.path.join(sys.argv[1], "05_prometheus")
out = {}
for d, _, files in sorted(os.walk(root)):
    rel_dir = os.path.relpath(d, root)
    if rel_dir.startswith("openmetrics_repo") or "promqltest" in rel_dir or "/tsdb" in "/" + rel_dir:
        continue
    for name in sorted(files):
        path = os.path.join(d, name)
        data = open(path, "rb").read()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        if b"\0" in data[:4096] or not data.strip():
            continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        first = text.lstrip()[:1]
        if first in "{[" and not text.lstrip().startswith("{__name__"):
            continue  # JSON
        if name.endswith((".test", ".json")) or "promtool/testdata/dump-series" in path:
            continue
        om = text.rstrip("\n").endswith("# EOF")
        try:
            n = sum(len(f.samples) for f in (om_parse if om else text_parse)(text))
            out[os.path.relpath(path, root)] = {"openmetrics": om, "samples": n}
        except Exception as e:  # noqa: BLE001
            out[os.path.relpath(path, root)] = {"openmetrics": om, "error": str(e)[:200]}
json.dump(out, sys.stdout, indent=1, sort_keys=True)
print()
