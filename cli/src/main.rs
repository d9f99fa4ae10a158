//! `podsift`: the command-line front end. Glue only: arguments, inputs, output formats and exit
//! codes; everything else is in podsift-core.

// Fatal errors are printed by `main`, once.
#![allow(clippy::print_stderr)]

mod args;
mod input;
mod metrics;
mod query;
mod serve;

use std::io::{self, BufWriter, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::Parser;
use podsift_core::export::{self, arrow::write_ipc_file};
use podsift_core::ingest::Accounting;
use podsift_core::query::filter::LogFilter;
use podsift_core::query::sql::run_sql_with;
use podsift_core::query::stats::{GroupKey, StatsSink, StatsSpec, stats_frame};
use podsift_core::query::tail_per_container;
use podsift_core::time::parse_duration_with_unit;
use podsift_core::{ReadOptions, Tables, Wanted};
use polars::prelude::DataFrame;

use args::{
    Cli, Command, FormatsArgs, LogsArgs, LogsFormat, PatternsArgs, SourcesArgs, SqlArgs, SqlFormat,
    StatsArgs, SummaryArgs, TableFormat, When,
};
use input::{
    build_filter, load, load_format_files, metrics_options, nothing_read, report_problems,
    split_pod_query, with_progress,
};
use podsift_core::formats::{EntryFormat, defined};

/// Exit code: everything was read.
const EXIT_OK: u8 = 0;
/// Exit code: something was skipped or did not parse.
const EXIT_PROBLEMS: u8 = 1;
/// Exit code: usage or fatal error.
const EXIT_FATAL: u8 = 2;
/// Exit code: `podsift report` with a rule that failed.
const EXIT_RULE_FAILED: u8 = 3;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Sources(a) => cmd_sources(&a),
        Command::Logs(a) => cmd_logs(&a),
        Command::Stats(a) => cmd_stats(&a),
        Command::Sql(a) => cmd_sql(&a),
        Command::Formats(a) => cmd_formats(&a),
        Command::Audit(a) => cmd_audit(&a),
        Command::Events(a) => cmd_events(&a),
        Command::Pods(a) => cmd_pods(&a),
        Command::Nodes(a) => cmd_nodes(&a),
        Command::Tests(a) => cmd_tests(&a),
        Command::Metrics(a) => metrics::cmd_metrics(&a),
        Command::Query(a) => query::cmd_query(&a),
        Command::Serve(a) => match std::time::Duration::try_from_secs_f64(a.timeout) {
            Ok(t) if !t.is_zero() => serve::cmd_serve(a.port, &a.paths, t),
            _ => Err(anyhow::anyhow!("--timeout is a number of seconds above 0")),
        },
        Command::Patterns(a) => cmd_patterns(&a),
        Command::Report(a) => match cmd_report(&a) {
            // A failed rule outranks skipped input.
            Ok(Some(code)) => return ExitCode::from(code),
            Ok(None) => Ok(false),
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(problems) => ExitCode::from(if problems { EXIT_PROBLEMS } else { EXIT_OK }),
        Err(e) => {
            if e.chain().any(|c| {
                c.downcast_ref::<io::Error>()
                    .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::from(EXIT_OK);
            }
            eprintln!(
                "podsift: {}",
                podsift_core::export::text::safe_text(&format!("{e:#}"))
            );
            ExitCode::from(EXIT_FATAL)
        }
    }
}

/// Buffered stdout; refuses binary output to a terminal.
pub(crate) fn stdout(binary: bool) -> Result<BufWriter<io::StdoutLock<'static>>> {
    let out = io::stdout();
    if binary && out.is_terminal() {
        bail!(
            "Arrow and Parquet output is binary: redirect it to a file (podsift ... -o arrow > out.arrow)"
        );
    }
    Ok(BufWriter::with_capacity(256 * 1024, out.lock()))
}

pub(crate) fn write_table_format(
    df: &DataFrame,
    format: TableFormat,
    max_cell: usize,
) -> Result<()> {
    let mut out = stdout(false)?;
    match format {
        TableFormat::Table => export::write_table(df, &mut out, max_cell)?,
        TableFormat::Json => export::write_ndjson(df, &mut out)?,
        TableFormat::Csv => export::write_csv(df, &mut out)?,
    }
    out.flush()?;
    Ok(())
}

