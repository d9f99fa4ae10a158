//! From a [`FileSet`] to what to read: every file classified, duplicates found, and the rest
//! grouped into container instances whose files are in rotation order.
//!
//! A container instance is one run of one container (one restart): its stream continues across
//! rotated files, so CRI partial lines can join across a rotation boundary. The steps:
//!
//! 1. Classify each path by its shape ([`super::path`]).
//! 2. Links: a link whose target is in the input is a duplicate of it (its name still lends
//!    metadata: `/var/log/containers` names give the namespace and pod to the pre-1.14
//!    `pods/<uid>/` layout). Absolute targets such as `/var/log/pods/...` that point off the
//!    copied tree are looked up under the same node's `pods/` folder.
//! 3. Copies: a regular file in `containers/` (kind export and `tar` without `-h` dereference
//!    the links) whose content starts like a `pods/` file of the same container is the same
//!    stream; the longer of the two is read.
//! 4. Files of unknown shape are classified by their first lines: CRI or json-file lines make
//!    them container logs of their own. Other text files whose name says log (`kubelet.log`,
//!    `syslog.1`, `*.txt`) or whose lines mostly start like log entries (a timestamp, a klog
//!    header, a JSON object) are *plain logs*: read line by line, grouped with their rotations,
//!    their component named after the file, their node taken from a `pods/` or `containers/`
//!    folder beside them. Anything else is listed as skipped, with the reason.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::FileSet;
use super::path::{
    PathShape, Rotation, classify_path, is_log_file_name, kubectl_logs_name, parse_text_log_name,
    resource_of_name,
};
pub use crate::detect::Framing;
use crate::detect::{Detected, HEAD_BYTES, detect};
use crate::diag::{Diagnostic, Severity};
use crate::formats::EntryFormat;
use crate::formats::cri::parse_cri_line;
use crate::formats::docker::parse_docker_line;
use crate::metrics::tsdb::FileKind as TsdbKind;

/// The kind of data a file's name says it holds, for files that are not logs: configuration
/// and results that bundles carry beside the logs (sonobuoy's `sonobuoy_results.yaml`, a JUnit
/// report).
fn data_file_kind(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    let ext = lower.rsplit_once('.')?.1;
    Some(match ext {
        "yaml" | "yml" => "YAML",
        "json" => "JSON",
        "xml" => "XML",
        "toml" => "TOML",
        "html" | "htm" => "HTML",
        "csv" | "tsv" => "CSV",
        "conf" | "cfg" | "ini" | "properties" => "configuration",
        _ => return None,
    })
}

/// Options for [`plan`].
#[derive(Clone, Debug, Default)]
pub struct PlanOptions {
    /// The node name to use for every file (`--node`), instead of the one in the tree.
    pub node: Option<String>,
    /// The year of timestamps written without one (klog, syslog), when nothing in the input
    /// tells (`--year`).
    pub year: Option<i32>,
    /// `--format`: read every entry with this format (others as text).
    pub format: Option<EntryFormat>,
    /// Files given one by one (indices into the set): plain logs among them without a pod of
    /// their own (`kubectl logs` output) take `namespace`, `pod` and `container`.
    pub direct_files: Vec<usize>,
    /// See `direct_files`.
    pub namespace: Option<String>,
    /// See `direct_files`.
    pub pod: Option<String>,
    /// See `direct_files`.
    pub container: Option<String>,
}

/// Kubernetes metadata of a file or container instance; `None` where the input does not say.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContainerMeta {
    /// Node name.
    pub node: Option<String>,
    /// Namespace.
    pub namespace: Option<String>,
    /// Pod name.
    pub pod: Option<String>,
    /// Pod UID (or a static pod's config hash).
    pub pod_uid: Option<String>,
    /// Container name.
    pub container: Option<String>,
    /// Restart count of this instance.
    pub restart: Option<u32>,
    /// Container ID, when a `containers/` name or docker config gives it.
    pub container_id: Option<String>,
    /// The component that wrote a log outside `pods/` (`kubelet` for `kubelet.log`), or a
    /// journald unit.
    pub component: Option<String>,
}

impl ContainerMeta {
    /// Fills fields that are `None` here from `other`.
    pub(crate) fn fill_from(&mut self, other: &ContainerMeta) {
        fn fill<T: Clone>(a: &mut Option<T>, b: &Option<T>) {
            if a.is_none() {
                a.clone_from(b);
            }
        }
        fill(&mut self.node, &other.node);
        fill(&mut self.namespace, &other.namespace);
        fill(&mut self.pod, &other.pod);
        fill(&mut self.pod_uid, &other.pod_uid);
        fill(&mut self.container, &other.container);
        fill(&mut self.restart, &other.restart);
        fill(&mut self.container_id, &other.container_id);
        fill(&mut self.component, &other.component);
    }
}

/// What kind of file this is, by its place in the layout (the `kind` column of `sources`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileRole {
    /// A container log under `pods/`.
    Pods,
    /// A file under `containers/` (a link or a copy).
    Containers,
    /// A docker json-file log under `containers/<id>/`.
    Docker,
    /// A docker container config (`config.v2.json`), read for pod labels.
    DockerConfig,
    /// A file elsewhere whose lines are CRI or json-file lines.
    Log,
    /// A plain log file: lines as an application or component wrote them (`kubelet.log`,
    /// syslog, an application's log copied out of a pod).
    Text,
    /// API server audit events (the `audit` table).
    Audit,
    /// Kubernetes Events as JSON or YAML (the `events` table).
    Events,
    /// A list of pods as JSON or YAML (the `pods` table).
    PodList,
    /// A list of nodes as JSON or YAML (the `nodes` table).
    NodeList,
    /// A JUnit XML test report (the `tests` table).
    Tests,
    /// Another Kubernetes resource document (nodes, deployments, ...): not a log.
    Resources,
    /// Metrics: a Prometheus scrape or export (the `series` and `samples` tables).
    Metrics,
    /// Anything else.
    Other,
}

impl FileRole {
    /// The name in the `kind` column.
    pub fn as_str(self) -> &'static str {
        match self {
            FileRole::Pods => "pods",
            FileRole::Containers => "containers",
            FileRole::Docker => "docker",
            FileRole::DockerConfig => "docker-config",
            FileRole::Log => "log",
            FileRole::Text => "text",
            FileRole::Audit => "audit",
            FileRole::Events => "events",
            FileRole::PodList => "pod-list",
            FileRole::NodeList => "node-list",
            FileRole::Tests => "junit",
            FileRole::Resources => "resources",
            FileRole::Metrics => "metrics",
            FileRole::Other => "other",
        }
    }
}

/// What podsift does with a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileStatus {
    /// Read as part of a container instance.
    Read,
    /// The same stream as another file (by index), which is read instead.
    Duplicate(usize),
    /// Read for metadata only.
    Metadata,
    /// Not read; the reason.
    Skipped(String),
}

impl FileStatus {
    /// The name in the `status` column.
    pub fn as_str(&self) -> &'static str {
        match self {
            FileStatus::Read => "read",
            FileStatus::Duplicate(_) => "duplicate",
            FileStatus::Metadata => "metadata",
            FileStatus::Skipped(_) => "skipped",
        }
    }
}

