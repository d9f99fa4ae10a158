//! Generates Kubernetes node log trees with known truth, for podsift's tests, its sample data and
//! its benchmarks.
//!
//! A tree has nodes laid out as `kind export logs` writes them (`<node>/pods/...`,
//! `<node>/containers/...`), or a docker json-file node (`<node>/var/lib/docker/containers/...`).
//! Each container instance writes entries in one of several application styles (zap, logrus,
//! bunyan, logfmt, klog, text), some split into CRI partial lines, and its stream is rotated the
//! way kubelet does it: `0.log.<YYYYMMDD-hhmmss>` files, the older ones gzip-compressed. The
//! [`Truth`] written beside the tree counts what was generated, independently of podsift: the
//! crate does not depend on podsift-core (its date arithmetic and line writers are its own), so
//! that a bug in podsift cannot also be a bug in the truth it is checked against.

pub mod bundles;
pub mod need;

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

/// What to generate.
#[derive(Clone, Debug)]
pub struct Spec {
    /// Seed for every random choice.
    pub seed: u64,
    /// Nodes with `pods/` and `containers/` (CRI).
    pub cri_nodes: usize,
    /// Nodes with docker json-file logs and `config.v2.json`.
    pub docker_nodes: usize,
    /// Pods per node.
    pub pods_per_node: usize,
    /// Approximate total bytes of log lines.
    pub target_bytes: u64,
    /// Rotate a container's file when it grows past this many bytes.
    pub rotate_bytes: u64,
    /// How `containers/` entries are made on CRI nodes: alternately links and copies.
    pub containers_entries: bool,
    /// Lines that are not CRI, planted in some files (counted as unparsed).
    pub garbage_lines: bool,
    /// Also write what a bundle carries beside the logs, about the same pods: a pod list
    /// (`pods.json`), their Events (`events.json`), an API server audit log on the first node
    /// and a kube-state-metrics scrape (`metrics/kube-state-metrics.prom`).
    pub cluster_documents: bool,
}

impl Spec {
    /// A small tree for tests and the sample.
    pub fn small(seed: u64) -> Spec {
        Spec {
            seed,
            cri_nodes: 2,
            docker_nodes: 1,
            pods_per_node: 4,
            target_bytes: 400_000,
            rotate_bytes: 8_000,
            containers_entries: true,
            garbage_lines: true,
            cluster_documents: false,
        }
    }

    /// The sample shipped in `testdata/sample`: two kind nodes and a docker node, clean.
    pub fn sample() -> Spec {
        Spec {
            seed: 2024,
            cri_nodes: 2,
            docker_nodes: 1,
            pods_per_node: 3,
            target_bytes: 150_000,
            rotate_bytes: 6_000,
            containers_entries: true,
            garbage_lines: false,
            cluster_documents: true,
        }
    }

    /// The benchmark tree: about `gb` gigabytes over 3 nodes and 54 pods.
    pub fn bench(gb: f64) -> Spec {
        Spec {
            seed: 42,
            cri_nodes: 3,
            docker_nodes: 0,
            pods_per_node: 18,
            target_bytes: (gb * 1e9) as u64,
            rotate_bytes: 2 * 1024 * 1024,
            containers_entries: true,
            garbage_lines: false,
            cluster_documents: false,
        }
    }
}

/// Counts for one container instance.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct InstanceTruth {
    /// Entries (a joined partial line is one entry; an unparsed line is one entry).
    pub entries: u64,
    /// Entries by normalized level.
    pub levels: BTreeMap<String, u64>,
    /// Physical lines written.
    pub lines: u64,
    /// Unparsed lines planted.
    pub unparsed: u64,
    /// Files the instance's stream was rotated into.
    pub files: u64,
}

/// What a tree holds, counted while writing it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Truth {
    /// Per instance, keyed `node/namespace/pod/container/restart`.
    pub instances: BTreeMap<String, InstanceTruth>,
    /// Entries by level, all instances.
    pub levels: BTreeMap<String, u64>,
    /// All entries.
    pub entries: u64,
    /// All physical lines of container logs (copies in `containers/` not counted).
    pub lines: u64,
    /// Lines joined into an entry after its first.
    pub joined: u64,
    /// Unparsed lines.
    pub unparsed: u64,
    /// Bytes of log lines written (before compression; copies not counted).
    pub bytes: u64,
    /// Files in `containers/` that duplicate a `pods/` file (links and copies).
    pub duplicates: u64,
}

