//! What a file's path says about the node, pod, container and restart it belongs to.
//!
//! Pure functions on `/`-separated path strings, no I/O. The shapes, as kubelet, the runtimes and
//! `kind export logs` lay them out:
//!
//! - `<node>/pods/<ns>_<pod>_<uid>/<container>/<restart>.log[.<YYYYMMDD-hhmmss>][.gz][.tmp]`
//!   (the `pods/` folder may sit in `<node>/var/log/`; static pods have a 32-hex config hash
//!   instead of a UID; before Kubernetes 1.14 the pod folder was just `<uid>`);
//! - `<node>/containers/<pod>_<ns>_<container>-<64 hex container id>.log`, cut at 255 bytes;
//! - `<node>/var/lib/docker/containers/<id>/<id>-json.log[.N][.gz]` and its `config.v2.json`.

/// A pod folder under `pods/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PodDir<'a> {
    /// Namespace, absent in the pre-1.14 `<uid>` layout.
    pub namespace: Option<&'a str>,
    /// Pod name (for static pods, the mirror pod's name `<name>-<node>`).
    pub pod: Option<&'a str>,
    /// Pod UID, or the config hash of a static pod.
    pub uid: &'a str,
    /// The UID is a static pod's 32-hex config hash.
    pub static_pod: bool,
}

/// Whether `s` is a UUID (`8-4-4-4-12` hex digits).
pub(crate) fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|c| c.is_ascii_hexdigit())
}

/// Parses a pod folder name: `<ns>_<pod>_<uid>`, or a bare UID / config hash (old layout).
pub(crate) fn parse_pod_dir(name: &str) -> Option<PodDir<'_>> {
    let mut parts = name.split('_');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(ns), Some(pod), Some(uid), None)
            if !ns.is_empty() && !pod.is_empty() && !uid.is_empty() =>
        {
            Some(PodDir {
                namespace: Some(ns),
                pod: Some(pod),
                uid,
                static_pod: is_hex(uid, 32),
            })
        }
        (Some(uid), None, None, None) if is_uuid(uid) || is_hex(uid, 32) => Some(PodDir {
            namespace: None,
            pod: None,
            uid,
            static_pod: is_hex(uid, 32),
        }),
        _ => None,
    }
}

/// Where a log file stands in its container's rotation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Rotation {
    /// Rotated by kubelet at this time (`.20240101-120000`, UTC): older than the current file.
    Timestamped(i64),
    /// Rotated by number, logrotate/docker style (`.1` is newer than `.2`).
    Numbered(u32),
    /// The file being written.
    Current,
}

impl Rotation {
    /// A key that sorts a container's files oldest first: timestamped ones by time, then
    /// numbered ones from the highest number, then the current file.
    pub(crate) fn read_order(self) -> (u8, i64) {
        match self {
            Rotation::Timestamped(t) => (0, t),
            Rotation::Numbered(n) => (1, -i64::from(n)),
            Rotation::Current => (2, 0),
        }
    }
}

/// A parsed `<restart>.log...` file name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LogFileName {
    /// The restart count in the name.
    pub restart: u32,
    /// Its place in the rotation.
    pub rotation: Rotation,
    /// Named `.gz`.
    pub gz: bool,
    /// Named `.tmp` (kubelet compresses into `<name>.tmp`, then renames it).
    pub tmp: bool,
}

