"""Writes an OpenMetrics file (with `# UNIT`, so that readers apply the OpenMetrics rules from
its first lines) of cAdvisor/kube-state-metrics-like series over time, as
`promtool tsdb create-blocks-from openmetrics` reads it (families together, each series'
samples in time order, timestamps in seconds, `# EOF`), to about the size asked for.

    python3 bench/gen_metrics.py OUT.om GB
Prints the number of samples written.
"""
import random
import sys

out_path, gb = sys.argv[1], float(sys.argv[2])
target = int(gb * 1e9)
rng = random.Random(7)
namespaces = ["default", "kube-system", "shop", "payments", "monitoring", "ingress"]
pods = [(ns, f"{ns}-{app}-{rng.randrange(16**8):08x}-{rng.randrange(36**5):05d}", app)
        for ns in namespaces for app in ("api", "web", "worker", "db", "cache")
        for _ in range(3)]
families = []
for i in range(40):
    families.append((f"container_metric_{i}_seconds", "counter"))
    families.append((f"container_gauge_{i}_bytes", "gauge"))
families.append(("http_request_duration_seconds", "histogram"))
buckets = ["0.005", "0.01", "0.05", "0.1", "0.5", "1.0", "5.0", "+Inf"]
start = 1_700_000_000
step = 15
written = 0
samples = 0
# Each series gets the same number of points; enough points that the file reaches the size.
series_count = sum(len(pods) * (len(buckets) + 2 if t == "histogram" else 1) for _, t in families)
line_len = 190
points = max(1, target // (series_count * line_len))
with open(out_path, "w", buffering=1 << 20) as f:
    for name, kind in families:
        unit = name.rsplit("_", 1)[1]
        f.write(f"# HELP {name} A benchmark metric.\n# TYPE {name} {kind}\n# UNIT {name} {unit}\n")
        for ns, pod, app in pods:
            base = f'container="{app}",instance="10.0.{rng.randrange(256)}.{rng.randrange(256)}:8080",job="kubernetes-pods",namespace="{ns}",node="node-{rng.randrange(12)}",pod="{pod}"'
            if kind == "histogram":
                series = [(f'{name}_bucket{{{base},le="{b}"}}', j + 1) for j, b in enumerate(buckets)]
                series += [(f"{name}_count{{{base}}}", len(buckets)), (f"{name}_sum{{{base}}}", 0.37)]
            elif kind == "counter":
                series = [(f"{name}_total{{{base}}}", 1)]
            else:
                series = [(f"{name}{{{base}}}", 0)]
            # A histogram's samples at one time go together (one MetricPoint).
            if kind == "histogram":
                for p in range(points):
                    ts = start + p * step
                    for s, k in series:
                        v = k * (p + 1) if not s.startswith(f"{name}_sum") else round(0.37 * (p + 1), 3)
                        line = f"{s} {v} {ts}\n"
                        f.write(line)
                        written += len(line)
                        samples += 1
            else:
                for s, k in series:
                    v = 0.0
                    lines = []
                    for p in range(points):
                        v = v + rng.random() * 10 if k else rng.random() * 1e9
                        lines.append(f"{s} {v:.6g} {start + p * step}\n")
                    chunk = "".join(lines)
                    f.write(chunk)
                    written += len(chunk)
                    samples += points
    f.write("# EOF\n")
print(samples)