/// SplitMix64: small, fast, and the same everywhere.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// Seeded.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// Application log styles, one per container.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Style {
    Zap,
    Logrus,
    Bunyan,
    Logfmt,
    Klog,
    Text,
}

const STYLES: [Style; 6] = [
    Style::Zap,
    Style::Logrus,
    Style::Bunyan,
    Style::Logfmt,
    Style::Klog,
    Style::Text,
];

/// Level names as podsift normalizes them.
const LEVELS: [&str; 6] = ["debug", "info", "warn", "error", "fatal", "unknown"];

const WORDS: [&str; 16] = [
    "request",
    "served",
    "connection",
    "reset",
    "by",
    "peer",
    "cache",
    "miss",
    "retrying",
    "upstream",
    "timeout",
    "reconciled",
    "object",
    "queue",
    "depth",
    "flushed",
];

const NAMESPACES: [&str; 5] = ["default", "kube-system", "shop", "payments", "monitoring"];
const APPS: [&str; 9] = [
    "api",
    "web",
    "cart",
    "worker",
    "coredns",
    "ingress",
    "db-proxy",
    "exporter",
    "scheduler",
];
const CONTAINERS: [&str; 5] = ["app", "sidecar", "istio-proxy", "init-config", "server"];

fn level_for(rng: &mut Rng, style: Style) -> usize {
    // Mostly info; some debug, warn, error; rare fatal; text styles also write lines without a level.
    let r = rng.below(1000);
    let l = match r {
        0..=99 => 0,
        100..=799 => 1,
        800..=909 => 2,
        910..=994 => 3,
        _ => 4,
    };
    match style {
        Style::Text if rng.below(10) == 0 => 5,
        Style::Klog if l == 0 || l == 4 => 1,
        _ => l,
    }
}

fn words(rng: &mut Rng, out: &mut String, n: usize) {
    for i in 0..n {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(WORDS[rng.below(WORDS.len() as u64) as usize]);
    }
}

fn civil(ts_nanos: i64) -> (i64, u32, u32, u32, u32, u32, u32) {
    let secs = ts_nanos.div_euclid(1_000_000_000);
    let nanos = ts_nanos.rem_euclid(1_000_000_000) as u32;
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400) as u32;
    // Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, sod / 3600, sod / 60 % 60, sod % 60, nanos)
}

fn rfc3339(ts: i64) -> String {
    let (y, mo, d, h, mi, s, n) = civil(ts);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{n:09}Z")
}

