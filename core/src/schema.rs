//! The tables podsift builds, column by column. Every front end, query and export reads these
//! names from here.
//!
//! ## `logs`: one row per log entry
//!
//! | column | type | meaning |
//! |---|---|---|
//! | `ts` | datetime[ns, UTC] | the entry's time: the runtime's (CRI or json-file) for container logs, the entry's own for plain logs (syslog, klog with its year inferred, journald); a line without one takes the time of the entry before it |
//! | `node` | categorical | node name, from the tree (`<node>/pods/...`) or `--node` |
//! | `namespace` | categorical | namespace |
//! | `pod` | categorical | pod name |
//! | `pod_uid` | categorical | pod UID, or a static pod's config hash |
//! | `container` | categorical | container name |
//! | `component` | categorical | for logs outside `pods/`: the component that wrote them, from the entry (a journald unit, a syslog program, a compose service) or else the file name (`kubelet` for `kubelet.log`) |
//! | `restart` | u32 | restart count of the container instance (`<restart>.log`) |
//! | `stream` | categorical | `stdout` or `stderr` |
//! | `level` | enum | `unknown`, `trace`, `debug`, `info`, `warn`, `error`, `fatal` (ordered by severity) |
//! | `level_raw` | categorical | the level as the application wrote it (`I`, `WARNING`, `50`) |
//! | `format` | categorical | the entry's format: a parser family (`json`, `logfmt`, `klog`, `text`, `journald`; `unparsed` for lines that were not CRI or json-file lines) or a format defined as data (`syslog`, `access`, ... and users' own; `podsift formats` lists them) |
//! | `message` | string | the payload: partial lines joined, trailing newline removed (invalid UTF-8 replaced by U+FFFD) |
//! | `app_ts` | datetime[ns, UTC] | the application's own timestamp, when it wrote one podsift reads |
//! | `fields` | list[struct{key, value}] | structured fields (JSON members flattened to dotted keys, logfmt and klog pairs), values as text |
//! | `source` | categorical | the file holding the entry's first line |
//! | `source_id` | u32 | that file's `id` in `sources` |
//! | `line` | u64 | 1-based line number of the entry's first line in `source` |
//! | `joined` | u32 | continuation lines joined into the entry (CRI `P` lines, json-file pieces) |
//! | `partial` | bool | a partial line whose end never came |
//! | `truncated` | bool | the entry was longer than 16 MiB and was cut |
//!
//! Rows of a table built for viewing are in time order: by `ts`, then `source_id`, then `line`.
//!
//! ## `sources`: one row per file found
//!
//! | column | type | meaning |
//! |---|---|---|
//! | `id` | u32 | index of the file (discovery order) |
//! | `file` | string | the path as shown |
//! | `kind` | string | `pods`, `containers`, `docker`, `docker-config`, `log` (a container log found by content), `text` (a plain log: `kubelet.log`, syslog, an application's file), `audit`, `events`, `pod-list` (read into `pods`), `node-list` (read into `nodes`), `junit` (read into `tests`), `resources` (another Kubernetes resource document, or data that is not a log), `metrics` (read into `series` and `samples`), `other` |
//! | `resource` | string | for Kubernetes documents, the kind of their objects (`Pod`, `Event`, `Node`, `ConfigMap`; a file name's resource, `configmaps`, when the objects do not say); for other data, what it is (`JSON`, `YAML`, `XML`) |
//! | `status` | string | `read`, `duplicate`, `metadata`, `skipped` |
//! | `note` | string | why it was skipped, what it duplicates, what the archive reader noticed; for metrics, where the time of its samples came from |
//! | `archive` | string | the archive holding it (the innermost, as shown), for a member of one; its `file` is the archive's path followed by the path inside it |
//! | `layout` | string | the bundle layout it is part of: `kind`, `e2e`, `sonobuoy`, `cluster-info`, `support-bundle`, `must-gather` |
//! | `node`, `namespace`, `pod`, `pod_uid`, `container` | string | metadata |
//! | `component` | string | the component of a log outside `pods/` |
//! | `restart` | u32 | restart count |
//! | `container_id` | string | container ID, when known |
//! | `bytes` | u64 | stored size |
//! | `bytes_read` | u64 | bytes after decompression |
//! | `lines` | u64 | physical lines |
//! | `entries` | u64 | entries starting in this file (`lines = entries + joined`); for metrics, samples; for Kubernetes documents and JUnit reports, the rows they give (containers of pods, events, nodes, test cases: a one-line list holds many, and then `joined` is 0) |
//! | `joined` | u64 | continuation lines joined into entries (and structure lines: a cluster-info dump's section markers, the lines of a JSON document); for metrics, lines without a sample (metadata, comments, headers; every line of a JSON export, where one line may hold many samples) |
//! | `unparsed` | u64 | lines kept as `unparsed` entries |
//! | `errors` | u64 | other problems: read errors, invalid times, cut lines |
//! | `untimed` | u64 | log entries without a time (none in their line and none before them in the file); the note says when no entry of a file has one |
//! | `invalid_utf8` | u64 | entries with invalid UTF-8, kept with U+FFFD (counted by `podsift sources`; empty for `stats`) |
//! | `formats` | string | the formats of its entries, most first (`syslog 17, text 1`); for metrics, the format and its samples (`openmetrics 5256900`) |
//! | `first_ts`, `last_ts` | datetime[ns, UTC] | time range of its entries |
//!
//! ## `fields` (SQL only): one row per structured field
//!
//! `logs` exploded on `fields`: `ts`, `namespace`, `pod`, `container`, `source_id`, `line`, `key`,
//! `value`. Join back to `logs` on (`source_id`, `line`).