/// One file of the plan.
#[derive(Clone, Debug)]
pub struct PlannedFile {
    /// Its role in the layout.
    pub role: FileRole,
    /// What is done with it.
    pub status: FileStatus,
    /// Metadata known for it.
    pub meta: ContainerMeta,
    /// The instance it is read in.
    pub instance: Option<usize>,
    /// A note for users: why it was skipped, what it duplicates, how metadata was found.
    pub note: Option<String>,
    /// For plain logs: the defined format its first lines match, locked on for the file.
    pub format: Option<EntryFormat>,
    /// The bundle layout it is part of ([`super::layout`]).
    pub layout: Option<super::layout::Layout>,
    /// It holds `==== START logs for container ...` sections (a cluster-info dump's
    /// `logs.txt`): each section's entries belong to that container.
    pub sections: bool,
    /// For [`FileRole::Metrics`]: the format its first bytes show.
    pub metrics: Option<crate::metrics::MetricsFormat>,
    /// For Kubernetes documents and other data: the kind of object it holds (`Pod`, `Event`,
    /// `ConfigMap`, `JSON` for JSON that is not a log).
    pub resource: Option<String>,
}

impl Plan {
    /// The Kubernetes documents and other data that are not read into a table, counted by the
    /// kind of object they hold (`ConfigMap`, `JSON`), most files first: what `sources` lists
    /// beside the files.
    pub fn resource_counts(&self) -> Vec<(String, usize)> {
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for f in &self.files {
            if f.role == FileRole::Resources
                && let Some(kind) = &f.resource
            {
                *counts.entry(kind).or_default() += 1;
            }
        }
        let mut counts: Vec<(String, usize)> = counts
            .into_iter()
            .map(|(k, n)| (k.to_string(), n))
            .collect();
        counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        counts
    }
}

/// One container instance: the files of one restart of one container, oldest first. For plain
/// logs: one file and its rotations.
#[derive(Clone, Debug)]
pub struct Instance {
    /// Its metadata.
    pub meta: ContainerMeta,
    /// How its lines are framed.
    pub framing: Framing,
    /// The format tried first for every entry (detected from the first lines of a plain log,
    /// or given with `--format`); `None`: detected per entry, and per stream for defined
    /// formats.
    pub format: Option<EntryFormat>,
    /// `format` was forced (`--format`): entries that do not match it are read as text.
    pub forced: bool,
    /// Its files hold cluster-info dump sections (see [`PlannedFile::sections`]).
    pub sections: bool,
    /// Indices into the file set, in read order.
    pub files: Vec<usize>,
}

/// The result of [`plan`].
#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// One entry per file of the set, same order.
    pub files: Vec<PlannedFile>,
    /// The instances to read, sorted by node, namespace, pod, container and restart.
    pub instances: Vec<Instance>,
    /// Problems found while planning (unreadable files, a bad docker config).
    pub diagnostics: Vec<Diagnostic>,
    /// A time near the input's, for timestamps without a year: the middle of `--year`, or the
    /// latest full timestamp at the start of a sample of the input's files.
    pub reference_ts: Option<i64>,
    /// Prometheus TSDB blocks: the files of each, read together into the metrics tables.
    pub blocks: Vec<TsdbBlock>,
    /// Prometheus write-ahead logs (`wal/`, `wbl/`): their checkpoint and segments.
    pub wals: Vec<TsdbWal>,
}

/// A Prometheus write-ahead log folder (`wal/` or the out-of-order `wbl/`): read in order,
/// its latest checkpoint first, then the segments after it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TsdbWal {
    /// The folder (layout path).
    pub dir: String,
    /// The latest checkpoint's files, in order (`checkpoint.00000011/00000000...`).
    pub checkpoint: Vec<usize>,
    /// The segments after the checkpoint, in number order: (number, file).
    pub segments: Vec<(u64, usize)>,
    /// The head chunk files beside it (`chunks_head/000001...`), in number order: their
    /// series are named in the WAL.
    pub head_chunks: Vec<usize>,
}

/// The files of one Prometheus TSDB block (a folder holding `index`, `meta.json`,
/// `chunks/000001...` and `tombstones`), as indices into the file set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TsdbBlock {
    /// The block's folder (its layout path; empty when the index was given alone).
    pub dir: String,
    /// Its `index` (the file whose status and note speak for the block).
    pub index: usize,
    /// Its `meta.json`, when there.
    pub meta: Option<usize>,
    /// Its `tombstones`, when there.
    pub tombstones: Option<usize>,
    /// Its chunk segments in name (number) order: the index refers to them by position.
    pub chunks: Vec<usize>,
}

impl Plan {
    /// Files not read and not duplicates or metadata: listed for the user.
    pub fn skipped(&self) -> impl Iterator<Item = (usize, &PlannedFile)> {
        self.files
            .iter()
            .enumerate()
            .filter(|(_, f)| matches!(f.status, FileStatus::Skipped(_)))
    }

    /// The files of a role that are to be read (not skipped, duplicates or metadata).
    pub fn files_of(&self, role: FileRole) -> impl Iterator<Item = usize> + '_ {
        self.files
            .iter()
            .enumerate()
            .filter(move |(_, f)| f.role == role && f.status == FileStatus::Read)
            .map(|(i, _)| i)
    }
}

/// Per-file facts used while planning.
#[derive(Clone, Debug, Default)]
struct Facts {
    /// The layout path up to the `pods`/`containers` folder: files under one root are one node.
    root: String,
    /// Grouping key for files of one instance.
    group: Option<String>,
    rotation: Option<Rotation>,
    gz: bool,
    tmp: bool,
    /// How a plain log's entries are framed (container logs: [`Framing::Runtime`]).
    framing: Framing,
    /// The log of a container's previous run (a support bundle's `-previous.log`,
    /// must-gather's `previous.log`).
    previous: bool,
    /// A TSDB file, by its magic number.
    tsdb: Option<TsdbKind>,
}

fn root_of(layout: &str, marker: &str) -> String {
    layout
        .rfind(marker)
        .map_or_else(String::new, |i| layout[..i].to_string())
}

/// Classifies every file of `set` and groups the readable ones into instances, in the passes
/// the module's documentation lists.
pub fn plan(set: &FileSet, options: &PlanOptions) -> Plan {
    let mut p = Planner {
        set,
        options,
        files: Vec::with_capacity(set.entries().len()),
        facts: vec![Facts::default(); set.entries().len()],
        diagnostics: Vec::new(),
        docker_configs: HashMap::new(),
        blocks: Vec::new(),
        wals: Vec::new(),
    };
    p.shapes();
    p.docker_configs();
    p.links();
    p.copies();
    p.by_content();
    p.tsdb();
    p.plain_log_nodes();
    p.previous_runs();
    p.node_names();
    p.instances()
}

/// The plan being made: every file's classification and facts, pass by pass.
struct Planner<'a> {
    set: &'a FileSet,
    options: &'a PlanOptions,
    files: Vec<PlannedFile>,
    facts: Vec<Facts>,
    diagnostics: Vec<Diagnostic>,
    /// Docker `config.v2.json` files by (root, container id).
    docker_configs: HashMap<(String, String), usize>,
    /// TSDB blocks found.
    blocks: Vec<TsdbBlock>,
    /// WAL folders found.
    wals: Vec<TsdbWal>,
}

