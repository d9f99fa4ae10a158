//! Inputs: paths into a planned file set, filter arguments into a [`LogFilter`], a progress bar,
//! and the problems report that decides the exit code.

use podsift_core::export::text::safe_text;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use podsift_core::diag::Diagnostic;
use podsift_core::formats::EntryFormat;
use podsift_core::formats::defined;
use podsift_core::ingest::{Accounting, Progress};
use podsift_core::query::filter::{FieldMatch, LevelSet, LogFilter};
use podsift_core::sources::archive::ArchiveLimits;
use podsift_core::sources::plan::PlanOptions;
use podsift_core::time::TimeBound;
use podsift_core::{Bundle, OpenOptions};
use regex::Regex;
use regex::bytes::Regex as BytesRegex;

use crate::args::{FilterArgs, InputArgs, When};

/// A bundle opened and planned, and when to draw a progress bar.
pub(crate) struct Loaded {
    pub(crate) bundle: Bundle,
    /// How it was opened (a followed read opens what was written next the same way).
    pub(crate) options: OpenOptions,
    pub(crate) progress_when: When,
}

/// Discovers and classifies every file under `paths`.
pub(crate) fn load(paths: &[impl AsRef<Path>], input: &InputArgs) -> Result<Loaded> {
    load_format_files(&input.formats)?;
    let format =
        match &input.format {
            Some(name) => Some(EntryFormat::by_name(name).with_context(|| {
                format!("unknown format {name:?}: `podsift formats` lists them")
            })?),
            None => None,
        };
    let options = OpenOptions {
        limits: ArchiveLimits {
            max_bytes: input.max_unpacked,
            max_entries: input.max_archive_entries,
            max_held: input.max_held,
            ..ArchiveLimits::default()
        },
        follow_links: input.follow_links,
        plan: PlanOptions {
            node: input.node.clone(),
            year: input.year,
            format,
            direct_files: Vec::new(),
            namespace: input.set_namespace.clone(),
            pod: input.set_pod.clone(),
            container: input.set_container.clone(),
        },
    };
    let bundle = Bundle::open_paths(paths, &options).context("cannot read input")?;
    Ok(Loaded {
        bundle,
        options,
        progress_when: input.progress,
    })
}

/// Registers the format definitions in `files`.
pub(crate) fn load_format_files(files: &[impl AsRef<Path>]) -> Result<()> {
    for f in files {
        let f = f.as_ref();
        let text = std::fs::read_to_string(f)
            .with_context(|| format!("cannot read format file {}", f.display()))?;
        let defs = defined::read_defs(&text)
            .with_context(|| format!("{}: not a valid format file", f.display()))?;
        defined::register(defs, &f.display().to_string())
            .with_context(|| format!("{}", f.display()))?;
    }
    Ok(())
}

/// Splits `logs` arguments into paths and an optional pod query: the last argument is the query
/// when it is not an existing file or folder and does not look like a path (a `/`, or a log's
/// or an archive's extension): a mistyped folder is an error, not a query that shows nothing.
pub(crate) fn split_pod_query(args: &[String]) -> Result<(Vec<String>, Option<String>)> {
    let mut paths = args.to_vec();
    let mut query = None;
    if let [_, .., last] = args
        && !Path::new(last).exists()
        && !looks_like_path(last)
    {
        query = paths.pop();
    }
    if let Some(missing) = paths
        .iter()
        .find(|p| !is_stdin(p) && !Path::new(p).exists())
    {
        bail!("{missing}: no such file or folder");
    }
    Ok((paths, query))
}

/// Whether an argument reads standard input (`-`).
pub(crate) fn is_stdin(arg: &str) -> bool {
    arg == "-"
}

/// Whether an argument that does not exist was meant as a path rather than a pod regex.
fn looks_like_path(arg: &str) -> bool {
    const EXTENSIONS: [&str; 14] = [
        ".log", ".txt", ".gz", ".tgz", ".tar", ".zip", ".zst", ".xz", ".bz2", ".json", ".yaml",
        ".yml", ".prom", ".ndjson",
    ];
    arg.contains('/') || arg.contains('\\') || EXTENSIONS.iter().any(|e| arg.ends_with(e))
}

/// Says that nothing was read and why (every command alike); the exit code is then 1.
pub(crate) fn nothing_read(why: &str) -> bool {
    let _ = writeln!(
        std::io::stderr(),
        "podsift: nothing read: {}",
        safe_text(why)
    );
    true
}

fn regexes(list: &[String], what: &str) -> Result<Vec<Regex>> {
    list.iter()
        .map(|r| Regex::new(r).with_context(|| format!("invalid {what} regex {r:?}")))
        .collect()
}

fn byte_regexes(list: &[String], what: &str) -> Result<Vec<BytesRegex>> {
    list.iter()
        .map(|r| BytesRegex::new(r).with_context(|| format!("invalid {what} regex {r:?}")))
        .collect()
}