/// The payload of one entry in `style` at `level` (index into [`LEVELS`]).
fn payload(rng: &mut Rng, style: Style, level: usize, ts: i64, filler: usize, out: &mut String) {
    use std::fmt::Write as _;
    let (y, mo, d, h, mi, s, n) = civil(ts);
    let mut msg = String::new();
    let len = 3 + rng.below(8) as usize;
    words(rng, &mut msg, len);
    for _ in 0..filler / 8 {
        msg.push_str(" abcdefg");
    }
    let id = rng.below(100_000);
    match style {
        Style::Zap => {
            let name = ["debug", "info", "warn", "error", "fatal"][level];
            let _ = write!(
                out,
                r#"{{"level":"{name}","ts":{}.{:06},"caller":"server/handler.go:{}","msg":"{msg}","request_id":"req-{id}","status":{},"duration":0.{:04}}}"#,
                ts / 1_000_000_000,
                n / 1000,
                10 + id % 400,
                [200, 404, 500][(id % 3) as usize],
                id % 10_000
            );
        }
        Style::Logrus => {
            let name = ["debug", "info", "warning", "error", "fatal"][level];
            let _ = write!(
                out,
                r#"{{"level":"{name}","msg":"{msg} {id}","time":"{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z","component":"sync"}}"#
            );
        }
        Style::Bunyan => {
            let num = [20, 30, 40, 50, 60][level];
            let _ = write!(
                out,
                r#"{{"name":"svc","hostname":"h-{}","pid":1,"level":{num},"msg":"{msg}","time":"{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{:03}Z","v":0}}"#,
                id % 7,
                n / 1_000_000
            );
        }
        Style::Logfmt => {
            let name = ["debug", "info", "warn", "error", "fatal"][level];
            let _ = write!(
                out,
                r#"ts={y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{:03}Z level={name} msg="{msg}" id={id} caller=main.go:{}"#,
                n / 1_000_000,
                id % 300
            );
        }
        Style::Klog => {
            let letter = ['D', 'I', 'W', 'E', 'F'][level];
            let _ = write!(
                out,
                r#"{letter}{mo:02}{d:02} {h:02}:{mi:02}:{s:02}.{:06}       1 controller.go:{}] "{msg}" key="ns/obj-{id}""#,
                n / 1000,
                id % 500
            );
        }
        Style::Text => {
            let _ = write!(
                out,
                "{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}.{:03} ",
                n / 1_000_000
            );
            if level < 5 {
                out.push_str(["DEBUG", "INFO", "WARN", "ERROR", "FATAL"][level]);
                out.push(' ');
            }
            let _ = write!(out, "[main] c.e.Service - {msg} #{id}");
        }
    }
}

/// How a runtime names a stream's files.
enum Naming {
    /// kubelet: `<restart>.log`, rotated `<restart>.log.<YYYYMMDD-hhmmss>`.
    Kubelet { restart: u32 },
    /// docker json-file: `<id>-json.log`, rotated `<id>-json.log.<n>` with 1 the newest.
    Docker { id: String },
}

/// One rotated stream being written.
struct StreamWriter<'a> {
    dir: &'a Path,
    naming: Naming,
    rotate_bytes: u64,
    current: Vec<u8>,
    /// Rotated contents, oldest first, with the time of their rotation.
    rotated: Vec<(i64, Vec<u8>)>,
}

impl StreamWriter<'_> {
    fn line(&mut self, line: &[u8], ts: i64) {
        self.current.extend_from_slice(line);
        self.current.push(b'\n');
        if self.current.len() as u64 >= self.rotate_bytes {
            // Stamps are at least a second apart, like kubelet's (it names by the second).
            let at = self
                .rotated
                .last()
                .map_or(ts, |(prev, _)| ts.max(prev + 1_000_000_000));
            self.rotated.push((at, std::mem::take(&mut self.current)));
        }
    }

    /// Writes the files: the newest rotated file plain, older ones gzip-compressed (as kubelet
    /// leaves them), then the current file. Returns the current file's path and the file count.
    fn finish(self) -> io::Result<(std::path::PathBuf, u64)> {
        fs::create_dir_all(self.dir)?;
        let n = self.rotated.len();
        let (base, current) = match &self.naming {
            Naming::Kubelet { restart } => (format!("{restart}.log"), format!("{restart}.log")),
            Naming::Docker { id } => (format!("{id}-json.log"), format!("{id}-json.log")),
        };
        for (i, (at, bytes)) in self.rotated.iter().enumerate() {
            let name = match &self.naming {
                Naming::Kubelet { .. } => {
                    let (y, mo, d, h, mi, s, _) = civil(*at);
                    format!("{base}.{y:04}{mo:02}{d:02}-{h:02}{mi:02}{s:02}")
                }
                Naming::Docker { .. } => format!("{base}.{}", n - i),
            };
            if i + 1 < n {
                let f = fs::File::create(self.dir.join(format!("{name}.gz")))?;
                let mut gz = flate2::write::GzEncoder::new(
                    io::BufWriter::new(f),
                    flate2::Compression::fast(),
                );
                gz.write_all(bytes)?;
                gz.finish()?.flush()?;
            } else {
                fs::write(self.dir.join(name), bytes)?;
            }
        }
        let current = self.dir.join(current);
        fs::write(&current, &self.current)?;
        Ok((current, n as u64 + 1))
    }
}