impl Planner<'_> {
    /// Pass 1: every file classified by its path's shape, with what the path says about it.
    fn shapes(&mut self) {
        let Planner {
            set,
            options,
            files,
            facts,
            docker_configs,
            ..
        } = self;
        let entries = set.entries();
        let layout_paths: Vec<&str> = entries.iter().map(|e| e.layout_path.as_str()).collect();
        let hints = super::layout::detect(&layout_paths);
        for (i, e) in entries.iter().enumerate() {
            let c = classify_path(&e.layout_path);
            let hint = &hints[i];
            let mut meta = ContainerMeta {
                node: options
                    .node
                    .clone()
                    .or(c.node)
                    .or_else(|| hint.node.clone()),
                ..ContainerMeta::default()
            };
            let f = &mut facts[i];
            f.previous = hint.previous;
            let role = match c.shape {
                PathShape::PodLog {
                    pod_dir,
                    container,
                    file,
                } => {
                    meta.namespace = pod_dir.namespace.map(str::to_string);
                    meta.pod = pod_dir.pod.map(str::to_string);
                    meta.pod_uid = Some(pod_dir.uid.to_string());
                    meta.container = Some(container.to_string());
                    meta.restart = Some(file.restart);
                    let (pod_dir_path, _) = e.layout_path.rsplit_once('/').unwrap_or_default();
                    f.root = root_of(&e.layout_path, "/pods/");
                    f.group = Some(format!("pods:{pod_dir_path}:{}", file.restart));
                    f.rotation = Some(file.rotation);
                    f.gz = file.gz;
                    f.tmp = file.tmp;
                    FileRole::Pods
                }
                PathShape::PodOtherFile { pod_dir, container } => {
                    meta.namespace = pod_dir.namespace.map(str::to_string);
                    meta.pod = pod_dir.pod.map(str::to_string);
                    meta.pod_uid = Some(pod_dir.uid.to_string());
                    meta.container = Some(container.to_string());
                    FileRole::Other
                }
                PathShape::ContainerLog { name } => {
                    meta.namespace = Some(name.namespace.to_string());
                    meta.pod = Some(name.pod.to_string());
                    meta.container = Some(name.container.to_string());
                    meta.container_id = name.container_id.map(str::to_string);
                    f.root = root_of(&e.layout_path, "/containers/");
                    FileRole::Containers
                }
                PathShape::DockerLog { id, rotation, gz } => {
                    meta.container_id = Some(id.to_string());
                    f.root = root_of(&e.layout_path, "/containers/");
                    f.group = Some(format!("docker:{}:{id}", f.root));
                    f.rotation = Some(rotation);
                    f.gz = gz;
                    FileRole::Docker
                }
                PathShape::DockerConfig { id } => {
                    meta.container_id = Some(id.to_string());
                    f.root = root_of(&e.layout_path, "/containers/");
                    docker_configs.insert((f.root.clone(), id.to_string()), i);
                    FileRole::DockerConfig
                }
                PathShape::Other => {
                    meta.namespace.clone_from(&hint.namespace);
                    meta.pod.clone_from(&hint.pod);
                    meta.container.clone_from(&hint.container);
                    FileRole::Other
                }
            };
            let status = match &e.skip {
                Some(why) => FileStatus::Skipped(why.clone()),
                None => FileStatus::Read,
            };
            files.push(PlannedFile {
                role,
                status,
                meta,
                instance: None,
                note: hint
                    .previous
                    .then(|| "the log of the container's previous run".to_string()),
                format: None,
                layout: hint.layout,
                sections: hint.sections,
                metrics: None,
                resource: None,
            });
        }
    }

    /// Docker configs lend pod metadata to their container's log files.
    fn docker_configs(&mut self) {
        let Planner {
            set,
            files,
            facts,
            diagnostics,
            docker_configs,
            ..
        } = self;
        let entries = set.entries();
        for (i, f) in files.iter_mut().enumerate() {
            if f.role != FileRole::DockerConfig {
                continue;
            }
            f.status = FileStatus::Metadata;
            match read_docker_config(set, i) {
                Ok(meta) => f.meta.fill_from(&meta),
                Err(err) => {
                    f.status = FileStatus::Skipped(err.clone());
                    diagnostics.push(Diagnostic::file(&entries[i].path, Severity::Warning, err));
                }
            }
        }
        for i in 0..files.len() {
            if files[i].role == FileRole::Docker {
                let key = (
                    facts[i].root.clone(),
                    files[i].meta.container_id.clone().unwrap_or_default(),
                );
                if let Some(&cfg) = docker_configs.get(&key) {
                    let cfg_meta = files[cfg].meta.clone();
                    files[i].meta.fill_from(&cfg_meta);
                }
            }
        }
    }

    /// Pass 2, links: a link to a file of the input is a duplicate of it; chains are
    /// followed, loops and links out of the input end as skipped.
    fn links(&mut self) {
        let Planner {
            set, files, facts, ..
        } = self;
        let entries = set.entries();
        let by_layout: HashMap<&str, usize> = entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.link.is_none())
            .map(|(i, e)| (e.layout_path.as_str(), i))
            .collect();
        let links_by_layout: HashMap<&str, usize> = entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.link.is_some())
            .map(|(i, e)| (e.layout_path.as_str(), i))
            .collect();
        for i in 0..entries.len() {
            let Some(first_link) = &entries[i].link else {
                continue;
            };
            if files[i].status != FileStatus::Read {
                continue;
            }
            // A link to a link: follow the chain inside the input, up to where it ends or loops.
            let mut link = first_link;
            let mut chain = vec![i];
            let mut looped = false;
            while let Some(next) = link
                .resolved
                .as_deref()
                .and_then(|r| links_by_layout.get(r).copied())
            {
                if chain.contains(&next) || chain.len() > 40 {
                    looped = true;
                    break;
                }
                chain.push(next);
                link = entries[next].link.as_ref().expect("a link");
            }
            if looped {
                files[i].status = FileStatus::Skipped(format!(
                    "symbolic link loop: {}",
                    chain
                        .iter()
                        .map(|&j| entries[j].path.as_str())
                        .chain([entries[chain[0]].path.as_str()])
                        .collect::<Vec<_>>()
                        .join(" -> ")
                ));
                continue;
            }
            let target = link
                .resolved
                .as_deref()
                .and_then(|r| by_layout.get(r).copied())
                .or_else(|| {
                    // An absolute /var/log/pods/... target off the copied tree: look under this
                    // node's own pods/ folder.
                    let suffix = &link.target[link.target.find("pods/")?..];
                    let root = facts[i].root.as_str();
                    entries.iter().enumerate().find_map(|(j, e)| {
                        (e.link.is_none()
                            && e.layout_path.ends_with(suffix)
                            && e.layout_path.starts_with(root)
                            && e.layout_path[..e.layout_path.len() - suffix.len()].ends_with('/'))
                        .then_some(j)
                    })
                });
            match target {
                Some(t) if t != i => {
                    files[i].status = FileStatus::Duplicate(t);
                    files[i].note = Some(format!("link to {}", entries[t].path));
                    let link_meta = files[i].meta.clone();
                    files[t].meta.fill_from(&link_meta);
                }
                _ if link.outside => {
                    files[i].status = FileStatus::Skipped(format!(
                        "symbolic link out of the inputs (to {}): not followed (--follow-links reads it)",
                        link.target
                    ));
                }
                _ if link.readable && chain.len() == 1 => {
                    // Points at a readable file outside the input: read through the link.
                    files[i].note = Some(format!("link to {}", link.target));
                }
                _ if link.hard => {
                    files[i].status = FileStatus::Skipped(format!(
                        "hard link to {}, which is not in the archive",
                        link.target
                    ));
                }
                _ => {
                    files[i].status = FileStatus::Skipped(match &link.unreachable {
                        Some(why) => format!("symbolic link to {}: {why}", link.target),
                        None => format!(
                            "dangling symbolic link to {} (not in the input)",
                            link.target
                        ),
                    });
                }
            }
        }
    }

    /// Pass 3: copies of pods/ files in containers/ (dereferenced links), matched by content.
    fn copies(&mut self) {
        let Planner {
            set, files, facts, ..
        } = self;
        let entries = set.entries();
        for i in 0..files.len() {
            if files[i].role != FileRole::Containers || files[i].status != FileStatus::Read {
                continue;
            }
            let candidates: Vec<usize> = (0..files.len())
                .filter(|&j| {
                    files[j].role == FileRole::Pods
                        && files[j].status == FileStatus::Read
                        && facts[j].root == facts[i].root
                        && files[j].meta.container == files[i].meta.container
                        && (files[j].meta.namespace.is_none()
                            || (files[j].meta.namespace == files[i].meta.namespace
                                && files[j].meta.pod == files[i].meta.pod))
                })
                .collect();
            if candidates.is_empty() {
                continue;
            }
            let Ok(head) = set.read_head(i, HEAD_BYTES) else {
                continue;
            };
            for j in candidates {
                let Ok(other) = set.read_head(j, HEAD_BYTES) else {
                    continue;
                };
                let n = head.len().min(other.len());
                if head[..n] != other[..n] || (n == 0 && head.len() != other.len()) {
                    continue;
                }
                let link_meta = files[i].meta.clone();
                let copy_is_longer = entries[i].size > entries[j].size && !facts[j].gz;
                if copy_is_longer && facts[j].rotation == Some(Rotation::Current) {
                    // The copy was taken later and holds more: read it in the pods file's place.
                    let pods_meta = files[j].meta.clone();
                    files[i].meta.fill_from(&pods_meta);
                    facts[i].group = facts[j].group.clone();
                    facts[i].rotation = facts[j].rotation;
                    files[j].status = FileStatus::Duplicate(i);
                    files[j].note = Some(format!(
                        "same stream as {}, which is longer",
                        entries[i].path
                    ));
                    files[i].note =
                        Some(format!("copy of {}, read instead of it", entries[j].path));
                } else {
                    files[i].status = FileStatus::Duplicate(j);
                    files[i].note = Some(format!("copy of {}", entries[j].path));
                    files[j].meta.fill_from(&link_meta);
                }
                break;
            }
        }
    }

    /// Pass 4b: Prometheus TSDB blocks. Each index found by content makes a block of its
    /// folder: `meta.json`, `tombstones` and the numbered files of `chunks/` beside it are read
    /// with it. WAL segments (`wal/00000012`, checkpoints) are named as such.
    fn tsdb(&mut self) {
        let Planner {
            set,
            files,
            facts,
            blocks,
            wals,
            ..
        } = self;
        let entries = set.entries();
        let by_path: HashMap<&str, usize> = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.layout_path.as_str(), i))
            .collect();
        // WAL folder -> (checkpoints by number: their files, segments by number).
        type WalFiles = (BTreeMap<u64, Vec<usize>>, BTreeMap<u64, usize>);
        let mut wal_dirs: BTreeMap<String, WalFiles> = BTreeMap::new();
        for i in 0..files.len() {
            let layout = entries[i].layout_path.as_str();
            let (dir, name) = layout.rsplit_once('/').unwrap_or(("", layout));
            if let Some(place) = wal_segment(dir, name)
                && !matches!(files[i].status, FileStatus::Duplicate(_))
            {
                files[i].role = FileRole::Metrics;
                files[i].status = FileStatus::Read;
                files[i].resource = None;
                let w = wal_dirs.entry(place.wal.to_string()).or_default();
                match place.checkpoint {
                    Some(c) => w.0.entry(c).or_default().push(i),
                    None => {
                        w.1.insert(place.segment, i);
                    }
                }
                continue;
            }
            if facts[i].tsdb != Some(TsdbKind::Index) {
                continue;
            }
            let at = |n: &str| {
                let p = if dir.is_empty() {
                    n.to_string()
                } else {
                    format!("{dir}/{n}")
                };
                by_path.get(p.as_str()).copied()
            };
            let chunks_dir = if dir.is_empty() {
                "chunks/".to_string()
            } else {
                format!("{dir}/chunks/")
            };
            let mut chunks: Vec<(u64, usize)> = entries
                .iter()
                .enumerate()
                .filter_map(|(j, e)| {
                    let rest = e.layout_path.strip_prefix(chunks_dir.as_str())?;
                    (!rest.is_empty() && rest.bytes().all(|c| c.is_ascii_digit()))
                        .then(|| Some((rest.parse().ok()?, j)))
                        .flatten()
                })
                .collect();
            chunks.sort_unstable();
            let block = TsdbBlock {
                dir: dir.to_string(),
                index: i,
                meta: at("meta.json"),
                tombstones: at("tombstones"),
                chunks: chunks.into_iter().map(|(_, j)| j).collect(),
            };
            let ulid = dir.rsplit('/').next().unwrap_or(dir);
            files[i].status = FileStatus::Read;
            files[i].metrics = Some(crate::metrics::MetricsFormat::TsdbBlock);
            for (j, what) in block
                .meta
                .iter()
                .map(|&j| (j, "meta.json"))
                .chain(block.tombstones.iter().map(|&j| (j, "tombstones")))
                .chain(block.chunks.iter().map(|&j| (j, "chunk segment")))
            {
                files[j].role = FileRole::Metrics;
                files[j].status = FileStatus::Read;
                files[j].resource = None;
                files[j].note = Some(format!("{what} of TSDB block {ulid}"));
            }
            blocks.push(block);
        }
        for (dir, (checkpoints, segments)) in wal_dirs {
            let latest = checkpoints.keys().next_back().copied();
            let mut checkpoint = Vec::new();
            for (n, mut members) in checkpoints {
                if Some(n) == latest {
                    members.sort_by(|&a, &b| entries[a].layout_path.cmp(&entries[b].layout_path));
                    for &j in &members {
                        files[j].note = Some(format!(
                            "WAL checkpoint {n:08}, read before the segments after it"
                        ));
                    }
                    checkpoint = members;
                } else {
                    for j in members {
                        files[j].status = FileStatus::Skipped(format!(
                            "an older WAL checkpoint ({n:08}): checkpoint {:08} replaces it",
                            latest.unwrap_or_default()
                        ));
                    }
                }
            }
            let mut kept = Vec::new();
            for (n, j) in segments {
                match latest {
                    Some(c) if n <= c => {
                        files[j].status = FileStatus::Skipped(format!(
                            "WAL segment {n:08}: its records are in checkpoint {c:08}, which \
                             Prometheus reads instead"
                        ));
                    }
                    _ => {
                        files[j].note = Some(format!("WAL segment {n:08}"));
                        kept.push((n, j));
                    }
                }
            }
            wals.push(TsdbWal {
                dir,
                checkpoint,
                segments: kept,
                head_chunks: Vec::new(),
            });
        }
        // The head's m-mapped chunks hold what the WAL beside them holds.
        for i in 0..files.len() {
            if facts[i].tsdb != Some(TsdbKind::HeadChunks) {
                continue;
            }
            let layout = entries[i].layout_path.as_str();
            let data_dir = layout
                .rsplit_once('/')
                .and_then(|(d, _)| d.strip_suffix("chunks_head"))
                .map(|d| d.trim_end_matches('/'));
            let wal = data_dir.and_then(|d| {
                let want = if d.is_empty() {
                    "wal".to_string()
                } else {
                    format!("{d}/wal")
                };
                wals.iter_mut().find(|w| w.dir == want)
            });
            if let Some(w) = wal {
                files[i].status = FileStatus::Read;
                files[i].note = Some(
                    "a Prometheus head chunk file, read with the WAL beside it (which names \
                     its series and holds the same samples while it is whole)"
                        .into(),
                );
                w.head_chunks.push(i);
                let by_path = |&j: &usize| entries[j].layout_path.clone();
                w.head_chunks.sort_by_key(by_path);
            } else {
                files[i].status = FileStatus::Skipped(
                    "a Prometheus head chunk file without the WAL beside it: its series are \
                     named only in the WAL"
                        .into(),
                );
            }
        }
    }

    /// Pass 4: unknown shapes, by content ([`crate::detect`]).
    fn by_content(&mut self) {
        let Planner {
            set,
            options,
            files,
            facts,
            ..
        } = self;
        let entries = set.entries();
        for (i, file) in files.iter_mut().enumerate() {
            if file.role != FileRole::Other || file.status != FileStatus::Read {
                continue;
            }
            let layout = &entries[i].layout_path;
            if layout.starts_with("._")
                || layout.contains("/._")
                || layout.starts_with("__MACOSX/")
                || layout.contains("/__MACOSX/")
            {
                file.status = FileStatus::Skipped(
                    "macOS metadata (an AppleDouble `._` file), not a log".into(),
                );
                continue;
            }
            match set.read_head(i, HEAD_BYTES) {
                Ok(head) => match detect(&head) {
                    Detected::ContainerLog => file.role = FileRole::Log,
                    Detected::Empty => file.status = FileStatus::Skipped("empty file".into()),
                    Detected::Binary => {
                        file.status = FileStatus::Skipped("binary data, not a log".into());
                    }
                    Detected::Metrics(m) => {
                        file.role = FileRole::Metrics;
                        file.metrics = Some(m);
                    }
                    Detected::Tsdb(kind) => {
                        // Kept when the TSDB pass finds the block it belongs to.
                        facts[i].tsdb = Some(kind);
                        file.role = FileRole::Metrics;
                        file.status = FileStatus::Skipped(match kind {
                            TsdbKind::HeadChunks => format!(
                                "{}: podsift does not read the head yet (its samples are in \
                                 the WAL too)",
                                kind.describe()
                            ),
                            _ => format!("{}, not beside a block's index", kind.describe()),
                        });
                    }
                    Detected::Audit => file.role = FileRole::Audit,
                    Detected::Events => {
                        file.role = FileRole::Events;
                        file.resource = Some("Event".into());
                    }
                    Detected::PodList => {
                        file.role = FileRole::PodList;
                        file.resource = Some("Pod".into());
                    }
                    Detected::JUnit => file.role = FileRole::Tests,
                    Detected::NodeList => {
                        file.role = FileRole::NodeList;
                        file.resource = Some("Node".into());
                    }
                    Detected::Resource(kind) => {
                        file.role = FileRole::Resources;
                        file.status = FileStatus::Metadata;
                        let kind = if kind.is_empty() {
                            resource_of_name(&entries[i].layout_path)
                        } else {
                            kind
                        };
                        file.note = Some(format!(
                            "a Kubernetes resource document ({kind}), not a log"
                        ));
                        file.resource = Some(kind);
                    }
                    Detected::JsonData
                        if !is_log_file_name(
                            entries[i]
                                .layout_path
                                .rsplit('/')
                                .next()
                                .unwrap_or_default(),
                        ) =>
                    {
                        file.role = FileRole::Resources;
                        file.status = FileStatus::Metadata;
                        file.note = Some(
                            "JSON data (no time, message or level in its records), not a log"
                                .into(),
                        );
                        file.resource = Some("JSON".into());
                    }
                    detected @ (Detected::Text(_) | Detected::JsonData) => {
                        // JSON data in a file named as a log is read as one.
                        let text = match detected {
                            Detected::Text(text) => text,
                            _ => crate::detect::TextLog {
                                framing: crate::detect::Framing::Plain,
                                format: None,
                                looks_like_log: true,
                            },
                        };
                        let layout = &entries[i].layout_path;
                        let (dir, name) = layout.rsplit_once('/').unwrap_or(("", layout));
                        if text.looks_like_log || is_log_file_name(name) {
                            let t = parse_text_log_name(name);
                            file.role = FileRole::Text;
                            if file.meta.pod.is_some() {
                                // The layout named its pod.
                            } else if let Some((pod, container)) = kubectl_logs_name(&t.component) {
                                file.meta.pod = Some(pod);
                                file.meta.container = container;
                            }
                            let own_pods = text
                                .format
                                .and_then(crate::formats::defined::get)
                                .is_some_and(|f| f.gives_pod());
                            if options.direct_files.contains(&i)
                                && file.meta.pod.is_none()
                                && !own_pods
                            {
                                file.meta.namespace.clone_from(&options.namespace);
                                file.meta.pod.clone_from(&options.pod);
                                file.meta.container.clone_from(&options.container);
                            }
                            file.format = text.format;
                            if file.meta.pod.is_none() {
                                file.meta.component = Some(t.component);
                            }
                            facts[i].framing = text.framing;
                            facts[i].group = Some(format!("text:{dir}/{}", t.base));
                            facts[i].rotation = Some(t.rotation);
                            facts[i].gz = t.gz;
                            facts[i].root = dir.to_string();
                        } else if let Some(data) = data_file_kind(name) {
                            file.role = FileRole::Resources;
                            file.status = FileStatus::Metadata;
                            file.note = Some(format!("{data} data, not a log"));
                            file.resource = Some(data.to_string());
                        } else {
                            file.status = FileStatus::Skipped(
                            "not a log: its name is not a log's and its first lines do not start with a timestamp, a klog header or a JSON object".into(),
                        );
                        }
                    }
                },
                Err(err) => {
                    file.status = FileStatus::Skipped(format!("cannot read: {err}"));
                }
            }
        }
    }

    /// A container's previous run's log gets restart 0 and its current log restart 1, so
    /// that the previous run sorts before the current one.
    fn previous_runs(&mut self) {
        let Planner { files, facts, .. } = self;
        let key = |f: &PlannedFile| {
            (
                f.layout,
                f.meta.namespace.clone(),
                f.meta.pod.clone(),
                f.meta.container.clone(),
            )
        };
        let previous: HashSet<_> = files
            .iter()
            .zip(facts.iter())
            .filter(|(f, x)| x.previous && f.meta.pod.is_some())
            .map(|(f, _)| key(f))
            .collect();
        if previous.is_empty() {
            return;
        }
        for (f, x) in files.iter_mut().zip(facts.iter()) {
            if f.meta.restart.is_some() || f.meta.pod.is_none() {
                continue;
            }
            if x.previous {
                f.meta.restart = Some(0);
            } else if matches!(f.role, FileRole::Text | FileRole::Log) && previous.contains(&key(f))
            {
                f.meta.restart = Some(1);
            }
        }
    }

    /// A node known under its short name and its full DNS name (`ip-10-0-9-16` and
    /// `ip-10-0-9-16.us-west-2.compute.internal`) is one node, under the full name.
    fn node_names(&mut self) {
        let names: std::collections::BTreeSet<&str> = self
            .files
            .iter()
            .filter_map(|f| f.meta.node.as_deref())
            .collect();
        let mut rename: HashMap<String, String> = HashMap::new();
        for short in names.iter().filter(|n| !n.contains('.')) {
            let prefix = format!("{short}.");
            let mut full = names
                .range(prefix.as_str()..)
                .take_while(|n| n.starts_with(&prefix));
            if let (Some(f), None) = (full.next(), full.next()) {
                rename.insert((*short).to_string(), (*f).to_string());
            }
        }
        if rename.is_empty() {
            return;
        }
        for f in &mut self.files {
            if let Some(full) = f.meta.node.as_ref().and_then(|n| rename.get(n)) {
                f.meta.node = Some(full.clone());
            }
        }
    }

    /// Plain logs beside a node's pods/ or containers/ folder belong to that node.
    fn plain_log_nodes(&mut self) {
        let Planner {
            options,
            files,
            facts,
            ..
        } = self;
        if options.node.is_none() {
            let mut nodes: HashMap<&str, &str> = HashMap::new();
            for (i, f) in files.iter().enumerate() {
                if matches!(
                    f.role,
                    FileRole::Pods | FileRole::Containers | FileRole::Docker
                ) && let Some(node) = &f.meta.node
                {
                    nodes.entry(facts[i].root.as_str()).or_insert(node.as_str());
                }
            }
            let found: Vec<(usize, String)> = files
                .iter()
                .enumerate()
                .filter(|(_, f)| f.role == FileRole::Text && f.meta.node.is_none())
                .filter_map(|(i, _)| {
                    // A plain file's root is its folder; a pods/ file's root is the folder holding
                    // pods/ (`<node>/var/log/syslog` beside `<node>/var/log/pods/...`).
                    let dir = facts[i].root.as_str();
                    nodes.get(dir).map(|n| (i, (*n).to_string()))
                })
                .collect();
            for (i, node) in found {
                files[i].meta.node = Some(node);
            }
        }
    }

    /// Pass 5, instances: the files read grouped per container run (or plain log and its
    /// rotations), in rotation order, sorted by node, namespace, pod and container.
    fn instances(self) -> Plan {
        let Planner {
            set,
            options,
            mut files,
            facts,
            diagnostics,
            blocks,
            wals,
            ..
        } = self;
        let entries = set.entries();
        let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, f) in files.iter().enumerate() {
            if f.status != FileStatus::Read
                || matches!(
                    f.role,
                    FileRole::DockerConfig
                        | FileRole::Audit
                        | FileRole::Events
                        | FileRole::PodList
                        | FileRole::NodeList
                        | FileRole::Tests
                        | FileRole::Resources
                        | FileRole::Metrics
                )
            {
                // Read for metadata, or into the `audit` and `events` tables.
                continue;
            }
            let key = facts[i]
                .group
                .clone()
                .unwrap_or_else(|| format!("file:{i}"));
            groups.entry(key).or_default().push(i);
        }
        let mut instances = Vec::with_capacity(groups.len());
        for (_, mut members) in groups {
            // One rotation may exist as plain, .gz and .tmp while kubelet compresses it: read one.
            members.sort_by_key(|&i| {
                let f = &facts[i];
                (
                    f.rotation.unwrap_or(Rotation::Current).read_order(),
                    f.tmp,
                    f.gz,
                    entries[i].path.clone(),
                )
            });
            let mut kept: Vec<usize> = Vec::with_capacity(members.len());
            for i in members {
                if let Some(&prev) = kept.last()
                    && facts[prev].rotation.is_some()
                    && facts[prev].rotation == facts[i].rotation
                {
                    files[i].status = FileStatus::Duplicate(prev);
                    files[i].note = Some(format!("same rotation as {}", entries[prev].path));
                    continue;
                }
                kept.push(i);
            }
            let mut meta = ContainerMeta::default();
            for &i in &kept {
                meta.fill_from(&files[i].meta);
            }
            let framing = if files[kept[0]].role == FileRole::Text {
                facts[kept[0]].framing
            } else {
                Framing::Runtime
            };
            let format = options
                .format
                .or_else(|| kept.iter().find_map(|&i| files[i].format));
            instances.push(Instance {
                meta,
                framing,
                format,
                forced: options.format.is_some(),
                sections: kept.iter().any(|&i| files[i].sections),
                files: kept,
            });
        }
        instances.sort_by(|a, b| {
            (
                &a.meta.node,
                &a.meta.namespace,
                &a.meta.pod,
                &a.meta.container,
                &a.meta.component,
                a.meta.restart,
                &a.meta.pod_uid,
            )
                .cmp(&(
                    &b.meta.node,
                    &b.meta.namespace,
                    &b.meta.pod,
                    &b.meta.container,
                    &b.meta.component,
                    b.meta.restart,
                    &b.meta.pod_uid,
                ))
                .then_with(|| entries[a.files[0]].path.cmp(&entries[b.files[0]].path))
        });
        for (n, inst) in instances.iter().enumerate() {
            for &i in &inst.files {
                files[i].instance = Some(n);
                files[i].meta.fill_from(&inst.meta);
            }
        }
        let reference_ts = match options.year {
            Some(y) => crate::time::nanos_from_civil(i64::from(y), 7, 1, 0, 0, 0, 0),
            None if instances.iter().any(|i| i.framing == Framing::Plain) => {
                sample_reference_ts(set, &instances)
            }
            None => None,
        };
        Plan {
            files,
            instances,
            diagnostics,
            reference_ts,
            blocks,
            wals,
        }
    }
}