/// Builds the filter; relative `--since`/`--until` count back from the input's last entry,
/// which costs one extra pass over the files.
pub(crate) fn build_filter(
    args: &FilterArgs,
    pod_query: Option<&str>,
    loaded: &Loaded,
) -> Result<LogFilter> {
    let since = args.since.as_deref().map(TimeBound::parse).transpose()?;
    let until = args.until.as_deref().map(TimeBound::parse).transpose()?;
    let relative = [since, until]
        .iter()
        .any(|b| matches!(b, Some(TimeBound::BeforeEnd(_))));
    let end = if relative {
        with_progress(loaded.progress_when, "finding the last entry", |p| {
            loaded.bundle.last_entry_ts(p)
        })
    } else {
        None
    };
    let mut pods = args.pod.clone();
    pods.extend(pod_query.map(str::to_string));
    Ok(LogFilter {
        namespace: regexes(&args.namespace, "--namespace")?,
        pod: regexes(&pods, "pod")?,
        container: regexes(&args.container, "--container")?,
        exclude_pod: regexes(&args.exclude_pod, "--exclude-pod")?,
        exclude_container: regexes(&args.exclude_container, "--exclude-container")?,
        node: regexes(&args.node_match, "--node-match")?,
        levels: args.level.as_deref().map(LevelSet::parse).transpose()?,
        include: byte_regexes(&args.include, "--include")?,
        exclude: byte_regexes(&args.exclude, "--exclude")?,
        // With no entries at all, a relative bound has nothing to count back from: it passes
        // nothing rather than everything.
        since_nanos: since.map(|b| b.resolve(end).unwrap_or(i64::MAX)),
        until_nanos: until.map(|b| b.resolve(end).unwrap_or(i64::MIN)),
        fields: args
            .field
            .iter()
            .map(|f| FieldMatch::parse(f))
            .collect::<Result<_, _>>()?,
    })
}

/// Runs `work` with a progress bar on stderr that appears when it takes more than a second
/// (and stderr is a terminal, unless `when` says otherwise).
pub(crate) fn with_progress<T>(when: When, label: &str, work: impl FnOnce(&Progress) -> T) -> T {
    let show = match when {
        When::Never => false,
        When::Always => true,
        When::Auto => std::io::stderr().is_terminal(),
    };
    let progress = Progress::default();
    if !show {
        return work(&progress);
    }
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| draw_progress(&progress, &done, label));
        let out = work(&progress);
        done.store(true, Ordering::Relaxed);
        out
    })
}

fn draw_progress(progress: &Progress, done: &AtomicBool, label: &str) {
    let start = Instant::now();
    let mut drawn = false;
    while !done.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(100));
        if start.elapsed() < Duration::from_secs(1) || done.load(Ordering::Relaxed) {
            continue;
        }
        let total = progress.bytes_total.load(Ordering::Relaxed).max(1);
        let read = progress.bytes_done.load(Ordering::Relaxed).min(total);
        let width = 30;
        let filled = (read as f64 / total as f64 * width as f64) as usize;
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r\x1b[2K{label} [{}{}] {:>3}% {} / {}",
            "#".repeat(filled),
            "-".repeat(width - filled),
            read * 100 / total,
            human_bytes(read),
            human_bytes(total)
        );
        let _ = err.flush();
        drawn = true;
    }
    if drawn {
        let _ = write!(std::io::stderr(), "\r\x1b[2K");
    }
}

/// `1.5 MB`, `312 KB`.
pub(crate) fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < UNITS.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// Most diagnostics printed before the rest are only counted.
const MAX_PRINTED: usize = 40;

/// Prints what went wrong to stderr and says whether anything was skipped or left unparsed
/// (exit code 1).
pub(crate) fn report_problems(
    loaded: &Loaded,
    accounting: Option<&Accounting>,
    list_skipped: bool,
) -> bool {
    let problems = loaded.bundle.problems(accounting);
    let mut err = std::io::stderr().lock();
    let all: Vec<&Diagnostic> = problems.messages(list_skipped).collect();
    for d in all.iter().take(MAX_PRINTED) {
        // File names and lines in messages come from the input: their control characters are
        // shown, never sent to the terminal.
        let _ = writeln!(err, "{}", safe_text(&d.to_string()));
    }
    if all.len() > MAX_PRINTED {
        let _ = writeln!(
            err,
            "podsift: {} more messages not shown",
            all.len() - MAX_PRINTED
        );
    }
    match problems.summary() {
        Some(summary) => {
            let _ = writeln!(
                err,
                "podsift: {summary} (`podsift sources` lists every file and what was done with it)"
            );
            true
        }
        None => false,
    }
}

/// `--at` and `--scrape-interval` as metrics options.
pub(crate) fn metrics_options(
    input: &InputArgs,
) -> Result<podsift_core::table::metrics::MetricsOptions> {
    let at_ms = match input.at.as_deref() {
        None => None,
        Some(t) => match TimeBound::parse(t)? {
            TimeBound::At(ns) => Some(ns.div_euclid(1_000_000)),
            TimeBound::BeforeEnd(_) => bail!("--at needs a time, not a duration: {t:?}"),
        },
    };
    let interval = podsift_core::time::parse_duration_with_unit(&input.scrape_interval)
        .filter(|n| *n > 0)
        .with_context(|| {
            format!(
                "invalid --scrape-interval {:?}: a duration with its unit, such as 15s",
                input.scrape_interval
            )
        })?;
    Ok(podsift_core::table::metrics::MetricsOptions {
        scrape: podsift_core::metrics::scrape_time::ScrapeTimeOptions {
            at_ms,
            interval_ms: interval / 1_000_000,
        },
        ..Default::default()
    })
}