/// Parses the rotation suffix after `.log` (`""`, `.20240101-120000`, `.3`, with `.gz`/`.tmp`).
fn parse_rotation_suffix(mut rest: &str) -> Option<(Rotation, bool, bool)> {
    let tmp = rest.ends_with(".tmp");
    if tmp {
        rest = &rest[..rest.len() - 4];
    }
    let gz = rest.ends_with(".gz");
    if gz {
        rest = &rest[..rest.len() - 3];
    }
    let rotation = match rest.strip_prefix('.') {
        None if rest.is_empty() => Rotation::Current,
        None => return None,
        Some(stamp) if stamp.len() == 15 && stamp.as_bytes()[8] == b'-' => {
            let b = stamp.as_bytes();
            let d = |i: usize| -> Option<u32> {
                let (x, y) = (b[i].wrapping_sub(b'0'), b[i + 1].wrapping_sub(b'0'));
                (x < 10 && y < 10).then(|| u32::from(x) * 10 + u32::from(y))
            };
            let year = i64::from(d(0)? * 100 + d(2)?);
            // Kubelet's names can hold impossible dates (tests use 00000000-000000); order them
            // by their digits then.
            let t = crate::time::nanos_from_civil(year, d(4)?, d(6)?, d(9)?, d(11)?, d(13)?, 0)
                .unwrap_or_else(|| {
                    stamp
                        .bytes()
                        .filter(u8::is_ascii_digit)
                        .fold(0i64, |acc, c| acc * 10 + i64::from(c - b'0'))
                        - i64::MAX / 2
                });
            Rotation::Timestamped(t)
        }
        Some(n) => Rotation::Numbered(n.parse().ok()?),
    };
    Some((rotation, gz, tmp))
}

/// Parses a kubelet container log file name: `<restart>.log` plus a rotation suffix.
pub(crate) fn parse_pod_log_file_name(name: &str) -> Option<LogFileName> {
    let dot = name.find(".log")?;
    let restart: u32 = name[..dot].parse().ok()?;
    if name[..dot].starts_with('+') {
        return None;
    }
    let (rotation, gz, tmp) = parse_rotation_suffix(&name[dot + 4..])?;
    Some(LogFileName {
        restart,
        rotation,
        gz,
        tmp,
    })
}

/// A log file outside the container layout (`kubelet.log`, `syslog.1`, `messages-20240101.gz`):
/// the name its rotations share, and this file's place among them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TextLogName {
    /// The name without rotation and compression suffixes (`kubelet.log`).
    pub base: String,
    /// The component it names: `base` without `.log`/`.txt` (`kubelet`).
    pub component: String,
    /// Its place in the rotation.
    pub rotation: Rotation,
    /// Named `.gz`.
    pub gz: bool,
}

/// Whether a file name says "log": `*.log`, `*.txt`, syslog's and journald exports' names, with
/// any rotation suffix.
pub(crate) fn is_log_file_name(name: &str) -> bool {
    let base = parse_text_log_name(name).base;
    let lower = base.to_ascii_lowercase();
    lower.ends_with(".log")
        || lower.ends_with(".txt")
        || lower.ends_with(".jsonl")
        || lower.ends_with(".ndjson")
        || matches!(
            lower.as_str(),
            "messages" | "syslog" | "kern" | "daemon" | "auth" | "secure" | "journal" | "dmesg"
        )
}

/// The resource a Kubernetes document's file name names, for documents whose objects do not
/// say their kind: sonobuoy's `<group>_<version>_<resource>.json` gives the resource
/// (`core_v1_configmaps.json`: `configmaps`), any other name its stem (`ConfigMaps.json`).
pub(crate) fn resource_of_name(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = name
        .strip_suffix(".gz")
        .unwrap_or(name)
        .rsplit_once('.')
        .map_or(name, |(stem, _)| stem);
    let parts: Vec<&str> = stem.split('_').collect();
    match parts.as_slice() {
        [_group, version, resource]
            if version.starts_with('v')
                && version[1..].starts_with(|c: char| c.is_ascii_digit())
                && !resource.is_empty() =>
        {
            (*resource).to_string()
        }
        _ if stem.is_empty() => "unknown".to_string(),
        _ => stem.to_string(),
    }
}

