//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// podsift: Kubernetes logs copied off a cluster, as tables you can filter, count and query.
#[derive(Debug, Parser)]
#[command(
    name = "podsift",
    version,
    about,
    after_help = "Exit codes: 0 everything was read; 1 something was skipped or did not parse \
                  (warnings name the file and line), or nothing was read; 2 usage or fatal \
                  error; 3 `podsift report`: a rule failed."
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// List every file found, how it was classified, and what it held.
    Sources(SourcesArgs),
    /// Print entries of all containers as one stream in time order (stern-like).
    Logs(LogsArgs),
    /// Count entries and bytes by any columns, optionally per time bucket.
    Stats(StatsArgs),
    /// Run SQL over the tables `logs`, `sources`, `fields`, `audit`, `events`, `pods`,
    /// `nodes`, `node_conditions`, `tests`, `series`, `samples`, `metric_families`, `exemplars` and the `metrics` view.
    Sql(SqlArgs),
    /// Summarize API server audit logs: top users, verbs, resources and codes, failed and
    /// slowest requests.
    Audit(SummaryArgs),
    /// Summarize Kubernetes Events: Warning events by reason and object.
    Events(SummaryArgs),
    /// Summarize pods from the pod lists in a bundle: restarts, terminations (OOMKilled,
    /// Error) and containers not ready.
    Pods(SummaryArgs),
    /// Summarize nodes from the node lists in a bundle: roles, versions, capacity, and
    /// conditions not OK (NotReady, memory, disk or PID pressure) with their times.
    Nodes(SummaryArgs),
    /// Summarize the JUnit test reports in a bundle (sonobuoy's junit_01.xml, any junit_*.xml):
    /// counts by status, the failed tests with their messages, the slowest.
    Tests(SummaryArgs),
    /// A report of what went wrong, for CI: sources, containers with errors, restarts and
    /// crashes, top error and warning patterns, error spikes, silences (Markdown or JSON).
    Report(ReportArgs),
    /// Group messages into patterns (numbers, ids, IPs, UUIDs, hex masked; a Drain-style
    /// miner): count, first and last time, pods, template and a sample, most frequent first.
    Patterns(PatternsArgs),
    /// Summarize metrics (Prometheus scrapes, OpenMetrics, promtool dumps, API JSON, ...):
    /// series per metric, label cardinality, time range; or write them out as a dump.
    Metrics(MetricsArgs),
    /// Evaluate a PromQL expression over the metrics read (a Prometheus data directory or
    /// snapshot, scrapes, dumps, exports), as Prometheus's query API would: at one time, or at
    /// each step of a range.
    Query(QueryArgs),
    /// List the line formats podsift reads (built in and defined as data), or check a file of
    /// format definitions against its samples.
    Formats(FormatsArgs),
    /// Serve the browser viewer on 127.0.0.1 (nothing you open in it leaves the machine);
    /// PATHs given are opened in it at start.
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Port on 127.0.0.1 (0: any free one).
    #[arg(long, default_value_t = 8417)]
    pub(crate) port: u16,
    /// Seconds a connection may take to send its request (a slow or idle client is dropped
    /// after it; others are answered meanwhile).
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub(crate) timeout: f64,
    /// Files, folders or archives the page opens at start.
    #[arg(value_name = "PATH")]
    pub(crate) paths: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct SummaryArgs {
    /// Files or folders.
    #[arg(required = true, value_name = "PATH")]
    pub(crate) paths: Vec<PathBuf>,

    #[command(flatten)]
    pub(crate) input: InputArgs,

    /// Rows per section.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub(crate) top: usize,

    /// Output format: table (sections), or every row as json or csv.
    #[arg(short = 'o', long, value_enum, default_value_t = TableFormat::Table)]
    pub(crate) output: TableFormat,
}

/// The report's `--format` is its output format (md, html, json, junit); the log line format,
/// `--format` of the other commands, is `--log-format` here.
#[derive(Debug, Args)]
#[command(mut_arg("format", |a| a.long("log-format")))]
pub(crate) struct ReportArgs {
    /// Files or folders.
    #[arg(required_unless_present = "diff", value_name = "PATH")]
    pub(crate) paths: Vec<String>,