/// Reads the tables `wanted` asks for, with a progress bar.
fn read(
    loaded: &input::Loaded,
    wanted: Wanted,
    filter: Option<LogFilter>,
    input: &args::InputArgs,
) -> Result<Tables> {
    let options = ReadOptions {
        wanted,
        filter: filter.map(|f| Arc::new(f) as _),
        metrics: metrics_options(input)?,
        live: None,
    };
    Ok(with_progress(loaded.progress_when, "reading", |p| {
        loaded.bundle.read(&options, p)
    })?)
}

/// Only the `logs` table.
const LOGS: Wanted = Wanted {
    logs: true,
    ..Wanted::NONE
};

fn cmd_sources(a: &SourcesArgs) -> Result<bool> {
    let loaded = load(&a.paths, &a.input)?;
    // Every file is read, for its counts.
    let wanted = Wanted {
        logs: false,
        ..Wanted::ALL
    };
    let tables = read(&loaded, wanted, None, &a.input)?;
    let report = tables.accounting;
    let df = loaded.bundle.sources(Some(&report))?;
    if a.output == TableFormat::Table {
        print_bundle_summary(&loaded)?;
    }
    if a.output == TableFormat::Table && !a.wide {
        let mut out = stdout(false)?;
        let root = match a.paths.as_slice() {
            [one] if one.is_dir() => {
                writeln!(out, "files under {}:", one.display())?;
                one.display().to_string()
            }
            _ => String::new(),
        };
        let narrow = narrow_sources(&df, &root)?;
        export::write_table_fit(&narrow, &mut out, terminal_width())?;
        out.flush()?;
    } else if a.output == TableFormat::Table {
        let wide = df.select([
            "file",
            "kind",
            "layout",
            "status",
            "node",
            "namespace",
            "pod",
            "container",
            "restart",
            "lines",
            "entries",
            "unparsed",
            "errors",
            "formats",
            "note",
        ])?;
        write_table_format(&wide, a.output, 100)?;
    } else {
        write_table_format(&df, a.output, 100)?;
    }
    if let Some(why) = loaded.bundle.nothing_read() {
        return Ok(nothing_read(&why));
    }
    Ok(report_problems(&loaded, Some(&report), false))
}

/// The `sources` table for a terminal: the file (from `root`, the one folder given), whether it
/// was read, whose it is
/// (namespace/pod/container, or the node for node logs), its entries, its problems (unparsed
/// lines and errors) and the note; `--wide` shows every column.
fn narrow_sources(df: &DataFrame, root: &str) -> Result<DataFrame> {
    use polars::prelude::{IntoLazy, NULL, col, concat_str, lit, when};
    let who = when(col("pod").is_not_null())
        .then(concat_str(
            [
                col("namespace")
                    .cast(polars::prelude::DataType::String)
                    .fill_null(lit("")),
                col("pod").cast(polars::prelude::DataType::String),
                col("container")
                    .cast(polars::prelude::DataType::String)
                    .fill_null(lit("")),
            ],
            "/",
            true,
        ))
        .otherwise(col("node").cast(polars::prelude::DataType::String))
        .alias("of");
    let problems = (col("unparsed").fill_null(0) + col("errors").fill_null(0)).alias("problems");
    let problems = when(problems.clone().gt(0))
        .then(problems)
        .otherwise(lit(NULL).cast(polars::prelude::DataType::UInt64))
        .alias("problems");
    // Paths under the one folder given are shown from it (the line above the table names it).
    let prefix = (!root.is_empty()).then(|| format!("{}/", root.trim_end_matches('/')));
    let short = |c: &str, anywhere: bool| -> Result<Vec<Option<String>>> {
        Ok(df
            .column(c)?
            .cast(&polars::prelude::DataType::String)?
            .str()?
            .into_iter()
            .map(|f| {
                f.map(|f| {
                    let f = match &prefix {
                        // A note names files anywhere in its text; a file starts with the root.
                        Some(p) if anywhere => f.replace(p, ""),
                        Some(p) => f.strip_prefix(p.as_str()).unwrap_or(f).to_string(),
                        None => f.to_string(),
                    };
                    short_path(&f)
                })
            })
            .collect())
    };
    let (files, notes) = (short("file", false)?, short("note", true)?);
    let mut df = df.clone();
    df.with_column(polars::prelude::Column::new("file".into(), files))?;
    df.with_column(polars::prelude::Column::new("note".into(), notes))?;
    Ok(df
        .lazy()
        .select([
            col("file"),
            col("status"),
            who,
            col("entries"),
            problems,
            col("note"),
        ])
        .collect()?)
}