/// Where a WAL segment sits.
struct WalPlace<'a> {
    /// The WAL folder (`data/wal`).
    wal: &'a str,
    /// The checkpoint's number, for a checkpoint's segment.
    checkpoint: Option<u64>,
    /// The segment's number.
    segment: u64,
}

/// A Prometheus WAL segment (`wal/00000012`) or one of a checkpoint's
/// (`wal/checkpoint.00000011/00000000`), or of the out-of-order WAL (`wbl/`).
fn wal_segment<'a>(dir: &'a str, name: &str) -> Option<WalPlace<'a>> {
    let number = |s: &str| {
        (s.len() >= 6 && s.bytes().all(|c| c.is_ascii_digit()))
            .then(|| s.parse::<u64>().ok())
            .flatten()
    };
    let segment = number(name)?;
    let (up, parent) = dir.rsplit_once('/').unwrap_or(("", dir));
    if parent == "wal" || parent == "wbl" {
        return Some(WalPlace {
            wal: dir,
            checkpoint: None,
            segment,
        });
    }
    let c = number(parent.strip_prefix("checkpoint.")?)?;
    let wal_name = up.rsplit('/').next().unwrap_or(up);
    (wal_name == "wal" || wal_name == "wbl").then_some(WalPlace {
        wal: up,
        checkpoint: Some(c),
        segment,
    })
}