    /// Compare two JSON reports (`-o json` of two runs): new and vanished error and warning
    /// patterns, changed counts, newly failed rules.
    #[arg(long, num_args = 2, value_names = ["OLD", "NEW"], conflicts_with = "paths")]
    pub(crate) diff: Option<Vec<PathBuf>>,

    #[command(flatten)]
    pub(crate) input: InputArgs,

    #[command(flatten)]
    pub(crate) filter: FilterArgs,

    /// Output format (`-o` is short for it; the log line format is `--log-format` here).
    #[arg(short = 'o', long = "format", alias = "output", value_parser = report_format, default_value = "md")]
    pub(crate) output: ReportFormat,

    /// Write the report to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,

    /// Patterns per level.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub(crate) top: usize,

    /// A YAML file of rules (max_errors, forbid_pattern, max_restarts, forbid_termination,
    /// max_error_rate_per_min, require_pod); a failed rule makes the exit code 3.
    #[arg(long, value_name = "FILE")]
    pub(crate) rules: Option<PathBuf>,

    /// List containers silent for longer than this between two entries.
    #[arg(long, default_value = "5m", value_name = "DURATION")]
    pub(crate) silence: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReportFormat {
    /// GitHub-flavoured Markdown (for `$GITHUB_STEP_SUMMARY`).
    Md,
    /// JSON, stable from run to run.
    Json,
    /// JUnit XML: one test case per rule.
    Junit,
    /// One self-contained HTML page (inline CSS and SVG, no script).
    Html,
}

/// The report's `--format`, with a pointer to `--log-format` for a log line format's name.
fn report_format(value: &str) -> Result<ReportFormat, String> {
    ReportFormat::from_str(value, true).map_err(|_| {
        if podsift_core::EntryFormat::by_name(value).is_some() {
            format!(
                "{value:?} is a log line format: give it with --log-format (--format is the \
                 report's own: md, html, json, junit)"
            )
        } else {
            format!("{value:?} is not a report format: md, html, json or junit")
        }
    })
}

#[derive(Debug, Args)]
pub(crate) struct PatternsArgs {
    /// Files or folders, then optionally a pod regex (an argument that is not a file or folder).
    #[arg(required = true, value_name = "PATH")]
    pub(crate) paths: Vec<String>,

    #[command(flatten)]
    pub(crate) input: InputArgs,

    #[command(flatten)]
    pub(crate) filter: FilterArgs,

    /// Patterns to show.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub(crate) top: usize,

    /// The share of equal words that puts two messages in one pattern (0 to 1).
    #[arg(long, default_value_t = 0.5, value_name = "SHARE")]
    pub(crate) similarity: f64,

    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = TableFormat::Table)]
    pub(crate) output: TableFormat,
}

#[derive(Debug, Args)]
pub(crate) struct MetricsArgs {
    /// Files or folders.
    #[arg(required = true, value_name = "PATH")]
    pub(crate) paths: Vec<PathBuf>,

    #[command(flatten)]
    pub(crate) input: InputArgs,

    /// Only series this selector matches, as PromQL writes it:
    /// `{__name__=~"container_.*",namespace="x"}` (repeatable: any may match).
    #[arg(long = "match", value_name = "SELECTOR")]
    pub(crate) matchers: Vec<String>,

    /// Only samples at or after this time (RFC 3339, a date, `YYYY-MM-DD hh:mm`, @epoch).
    /// TSDB blocks skip the chunks that end before it.
    #[arg(long, value_name = "TIME")]
    pub(crate) since: Option<String>,

    /// Only samples at or before this time (same forms as --since).
    #[arg(long, value_name = "TIME")]
    pub(crate) until: Option<String>,

    /// Rows per section.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub(crate) top: usize,

    /// Output: table (a summary like `promtool tsdb analyze`), json or csv (one row per
    /// series), dump (`promtool tsdb dump` lines), openmetrics (for `promtool tsdb
    /// create-blocks-from openmetrics`).
    #[arg(short = 'o', long, value_enum, default_value_t = MetricsOutput::Table)]
    pub(crate) output: MetricsOutput,
}

