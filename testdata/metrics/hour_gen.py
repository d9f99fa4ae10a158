"""Writes testdata/metrics/hour/scrapes.prom: an hour of 15-second scrapes (a promtool-style
dump: `name{labels} value ms`) of the pods in testdata/sample, over the same hour as its
logs (2024-01-01T00:00Z to 01:00Z), so that the apps' metrics view and log histogram show
one time range. Deterministic (no randomness but a fixed LCG).

    python3 testdata/metrics/hour_gen.py > testdata/metrics/hour/scrapes.prom
"""
import math

T0 = 1704067200000  # 2024-01-01T00:00:00Z
STEP = 15000
N = 241
PODS = [
    ("default", "api-14bf-68855"),
    ("default", "web-3046-22a21"),
    ("shop", "cart-83d8-3fee1"),
    ("shop", "worker-df71-0fff7"),
]

seed = 42


def rnd():
    global seed
    seed = (seed * 1103515245 + 12345) % 2**31
    return seed / 2**31


lines = [
    "# HELP container_memory_working_set_bytes Current working set of the container.",
    "# TYPE container_memory_working_set_bytes gauge",
    "# HELP container_cpu_usage_seconds_total Cumulative CPU time consumed.",
    "# TYPE container_cpu_usage_seconds_total counter",
    "# HELP http_requests_total Requests served, by status code.",
    "# TYPE http_requests_total counter",
    "# HELP kube_pod_container_status_restarts_total Container restarts.",
    "# TYPE kube_pod_container_status_restarts_total counter",
]
for ns, pod in PODS:
    base = 120 + 40 * PODS.index((ns, pod))
    cpu = 0.0
    restarts = 0
    ok = 0.0
    bad = 0.0
    for i in range(N):
        t = T0 + i * STEP
        mem = base + 10 * math.sin(i / 20) + 3 * rnd()
        # The worker's memory climbs from 00:35 until it is killed at 00:45 and restarts.
        if pod.startswith("worker") and 140 <= i < 180:
            mem += (i - 140) * 6
        if pod.startswith("worker") and i == 180:
            restarts += 1
        cpu += STEP / 1000 * (0.05 + 0.02 * rnd())
        lab = f'container="app",namespace="{ns}",pod="{pod}"'
        lines.append(f"container_memory_working_set_bytes{{{lab}}} {mem * 1048576:.0f} {t}")
        lines.append(f"container_cpu_usage_seconds_total{{{lab}}} {cpu:.3f} {t}")
        lines.append(f"kube_pod_container_status_restarts_total{{{lab}}} {restarts} {t}")
        if pod.startswith(("api", "web")):
            ok += 15 * (8 + 2 * rnd())
            # 5xx from the api between 00:20 and 00:25.
            bad += 15 * (3 if pod.startswith("api") and 80 <= i < 100 else 0.05) * rnd()
            for code, v in (("200", ok), ("503", bad)):
                lines.append(
                    f'http_requests_total{{code="{code}",namespace="{ns}",pod="{pod}"}} {v:.0f} {t}'
                )
print("\n".join(lines))