/// The latest full timestamp (with a year) among the first lines of up to 32 files.
fn sample_reference_ts(set: &FileSet, instances: &[Instance]) -> Option<i64> {
    let mut latest: Option<i64> = None;
    let mut parser = crate::formats::PayloadParser::default();
    let ctx = crate::formats::PayloadContext {
        want_app_ts: true,
        ..Default::default()
    };
    for inst in instances.iter().take(32) {
        let Some(&file) = inst.files.last() else {
            continue;
        };
        let Ok(head) = set.read_head(file, 4096) else {
            continue;
        };
        for line in head.split(|&c| c == b'\n').take(8) {
            let t = match inst.framing {
                Framing::Runtime => parse_cri_line(line)
                    .map(|c| c.ts_nanos)
                    .ok()
                    .or_else(|| parse_docker_line(line).ok().and_then(|d| d.ts_nanos)),
                Framing::JsonDocs | Framing::JournalExport => None,
                Framing::Plain => {
                    // Full timestamps only: JSON, journal records, ISO 8601 at the start.
                    let l = line.strip_prefix(b"[").unwrap_or(line);
                    crate::time::parse_leading_timestamp(l)
                        .map(|(t, _)| t)
                        .or_else(|| parser.parse(line, ctx).app_ts_nanos)
                }
            };
            if let Some(t) = t {
                latest = Some(latest.map_or(t, |l| l.max(t)));
            }
        }
    }
    latest
}