#[derive(Debug, Args)]
pub(crate) struct QueryArgs {
    /// The expression (`rate(http_requests_total[5m])`, `sum by (pod) (...)`).
    #[arg(value_name = "EXPR")]
    pub(crate) expr: String,

    /// Files or folders.
    #[arg(required = true, value_name = "PATH")]
    pub(crate) paths: Vec<PathBuf>,

    #[command(flatten)]
    pub(crate) input: InputArgs,

    /// Evaluate at this time: RFC 3339, a date, `YYYY-MM-DD hh:mm`, unix seconds, `end` or
    /// `end-1h` (back from the last sample); default: the last sample's time.
    #[arg(long, value_name = "TIME", conflicts_with_all = ["start", "end"])]
    pub(crate) time: Option<String>,

    /// A range query from this time (default: the first sample's time when --end or --step
    /// is given).
    #[arg(long, value_name = "TIME")]
    pub(crate) start: Option<String>,

    /// A range query to this time (default: the last sample's time when --start or --step
    /// is given).
    #[arg(long, value_name = "TIME")]
    pub(crate) end: Option<String>,

    /// The range query's step (`15s`, `1m`); default: the range over 250.
    #[arg(long, value_name = "DURATION")]
    pub(crate) step: Option<String>,

    /// How far back an instant selector looks for a sample.
    #[arg(long, value_name = "DURATION", default_value = "5m")]
    pub(crate) lookback: String,

    /// Output: table (`{labels} => value @[time]`, as `promtool query` prints it) or
    /// prom-json (the Prometheus HTTP API's response body).
    #[arg(short = 'o', long, value_enum, default_value_t = QueryOutput::Table)]
    pub(crate) output: QueryOutput,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum QueryOutput {
    /// `{labels} => value @[time]` lines.
    Table,
    /// `{"status":"success","data":{"resultType": ..., "result": [...]}}`.
    PromJson,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum MetricsOutput {
    /// A summary.
    Table,
    /// NDJSON, one series per line.
    Json,
    /// CSV, one series per line.
    Csv,
    /// `promtool tsdb dump` lines.
    Dump,
    /// OpenMetrics text with timestamps.
    Openmetrics,
}

#[derive(Debug, Args)]
pub(crate) struct FormatsArgs {
    /// A TOML or JSON file of format definitions: each definition's samples are checked, and
    /// the exit code is 1 when one fails.
    #[arg(long, value_name = "FILE")]
    pub(crate) check: Option<PathBuf>,

    /// More format definitions to list (repeatable).
    #[arg(long = "formats", value_name = "FILE")]
    pub(crate) formats: Vec<PathBuf>,

    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = TableFormat::Table)]
    pub(crate) output: TableFormat,
}

#[derive(Debug, Args)]
pub(crate) struct InputArgs {
    /// Node name for every file, instead of the one read from the folder layout.
    #[arg(long, value_name = "NAME")]
    pub(crate) node: Option<String>,

    /// Year of timestamps written without one (klog), when no full timestamp in the input tells.
    #[arg(long, value_name = "YYYY", value_parser = clap::value_parser!(i32).range(1970..=9999))]
    pub(crate) year: Option<i32>,

    /// Read every entry with this format (`podsift formats` lists them); entries that do not
    /// match it are read as text. Without it, the format is detected per file and per stream.
    #[arg(long, value_name = "NAME")]
    pub(crate) format: Option<String>,

    /// A TOML or JSON file of format definitions to use besides the built-in ones (repeatable;
    /// `podsift formats --check FILE` tests one).
    #[arg(long = "formats", value_name = "FILE")]
    pub(crate) formats: Vec<PathBuf>,

    /// Namespace of the files named one by one that say none of their own (a `kubectl logs`
    /// output saved to a file, or read from standard input with `-`).
    #[arg(long, value_name = "NS")]
    pub(crate) set_namespace: Option<String>,

    /// Pod of the files named one by one that say none of their own.
    #[arg(long, value_name = "POD")]
    pub(crate) set_pod: Option<String>,

    /// Container of the files named one by one that say none of their own.
    #[arg(long, value_name = "NAME")]
    pub(crate) set_container: Option<String>,