/// A path for a narrow table: container ids (64 hex digits) cut to 12, as `docker ps` shows
/// them.
fn short_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut run = String::new();
    let flush = |out: &mut String, run: &mut String| {
        if run.len() >= 32 {
            out.push_str(&run[..12]);
            out.push('…');
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in path.chars() {
        if c.is_ascii_hexdigit() {
            run.push(c);
        } else {
            flush(&mut out, &mut run);
            out.push(c);
        }
    }
    flush(&mut out, &mut run);
    out
}

/// Columns of the terminal standard output goes to (100 when it is not one).
fn terminal_width() -> usize {
    terminal_size::terminal_size_of(std::io::stdout())
        .map_or(100, |(w, _)| usize::from(w.0).max(40))
}

/// Above the `sources` table: the archives opened and the layouts found.
fn print_bundle_summary(loaded: &input::Loaded) -> Result<()> {
    use std::collections::BTreeMap;
    let mut out = std::io::stdout().lock();
    for a in &loaded.bundle.set().archives {
        writeln!(
            out,
            "archive {} ({}): {} member{}, {} unpacked{}",
            a.path,
            a.kind.as_str(),
            a.members,
            if a.members == 1 { "" } else { "s" },
            podsift_core::diag::human_size(a.bytes),
            a.stopped
                .as_deref()
                .map(|s| format!("; {s}"))
                .unwrap_or_default()
        )?;
    }
    let mut layouts: BTreeMap<&str, (usize, std::collections::BTreeSet<&str>)> = BTreeMap::new();
    for f in &loaded.bundle.plan().files {
        if let Some(l) = f.layout {
            let e = layouts.entry(l.as_str()).or_default();
            e.0 += 1;
            if let Some(n) = &f.meta.node {
                e.1.insert(n);
            }
        }
    }
    for (name, (files, nodes)) in &layouts {
        let nodes = if nodes.is_empty() {
            String::new()
        } else {
            format!(
                ", node{} {}",
                if nodes.len() == 1 { "" } else { "s" },
                nodes.iter().copied().collect::<Vec<_>>().join(", ")
            )
        };
        writeln!(
            out,
            "layout {name}: {files} file{}{nodes}",
            if *files == 1 { "" } else { "s" }
        )?;
    }
    let resources = loaded.bundle.plan().resource_counts();
    if !resources.is_empty() {
        let files: usize = resources.iter().map(|(_, n)| n).sum();
        let kinds: Vec<String> = resources.iter().map(|(k, n)| format!("{k} {n}")).collect();
        writeln!(
            out,
            "not logs: {files} file{} of resources and data ({})",
            if files == 1 { "" } else { "s" },
            kinds.join(", ")
        )?;
    }
    Ok(())
}

fn cmd_logs(a: &LogsArgs) -> Result<bool> {
    let (paths, query) = split_pod_query(&a.paths)?;
    if a.follow {
        if paths.iter().any(|p| input::is_stdin(p)) {
            bail!("--follow follows files; a stream piped in is read to its end without it");
        }
        if !matches!(a.output, LogsFormat::Text | LogsFormat::Json) {
            bail!("--follow writes text or json (NDJSON), a line per entry as it comes");
        }
    }
    // Followed files start at their end as they are now: what the first read covers.
    let mut follower = match a.follow {
        true => Some(podsift_core::sources::native::Follower::new(&paths)?),
        false => None,
    };
    let loaded = load(&paths, &a.input)?;
    if follower.is_none()
        && let Some(why) = loaded.bundle.nothing_read()
    {
        return Ok(nothing_read(&why));
    }
    let filter = Arc::new(build_filter(&a.filter, query.as_deref(), &loaded)?);
    let options = ReadOptions {
        wanted: LOGS,
        filter: Some(filter.clone()),
        metrics: metrics_options(&a.input)?,
        live: None,
    };
    let tables = with_progress(loaded.progress_when, "reading", |p| {
        loaded.bundle.read(&options, p)
    })?;
    let (df, report) = (tables.logs, tables.accounting);
    if let (0, Some(q), None) = (df.height(), &query, &follower) {
        report_problems(&loaded, Some(&report), true);
        return Ok(nothing_read(&format!(
            "no entries of a pod matching {q:?} (the last argument is a pod regex when it is not \
             a path; `podsift sources` lists the pods)"
        )));
    }
    let df = match a.tail {
        Some(n) => tail_per_container(&df, n)?,
        None => df,
    };
    let color = match a.color {
        When::Always => true,
        When::Never => false,
        When::Auto => {
            io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let style = podsift_core::export::text::TextStyle {
        color,
        timestamps: a.timestamps,
        // What a log holds must not drive the terminal it is shown on.
        safe: color || io::stdout().is_terminal(),
    };
    let mut palette = podsift_core::export::text::Palette::default();
    let mut out = stdout(matches!(a.output, LogsFormat::Arrow | LogsFormat::Parquet))?;
    let mut write = |df: &DataFrame, out: &mut BufWriter<io::StdoutLock<'static>>| -> Result<()> {
        match a.output {
            LogsFormat::Text => {
                podsift_core::export::text::write_text_with(df, out, style, &mut palette)?;
            }
            LogsFormat::Json => export::write_ndjson(df, out)?,
            LogsFormat::Csv => export::write_csv(df, out)?,
            LogsFormat::Arrow => write_ipc_file(df, out)?,
            // The parquet writer wants a writer it may send to another thread; stdout's lock
            // is not.
            LogsFormat::Parquet => out.write_all(&export::ExportFormat::Parquet.write(df)?)?,
        }
        out.flush()?;
        Ok(())
    };
    write(&df, &mut out)?;
    let problems = report_problems(&loaded, Some(&report), true);
    let Some(follower) = &mut follower else {
        return Ok(problems);
    };
    // Then what is written next, a poll a second, until interrupted (as tail -F and stern).
    loop {
        std::thread::sleep(FOLLOW_EVERY);
        let set = follower.poll()?;
        if set.entries().is_empty() {
            continue;
        }
        let bundle = podsift_core::Bundle::open(set, &loaded.options);
        let tables = bundle.read(&options, &podsift_core::Progress::default())?;
        if tables.logs.height() > 0 {
            write(&tables.logs, &mut out)?;
        }
    }
}

/// How often `logs --follow` looks for what was written.
const FOLLOW_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

fn cmd_stats(a: &StatsArgs) -> Result<bool> {
    // Usage errors before any read.
    let by =
        a.by.iter()
            .filter(|s| !s.trim().is_empty())
            .map(|s| GroupKey::parse(s))
            .collect::<Result<Vec<_>, _>>()?;
    let every_nanos = match &a.every {
        Some(e) => match parse_duration_with_unit(e) {
            Some(n) if n > 0 => Some(n),
            _ => bail!("invalid --every {e:?}: a duration with its unit, such as 30s, 5m, 1h"),
        },
        None => None,
    };
    let loaded = load(&a.paths, &a.input)?;
    if let Some(why) = loaded.bundle.nothing_read() {
        return Ok(nothing_read(&why));
    }
    let filter = build_filter(&a.filter, None, &loaded)?;
    let spec = Arc::new(StatsSpec { by, every_nanos });
    let (sinks, report) = with_progress(loaded.progress_when, "reading", |p| {
        loaded
            .bundle
            .ingest(&filter, || StatsSink::new(spec.clone()), p)
    });
    let df = stats_frame(&spec, sinks)?;
    write_table_format(&df, a.output, 100)?;
    Ok(report_problems(&loaded, Some(&report), true))
}

fn cmd_sql(a: &SqlArgs) -> Result<bool> {
    let (query, paths) = a
        .args
        .split_last()
        .context("a query is needed after the paths")?;
    if paths.is_empty() || std::path::Path::new(query).exists() {
        bail!(
            "no query: podsift sql PATH... 'SELECT ...' (the query goes last; `podsift sql --help` \
             lists the tables)"
        );
    }
    if let Some(missing) = paths
        .iter()
        .find(|p| !input::is_stdin(p) && !std::path::Path::new(p).exists())
    {
        bail!("{missing}: no such file or folder (the query goes last)");
    }
    let loaded = load(paths, &a.input)?;
    if let Some(why) = loaded.bundle.nothing_read() {
        return Ok(nothing_read(&why));
    }
    let filter = build_filter(&a.filter, None, &loaded)?;
    let tables = read(&loaded, Wanted::ALL, Some(filter), &a.input)?;
    let report = &tables.accounting;
    let df = tables
        .sql(&loaded.bundle, query)
        .context("SQL query failed")?;
    let mut out = stdout(a.output == SqlFormat::Arrow)?;
    match a.output {
        SqlFormat::Table => export::write_table(&df, &mut out, a.max_width)?,
        SqlFormat::Json => export::write_ndjson(&df, &mut out)?,
        SqlFormat::Csv => export::write_csv(&df, &mut out)?,
        SqlFormat::Arrow => write_ipc_file(&df, &mut out)?,
    }
    out.flush()?;
    Ok(report_problems(&loaded, Some(report), true))
}

/// The exit code when it is not 0: 3 when a rule failed, else 1 when input was skipped.
fn cmd_report(a: &args::ReportArgs) -> Result<Option<u8>> {
    use podsift_core::report::rules::{check, parse_rules, sink_patterns, to_junit};
    use podsift_core::report::{Report, ReportDiff, ReportOptions};
    if let Some(files) = &a.diff {
        let read = |p: &std::path::PathBuf| -> Result<Report> {
            let text = std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?;
            Report::from_json(&text)
                .with_context(|| format!("{}: not a `podsift report -o json` file", p.display()))
        };
        let d = ReportDiff::between(&read(&files[0])?, &read(&files[1])?);
        let text = match a.output {
            args::ReportFormat::Json => d.to_json(),
            _ => d.to_markdown(),
        };
        write_report(a.out.as_deref(), &text)?;
        return Ok(None);
    }
    let rules = match &a.rules {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            Some(
                parse_rules(&text)
                    .with_context(|| format!("{}: not a valid rules file", path.display()))?,
            )
        }
        None => None,
    };
    let silence_ns = parse_duration_with_unit(&a.silence)
        .filter(|n| *n > 0)
        .with_context(|| {
            format!(
                "invalid --silence {:?}: a duration with its unit, such as 30s, 5m",
                a.silence
            )
        })?;
    let (paths, pod_query) = split_pod_query(&a.paths)?;
    let loaded = load(&paths, &a.input)?;
    if let Some(why) = loaded.bundle.nothing_read() {
        nothing_read(&why);
        return Ok(Some(EXIT_PROBLEMS));
    }
    let filter = build_filter(&a.filter, pod_query.as_deref(), &loaded)?;
    let sink_options = std::sync::Arc::new(podsift_core::report::sink::SinkOptions {
        silence_ns,
        forbid: rules.as_ref().map(sink_patterns).unwrap_or_default(),
    });
    let options = ReadOptions {
        filter: Some(Arc::new(filter)),
        metrics: metrics_options(&a.input)?,
        ..ReadOptions::default()
    };
    let report_options = ReportOptions {
        top: a.top,
        silence_ns,
    };
    let (mut r, facts, report) = with_progress(loaded.progress_when, "reading", |p| {
        loaded
            .bundle
            .report(&options, &sink_options, &report_options, p)
    })?;
    if let Some(rules) = &rules {
        r.rules = check(rules, &r, &facts);
    }
    let text = match a.output {
        args::ReportFormat::Md => r.to_markdown(),
        args::ReportFormat::Json => r.to_json(),
        args::ReportFormat::Junit => to_junit(&r.rules),
        args::ReportFormat::Html => r.to_html(),
    };
    write_report(a.out.as_deref(), &text)?;
    let problems = report_problems(&loaded, Some(&report), false);
    Ok(if r.rules.iter().any(|x| !x.passed) {
        Some(EXIT_RULE_FAILED)
    } else if problems {
        Some(EXIT_PROBLEMS)
    } else {
        None
    })
}

/// Writes a report to `out`, or to standard output.
fn write_report(out: Option<&std::path::Path>, text: &str) -> Result<()> {
    match out {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
        }
        None => {
            let mut out = stdout(false)?;
            out.write_all(text.as_bytes())?;
            out.flush()?;
            Ok(())
        }
    }
}