/// Pod metadata from a docker `config.v2.json`: the kubelet labels, and the restart count from
/// the dockershim container name `/k8s_<container>_<pod>_<ns>_<uid>_<attempt>`.
fn read_docker_config(set: &FileSet, index: usize) -> Result<ContainerMeta, String> {
    let bytes = set
        .read_head(index, 4 * 1024 * 1024)
        .map_err(|e| format!("cannot read docker config: {e}"))?;
    let v: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| format!("docker config is not valid JSON: {e}"))?;
    let label = |k: &str| {
        v.pointer("/Config/Labels")
            .and_then(|l| l.get(k))
            .and_then(|s| s.as_str())
            .map(str::to_string)
    };
    let mut meta = ContainerMeta {
        namespace: label("io.kubernetes.pod.namespace"),
        pod: label("io.kubernetes.pod.name"),
        pod_uid: label("io.kubernetes.pod.uid"),
        container: label("io.kubernetes.container.name"),
        restart: label("annotation.io.kubernetes.container.restartCount")
            .and_then(|s| s.parse().ok()),
        container_id: v.get("ID").and_then(|s| s.as_str()).map(str::to_string),
        node: None,
        component: None,
    };
    if let Some(name) = v.get("Name").and_then(|s| s.as_str()) {
        let parts: Vec<&str> = name.trim_start_matches('/').split('_').collect();
        if parts.len() == 6 && parts[0] == "k8s" {
            meta.fill_from(&ContainerMeta {
                container: Some(parts[1].to_string()),
                pod: Some(parts[2].to_string()),
                namespace: Some(parts[3].to_string()),
                pod_uid: Some(parts[4].to_string()),
                restart: parts[5].parse().ok(),
                ..ContainerMeta::default()
            });
        }
    }
    Ok(meta)
}