    /// Progress bar on stderr for long reads: auto (when stderr is a terminal), never.
    #[arg(long, value_enum, default_value_t = When::Auto, value_name = "WHEN")]
    pub(crate) progress: When,

    /// Most bytes to unpack from archives and compressed files in all (a decompression bomb
    /// stops there): a number with an optional K, M, G or T (binary units).
    #[arg(long, value_name = "SIZE", default_value = "16G", value_parser = parse_size)]
    pub(crate) max_unpacked: u64,

    /// Most bytes of one compressed tar held unpacked in memory (read in parallel); a tar
    /// that unpacks to more is read as a stream (decompressed twice, memory bounded).
    #[arg(long, value_name = "SIZE", default_value = "2G", value_parser = parse_size)]
    pub(crate) max_held: u64,

    /// Most archive members to read in all.
    #[arg(long, value_name = "N", default_value_t = 1_000_000)]
    pub(crate) max_archive_entries: u64,

    /// Read the files symbolic links lead to outside the inputs (by default such a link is
    /// listed as skipped: a copied tree's `passwd.log -> /etc/passwd` is not read).
    #[arg(long)]
    pub(crate) follow_links: bool,

    /// Metrics: the time of scrapes written without timestamps (the first, in a sequence of
    /// them): RFC 3339, a date and time, or @epoch. Without it, a timestamp in the file's name
    /// is used.
    #[arg(long, value_name = "TIME")]
    pub(crate) at: Option<String>,

    /// Metrics: the time between scrapes of a sequence (numbered files, or scrapes written one
    /// after another in one file).
    #[arg(long, value_name = "DURATION", default_value = "15s")]
    pub(crate) scrape_interval: String,
}

/// `16G`, `512M`, `1000`.
fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (num, unit) = match t.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => t.split_at(i),
        None => (t, ""),
    };
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?}: a size is a number with an optional K, M, G or T"))?;
    let shift = match unit
        .trim()
        .trim_end_matches(['b', 'B', 'i'])
        .to_ascii_uppercase()
        .as_str()
    {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        _ => return Err(format!("{s:?}: unknown unit (K, M, G or T)")),
    };
    n.checked_mul(1 << shift)
        .ok_or_else(|| format!("{s:?}: too large"))
}

#[derive(Debug, Args)]
pub(crate) struct FilterArgs {
    /// Namespaces to show (regex; repeatable).
    #[arg(short = 'n', long = "namespace", value_name = "RE")]
    pub(crate) namespace: Vec<String>,

    /// Pods to show (regex; repeatable).
    #[arg(long = "pod", value_name = "RE")]
    pub(crate) pod: Vec<String>,

    /// Containers to show (regex; repeatable).
    #[arg(short = 'c', long = "container", value_name = "RE")]
    pub(crate) container: Vec<String>,

    /// Pods to hide (regex; repeatable).
    #[arg(short = 'E', long = "exclude-pod", value_name = "RE")]
    pub(crate) exclude_pod: Vec<String>,

    /// Containers to hide (regex; repeatable).
    #[arg(long = "exclude-container", value_name = "RE")]
    pub(crate) exclude_container: Vec<String>,

    /// Nodes to show (regex; repeatable).
    #[arg(long = "node-match", value_name = "RE")]
    pub(crate) node_match: Vec<String>,

    /// Levels to show: a level, a list (warn,error), or LEVEL+ for that level and above.
    #[arg(short = 'l', long, value_name = "LEVELS")]
    pub(crate) level: Option<String>,

    /// Only entries whose message matches (regex; repeatable, any may match).
    #[arg(short = 'i', long = "include", value_name = "RE")]
    pub(crate) include: Vec<String>,

    /// Hide entries whose message matches (regex; repeatable).
    #[arg(short = 'e', long = "exclude", value_name = "RE")]
    pub(crate) exclude: Vec<String>,

    /// Entries at or after this time: RFC 3339, a date, `YYYY-MM-DD hh:mm`, @epoch, or a
    /// duration back from the input's last entry (15m, 2h).
    #[arg(long, value_name = "TIME")]
    pub(crate) since: Option<String>,