use std::sync::{Arc, LazyLock};

use polars::prelude::*;

use crate::level::Level;

/// Column names of the `logs` table.
pub mod logs {
    #![allow(missing_docs)]
    pub const TS: &str = "ts";
    pub const NODE: &str = "node";
    pub const NAMESPACE: &str = "namespace";
    pub const POD: &str = "pod";
    pub const POD_UID: &str = "pod_uid";
    pub const CONTAINER: &str = "container";
    pub const COMPONENT: &str = "component";
    pub const RESTART: &str = "restart";
    pub const STREAM: &str = "stream";
    pub const LEVEL: &str = "level";
    pub const LEVEL_RAW: &str = "level_raw";
    pub const FORMAT: &str = "format";
    pub const MESSAGE: &str = "message";
    pub const APP_TS: &str = "app_ts";
    pub const FIELDS: &str = "fields";
    pub const SOURCE: &str = "source";
    pub const SOURCE_ID: &str = "source_id";
    pub const LINE: &str = "line";
    pub const JOINED: &str = "joined";
    pub const PARTIAL: &str = "partial";
    pub const TRUNCATED: &str = "truncated";

    /// All columns, in table order.
    pub const ALL: [&str; 21] = [
        TS, NODE, NAMESPACE, POD, POD_UID, CONTAINER, COMPONENT, RESTART, STREAM, LEVEL, LEVEL_RAW,
        FORMAT, MESSAGE, APP_TS, FIELDS, SOURCE, SOURCE_ID, LINE, JOINED, PARTIAL, TRUNCATED,
    ];

    /// Field names inside the `fields` structs.
    pub const FIELD_KEY: &str = "key";
    /// See [`FIELD_KEY`].
    pub const FIELD_VALUE: &str = "value";
}

/// Column names of the `sources` table.
pub mod sources {
    #![allow(missing_docs)]
    pub const ID: &str = "id";
    pub const FILE: &str = "file";
    pub const KIND: &str = "kind";
    pub const RESOURCE: &str = "resource";
    pub const STATUS: &str = "status";
    pub const NOTE: &str = "note";
    pub const ARCHIVE: &str = "archive";
    pub const LAYOUT: &str = "layout";
    pub const NODE: &str = "node";
    pub const NAMESPACE: &str = "namespace";
    pub const POD: &str = "pod";
    pub const POD_UID: &str = "pod_uid";
    pub const CONTAINER: &str = "container";
    pub const RESTART: &str = "restart";
    pub const CONTAINER_ID: &str = "container_id";
    pub const COMPONENT: &str = "component";
    pub const BYTES: &str = "bytes";
    pub const BYTES_READ: &str = "bytes_read";
    pub const LINES: &str = "lines";
    pub const INVALID_UTF8: &str = "invalid_utf8";
    pub const FORMATS: &str = "formats";
    pub const ENTRIES: &str = "entries";
    pub const JOINED: &str = "joined";
    pub const UNPARSED: &str = "unparsed";
    pub const UNTIMED: &str = "untimed";
    pub const ERRORS: &str = "errors";
    pub const FIRST_TS: &str = "first_ts";
    pub const LAST_TS: &str = "last_ts";
}