#[cfg(test)]
mod tests {
    use super::*;

    const UID: &str = "005f3b90-4b9d-12f8-acf0-31020a840133";
    const ID: &str = "169fdd862df8b8c312648ea6e279ce4ce2cb287cf1365d3982f0db06c26b2419";

    fn cri(n: usize) -> Vec<u8> {
        (0..n)
            .map(|i| {
                format!(
                    "2024-01-01T00:00:{:02}.000000000Z stdout F line {i}\n",
                    i % 60
                )
            })
            .collect::<String>()
            .into_bytes()
    }

    fn statuses(set: &FileSet, p: &Plan) -> Vec<(String, &'static str, Option<usize>)> {
        set.entries()
            .iter()
            .zip(&p.files)
            .map(|(e, f)| (e.path.clone(), f.status.as_str(), f.instance))
            .collect()
    }

    #[test]
    fn rotation_order_and_same_rotation_duplicates() {
        let mut set = FileSet::new();
        let dir = format!("n1/pods/ns_web_{UID}/app");
        set.add_bytes(format!("{dir}/0.log"), cri(1));
        set.add_bytes(format!("{dir}/0.log.20240101-000002"), cri(2));
        set.add_bytes(format!("{dir}/0.log.20240101-000001.gz"), cri(3));
        set.add_bytes(format!("{dir}/0.log.20240101-000002.gz.tmp"), cri(2));
        set.add_bytes(format!("{dir}/1.log"), cri(4));
        let p = plan(&set, &PlanOptions::default());
        assert_eq!(p.instances.len(), 2);
        let order: Vec<&str> = p.instances[0]
            .files
            .iter()
            .map(|&i| set.entries()[i].path.as_str())
            .collect();
        assert_eq!(
            order,
            [
                format!("{dir}/0.log.20240101-000001.gz"),
                format!("{dir}/0.log.20240101-000002"),
                format!("{dir}/0.log"),
            ]
        );
        assert_eq!(p.files[3].status, FileStatus::Duplicate(1));
        let m = &p.instances[0].meta;
        assert_eq!(
            (
                m.node.as_deref(),
                m.namespace.as_deref(),
                m.pod.as_deref(),
                m.container.as_deref(),
                m.restart
            ),
            (Some("n1"), Some("ns"), Some("web"), Some("app"), Some(0))
        );
        assert_eq!(p.instances[1].meta.restart, Some(1));
    }