fn cmd_patterns(a: &PatternsArgs) -> Result<bool> {
    use podsift_core::query::patterns::{MinerConfig, mine_logs, patterns_frame};
    if !(0.0..=1.0).contains(&a.similarity) {
        bail!("--similarity is a share between 0 and 1");
    }
    let (paths, pod_query) = split_pod_query(&a.paths)?;
    let loaded = load(&paths, &a.input)?;
    if let Some(why) = loaded.bundle.nothing_read() {
        return Ok(nothing_read(&why));
    }
    let filter = build_filter(&a.filter, pod_query.as_deref(), &loaded)?;
    let tables = read(&loaded, LOGS, Some(filter), &a.input)?;
    let (logs, report) = (tables.logs, tables.accounting);
    let mut patterns = mine_logs(
        &logs,
        MinerConfig {
            similarity: a.similarity,
            ..MinerConfig::default()
        },
    )?;
    patterns.truncate(a.top);
    write_table_format(&patterns_frame(&patterns)?, a.output, 100)?;
    Ok(report_problems(&loaded, Some(&report), true))
}

fn cmd_formats(a: &FormatsArgs) -> Result<bool> {
    load_format_files(&a.formats)?;
    if let Some(file) = &a.check {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        let defs = defined::read_defs(&text)
            .with_context(|| format!("{}: not a valid format file", file.display()))?;
        let origin = file.display().to_string();
        let ids = defined::register(defs, &origin).with_context(|| origin.clone())?;
        let mut out = stdout(false)?;
        let mut failed = false;
        for id in ids {
            let f = defined::get(id).context("a registered format")?;
            let failures = f.check_samples();
            let n = f.def.samples.len();
            if failures.is_empty() {
                writeln!(out, "ok      {} ({n} samples)", f.def.name)?;
            } else {
                failed = true;
                writeln!(
                    out,
                    "FAILED  {} ({} of {n} samples)",
                    f.def.name,
                    failures.len()
                )?;
                for msg in failures {
                    writeln!(out, "    {msg}")?;
                }
            }
            if n == 0 {
                writeln!(
                    out,
                    "    (no samples: add [[format.sample]] lines to test it)"
                )?;
            }
        }
        out.flush()?;
        return Ok(failed);
    }
    let mut names = Vec::new();
    let mut kinds = Vec::new();
    let mut origins = Vec::new();
    let mut samples = Vec::new();
    let mut descriptions = Vec::new();
    for &(_, name, description) in EntryFormat::families() {
        names.push(name.to_string());
        kinds.push("parser");
        origins.push("built-in".to_string());
        samples.push(0u32);
        descriptions.push(description.to_string());
    }
    for f in defined::all() {
        names.push(f.def.name.clone());
        kinds.push("regex");
        origins.push(f.origin.clone());
        samples.push(f.def.samples.len() as u32);
        descriptions.push(f.def.description.clone());
    }
    let df = DataFrame::new(vec![
        polars::prelude::Column::new("name".into(), names),
        polars::prelude::Column::new("kind".into(), kinds),
        polars::prelude::Column::new("defined_in".into(), origins),
        polars::prelude::Column::new("samples".into(), samples),
        polars::prelude::Column::new("description".into(), descriptions),
    ])?;
    write_table_format(&df, a.output, 200)?;
    Ok(false)
}