/// Splits logrotate's and kubelet's rotation suffixes off a file name: `.gz`, then `.N`,
/// `-YYYYMMDD[HH[MM[SS]]]` or `.YYYYMMDD-hhmmss`.
pub(crate) fn parse_text_log_name(name: &str) -> TextLogName {
    let mut rest = name;
    let gz = rest.ends_with(".gz");
    if gz {
        rest = &rest[..rest.len() - 3];
    }
    let mut rotation = Rotation::Current;
    if let Some(dot) = rest.rfind('.')
        && dot > 0
    {
        let suffix = &rest[dot..];
        if let Some((r, false, false)) = parse_rotation_suffix(suffix)
            && r != Rotation::Current
        {
            rotation = r;
            rest = &rest[..dot];
        }
    }
    if rotation == Rotation::Current
        && let Some(dash) = rest.rfind('-')
    {
        let stamp = &rest[dash + 1..];
        if (8..=14).contains(&stamp.len())
            && stamp.len().is_multiple_of(2)
            && stamp.bytes().all(|c| c.is_ascii_digit())
        {
            let b = stamp.as_bytes();
            let d = |i: usize| -> u32 {
                b.get(i..i + 2)
                    .map_or(0, |p| u32::from(p[0] - b'0') * 10 + u32::from(p[1] - b'0'))
            };
            let year = i64::from(d(0) * 100 + d(2));
            if let Some(t) = crate::time::nanos_from_civil(year, d(4), d(6), d(8), d(10), d(12), 0)
            {
                rotation = Rotation::Timestamped(t);
                rest = &rest[..dash];
            }
        }
    }
    let component = rest
        .strip_suffix(".log")
        .or_else(|| rest.strip_suffix(".txt"))
        .unwrap_or(rest)
        .to_string();
    TextLogName {
        base: rest.to_string(),
        component,
        rotation,
        gz,
    }
}

/// A parsed `/var/log/containers` file name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ContainerLogName<'a> {
    /// Pod name.
    pub pod: &'a str,
    /// Namespace.
    pub namespace: &'a str,
    /// Container name (may be cut short when `truncated`).
    pub container: &'a str,
    /// Container ID (64 hex digits, fewer when `truncated`), when the name has one.
    pub container_id: Option<&'a str>,
    /// kubelet cut the name at 255 bytes.
    pub truncated: bool,
}

/// Longest file name kubelet writes under `/var/log/containers` (ext4's limit).
pub(crate) const MAX_CONTAINER_LOG_NAME: usize = 255;

/// Parses `<pod>_<ns>_<container>-<container id>.log`, also when kubelet cut it at 255 bytes.
pub(crate) fn parse_container_log_name(name: &str) -> Option<ContainerLogName<'_>> {
    let stem = name.strip_suffix(".log")?;
    let truncated = name.len() == MAX_CONTAINER_LOG_NAME;
    let mut parts = stem.split('_');
    let (pod, namespace, rest) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(p), Some(n), Some(r), None) if !p.is_empty() && !n.is_empty() => (p, n, r),
        // Cut inside the pod or namespace part: too little is left to use.
        _ => return None,
    };
    let (container, container_id) = match rest.rfind('-') {
        Some(dash) if is_hex(&rest[dash + 1..], 64) => (&rest[..dash], Some(&rest[dash + 1..])),
        Some(dash)
            if truncated
                && !rest[dash + 1..].is_empty()
                && rest[dash + 1..].bytes().all(|c| c.is_ascii_hexdigit()) =>
        {
            (&rest[..dash], Some(&rest[dash + 1..]))
        }
        _ => (rest, None),
    };
    if container.is_empty() {
        return None;
    }
    Some(ContainerLogName {
        pod,
        namespace,
        container,
        container_id,
        truncated,
    })
}

/// What a path is, by its shape alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PathShape<'a> {
    /// `pods/<pod dir>/<container>/<restart>.log...`
    PodLog {
        /// The pod folder.
        pod_dir: PodDir<'a>,
        /// The container folder.
        container: &'a str,
        /// The file name.
        file: LogFileName,
    },
    /// Another file inside a container folder of `pods/` (metadata known, name not a log name).
    PodOtherFile {
        /// The pod folder.
        pod_dir: PodDir<'a>,
        /// The container folder.
        container: &'a str,
    },
    /// `containers/<pod>_<ns>_<container>-<id>.log`
    ContainerLog {
        /// The parsed name.
        name: ContainerLogName<'a>,
    },
    /// `containers/<id>/<id>-json.log...` (docker json-file).
    DockerLog {
        /// Container ID.
        id: &'a str,
        /// Rotation.
        rotation: Rotation,
        /// Named `.gz`.
        gz: bool,
    },
    /// `containers/<id>/config.v2.json` (docker's container config, with pod labels).
    DockerConfig {
        /// Container ID.
        id: &'a str,
    },
    /// Nothing podsift knows by path; classified by content.
    Other,
}

