#!/usr/bin/env python3
"""Builds the fuzz targets' seed corpora from the repo's testdata and ../shared/realdata.

    python3 fuzz/seed.py OUT

writes OUT/<target>/<name> for every target in fuzz/fuzz_targets. Each seed starts with the
byte that picks the target's variant (see podsift_core::fuzz): the path a log file sits at,
the archive's name, the payload format, the metrics format. Nothing here is committed: the
corpora are built again on every run from data that is (the realdata is not ours to copy).
"""

import bz2
import gzip
import hashlib
import io
import lzma
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
REALDATA = os.environ.get("PODSIFT_REALDATA") or os.path.join(REPO, "..", "shared", "realdata")
MAX_SEED = 32 * 1024

# Indexes into podsift_core::fuzz::LOG_PATHS and ARCHIVE_NAMES.
CRI, DOCKER, DOCKER_DIR, JOURNAL_EXPORT, JOURNAL_JSON, KUBELET, AUDIT, EVENTS, PODS, NODES, \
    JUNIT, APP, SYSLOG, ACCESS, PROM, API_JSON = range(16)
TAR, TAR_GZ, ZIP, TAR_XZ, TAR_ZST, TAR_BZ2, GZ, XZ, ZST, BZ2 = range(10)
# podsift_core::metrics::MetricsFormat order in podsift_core::fuzz::metrics_file.
M_EXPO, M_SERIES_JSON, M_API, M_VM_JSON, M_VM_CSV, M_INFLUX, M_TOP, M_METRICS_API = range(8)

QUERIES = [
    "", "error", "level:error", "level:>=warn", "status:>=500", "\"connection refused\"",
    "pod:web-* AND NOT container:istio-proxy", "namespace:shop OR namespace:kube-system",
    "msg:/time(out|d out)/", "latency:>100ms", "(error OR fatal) -healthz", "user:ann",
    "ts:>2024-03-01T10:00:00Z", "status:[500 TO 599]", "fields.status:503", "a:b:c",
    "up{job=\"node\"}", "{__name__=~\"kube_.*\", namespace!=\"\"}", "http_requests_total",
]


def files(root):
    if not os.path.isdir(root):
        return
    for d, dirs, names in os.walk(root):
        dirs.sort()
        if "promqltest" in d or os.sep + "tsdb" in d or "index_format" in d:
            continue
        for n in sorted(names):
            p = os.path.join(d, n)
            if os.path.islink(p) or not os.path.isfile(p):
                continue
            if os.path.getsize(p) > 4 * 1024 * 1024:
                continue
            yield p


def tsdb_blocks():
    """Each small TSDB block under testdata and the realdata, as podsift_core::fuzz::tsdb takes
    it: index and first chunk segment, each after its length (u32, little-endian), then the
    tombstones."""
    for root in [os.path.join(REPO, "testdata"), REALDATA]:
        if not os.path.isdir(root):
            continue
        for d, dirs, names in os.walk(root):
            dirs.sort()
            if "index" not in names or "meta.json" not in names:
                continue
            index = head(os.path.join(d, "index"), 1 << 30)
            if len(index) > 200 * 1024:
                continue
            seg = os.path.join(d, "chunks", "000001")
            chunks = head(seg, 1 << 30) if os.path.isfile(seg) else b""
            stones = os.path.join(d, "tombstones")
            stones = head(stones, 1 << 20) if os.path.isfile(stones) else b""
            yield (len(index).to_bytes(4, "little") + index
                   + len(chunks).to_bytes(4, "little") + chunks + stones)


def head(path, n=MAX_SEED):
    with open(path, "rb") as f:
        return f.read(n)


class Corpus:
    def __init__(self, out):
        self.out = out
        self.count = {}

    def add(self, target, pick, data):
        d = os.path.join(self.out, target)
        os.makedirs(d, exist_ok=True)
        body = bytes([pick]) + data[:MAX_SEED]
        name = hashlib.sha1(body).hexdigest()
        with open(os.path.join(d, name), "wb") as f:
            f.write(body)
        self.count[target] = self.count.get(target, 0) + 1

    def add_whole(self, target, data):
        """A seed without a pick byte, kept whole."""
        d = os.path.join(self.out, target)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
            f.write(data)
        self.count[target] = self.count.get(target, 0) + 1


def log_pick(path, data):
    p = path.lower()
    first = data.lstrip()[:1]
    if "/pods/" in p or "cri" in p:
        return CRI
    if "docker" in p and first == b"{":
        return DOCKER
    if "journal" in p and (p.endswith(".export") or b"__CURSOR=" in data[:200]):
        return JOURNAL_EXPORT
    if "journal" in p:
        return JOURNAL_JSON
    if "audit" in p:
        return AUDIT
    if "event" in p:
        return EVENTS
    if "pods" in p:
        return PODS
    if "node" in p and (p.endswith(".json") or p.endswith(".yaml")):
        return NODES
    if p.endswith(".xml"):
        return JUNIT
    if "kubelet" in p or "klog" in p or "glog" in p:
        return KUBELET
    if "syslog" in p:
        return SYSLOG
    if "access" in p or "nginx" in p:
        return ACCESS
    return APP