    #[test]
    fn containers_links_and_copies_are_not_read_twice() {
        let mut set = FileSet::new();
        let pods = format!("n1/pods/kube-system_coredns-1_{UID}/coredns/0.log");
        set.add_bytes(pods.clone(), cri(3));
        // A relative link, an absolute link into /var/log/pods, a dereferenced copy, a copy
        // that holds more than the pods/ file, an orphan copy and a dangling link.
        set.add_link(
            format!("n1/containers/coredns-1_kube-system_coredns-{ID}.log"),
            format!("../pods/kube-system_coredns-1_{UID}/coredns/0.log"),
        );
        set.add_bytes(
            format!("n2/pods/kube-system_coredns-2_{UID}/coredns/0.log"),
            cri(2),
        );
        set.add_link(
            format!("n2/containers/coredns-2_kube-system_coredns-{ID}.log"),
            format!("/var/log/pods/kube-system_coredns-2_{UID}/coredns/0.log"),
        );
        set.add_bytes(
            format!("n3/pods/kube-system_coredns-3_{UID}/coredns/0.log"),
            cri(2),
        );
        set.add_bytes(
            format!("n3/containers/coredns-3_kube-system_coredns-{ID}.log"),
            cri(2),
        );
        set.add_bytes(
            format!("n4/pods/kube-system_coredns-4_{UID}/coredns/0.log"),
            cri(2),
        );
        set.add_bytes(
            format!("n4/containers/coredns-4_kube-system_coredns-{ID}.log"),
            cri(5),
        );
        set.add_bytes(format!("n5/containers/orphan_default_app-{ID}.log"), cri(1));
        set.add_link(
            format!("n6/containers/gone_default_app-{ID}.log"),
            "/var/log/pods/default_gone_x/app/0.log",
        );
        let p = plan(&set, &PlanOptions::default());
        let s = statuses(&set, &p);
        let st: Vec<&str> = s.iter().map(|x| x.1).collect();
        assert_eq!(
            st,
            [
                "read",
                "duplicate",
                "read",
                "duplicate",
                "read",
                "duplicate",
                "duplicate",
                "read",
                "read",
                "skipped"
            ]
        );
        assert_eq!(p.files[1].status, FileStatus::Duplicate(0));
        assert_eq!(p.files[3].status, FileStatus::Duplicate(2));
        assert_eq!(p.files[5].status, FileStatus::Duplicate(4));
        assert_eq!(p.files[6].status, FileStatus::Duplicate(7));
        assert_eq!(p.instances.len(), 5);
        // The longer copy stands in for the pods file and keeps its restart and uid.
        let n4 = p
            .instances
            .iter()
            .find(|i| i.meta.node.as_deref() == Some("n4"))
            .unwrap();
        assert_eq!(n4.files, [7]);
        assert_eq!(
            (n4.meta.restart, n4.meta.pod_uid.as_deref()),
            (Some(0), Some(UID))
        );
        assert_eq!(n4.meta.container_id.as_deref(), Some(ID));
        let orphan = p
            .instances
            .iter()
            .find(|i| i.meta.node.as_deref() == Some("n5"))
            .unwrap();
        assert_eq!(
            (
                orphan.meta.pod.as_deref(),
                orphan.meta.container.as_deref(),
                orphan.meta.restart
            ),
            (Some("orphan"), Some("app"), None)
        );
    }

    #[test]
    fn old_layout_takes_names_from_containers_links() {
        let mut set = FileSet::new();
        let uid = "9a431a77-ea0e-11e8-97ab-0242209cd992";
        set.add_bytes(format!("kind-1/pods/{uid}/coredns/0.log"), cri(1));
        set.add_link(
            format!("kind-1/containers/coredns-576cbf47c7-pd2kx_kube-system_coredns-{ID}.log"),
            format!("/var/log/pods/{uid}/coredns/0.log"),
        );
        let p = plan(&set, &PlanOptions::default());
        assert_eq!(p.instances.len(), 1);
        let m = &p.instances[0].meta;
        assert_eq!(
            (
                m.namespace.as_deref(),
                m.pod.as_deref(),
                m.pod_uid.as_deref()
            ),
            (
                Some("kube-system"),
                Some("coredns-576cbf47c7-pd2kx"),
                Some(uid)
            )
        );
    }

    #[test]
    fn unknown_files_are_sniffed_or_listed() {
        let mut set = FileSet::new();
        set.add_bytes("x/app.cri.log", cri(2));
        set.add_bytes(
            "x/docker.log",
            br#"{"log":"hi\n","stream":"stdout","time":"2024-01-01T00:00:00Z"}"#.to_vec(),
        );
        set.add_bytes(
            "x/kubelet.log",
            b"I0101 00:00:00.000000 1 a.go:1] hi\n".to_vec(),
        );
        set.add_bytes("x/empty", vec![]);
        set.add_bytes("x/blob.bin", vec![0, 1, 2, 0xff, 0xfe]);
        set.add_bytes("x/config.yaml", b"server:\n  port: 8080\n".to_vec());
        set.add_bytes("x/app.log.1", b"2024-01-01 00:00:00 INFO up\n".to_vec());
        set.add_bytes("x/notes", b"2024-01-01 12:00:00 started\n  more\n".to_vec());
        let p = plan(
            &set,
            &PlanOptions {
                node: Some("forced".into()),
                ..PlanOptions::default()
            },
        );
        let s: Vec<(&str, FileRole)> = p
            .files
            .iter()
            .map(|f| (f.status.as_str(), f.role))
            .collect();
        assert_eq!(
            s,
            [
                ("read", FileRole::Log),
                ("read", FileRole::Log),
                ("read", FileRole::Text),
                ("skipped", FileRole::Other),
                ("skipped", FileRole::Other),
                // Data beside the logs is listed as what it is.
                ("metadata", FileRole::Resources),
                ("read", FileRole::Text),
                ("read", FileRole::Text),
            ]
        );
        assert_eq!(p.skipped().count(), 2);
        assert_eq!(p.files[5].resource.as_deref(), Some("YAML"));
        // kubelet.log and its components; app.log.1 joins app.log's rotation group.
        let plain: Vec<(&str, Framing)> = p
            .instances
            .iter()
            .filter_map(|i| Some((i.meta.component.as_deref()?, i.framing)))
            .collect();
        assert_eq!(
            plain,
            [
                ("app", Framing::Plain),
                ("kubelet", Framing::Plain),
                ("notes", Framing::Plain)
            ]
        );
        assert!(
            p.instances
                .iter()
                .all(|i| i.meta.node.as_deref() == Some("forced"))
        );
        assert!(matches!(&p.files[4].status, FileStatus::Skipped(r) if r.contains("binary")));
    }

    #[test]
    fn docker_json_file_layout() {
        let mut set = FileSet::new();
        let dir = format!("w1/var/lib/docker/containers/{ID}");
        let line = |s: &str| {
            format!(
                "{{\"log\":\"{s}\\n\",\"stream\":\"stdout\",\"time\":\"2024-01-01T00:00:00Z\"}}\n"
            )
            .into_bytes()
        };
        set.add_bytes(format!("{dir}/{ID}-json.log"), line("c"));
        set.add_bytes(format!("{dir}/{ID}-json.log.1"), line("b"));
        set.add_bytes(format!("{dir}/{ID}-json.log.2.gz"), line("a"));
        set.add_bytes(
            format!("{dir}/config.v2.json"),
            format!(r#"{{"ID":"{ID}","Name":"/k8s_web_web-7d4b9_prod_{UID}_3","Config":{{"Labels":{{"io.kubernetes.pod.namespace":"prod","io.kubernetes.pod.name":"web-7d4b9","io.kubernetes.container.name":"web"}}}}}}"#).into_bytes(),
        );
        let p = plan(&set, &PlanOptions::default());
        assert_eq!(p.instances.len(), 1);
        let i = &p.instances[0];
        assert_eq!(i.files, [2, 1, 0]);
        assert_eq!(
            (
                i.meta.node.as_deref(),
                i.meta.namespace.as_deref(),
                i.meta.pod.as_deref(),
                i.meta.container.as_deref(),
                i.meta.restart,
                i.meta.pod_uid.as_deref()
            ),
            (
                Some("w1"),
                Some("prod"),
                Some("web-7d4b9"),
                Some("web"),
                Some(3),
                Some(UID)
            )
        );
        assert_eq!(p.files[3].status, FileStatus::Metadata);
    }
}