/// One container instance to write.
struct InstancePlan {
    node: String,
    namespace: String,
    pod: String,
    uid: String,
    container: String,
    restart: u32,
    style: Style,
    bytes: u64,
    seed: u64,
    docker: bool,
}

fn uid(rng: &mut Rng) -> String {
    let a = rng.next_u64();
    let b = rng.next_u64();
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xffff,
        b >> 48,
        b & 0xffff_ffff_ffff
    )
}

fn container_id(rng: &mut Rng) -> String {
    (0..4).map(|_| format!("{:016x}", rng.next_u64())).collect()
}

const BASE_TS: i64 = 1_704_067_200_000_000_000; // 2024-01-01T00:00:00Z

/// Writes one instance's stream; returns its truth, the current file, and the bytes written.
fn write_instance(
    root: &Path,
    p: &InstancePlan,
    spec: &Spec,
) -> io::Result<(InstanceTruth, std::path::PathBuf, u64, u64)> {
    let mut rng = Rng::new(p.seed);
    let mut truth = InstanceTruth::default();
    let dir = if p.docker {
        root.join(&p.node)
            .join("var/lib/docker/containers")
            .join(&p.uid)
    } else {
        root.join(&p.node)
            .join("pods")
            .join(format!("{}_{}_{}", p.namespace, p.pod, p.uid))
            .join(&p.container)
    };
    let naming = if p.docker {
        Naming::Docker { id: p.uid.clone() }
    } else {
        Naming::Kubelet { restart: p.restart }
    };
    let mut w = StreamWriter {
        dir: &dir,
        naming,
        rotate_bytes: spec.rotate_bytes,
        current: Vec::new(),
        rotated: Vec::new(),
    };
    let mut ts =
        BASE_TS + i64::from(p.restart) * 3_600_000_000_000 + rng.below(1_000_000_000) as i64;
    let mut written = 0u64;
    let mut joined = 0u64;
    let mut text = String::new();
    let mut line = Vec::new();
    while written < p.bytes {
        ts += 1_000_000 + rng.below(200_000_000) as i64;
        let level = level_for(&mut rng, p.style);
        text.clear();
        // 1 in 400 entries is long (kubelet splits at 16 KiB); 1 in 60 was written in pieces.
        let long = rng.below(400) == 0;
        let filler = if long {
            17_000 + rng.below(20_000) as usize
        } else {
            0
        };
        payload(&mut rng, p.style, level, ts, filler, &mut text);
        let stream = if rng.below(5) == 0 {
            "stderr"
        } else {
            "stdout"
        };
        let pieces: Vec<&str> = if long {
            text.as_bytes()
                .chunks(16 * 1024)
                .map(|c| std::str::from_utf8(c).expect("ascii"))
                .collect()
        } else if rng.below(60) == 0 && text.len() > 10 {
            let cut = 1 + rng.below(text.len() as u64 - 2) as usize;
            vec![&text[..cut], &text[cut..]]
        } else {
            vec![&text[..]]
        };
        for (i, piece) in pieces.iter().enumerate() {
            let last = i + 1 == pieces.len();
            line.clear();
            if p.docker {
                let escaped = piece.replace('\\', "\\\\").replace('"', "\\\"");
                let nl = if last { "\\n" } else { "" };
                let _ = write!(
                    line,
                    r#"{{"log":"{escaped}{nl}","stream":"{stream}","time":"{}"}}"#,
                    rfc3339(ts)
                );
            } else {
                let tag = if last { 'F' } else { 'P' };
                let _ = write!(line, "{} {stream} {tag} {piece}", rfc3339(ts));
            }
            w.line(&line, ts);
            written += line.len() as u64 + 1;
            truth.lines += 1;
            if i > 0 {
                joined += 1;
            }
        }
        truth.entries += 1;
        *truth.levels.entry(LEVELS[level].to_string()).or_default() += 1;
        if spec.garbage_lines && !p.docker && rng.below(500) == 0 {
            w.line(b"\x1b[31mthis line lost its CRI header", ts);
            written += 32;
            truth.lines += 1;
            truth.entries += 1;
            truth.unparsed += 1;
            *truth.levels.entry("unknown".to_string()).or_default() += 1;
        }
    }
    let (current, files) = w.finish()?;
    truth.files = files;
    Ok((truth, current, written, joined))
}