/// Column names of the `audit` table: one row per API server audit event line.
///
/// `ts` (stage time, else `timestamp`, else request received), `received_ts`, `stage`,
/// `level`, `audit_id`, `verb`, `user`, `groups` (comma-separated), `impersonated_user`,
/// `user_agent`, `source_ips` (comma-separated), `request_uri`, `resource`, `subresource`,
/// `api_group`, `namespace`, `name`, `status`, `reason`, `decision` (the
/// `authorization.k8s.io/decision` annotation), `annotations` (JSON), `code` (u32),
/// `latency_ms` (f64: stage time minus request received), `source`, `line`.
pub mod audit {
    #![allow(missing_docs)]
    pub const TS: &str = "ts";
    pub const RECEIVED_TS: &str = "received_ts";
    pub const STAGE: &str = "stage";
    pub const LEVEL: &str = "level";
    pub const AUDIT_ID: &str = "audit_id";
    pub const VERB: &str = "verb";
    pub const USER: &str = "user";
    pub const GROUPS: &str = "groups";
    pub const IMPERSONATED_USER: &str = "impersonated_user";
    pub const USER_AGENT: &str = "user_agent";
    pub const SOURCE_IPS: &str = "source_ips";
    pub const REQUEST_URI: &str = "request_uri";
    pub const RESOURCE: &str = "resource";
    pub const SUBRESOURCE: &str = "subresource";
    pub const API_GROUP: &str = "api_group";
    pub const NAMESPACE: &str = "namespace";
    pub const NAME: &str = "name";
    pub const STATUS: &str = "status";
    pub const REASON: &str = "reason";
    pub const DECISION: &str = "decision";
    pub const ANNOTATIONS: &str = "annotations";
    pub const CODE: &str = "code";
    pub const LATENCY_MS: &str = "latency_ms";
    pub const SOURCE: &str = "source";
    pub const LINE: &str = "line";
}

/// Column names of the `events` table: one row per Kubernetes Event (the last state of a
/// watched one).
///
/// `first_ts`, `last_ts`, `count` (u32), `type` (Normal, Warning), `reason`, `object_kind`,
/// `namespace`, `object_name`, `message`, `source_component` (source component or reporting
/// controller), `host`, `name` (the Event's own name), `api_version`, `source` (file).
pub mod events {
    #![allow(missing_docs)]
    pub const FIRST_TS: &str = "first_ts";
    pub const LAST_TS: &str = "last_ts";
    pub const COUNT: &str = "count";
    pub const TYPE: &str = "type";
    pub const REASON: &str = "reason";
    pub const OBJECT_KIND: &str = "object_kind";
    pub const NAMESPACE: &str = "namespace";
    pub const OBJECT_NAME: &str = "object_name";
    pub const MESSAGE: &str = "message";
    pub const SOURCE_COMPONENT: &str = "source_component";
    pub const HOST: &str = "host";
    pub const NAME: &str = "name";
    pub const API_VERSION: &str = "api_version";
    pub const SOURCE: &str = "source";
}