/// The node a layout folder (`pods`, `containers`) at `components[idx]` belongs to: the folder
/// holding it, or the one holding `var/` when it sits in `var/log` or `var/lib/docker`.
fn node_above(components: &[&str], idx: usize) -> Option<String> {
    let at = |i: usize| components.get(i).copied().filter(|c| !c.is_empty());
    let parent = at(idx.checked_sub(1)?)?;
    let system_dir = |i: usize, name: &str| i < components.len() && components[i] == name;
    let var_idx = if parent == "log" && idx >= 2 && system_dir(idx - 2, "var") {
        idx - 2
    } else if parent == "docker"
        && idx >= 3
        && system_dir(idx - 2, "lib")
        && system_dir(idx - 3, "var")
    {
        idx - 3
    } else if parent == "log" || parent == "docker" {
        return None;
    } else {
        return Some(parent.to_string());
    };
    at(var_idx.checked_sub(1)?).map(str::to_string)
}

/// A classified path: its shape and the node it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ClassifiedPath<'a> {
    /// The shape.
    pub shape: PathShape<'a>,
    /// The node named by the folders above the layout folder.
    pub node: Option<String>,
}

/// Classifies a `/`-separated path by its shape.
pub(crate) fn classify_path(path: &str) -> ClassifiedPath<'_> {
    let c: Vec<&str> = path.split('/').collect();
    let n = c.len();
    let other = ClassifiedPath {
        shape: PathShape::Other,
        node: None,
    };
    if n < 2 {
        return other;
    }
    let file = c[n - 1];
    // pods/<pod dir>/<container>/<file>, or a pod folder given directly.
    if n >= 3
        && let Some(pod_dir) = parse_pod_dir(c[n - 3])
    {
        let container = c[n - 2];
        let in_pods = n >= 4 && c[n - 4] == "pods";
        // Outside a `pods/` folder (a pod folder given directly, a copy renamed), the
        // `<ns>_<pod>_<uid>/<container>/<restart>.log` shape itself is the evidence.
        let shaped = pod_dir.namespace.is_some()
            && looks_like_uid(pod_dir.uid)
            && parse_pod_log_file_name(file).is_some();
        if in_pods || shaped {
            let node = if in_pods { node_above(&c, n - 4) } else { None };
            let shape = match parse_pod_log_file_name(file) {
                Some(file) => PathShape::PodLog {
                    pod_dir,
                    container,
                    file,
                },
                None => PathShape::PodOtherFile { pod_dir, container },
            };
            return ClassifiedPath { shape, node };
        }
    }
    if let Some(name) = parse_container_log_name(file) {
        // In a `containers/` folder, or anywhere with a full 64-hex container ID (a copy of
        // /var/log/containers under another name).
        let in_containers = c[n - 2] == "containers";
        if in_containers || name.container_id.is_some_and(|id| id.len() == 64) {
            return ClassifiedPath {
                shape: PathShape::ContainerLog { name },
                node: if in_containers {
                    node_above(&c, n - 2)
                } else {
                    None
                },
            };
        }
    }
    if n >= 3 && c[n - 3] == "containers" && is_hex(c[n - 2], 64) {
        let id = c[n - 2];
        let node = node_above(&c, n - 3);
        if file == "config.v2.json" {
            return ClassifiedPath {
                shape: PathShape::DockerConfig { id },
                node,
            };
        }
        if let Some(rest) = file
            .strip_prefix(id)
            .and_then(|r| r.strip_prefix("-json.log"))
            && let Some((rotation, gz, _)) = parse_rotation_suffix(rest)
        {
            return ClassifiedPath {
                shape: PathShape::DockerLog { id, rotation, gz },
                node,
            };
        }
    }
    other
}