/// Prints titled sections of a summary.
pub(crate) fn write_sections(sections: Vec<(String, DataFrame)>) -> Result<()> {
    let mut out = stdout(false)?;
    for (title, df) in sections {
        writeln!(out, "{title}")?;
        export::write_table(&df, &mut out, 160)?;
        writeln!(out)?;
    }
    out.flush()?;
    Ok(())
}

/// Runs SQL queries over one table for the sections of a summary.
fn sections(
    table: &str,
    df: &DataFrame,
    queries: &[(&str, String)],
) -> Result<Vec<(String, DataFrame)>> {
    let mut out = Vec::new();
    for (title, q) in queries {
        let empty = DataFrame::empty();
        let r = run_sql_with(empty.clone(), empty, vec![(table, df.clone())], q)
            .with_context(|| format!("summary query failed: {q}"))?;
        out.push((title.to_string(), r));
    }
    Ok(out)
}

fn cmd_audit(a: &SummaryArgs) -> Result<bool> {
    let loaded = load(&a.paths, &a.input)?;
    let mut report = Accounting::default();
    let df = loaded.bundle.read_audit(&mut report)?;
    if df.height() == 0 {
        return Ok(nothing_read(
            "no audit events (audit.k8s.io Event lines) under the given paths",
        ));
    }
    match a.output {
        TableFormat::Table => {
            let n = a.top;
            let by = |cols: &str| {
                format!(
                    "SELECT {cols}, COUNT(*) AS requests FROM audit GROUP BY {cols} ORDER BY requests DESC, {cols} LIMIT {n}"
                )
            };
            let s = sections(
                "audit",
                &df,
                &[
                    (
                        "Events, time range",
                        "SELECT COUNT(*) AS events, MIN(ts) AS first, MAX(ts) AS last FROM audit"
                            .into(),
                    ),
                    ("Top users", by("\"user\"")),
                    ("Top verbs", by("verb")),
                    ("Top resources", by("resource")),
                    ("Response codes", by("code")),
                    (
                        "Failed requests (code >= 400) by user, verb, resource, code",
                        format!(
                            "SELECT \"user\", verb, resource, code, COUNT(*) AS requests FROM audit WHERE code >= 400 GROUP BY \"user\", verb, resource, code ORDER BY requests DESC, \"user\", verb, resource, code LIMIT {n}"
                        ),
                    ),
                    (
                        "Slowest requests",
                        format!(
                            "SELECT ts, latency_ms, \"user\", verb, request_uri, code FROM audit WHERE latency_ms IS NOT NULL ORDER BY latency_ms DESC, ts LIMIT {n}"
                        ),
                    ),
                ],
            )?;
            write_sections(s)?;
        }
        other => write_table_format(&df, other, 200)?,
    }
    Ok(report_problems(&loaded, Some(&report), false))
}