/// Column names of the `pods` table: one row per container of a pod (init containers too),
/// from pod lists in bundles (`pods.json`, `Pods.json`, `cluster-resources/pods/<ns>.json`,
/// `kubectl get pods -o json|yaml`).
///
/// `namespace`, `pod`, `uid`, `node`, `owner_kind`, `owner_name` (the controller owner),
/// `phase`, `pod_reason` (`Evicted`), `start_ts`, `container`, `init` (bool), `image`,
/// `restarts` (u32), `ready` (bool), `state` (`running`, `waiting`, `terminated`),
/// `state_reason` (`CrashLoopBackOff`, `ImagePullBackOff`, `Completed`), `last_reason` (of the
/// last termination: `OOMKilled`, `Error`; the current one when the container is terminated
/// now), `exit_code` (i32), `signal` (i32), `started_ts`, `finished_ts` (of that termination),
/// `source`. A pod with no container statuses yet has one row per container of its spec, its
/// status columns empty.
pub mod pods {
    #![allow(missing_docs)]
    pub const NAMESPACE: &str = "namespace";
    pub const POD: &str = "pod";
    pub const UID: &str = "uid";
    pub const NODE: &str = "node";
    pub const OWNER_KIND: &str = "owner_kind";
    pub const OWNER_NAME: &str = "owner_name";
    pub const PHASE: &str = "phase";
    pub const POD_REASON: &str = "pod_reason";
    pub const START_TS: &str = "start_ts";
    pub const CONTAINER: &str = "container";
    pub const INIT: &str = "init";
    pub const IMAGE: &str = "image";
    pub const RESTARTS: &str = "restarts";
    pub const READY: &str = "ready";
    pub const STATE: &str = "state";
    pub const STATE_REASON: &str = "state_reason";
    pub const LAST_REASON: &str = "last_reason";
    pub const EXIT_CODE: &str = "exit_code";
    pub const SIGNAL: &str = "signal";
    pub const STARTED_TS: &str = "started_ts";
    pub const FINISHED_TS: &str = "finished_ts";
    pub const SOURCE: &str = "source";
}

/// Column names of the `nodes` table: one row per node, from node lists in bundles
/// (`kubectl get nodes -o json|yaml`, sonobuoy's `Nodes.json` and `core_v1_nodes.json`, a
/// cluster-info dump's `nodes.json`, a support bundle's `cluster-resources/nodes.json`).
///
/// | column | type | meaning |
/// |---|---|---|
/// | `node` | categorical | `metadata.name` |
/// | `roles` | string | from the `node-role.kubernetes.io/<role>` labels (and `kubernetes.io/role`), comma-separated |
/// | `ready` | string | the `Ready` condition's status: `True`, `False`, `Unknown` |
/// | `ready_since` | datetime | when `Ready` last changed |
/// | `problems` | string | the other conditions in a bad state (`MemoryPressure`, `DiskPressure`, `PIDPressure` true; `NetworkUnavailable` true), comma-separated |
/// | `unschedulable` | bool | cordoned (`spec.unschedulable`) |
/// | `taints` | string | `key=value:Effect`, comma-separated |
/// | `kubelet_version`, `container_runtime`, `os_image`, `kernel_version`, `architecture` | string | `status.nodeInfo` |
/// | `cpu_capacity`, `cpu_allocatable` | f64 | cores (`3800m` is 3.8) |
/// | `memory_capacity`, `memory_allocatable` | u64 | bytes (`16393916Ki`) |
/// | `pods_capacity`, `pods_allocatable` | u32 | pods |
/// | `created_ts` | datetime | `metadata.creationTimestamp` |
/// | `source` | string | the file it came from |
pub mod nodes {
    #![allow(missing_docs)]
    pub const NODE: &str = "node";
    pub const ROLES: &str = "roles";
    pub const READY: &str = "ready";
    pub const READY_SINCE: &str = "ready_since";
    pub const PROBLEMS: &str = "problems";
    pub const UNSCHEDULABLE: &str = "unschedulable";
    pub const TAINTS: &str = "taints";
    pub const KUBELET_VERSION: &str = "kubelet_version";
    pub const CONTAINER_RUNTIME: &str = "container_runtime";
    pub const OS_IMAGE: &str = "os_image";
    pub const KERNEL_VERSION: &str = "kernel_version";
    pub const ARCHITECTURE: &str = "architecture";
    pub const CPU_CAPACITY: &str = "cpu_capacity";
    pub const CPU_ALLOCATABLE: &str = "cpu_allocatable";
    pub const MEMORY_CAPACITY: &str = "memory_capacity";
    pub const MEMORY_ALLOCATABLE: &str = "memory_allocatable";
    pub const PODS_CAPACITY: &str = "pods_capacity";
    pub const PODS_ALLOCATABLE: &str = "pods_allocatable";
    pub const CREATED_TS: &str = "created_ts";
    pub const SOURCE: &str = "source";
}

