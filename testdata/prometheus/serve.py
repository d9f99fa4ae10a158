#!/usr/bin/env python3
"""A scrape target for testdata/prometheus/gen.sh: a few counters and gauges, and native
histograms, in the protobuf exposition format (delimited MetricFamily messages) that
Prometheus asks for when its native-histograms feature is on, and in the text format
otherwise. Values change with every scrape, deterministically (the scrape count drives them).

    python3 serve.py PORT
    python3 serve.py --expect SCRAPES     what the first SCRAPES scrapes expose, as JSON lines
"""

import http.server
import math
import struct
import sys

PROTO = "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"


def uvarint(n):
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def zigzag(n):
    return (n << 1) ^ (n >> 63)


def field(num, wire, payload):
    key = uvarint((num << 3) | wire)
    if wire == 0:
        return key + uvarint(payload)
    if wire == 1:
        return key + struct.pack("<d", payload)
    return key + uvarint(len(payload)) + payload


def string(num, s):
    return field(num, 2, s.encode())


def label(name, value):
    return field(1, 2, string(1, name) + string(2, value))


def family(name, help_, kind, metrics):
    body = string(1, name) + string(2, help_) + field(3, 0, kind)
    for m in metrics:
        body += field(4, 2, m)
    return uvarint(len(body)) + body


COUNTER, GAUGE, HISTOGRAM = 0, 1, 4


def counter(labels, value):
    return b"".join(label(k, v) for k, v in labels) + field(3, 2, field(1, 1, value))


def gauge(labels, value):
    return b"".join(label(k, v) for k, v in labels) + field(2, 2, field(1, 1, value))


def buckets_of(observations, schema, zero_threshold):
    """(positive {index: count}, negative {index: count}, zero count) of `observations`."""
    base = 2 ** (2 ** -schema)
    pos, neg, zero = {}, {}, 0
    for v in observations:
        if abs(v) <= zero_threshold:
            zero += 1
            continue
        idx = math.ceil(round(math.log(abs(v), base), 9))
        (pos if v > 0 else neg)[idx] = (pos if v > 0 else neg).get(idx, 0) + 1
    return pos, neg, zero


def native_histogram(labels, observations, schema=0, zero_threshold=1e-128):
    """A native histogram of `observations` (positive, negative and zero values), with its
    spans and bucket deltas as client libraries write them."""
    pos, neg, zero = buckets_of(observations, schema, zero_threshold)

    def spans_and_deltas(buckets):
        spans, deltas, prev_idx, prev_count = [], [], None, 0
        for idx in sorted(buckets):
            if prev_idx is None:
                spans.append([idx, 1])
            elif idx == prev_idx + 1:
                spans[-1][1] += 1
            else:
                spans.append([idx - prev_idx - 1, 1])
            deltas.append(buckets[idx] - prev_count)
            prev_idx, prev_count = idx, buckets[idx]
        return spans, deltas

    h = field(1, 0, len(observations)) + field(2, 1, float(sum(observations)))
    h += field(5, 0, zigzag(schema) & 0xFFFFFFFF) + field(6, 1, zero_threshold) + field(7, 0, zero)
    for num_span, num_delta, buckets in ((9, 10, neg), (12, 13, pos)):
        spans, deltas = spans_and_deltas(buckets)
        for off, length in spans:
            h += field(num_span, 2, field(1, 0, zigzag(off) & 0xFFFFFFFF) + field(2, 0, length))
        if deltas:
            h += field(num_delta, 2, b"".join(uvarint(zigzag(d) & 0xFFFFFFFFFFFFFFFF) for d in deltas))
    return b"".join(label(k, v) for k, v in labels) + field(7, 2, h)


class Target:
    scrapes = 0


def observations(n, salt):
    # Deterministic, spread over several powers of two, some negative and some zero.
    out = []
    for i in range(n):
        x = ((i * 7919 + salt * 104729) % 1000) / 37.0
        out.append(0.0 if i % 17 == 0 else (-x if i % 11 == 0 else x))
    return out


def body(proto):
    Target.scrapes += 1
    s = Target.scrapes
    requests = [(("code", c), ("method", m)) for c in ("200", "500") for m in ("GET", "POST")]
    if not proto:
        lines = ["# TYPE demo_requests_total counter"]
        for k, labels in enumerate(requests):
            lab = ",".join(f'{a}="{b}"' for a, b in labels)
            lines.append(f"demo_requests_total{{{lab}}} {s * (k + 1)}")
        lines.append("# TYPE demo_temperature_celsius gauge")
        lines.append(f"demo_temperature_celsius {20 + 5 * math.sin(s / 10):.6f}")
        return ("\n".join(lines) + "\n").encode()
    out = family("demo_requests_total", "Requests served.", COUNTER,
                 [counter(labels, float(s * (k + 1))) for k, labels in enumerate(requests)])
    out += family("demo_temperature_celsius", "A temperature.", GAUGE,
                  [gauge([("room", r)], 20 + 5 * math.sin(s / (10 + i))) for i, r in enumerate(("a", "b", "c"))])
    out += family("demo_latency_seconds", "Latency.", HISTOGRAM,
                  [native_histogram([("path", p)], obs, schema, zt) for p, obs, schema, zt in histograms(s)])
    return out


def histograms(s):
    """The native histograms of scrape `s`: (path, observations, schema, zero threshold).
    Counts grow with every scrape (a counter histogram), and reset once, on the 150th."""
    n = s if s < 150 else s - 149
    return [("/api", observations(n * 3, 1), 1, 1e-128),
            ("/static", observations(n, 2), 0, 0.001)]


def expect(scrapes):
    """What scrapes 1 to `scrapes` expose as native histograms, one JSON object per line (the
    tests' expectation for what podsift reads back from Prometheus's storage)."""
    import json
    for s in range(1, scrapes + 1):
        for path, obs, schema, zt in histograms(s):
            pos, neg, zero = buckets_of(obs, schema, zt)
            # Floats as text (repr: the shortest that reads back exactly).
            print(json.dumps({"scrape": s, "path": path, "schema": schema,
                              "zero_threshold": repr(zt), "count": len(obs),
                              "sum": repr(sum(obs)), "zero_count": zero,
                              "positive": sorted(pos.items()), "negative": sorted(neg.items())},
                             separators=(",", ":")))


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        proto = "protobuf" in self.headers.get("Accept", "")
        b = body(proto)
        self.send_response(200)
        self.send_header("Content-Type", PROTO if proto else "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    if sys.argv[1] == "--expect":
        expect(int(sys.argv[2]))
        sys.exit()
    http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
