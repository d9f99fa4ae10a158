"""Writes om_expected.json: the samples that prometheus_client's OpenMetrics parser (an
independent implementation, `pip install prometheus_client`) reads from each OpenMetrics
parser case of ../shared/realdata/05_prometheus/openmetrics_repo, and whether it accepts it.
core/tests/metrics.rs checks podsift against this.

    python3 testdata/metrics/om_expected.py ../shared/realdata > testdata/metrics/om_expected.json
"""
import json
import math
import os
import sys

from prometheus_client.openmetrics.parser import text_string_to_metric_families

root = os.path.join(sys.argv[1], "05_prometheus/openmetrics_repo/tests/testdata/parsers")
out = {}
for case in sorted(os.listdir(root)):
    with open(os.path.join(root, case, "metrics"), encoding="utf-8", errors="surrogateescape") as f:
        text = f.read()
    try:
        samples = []
        for fam in text_string_to_metric_families(text):
            for s in fam.samples:
                v = s.value
                ts = None
                if s.timestamp is not None:
                    t = s.timestamp
                    # Timestamp objects (sec, nsec) or floats.
                    ts = round(float(t.sec) * 1000 + t.nsec / 1e6) if hasattr(t, "sec") else round(float(t) * 1000)
                samples.append({
                    "name": s.name,
                    "labels": dict(sorted(s.labels.items())),
                    "value": "NaN" if isinstance(v, float) and math.isnan(v) else repr(float(v)),
                    "ts_ms": ts,
                    "exemplar": None if s.exemplar is None else {
                        "labels": dict(sorted(s.exemplar.labels.items())),
                        "value": repr(float(s.exemplar.value)),
                    },
                    "type": fam.type,
                })
        out[case] = {"accepted": True, "samples": samples}
    except Exception as e:  # noqa: BLE001 - any rejection
        out[case] = {"accepted": False, "error": str(e)[:200]}
json.dump(out, sys.stdout, indent=1, sort_keys=True)
print()