/// Column names of the `node_conditions` table: one row per condition of a node, with its
/// times, for node pressure beside pod restarts.
///
/// `node`, `type` (`Ready`, `MemoryPressure`, ...), `status` (`True`, `False`, `Unknown`),
/// `reason`, `message`, `last_transition_ts`, `last_heartbeat_ts`, `source`.
pub mod node_conditions {
    #![allow(missing_docs)]
    pub const NODE: &str = "node";
    pub const TYPE: &str = "type";
    pub const STATUS: &str = "status";
    pub const REASON: &str = "reason";
    pub const MESSAGE: &str = "message";
    pub const LAST_TRANSITION_TS: &str = "last_transition_ts";
    pub const LAST_HEARTBEAT_TS: &str = "last_heartbeat_ts";
    pub const SOURCE: &str = "source";
}

/// Column names of the `tests` table: one row per test case of the JUnit reports in a bundle
/// (sonobuoy's `junit_01.xml`, any `junit_*.xml`).
///
/// | column | type | meaning |
/// |---|---|---|
/// | `suite` | string | the test suite it is in (the innermost `testsuite`'s name) |
/// | `name` | string | the test case |
/// | `classname` | string | its class name, as the runner wrote it |
/// | `status` | string | `passed`, `failed`, `error`, `skipped` |
/// | `duration_s` | f64 | seconds |
/// | `message` | string | the failure's, error's or skip's message (or type) |
/// | `text` | string | the failure's or error's text (the stack, the assertion) |
/// | `ts` | datetime | the suite's start (`timestamp`), when written |
/// | `source` | string | the file it came from |
pub mod tests {
    #![allow(missing_docs)]
    pub const SUITE: &str = "suite";
    pub const NAME: &str = "name";
    pub const CLASSNAME: &str = "classname";
    pub const STATUS: &str = "status";
    pub const DURATION_S: &str = "duration_s";
    pub const MESSAGE: &str = "message";
    pub const TEXT: &str = "text";
    pub const TS: &str = "ts";
    pub const SOURCE: &str = "source";
}