/// Generates a tree under `root` (which must not exist or be empty) and returns its truth.
pub fn generate(root: &Path, spec: &Spec) -> io::Result<Truth> {
    let mut rng = Rng::new(spec.seed);
    let nodes = spec.cri_nodes + spec.docker_nodes;
    let pods_total = (nodes * spec.pods_per_node).max(1);
    let mut plans = Vec::new();
    for node_i in 0..nodes {
        let docker = node_i >= spec.cri_nodes;
        let node = if docker {
            format!("docker-worker-{}", node_i - spec.cri_nodes + 1)
        } else if node_i == 0 {
            "kind-control-plane".to_string()
        } else {
            format!(
                "kind-worker{}",
                if node_i == 1 {
                    String::new()
                } else {
                    node_i.to_string()
                }
            )
        };
        for pod_i in 0..spec.pods_per_node {
            let namespace = NAMESPACES[pod_i % NAMESPACES.len()].to_string();
            let app = APPS[(pod_i + node_i) % APPS.len()];
            let pod = format!("{app}-{:x}-{:05x}", rng.below(0xffff), rng.below(0xfffff));
            let pod_uid = uid(&mut rng);
            let containers = 1 + rng.below(3) as usize;
            for container in CONTAINERS.iter().take(containers) {
                let container = container.to_string();
                let style = *rng.pick(&STYLES);
                let restarts = if rng.below(4) == 0 { 2 } else { 1 };
                for restart in 0..restarts {
                    // A pod's share, split over its containers; a restarted container's earlier
                    // run holds a third of it.
                    let pod_share = spec.target_bytes / pods_total as u64;
                    let share = match (restarts, restart) {
                        (1, _) => pod_share,
                        (_, 0) => pod_share / 3,
                        _ => pod_share * 2 / 3,
                    };
                    plans.push(InstancePlan {
                        node: node.clone(),
                        namespace: namespace.clone(),
                        pod: pod.clone(),
                        uid: if docker {
                            container_id(&mut rng)
                        } else {
                            pod_uid.clone()
                        },
                        container: container.clone(),
                        restart,
                        style,
                        bytes: share / containers as u64,
                        seed: rng.next_u64(),
                        docker,
                    });
                }
            }
        }
    }
    fs::create_dir_all(root)?;
    let results: Vec<io::Result<(InstanceTruth, std::path::PathBuf, u64, u64)>> = {
        use rayon::prelude::*;
        plans
            .par_iter()
            .map(|p| write_instance(root, p, spec))
            .collect()
    };
    let mut truth = Truth::default();
    let mut link_toggle = false;
    for (p, r) in plans.iter().zip(results) {
        let (t, current, bytes, joined) = r?;
        if p.docker {
            let name = format!(
                "/k8s_{}_{}_{}_{}_{}",
                p.container,
                p.pod,
                p.namespace,
                uid(&mut Rng::new(p.seed)),
                p.restart
            );
            let config = format!(
                r#"{{"ID":"{}","Name":"{name}","Config":{{"Labels":{{"io.kubernetes.pod.namespace":"{}","io.kubernetes.pod.name":"{}","io.kubernetes.container.name":"{}"}}}}}}"#,
                p.uid, p.namespace, p.pod, p.container
            );
            fs::write(
                current.parent().expect("a folder").join("config.v2.json"),
                config,
            )?;
        } else if spec.containers_entries && p.restart == 0 {
            // Kubelet keeps links for live containers; alternate links and copies (kind export).
            let cid = container_id(&mut Rng::new(p.seed ^ 1));
            let dir = root.join(&p.node).join("containers");
            fs::create_dir_all(&dir)?;
            let name = dir.join(format!(
                "{}_{}_{}-{cid}.log",
                p.pod, p.namespace, p.container
            ));
            link_toggle = !link_toggle;
            let rel = current
                .strip_prefix(root.join(&p.node))
                .expect("under the node");
            if link_toggle {
                symlink(&Path::new("..").join(rel), &name)?;
            } else {
                fs::copy(&current, &name)?;
            }
            truth.duplicates += 1;
        }
        let key = format!(
            "{}/{}/{}/{}/{}",
            p.node, p.namespace, p.pod, p.container, p.restart
        );
        truth.entries += t.entries;
        truth.lines += t.lines;
        truth.unparsed += t.unparsed;
        truth.joined += joined;
        truth.bytes += bytes;
        for (l, n) in &t.levels {
            *truth.levels.entry(l.clone()).or_default() += n;
        }
        truth.instances.insert(key, t);
    }
    if spec.cluster_documents {
        write_cluster_documents(root, &plans)?;
    }
    Ok(truth)
}