fn cmd_pods(a: &SummaryArgs) -> Result<bool> {
    let loaded = load(&a.paths, &a.input)?;
    let mut report = Accounting::default();
    let df = loaded.bundle.read_pods(&mut report)?;
    if df.height() == 0 {
        return Ok(nothing_read(
            "no pod lists (PodList or Pod objects as JSON or YAML) under the given paths",
        ));
    }
    match a.output {
        TableFormat::Table => {
            let n = a.top;
            let s = sections(
                "pods",
                &df,
                &[
                    (
                        "Pods by phase",
                        "SELECT phase, COUNT(DISTINCT uid) AS pods, COUNT(*) AS containers, SUM(restarts) AS restarts FROM pods GROUP BY phase ORDER BY pods DESC, phase".into(),
                    ),
                    (
                        "Most restarted containers",
                        format!("SELECT namespace, pod, container, restarts, last_reason, exit_code, finished_ts FROM pods WHERE restarts > 0 ORDER BY restarts DESC, namespace, pod, container LIMIT {n}"),
                    ),
                    (
                        "Terminations by reason",
                        "SELECT last_reason, exit_code, COUNT(*) AS containers FROM pods WHERE last_reason IS NOT NULL GROUP BY last_reason, exit_code ORDER BY containers DESC, last_reason".into(),
                    ),
                    (
                        "Containers not ready",
                        format!("SELECT namespace, pod, container, state, state_reason, restarts FROM pods WHERE NOT init AND (ready IS NULL OR NOT ready) ORDER BY namespace, pod, container LIMIT {n}"),
                    ),
                ],
            )?;
            write_sections(s)?;
        }
        other => write_table_format(&df, other, 200)?,
    }
    Ok(report_problems(&loaded, Some(&report), false))
}