    /// Entries at or before this time (same forms as --since).
    #[arg(long, value_name = "TIME")]
    pub(crate) until: Option<String>,

    /// Structured field condition: key=value, or key~regex (repeatable, all must hold).
    #[arg(long = "field", value_name = "COND")]
    pub(crate) field: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum When {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum LogsFormat {
    /// stern-like lines: [time] pod container message.
    Text,
    /// NDJSON with every column.
    Json,
    /// CSV with every column.
    Csv,
    /// An Arrow IPC file with every column.
    Arrow,
    /// A Parquet file with every column.
    Parquet,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum TableFormat {
    /// Aligned text.
    Table,
    /// NDJSON.
    Json,
    /// CSV.
    Csv,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum SqlFormat {
    /// Aligned text.
    Table,
    /// NDJSON.
    Json,
    /// CSV.
    Csv,
    /// An Arrow IPC file.
    Arrow,
}

#[derive(Debug, Args)]
pub(crate) struct SourcesArgs {
    /// Files or folders: a node's /var/log copy, a folder of nodes, a pods/ folder, a pod folder,
    /// a log file.
    #[arg(required = true, value_name = "PATH")]
    pub(crate) paths: Vec<PathBuf>,

    #[command(flatten)]
    pub(crate) input: InputArgs,

    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = TableFormat::Table)]
    pub(crate) output: TableFormat,

    /// Every column in the table (node, namespace, pod, container, restart, lines, formats...),
    /// not fitted to the terminal's width.
    #[arg(short = 'w', long)]
    pub(crate) wide: bool,
}

#[derive(Debug, Args)]
pub(crate) struct LogsArgs {
    /// Files or folders, then optionally a pod regex (an argument that is not a file or folder).
    #[arg(required = true, value_name = "PATH")]
    pub(crate) paths: Vec<String>,

    #[command(flatten)]
    pub(crate) input: InputArgs,

    #[command(flatten)]
    pub(crate) filter: FilterArgs,

    /// Last N entries of each container.
    #[arg(long, value_name = "N")]
    pub(crate) tail: Option<usize>,

    /// Keep reading: print what is written to the files from now on (new files and rotations
    /// included), as `tail -F` and stern do, until interrupted.
    #[arg(short = 'f', long)]
    pub(crate) follow: bool,

    /// Show each entry's time.
    #[arg(short = 't', long)]
    pub(crate) timestamps: bool,

    /// Colour: auto (terminal and NO_COLOR unset), always, never.
    #[arg(long, value_enum, default_value_t = When::Auto, value_name = "WHEN")]
    pub(crate) color: When,

    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = LogsFormat::Text)]
    pub(crate) output: LogsFormat,
}

#[derive(Debug, Args)]
pub(crate) struct StatsArgs {
    /// Files or folders.
    #[arg(required = true, value_name = "PATH")]
    pub(crate) paths: Vec<PathBuf>,

    #[command(flatten)]
    pub(crate) input: InputArgs,

    #[command(flatten)]
    pub(crate) filter: FilterArgs,

    /// Columns to group by (comma-separated): node, namespace, pod, pod_uid, container, component, restart,
    /// stream, level, level_raw, format, source, partial, field.NAME.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "namespace,pod,container",
        value_name = "COLS"
    )]
    pub(crate) by: Vec<String>,

    /// Also group by time buckets of this width (30s, 1m, 1h, 1d).
    #[arg(long, value_name = "DURATION")]
    pub(crate) every: Option<String>,

    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = TableFormat::Table)]
    pub(crate) output: TableFormat,
}

#[derive(Debug, Args)]
pub(crate) struct SqlArgs {
    /// Files or folders, then the query (the last argument).
    #[arg(required = true, num_args = 1.., value_name = "PATH... QUERY")]
    pub(crate) args: Vec<String>,

    #[command(flatten)]
    pub(crate) input: InputArgs,

    #[command(flatten)]
    pub(crate) filter: FilterArgs,

    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = SqlFormat::Table)]
    pub(crate) output: SqlFormat,

    /// Cut table cells longer than this many characters (table output).
    #[arg(long, default_value_t = 120, value_name = "CHARS")]
    pub(crate) max_width: usize,
}