/// One pod of the plans: its name, namespace, node, uid and containers with their runs.
struct PodOf<'a> {
    namespace: &'a str,
    pod: &'a str,
    node: &'a str,
    uid: &'a str,
    /// (container, runs).
    containers: Vec<(&'a str, u32)>,
}

/// The pod list, Events, audit log and kube-state-metrics scrape of the pods in `plans` (see
/// [`Spec::cluster_documents`]): a container that ran twice was restarted once, after an
/// `Error` (or, for every third such pod, `OOMKilled`) exit, with a BackOff Warning.
fn write_cluster_documents(root: &Path, plans: &[InstancePlan]) -> io::Result<()> {
    let mut pods: Vec<PodOf<'_>> = Vec::new();
    for p in plans {
        match pods.iter_mut().find(|x| x.pod == p.pod) {
            Some(x) => match x.containers.iter_mut().find(|(c, _)| *c == p.container) {
                Some((_, runs)) => *runs = (*runs).max(p.restart + 1),
                None => x.containers.push((&p.container, p.restart + 1)),
            },
            None => pods.push(PodOf {
                namespace: &p.namespace,
                pod: &p.pod,
                node: &p.node,
                uid: &p.uid,
                containers: vec![(&p.container, p.restart + 1)],
            }),
        }
    }
    let at = |minutes: i64| -> String {
        let secs = BASE_TS / 1_000_000_000 + minutes * 60;
        format!(
            "2024-01-01T{:02}:{:02}:00Z",
            (secs / 3600) % 24,
            (secs / 60) % 60
        )
    };
    let mut items = Vec::new();
    let mut events = Vec::new();
    let mut audit = String::new();
    let mut scrape = String::from(
        "# HELP kube_pod_container_status_restarts_total The number of container restarts per container.\n\
         # TYPE kube_pod_container_status_restarts_total counter\n",
    );
    let mut restarted = 0;
    for (i, p) in pods.iter().enumerate() {
        let mut statuses = Vec::new();
        let mut specs = Vec::new();
        for (c, runs) in &p.containers {
            specs.push(format!(
                r#"{{"name": "{c}", "image": "registry.example/{c}:1.0"}}"#
            ));
            let restarts = runs - 1;
            let last = if restarts > 0 {
                restarted += 1;
                let (reason, code) = if restarted % 3 == 0 {
                    ("OOMKilled", 137)
                } else {
                    ("Error", 1)
                };
                events.push(format!(
                    r#"{{"apiVersion": "v1", "kind": "Event", "metadata": {{"name": "{pod}.{n:x}", "namespace": "{ns}", "uid": "ev-{i}-{c}"}}, "involvedObject": {{"kind": "Pod", "name": "{pod}", "namespace": "{ns}", "fieldPath": "spec.containers{{{c}}}"}}, "reason": "BackOff", "message": "Back-off restarting failed container {c} in pod {pod}", "type": "Warning", "count": {count}, "firstTimestamp": "{first}", "lastTimestamp": "{last}", "source": {{"component": "kubelet", "host": "{node}"}}}}"#,
                    pod = p.pod,
                    ns = p.namespace,
                    node = p.node,
                    n = 0x17a0 + i,
                    count = 2 + i % 4,
                    first = at(28),
                    last = at(31),
                ));
                format!(
                    r#", "lastState": {{"terminated": {{"reason": "{reason}", "exitCode": {code}, "startedAt": "{}", "finishedAt": "{}"}}}}"#,
                    at(0),
                    at(29)
                )
            } else {
                String::new()
            };
            statuses.push(format!(
                r#"{{"name": "{c}", "ready": true, "restartCount": {restarts}, "image": "registry.example/{c}:1.0", "state": {{"running": {{"startedAt": "{}"}}}}{last}}}"#,
                at(if restarts > 0 { 30 } else { 0 })
            ));
            scrape.push_str(&format!(
                "kube_pod_container_status_restarts_total{{namespace=\"{}\",pod=\"{}\",container=\"{c}\",uid=\"{}\"}} {restarts} {}\n",
                p.namespace,
                p.pod,
                p.uid,
                (BASE_TS / 1_000_000 + 60 * 60 * 1000)
            ));
        }
        items.push(format!(
            r#"    {{"apiVersion": "v1", "kind": "Pod", "metadata": {{"name": "{}", "namespace": "{}", "uid": "{}", "ownerReferences": [{{"kind": "ReplicaSet", "name": "{}", "controller": true}}]}}, "spec": {{"nodeName": "{}", "containers": [{}]}}, "status": {{"phase": "Running", "startTime": "{}", "containerStatuses": [{}]}}}}"#,
            p.pod,
            p.namespace,
            p.uid,
            p.pod.rsplit_once('-').map_or(p.pod, |(rs, _)| rs),
            p.node,
            specs.join(", "),
            at(0),
            statuses.join(", ")
        ));
        // The API server's view: a read of the pod and, for the first ones, a failed delete.
        audit.push_str(&format!(
            r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a-{i:04}","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/{ns}/pods/{pod}","verb":"get","user":{{"username":"system:node:{node}","groups":["system:nodes"]}},"sourceIPs":["172.18.0.{ip}"],"userAgent":"kubelet/v1.29.0","objectRef":{{"resource":"pods","namespace":"{ns}","name":"{pod}","apiVersion":"v1"}},"responseStatus":{{"metadata":{{}},"code":200}},"requestReceivedTimestamp":"{t}.000100Z","stageTimestamp":"{t}.004200Z"}}
"#,
            ns = p.namespace,
            pod = p.pod,
            node = p.node,
            ip = 2 + i % 3,
            t = at(10 + i as i64).trim_end_matches('Z'),
        ));
        if i % 4 == 1 {
            audit.push_str(&format!(
                r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"d-{i:04}","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/{ns}/pods/{pod}","verb":"delete","user":{{"username":"system:serviceaccount:{ns}:deployer","groups":["system:serviceaccounts"]}},"sourceIPs":["10.244.0.{ip}"],"userAgent":"kubectl/v1.29.0","objectRef":{{"resource":"pods","namespace":"{ns}","name":"{pod}","apiVersion":"v1"}},"responseStatus":{{"metadata":{{}},"status":"Failure","reason":"Forbidden","code":403}},"requestReceivedTimestamp":"{t}.000100Z","stageTimestamp":"{t}.001300Z"}}
"#,
                ns = p.namespace,
                pod = p.pod,
                ip = 10 + i,
                t = at(40 + i as i64).trim_end_matches('Z'),
            ));
        }
    }
    fs::write(
        root.join("pods.json"),
        format!(
            "{{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"PodList\",\n  \"items\": [\n{}\n  ]\n}}\n",
            items.join(",\n")
        ),
    )?;
    fs::write(
        root.join("events.json"),
        format!(
            "{{\"apiVersion\": \"v1\", \"kind\": \"EventList\", \"items\": [\n{}\n]}}\n",
            events.join(",\n")
        ),
    )?;
    let first_node = pods.first().map_or("node", |p| p.node);
    let kube = root.join(first_node).join("kubernetes");
    fs::create_dir_all(&kube)?;
    fs::write(kube.join("kube-apiserver-audit.log"), audit)?;
    fs::create_dir_all(root.join("metrics"))?;
    fs::write(root.join("metrics/kube-state-metrics.prom"), scrape)?;
    Ok(())
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn symlink(target: &Path, link: &Path) -> io::Result<()> {
    fs::copy(link.parent().expect("a folder").join(target), link).map(|_| ())
}