fn cmd_nodes(a: &SummaryArgs) -> Result<bool> {
    let loaded = load(&a.paths, &a.input)?;
    let mut report = Accounting::default();
    let (nodes, conditions) = loaded.bundle.read_nodes(&mut report)?;
    if nodes.height() == 0 {
        return Ok(nothing_read(
            "no node lists (NodeList or Node objects as JSON or YAML) under the given paths",
        ));
    }
    match a.output {
        TableFormat::Table => {
            let mut s = sections(
                "nodes",
                &nodes,
                &[(
                    "Nodes",
                    "SELECT node, roles, ready, ready_since, problems, unschedulable, kubelet_version, container_runtime, cpu_capacity AS cpu, round(memory_capacity / 1073741824.0, 1) AS memory_gib, pods_capacity AS pods FROM nodes ORDER BY node".into(),
                )],
            )?;
            s.extend(sections(
                "node_conditions",
                &conditions,
                &[(
                    "Conditions not OK",
                    "SELECT node, type, status, reason, last_transition_ts, message FROM node_conditions WHERE (type = 'Ready' AND status <> 'True') OR (type <> 'Ready' AND status = 'True') ORDER BY last_transition_ts, node, type".into(),
                )],
            )?);
            write_sections(s)?;
        }
        other => write_table_format(&nodes, other, 200)?,
    }
    Ok(report_problems(&loaded, Some(&report), false))
}