/// A UID, a config hash, or anything of hex digits and dashes at least 8 long (test trees use
/// made-up UIDs).
fn looks_like_uid(uid: &str) -> bool {
    uid.len() >= 8 && uid.bytes().all(|c| c.is_ascii_hexdigit() || c == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_log_names() {
        let n = |s: &str| {
            let t = parse_text_log_name(s);
            (t.base, t.component, t.rotation, t.gz)
        };
        assert_eq!(
            n("kubelet.log"),
            (
                "kubelet.log".into(),
                "kubelet".into(),
                Rotation::Current,
                false
            )
        );
        assert_eq!(
            n("kubelet.log.2.gz"),
            (
                "kubelet.log".into(),
                "kubelet".into(),
                Rotation::Numbered(2),
                true
            )
        );
        assert_eq!(
            n("syslog.1"),
            (
                "syslog".into(),
                "syslog".into(),
                Rotation::Numbered(1),
                false
            )
        );
        assert_eq!(
            n("messages-20240102.gz"),
            (
                "messages".into(),
                "messages".into(),
                Rotation::Timestamped(1_704_153_600_000_000_000),
                true
            )
        );
        assert_eq!(
            n("kube-apiserver.log.20220221-210912"),
            (
                "kube-apiserver.log".into(),
                "kube-apiserver".into(),
                Rotation::Timestamped(1_645_477_752_000_000_000),
                false
            )
        );
        // Digits that are part of the name stay.
        assert_eq!(n("app-v2.txt").0, "app-v2.txt");
        assert_eq!(n("node-1").0, "node-1");
        assert!(is_log_file_name("kern.log.3.gz") && is_log_file_name("messages-20240102"));
        assert!(!is_log_file_name("config.yaml") && !is_log_file_name("parsers.conf"));
    }

    #[test]
    fn pod_dirs() {
        let p =
            parse_pod_dir("kube-system_etcd-kind-control-plane_01a2015b34df353dac14e779729824ea")
                .unwrap();
        assert_eq!(
            (p.namespace, p.pod, p.static_pod),
            (Some("kube-system"), Some("etcd-kind-control-plane"), true)
        );
        let p =
            parse_pod_dir("corp.logging_pod-name_005f3b90-4b9d-12f8-acf0-31020a840133").unwrap();
        assert_eq!(
            (p.namespace, p.pod, p.uid, p.static_pod),
            (
                Some("corp.logging"),
                Some("pod-name"),
                "005f3b90-4b9d-12f8-acf0-31020a840133",
                false
            )
        );
        let p = parse_pod_dir("9a431a77-ea0e-11e8-97ab-0242209cd992").unwrap();
        assert_eq!((p.namespace, p.pod), (None, None));
        assert!(
            parse_pod_dir("3e65270f5639a928435bdc3de5a06ab5")
                .unwrap()
                .static_pod
        );
        assert_eq!(parse_pod_dir("other"), None);
        assert_eq!(parse_pod_dir("__"), None);
        assert_eq!(parse_pod_dir("a_b_c_d"), None);
    }

    #[test]
    fn log_file_names() {
        type Want = Option<(u32, Rotation, bool, bool)>;
        let cases: &[(&str, Want)] = &[
            ("0.log", Some((0, Rotation::Current, false, false))),
            ("3.log", Some((3, Rotation::Current, false, false))),
            (
                "0.log.20220221-210912",
                Some((
                    0,
                    Rotation::Timestamped(1_645_477_752_000_000_000),
                    false,
                    false,
                )),
            ),
            (
                "0.log.20220221-210526.gz",
                Some((
                    0,
                    Rotation::Timestamped(1_645_477_526_000_000_000),
                    true,
                    false,
                )),
            ),
            (
                "0.log.20180101-000000.tmp",
                Some((
                    0,
                    Rotation::Timestamped(1_514_764_800_000_000_000),
                    false,
                    true,
                )),
            ),
            (
                "0.log.20180101-000000.gz.tmp",
                Some((
                    0,
                    Rotation::Timestamped(1_514_764_800_000_000_000),
                    true,
                    true,
                )),
            ),
            ("0.log.gz", Some((0, Rotation::Current, true, false))),
            ("1.log.1", Some((1, Rotation::Numbered(1), false, false))),
            ("1.log.2.gz", Some((1, Rotation::Numbered(2), true, false))),
            ("qwe.log", None),
            ("datafile", None),
            ("0", None),
            ("0.log.x", None),
            ("0.logx", None),
        ];
        for (name, want) in cases {
            let got = parse_pod_log_file_name(name).map(|f| (f.restart, f.rotation, f.gz, f.tmp));
            assert_eq!(got, *want, "{name}");
        }
        // Impossible dates in names still order by their digits.
        let a = parse_pod_log_file_name("0.log.00000000-000000")
            .unwrap()
            .rotation;
        let b = parse_pod_log_file_name("0.log.00000000-000001")
            .unwrap()
            .rotation;
        let c = parse_pod_log_file_name("0.log.19880620-000000")
            .unwrap()
            .rotation;
        assert!(a.read_order() < b.read_order());
        assert!(c.read_order() < Rotation::Numbered(5).read_order());
        assert!(Rotation::Numbered(2).read_order() < Rotation::Numbered(1).read_order());
        assert!(Rotation::Numbered(1).read_order() < Rotation::Current.read_order());
    }

    #[test]
    fn container_log_names() {
        let id = "0069869de9adf97f574c62029aeba65d1ecd85a2a112e87fbc28afe4dec2b843";
        let name = format!("kube-proxy-4d7nt_kube-system_kube-proxy-{id}.log");
        let n = parse_container_log_name(&name).unwrap();
        assert_eq!(
            (n.pod, n.namespace, n.container, n.container_id, n.truncated),
            (
                "kube-proxy-4d7nt",
                "kube-system",
                "kube-proxy",
                Some(id),
                false
            )
        );
        // Cut at 255 bytes, inside the container id.
        let long_pod = "p".repeat(200);
        let full = format!("{long_pod}_default_my-container-{id}");
        let cut = format!("{}.log", &full[..251]);
        assert_eq!(cut.len(), 255);
        let n = parse_container_log_name(&cut).unwrap();
        assert_eq!(
            (n.pod, n.namespace, n.container, n.truncated),
            (long_pod.as_str(), "default", "my-container", true)
        );
        assert!(id.starts_with(n.container_id.unwrap()));
        // Cut inside the container name.
        let long_pod = "q".repeat(235);
        let cut = format!(
            "{}.log",
            &format!("{long_pod}_ns_container-name-{id}")[..251]
        );
        let n = parse_container_log_name(&cut).unwrap();
        assert_eq!(
            (n.namespace, n.container, n.container_id, n.truncated),
            ("ns", "container-na", None, true)
        );
        // Short test ids.
        let n = parse_container_log_name("pod_ns_container-01234567.log").unwrap();
        assert_eq!((n.container, n.container_id), ("container-01234567", None));
        assert_eq!(
            parse_container_log_name("pod_ns_container_01234567.log"),
            None
        );
        assert_eq!(parse_container_log_name("kubelet.log"), None);
    }

    #[test]
    fn shapes() {
        let p = classify_path(
            "/tmp/x/kind-control-plane/pods/kube-system_etcd-kind-control-plane_01a2015b34df353dac14e779729824ea/etcd/0.log",
        );
        assert_eq!(p.node.as_deref(), Some("kind-control-plane"));
        assert!(matches!(
            p.shape,
            PathShape::PodLog {
                container: "etcd",
                file: LogFileName { restart: 0, .. },
                ..
            }
        ));
        let p = classify_path(
            "/mnt/node-a/var/log/pods/ns_pod_005f3b90-4b9d-12f8-acf0-31020a840133/c/2.log.20220221-210912.gz",
        );
        assert_eq!(p.node.as_deref(), Some("node-a"));
        assert!(matches!(
            p.shape,
            PathShape::PodLog {
                file: LogFileName {
                    restart: 2,
                    gz: true,
                    ..
                },
                ..
            }
        ));
        let p = classify_path("/var/log/pods/9a431a77-ea0e-11e8-97ab-0242209cd992/coredns/0.log");
        assert_eq!(p.node, None);
        assert!(matches!(
            p.shape,
            PathShape::PodLog {
                pod_dir: PodDir {
                    namespace: None,
                    ..
                },
                ..
            }
        ));
        // A pod folder given directly, outside any pods/ folder.
        let p = classify_path(
            "/home/me/default_web-1_005f3b90-4b9d-12f8-acf0-31020a840133/nginx/0.log",
        );
        assert!(matches!(
            p.shape,
            PathShape::PodLog {
                container: "nginx",
                ..
            }
        ));
        let p = classify_path(
            "/var/log/pods/ns_pod_005f3b90-4b9d-12f8-acf0-31020a840133/container/datafile",
        );
        assert!(matches!(
            p.shape,
            PathShape::PodOtherFile {
                container: "container",
                ..
            }
        ));
        let p = classify_path(
            "n1/containers/coredns-576cbf47c7-pd2kx_kube-system_coredns-169fdd862df8b8c312648ea6e279ce4ce2cb287cf1365d3982f0db06c26b2419.log",
        );
        assert_eq!(p.node.as_deref(), Some("n1"));
        assert!(matches!(
            p.shape,
            PathShape::ContainerLog {
                name: ContainerLogName {
                    container: "coredns",
                    ..
                },
                ..
            }
        ));
        let id = "0069869de9adf97f574c62029aeba65d1ecd85a2a112e87fbc28afe4dec2b843";
        let docker_log = format!("w1/var/lib/docker/containers/{id}/{id}-json.log.1");
        let p = classify_path(&docker_log);
        assert_eq!(p.node.as_deref(), Some("w1"));
        assert!(matches!(
            p.shape,
            PathShape::DockerLog {
                rotation: Rotation::Numbered(1),
                ..
            }
        ));
        let config = format!("w1/var/lib/docker/containers/{id}/config.v2.json");
        let p = classify_path(&config);
        assert!(matches!(p.shape, PathShape::DockerConfig { .. }));
        assert_eq!(classify_path("n1/kubelet.log").shape, PathShape::Other);
        let p = classify_path(
            "data/kubernetes/json-logs_default_json-logs-c053db7370be9c33d64677f9759863d850ebe35104069bec241cd1bb4674bd19.log",
        );
        assert_eq!(p.node, None);
        assert!(matches!(
            p.shape,
            PathShape::ContainerLog {
                name: ContainerLogName {
                    pod: "json-logs",
                    namespace: "default",
                    ..
                }
            }
        ));
        assert_eq!(classify_path("data/a_b_c.log").shape, PathShape::Other);
        assert_eq!(
            classify_path("/var/log/pods/sandbox0-ns_sandbox0-name_sandbox0-config-hashsum").shape,
            PathShape::Other
        );
    }
}

/// The pod (and container) a `kubectl logs` output file is named after: `<pod>.log` or
/// `<pod>-<container>.log`, for pods named the way a Deployment names them
/// (`web-7d4b9c8f6d-x2x9z`); `None` for other names (`app`, `kubelet`).
pub fn kubectl_logs_name(component: &str) -> Option<(String, Option<String>)> {
    let parts: Vec<&str> = component.split('-').collect();
    let hashlike = |s: &str, lens: std::ops::RangeInclusive<usize>| {
        lens.contains(&s.len())
            && s.bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            && s.bytes().any(|c| c.is_ascii_digit())
    };
    // The last pair of parts that look like a ReplicaSet hash and a pod suffix.
    (1..parts.len().saturating_sub(1)).rev().find_map(|i| {
        let (hash, suffix) = (parts[i], parts[i + 1]);
        if !(hashlike(hash, 6..=10) && suffix.len() == 5 && hashlike(suffix, 5..=5)) {
            return None;
        }
        let pod = parts[..=i + 1].join("-");
        let container = (i + 2 < parts.len()).then(|| parts[i + 2..].join("-"));
        Some((pod, container))
    })
}

#[cfg(test)]
mod kubectl_name_tests {
    use super::kubectl_logs_name;

    #[test]
    fn kubectl_logs_file_names() {
        assert_eq!(
            kubectl_logs_name("web-7d4b9c8f6d-x2x9z"),
            Some(("web-7d4b9c8f6d-x2x9z".into(), None))
        );
        assert_eq!(
            kubectl_logs_name("api-server-5f6b7c8d9f-abc12-istio-proxy"),
            Some((
                "api-server-5f6b7c8d9f-abc12".into(),
                Some("istio-proxy".into())
            ))
        );
        for name in [
            "kubelet",
            "app",
            "kube-apiserver",
            "my-service-logs",
            "backup-2024-01-01",
        ] {
            assert_eq!(kubectl_logs_name(name), None, "{name}");
        }
    }
}