/// Column names of the metrics tables, read from Prometheus scrapes and exports
/// ([`crate::metrics`]). Laid out as a TSDB lays them: label strings once per series, samples
/// as three plain columns.
///
/// ## `series`: one row per series
///
/// | column | type | meaning |
/// |---|---|---|
/// | `series_id` | u32 | the series' id (`samples.series_id`) |
/// | `name` | categorical | metric name as the samples carry it (`http_requests_total`, `rpc_seconds_bucket`) |
/// | `family` | categorical | its metric family (`metric_families.name`): `rpc_seconds` for `rpc_seconds_bucket` |
/// | `type` | categorical | the family's type: `counter`, `gauge`, `histogram`, `gaugehistogram`, `summary`, `info`, `stateset`, `unknown` |
/// | `labels` | list[struct{name, value}] | labels sorted by name, without `__name__` |
/// | `target` | string | for scrapes (samples without timestamps): the file they came from, without the timestamp or sequence number in its name, so that two targets exposing the same series stay apart; empty for exports whose samples carry times |
/// | `node`, `namespace`, `pod`, `container` | categorical | from the labels of those names (`node` also from the bundle layout), for joins with `logs` |
/// | `samples` | u64 | samples of the series |
/// | `first_ts`, `last_ts` | datetime[ms, UTC] | its time range |
/// | `source` | string | the first file holding it |
///
/// ## `samples`: one row per sample, in (`series_id`, `ts`) order
///
/// `series_id` (u32), `ts` (datetime[ms, UTC]), `value` (f64; NaN, ±Inf kept). Classic
/// histograms and summaries are series of their own (`_bucket` with `le`, `_sum`, `_count`,
/// `quantile`), as in Prometheus. A second sample of a series at the same time is a duplicate:
/// reported, and not kept.
///
/// ## `metric_families`: one row per family
///
/// `name`, `type`, `help`, `unit`, `series` (u32), `samples` (u64).
///
/// ## `exemplars` (OpenMetrics): one row per exemplar
///
/// `series_id`, `ts` (the sample's), `labels` (list[struct{name, value}]), `value`,
/// `exemplar_ts` (datetime[ms, UTC], when written).
///
/// ## `histograms`: one row per native histogram sample, in (`series_id`, `ts`) order
///
/// Read from Prometheus TSDB blocks (integer and float histogram chunks).
///
/// | column | type | meaning |
/// |---|---|---|
/// | `series_id` | u32 | the series (`series.series_id`; its `type` is `histogram` or `gaugehistogram`) |
/// | `ts` | datetime[ms, UTC] | its time |
/// | `schema` | i32 | resolution: bucket bounds grow by 2^(2^-schema); -53: custom bounds |
/// | `zero_threshold` | f64 | half-width of the zero bucket |
/// | `zero_count` | f64 | observations in the zero bucket |
/// | `count` | f64 | observations (what a classic histogram's `_count` says) |
/// | `sum` | f64 | their sum (`_sum`); Prometheus's staleness marker is kept as NaN |
/// | `positive_spans`, `negative_spans` | list[struct{offset: i32, length: u32}] | where the buckets are: the first span's offset is the first bucket's index, each next one's the gap after the span before |
/// | `positive_buckets`, `negative_buckets` | list[f64] | bucket counts in span order (absolute, not the deltas they are stored as) |
/// | `custom_values` | list[f64] | bucket upper bounds for schema -53 |
/// | `counter_reset` | categorical | the counter reset hint: `unknown` (a chunk's first sample), `reset`, `not_reset`, `gauge` |
/// | `float` | bool | stored as a float histogram |
///
/// ## `metrics` (SQL only)
///
/// `samples` joined with `series`: `ts`, `name`, `labels`, `value`, `series_id`, `node`,
/// `namespace`, `pod`, `container`, `target`.
///
/// ## `histogram_floats` (SQL only)
///
/// Each `histograms` row as the two samples a classic histogram would hold, `<name>_count`
/// (its `count`) and `<name>_sum` (its `sum`), with the columns of `metrics`.
pub mod metrics {
    #![allow(missing_docs)]
    pub const SERIES_ID: &str = "series_id";
    pub const NAME: &str = "name";
    pub const FAMILY: &str = "family";
    pub const TYPE: &str = "type";
    pub const LABELS: &str = "labels";
    pub const TARGET: &str = "target";
    pub const NODE: &str = "node";
    pub const NAMESPACE: &str = "namespace";
    pub const POD: &str = "pod";
    pub const CONTAINER: &str = "container";
    pub const SAMPLES: &str = "samples";
    pub const FIRST_TS: &str = "first_ts";
    pub const LAST_TS: &str = "last_ts";
    pub const SOURCE: &str = "source";
    pub const TS: &str = "ts";
    pub const VALUE: &str = "value";
    pub const HELP: &str = "help";
    pub const UNIT: &str = "unit";
    pub const SERIES: &str = "series";
    pub const EXEMPLAR_TS: &str = "exemplar_ts";
    pub const SCHEMA: &str = "schema";
    pub const ZERO_THRESHOLD: &str = "zero_threshold";
    pub const ZERO_COUNT: &str = "zero_count";
    pub const COUNT: &str = "count";
    pub const SUM: &str = "sum";
    pub const POSITIVE_SPANS: &str = "positive_spans";
    pub const POSITIVE_BUCKETS: &str = "positive_buckets";
    pub const NEGATIVE_SPANS: &str = "negative_spans";
    pub const NEGATIVE_BUCKETS: &str = "negative_buckets";
    pub const CUSTOM_VALUES: &str = "custom_values";
    pub const COUNTER_RESET: &str = "counter_reset";
    pub const FLOAT: &str = "float";
    /// Field names inside the span structs.
    pub const SPAN_OFFSET: &str = "offset";
    /// See [`SPAN_OFFSET`].
    pub const SPAN_LENGTH: &str = "length";
    /// Field names inside the `labels` structs.
    pub const LABEL_NAME: &str = "name";
    /// See [`LABEL_NAME`].
    pub const LABEL_VALUE: &str = "value";
}

/// The type of the low-cardinality text columns (node, pod, ...): categorical over polars'
/// global categories, so frames built apart share one mapping and concatenate.
pub(crate) fn categorical_dtype() -> DataType {
    DataType::from_categories(Categories::global())
}

static LEVEL_CATEGORIES: LazyLock<Arc<FrozenCategories>> = LazyLock::new(|| {
    FrozenCategories::new(Level::ALL.iter().map(|l| l.as_str())).expect("seven distinct names")
});

/// The `level` column's type: an enum in severity order (physical value = `Level as u8`).
pub(crate) fn level_dtype() -> DataType {
    DataType::from_frozen_categories(LEVEL_CATEGORIES.clone())
}