fn cmd_tests(a: &SummaryArgs) -> Result<bool> {
    let loaded = load(&a.paths, &a.input)?;
    let mut report = Accounting::default();
    let df = loaded.bundle.read_tests(&mut report)?;
    if df.height() == 0 {
        return Ok(nothing_read(
            "no test cases (JUnit XML reports) under the given paths",
        ));
    }
    match a.output {
        TableFormat::Table => {
            let n = a.top;
            let s = sections(
                "tests",
                &df,
                &[
                    (
                        "Tests by status",
                        "SELECT status, COUNT(*) AS tests, round(SUM(duration_s), 1) AS seconds FROM tests GROUP BY status ORDER BY tests DESC, status".into(),
                    ),
                    (
                        "Failed tests",
                        format!("SELECT status, name, round(duration_s, 1) AS seconds, message FROM tests WHERE status IN ('failed', 'error') ORDER BY suite, name LIMIT {n}"),
                    ),
                    (
                        "Slowest tests",
                        format!("SELECT status, name, round(duration_s, 1) AS seconds FROM tests WHERE duration_s IS NOT NULL ORDER BY duration_s DESC, name LIMIT {n}"),
                    ),
                ],
            )?;
            write_sections(s)?;
        }
        other => write_table_format(&df, other, 200)?,
    }
    // Failed tests are what the command reports, not a problem reading them: exit 0.
    Ok(report_problems(&loaded, Some(&report), false))
}

fn cmd_events(a: &SummaryArgs) -> Result<bool> {
    let loaded = load(&a.paths, &a.input)?;
    let mut report = Accounting::default();
    let df = loaded.bundle.read_events(&mut report)?;
    if df.height() == 0 {
        return Ok(nothing_read(
            "no Kubernetes Events (EventList, Event objects or watch output) under the given paths",
        ));
    }
    match a.output {
        TableFormat::Table => {
            let n = a.top;
            let s = sections(
                "events",
                &df,
                &[
                    (
                        "Events by type",
                        "SELECT type, COUNT(*) AS events, SUM(count) AS occurrences FROM events GROUP BY type ORDER BY events DESC, type".into(),
                    ),
                    (
                        "Warning events by reason",
                        format!("SELECT reason, COUNT(*) AS events, SUM(count) AS occurrences, MAX(last_ts) AS last FROM events WHERE type = 'Warning' GROUP BY reason ORDER BY occurrences DESC, reason LIMIT {n}"),
                    ),
                    (
                        "Warning events by object",
                        format!("SELECT object_kind, namespace, object_name, SUM(count) AS occurrences, MAX(last_ts) AS last FROM events WHERE type = 'Warning' GROUP BY object_kind, namespace, object_name ORDER BY occurrences DESC, object_kind, namespace, object_name LIMIT {n}"),
                    ),
                    (
                        "Latest Warning events",
                        format!("SELECT last_ts, namespace, object_kind, object_name, reason, count, message FROM events WHERE type = 'Warning' ORDER BY last_ts DESC LIMIT {n}"),
                    ),
                ],
            )?;
            write_sections(s)?;
        }
        other => write_table_format(&df, other, 200)?,
    }
    Ok(report_problems(&loaded, Some(&report), false))
}