def metrics_pick(path, data):
    p = path.lower()
    text = data.lstrip()[:200]
    if p.endswith(".csv") or b"__name__" in text[:60] and b"," in text[:60]:
        return M_VM_CSV
    if text.startswith(b"{") and b'"status"' in text:
        return M_API
    if text.startswith(b"{") and b'"metric"' in text and b'"values"' in text:
        return M_VM_JSON
    if text.startswith(b"{") and b"Metrics" in text:
        return M_METRICS_API
    if text.startswith(b"{"):
        return M_SERIES_JSON
    if text.startswith(b"NAME ") or b"CPU(cores)" in text:
        return M_TOP
    if b"# DML" in text or b"# DDL" in text or b" " in text and b"," in text.split(b" ")[0]:
        return M_INFLUX
    return M_EXPO


def is_metrics(path):
    p = path.lower()
    return ("05_prometheus" in p or "/metrics" in p or p.endswith(".prom")) and \
        not p.endswith("test.json")


def compress(kind, data):
    if kind in (TAR_GZ, GZ):
        return gzip.compress(data, 6)
    if kind in (TAR_XZ, XZ):
        return lzma.compress(data)
    if kind in (TAR_BZ2, BZ2):
        return bz2.compress(data)
    if kind in (TAR_ZST, ZST):
        if shutil.which("zstd") is None:
            return None
        return subprocess.run(["zstd", "-q", "-c"], input=data, capture_output=True,
                              check=True).stdout
    return data


def tar_of(members):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1700000000
            t.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("bundle/current.log")
        link.type = tarfile.SYMTYPE
        link.linkname = members[0][0].split("/", 1)[1] if members else "x"
        t.addfile(link)
    return buf.getvalue()


def zip_of(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            z.writestr(name, data)
    return buf.getvalue()


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    shutil.rmtree(out, ignore_errors=True)
    c = Corpus(out)
    roots = [os.path.join(REPO, "testdata", "sample"), os.path.join(REPO, "testdata", "metrics")]
    real = [os.path.join(REALDATA, d) for d in sorted(os.listdir(REALDATA))] \
        if os.path.isdir(REALDATA) else []
    if not real:
        print(f"fuzz/seed.py: no realdata at {REALDATA}: seeds from testdata only",
              file=sys.stderr)
    logs = []
    for root in roots + real:
        for p in files(root):
            data = head(p)
            if is_metrics(p):
                c.add("metrics_file", metrics_pick(p, data), data)
                if metrics_pick(p, data) == M_EXPO:
                    om = "openmetrics" in p or ".om." in p
                    c.add("exposition", 1 if om else 0, data)
                    c.add("log_file", PROM, data)
                continue
            if p.endswith((".yaml", ".yml")) and "06_rules" in p:
                c.add("config", 1, data)
                continue
            c.add("log_file", log_pick(p, data), data)
            if log_pick(p, data) != APP:
                c.add("log_file", APP, data)
            logs.append((p, data))
    # Payloads: lines of every log, each through a few formats.
    n_formats = 48
    i = 0
    for _, data in logs:
        for line in data.split(b"\n")[:12]:
            if line.strip():
                c.add("payload", i % n_formats, line)
                i += 1
    # Archives: the sample tree's small files, in every archive kind.
    members = []
    for p, data in logs[:40]:
        rel = os.path.relpath(p, REPO if p.startswith(REPO) else REALDATA)
        members.append(("bundle/" + rel, data[:4096]))
    tar = tar_of(members)
    for kind in (TAR, TAR_GZ, TAR_XZ, TAR_ZST, TAR_BZ2):
        packed = compress(kind, tar)
        if packed is not None:
            c.add("archive", kind, packed)
            c.add("archive", kind | 0x80, packed)
    c.add("archive", ZIP, zip_of(members))
    for kind in (GZ, XZ, ZST, BZ2):
        for _, data in logs[:6]:
            packed = compress(kind, data)
            if packed is not None:
                c.add("archive", kind, packed)
    # query has no pick byte: its whole input is the text.
    qdir = os.path.join(out, "query")
    os.makedirs(qdir, exist_ok=True)
    for q in QUERIES:
        with open(os.path.join(qdir, hashlib.sha1(q.encode()).hexdigest()), "wb") as f:
            f.write(q.encode())
    c.count["query"] = len(QUERIES)
    builtin = os.path.join(REPO, "core", "src", "formats", "builtin.toml")
    c.add("config", 0, head(builtin, 1 << 20))
    c.add("config", 1, b"rules:\n  - name: no errors\n    namespace: shop\n    max_errors: 0\n"
          b"  - forbid_pattern: 'panic|OOMKilled'\n    per: pod\n")
    # TSDB blocks: index, chunks and tombstones in one input (podsift_core::fuzz::tsdb); only
    # blocks small enough to stay whole (a cut index has no table of contents).
    for block in tsdb_blocks():
        c.add_whole("tsdb", block)
    # WAL segments (read whole by the same target), cut to the fuzzer's longest input.
    for root in [os.path.join(REPO, "testdata"), REALDATA]:
        for d, dirs, names in os.walk(root) if os.path.isdir(root) else []:
            dirs.sort()
            if os.path.basename(d) in ("wal", "wbl"):
                for n in sorted(names):
                    c.add_whole("tsdb", head(os.path.join(d, n), 256 * 1024))
    for t in sorted(c.count):
        print(f"{t}: {c.count[t]} seeds")


if __name__ == "__main__":
    main()
