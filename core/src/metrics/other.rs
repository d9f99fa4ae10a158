//! Line-oriented exports that are neither Prometheus text nor JSON: InfluxDB line protocol,
//! VictoriaMetrics CSV, and `kubectl top` tables.

use super::json::parse_quantity;
use super::{Labels, MetricType, NO_TS, Parsed, ProblemKind, SeriesInterner, count_lines};

/// A metric name made of `[a-zA-Z0-9_:]` (other characters become `_`).
fn sanitize(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == ':' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    s
}

/// Splits at unescaped `sep` outside double quotes (line protocol escapes with `\`).
fn split_unescaped(s: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '"' => quoted = !quoted,
            c if c == sep && !quoted => {
                out.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(n @ (',' | ' ' | '=' | '"' | '\\')) => out.push(n),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A line protocol timestamp in ms: precision from its magnitude (ns, us, ms or s).
fn influx_ts(t: i64) -> i64 {
    let a = t.unsigned_abs();
    if a >= 100_000_000_000_000_000 {
        t / 1_000_000
    } else if a >= 100_000_000_000_000 {
        t / 1_000
    } else if a >= 100_000_000_000 {
        t
    } else {
        t * 1000
    }
}

/// Whether a line looks like line protocol: `measurement[,tags] field=value[,...] [ts]`.
pub(crate) fn influx_line(line: &str) -> bool {
    let parts = split_unescaped(line, ' ');
    let parts: Vec<&str> = parts.into_iter().filter(|p| !p.is_empty()).collect();
    if !(2..=3).contains(&parts.len()) {
        return false;
    }
    let fields_ok = split_unescaped(parts[1], ',').iter().all(|f| {
        f.split_once('=')
            .is_some_and(|(k, v)| !k.is_empty() && !v.is_empty())
    });
    let ts_ok = parts
        .get(2)
        .is_none_or(|t| t.bytes().all(|c| c.is_ascii_digit() || c == b'-'));
    let head_ok = !parts[0].starts_with('#')
        && split_unescaped(parts[0], ',')
            .iter()
            .skip(1)
            .all(|t| t.contains('='));
    fields_ok && ts_ok && head_ok
}

/// InfluxDB line protocol: each numeric field becomes series `<measurement>_<field>` with the
/// tags as labels (`value` fields too). Integers (`12i`, `12u`) and booleans (`t`, `false`) are
/// numbers; string fields are not samples (counted in a warning). `influx_inspect export`
/// headers (`# DDL`, `CREATE DATABASE ...`, `# CONTEXT-DATABASE: db`) are skipped; the
/// database becomes a `db` label. Timestamps: precision from the magnitude; none: the scrape
/// time.
pub(crate) fn parse_influx(bytes: &[u8]) -> Parsed {
    let mut out = Parsed::default();
    let mut interner = SeriesInterner::default();
    let mut db: Option<String> = None;
    let mut strings = 0u64;
    let mut lines_with_samples = 0u64;
    for (i, raw) in bytes.split(|&c| c == b'\n').enumerate() {
        let number = i as u64 + 1;
        let line = String::from_utf8_lossy(raw);
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("CREATE ") {
            if let Some(d) = line.strip_prefix("# CONTEXT-DATABASE:") {
                db = Some(d.trim().to_string());
            }
            continue;
        }
        if !influx_line(line) {
            out.problem(number, ProblemKind::Unparsed, "not a line protocol point");
            continue;
        }
        let parts: Vec<&str> = split_unescaped(line, ' ')
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect();
        let mut head = split_unescaped(parts[0], ',').into_iter();
        let measurement = unescape(head.next().unwrap_or_default());
        let mut labels: Labels = head
            .filter_map(|t| t.split_once('='))
            .map(|(k, v)| (sanitize(&unescape(k)), unescape(v)))
            .collect();
        if let Some(d) = &db {
            labels.push(("db".into(), d.clone()));
        }
        let ts = match parts.get(2) {
            Some(t) => match t.parse::<i64>() {
                Ok(t) => influx_ts(t),
                Err(_) => {
                    out.problem(
                        number,
                        ProblemKind::Unparsed,
                        format!("invalid timestamp {t:?}"),
                    );
                    continue;
                }
            },
            None => NO_TS,
        };
        let mut any = false;
        for field in split_unescaped(parts[1], ',') {
            let Some((k, v)) = field.split_once('=') else {
                continue;
            };
            let value = if v.starts_with('"') {
                strings += 1;
                continue;
            } else if let Some(n) = v.strip_suffix('i').or_else(|| v.strip_suffix('u')) {
                n.parse::<i64>().ok().map(|n| n as f64)
            } else {
                match v {
                    "t" | "T" | "true" | "True" | "TRUE" => Some(1.0),
                    "f" | "F" | "false" | "False" | "FALSE" => Some(0.0),
                    _ => v.parse::<f64>().ok(),
                }
            };
            let Some(value) = value else {
                out.problem(
                    number,
                    ProblemKind::Invalid,
                    format!("field {k} has an invalid value {v:?}"),
                );
                continue;
            };
            let name = sanitize(&format!("{measurement}_{}", unescape(k)));
            let id = interner.id(&mut out, name, labels.clone(), MetricType::Unknown);
            out.push_sample(id, ts, value, number);
            any = true;
        }
        lines_with_samples += u64::from(any);
    }
    out.lines = count_lines(bytes);
    out.other_lines = out.lines - out.unparsed - lines_with_samples;
    if strings > 0 {
        out.problem(
            0,
            ProblemKind::Warning,
            format!("{strings} string fields are not numbers and were not kept"),
        );
    }
    out
}

/// The columns of a VictoriaMetrics CSV export, from a header line written as the `format`
/// argument (`__name__,__value__,__timestamp__:unix_ms,job,instance`).
#[derive(Debug)]
enum CsvColumn {
    Name,
    Value,
    Time(&'static str),
    Label(String),
    Skip,
}

/// Whether a first line is such a header.
pub(crate) fn victoria_csv_header(line: &str) -> bool {
    let cols: Vec<&str> = line.split(',').map(str::trim).collect();
    cols.contains(&"__value__") && cols.iter().any(|c| c.starts_with("__timestamp__"))
}

/// VictoriaMetrics `/api/v1/export/csv` with a header line naming the columns (the export has
/// none of its own: write the `format=` you passed as the first line).
pub(crate) fn parse_victoria_csv(bytes: &[u8]) -> Parsed {
    let mut out = Parsed::default();
    let mut interner = SeriesInterner::default();
    let text = String::from_utf8_lossy(bytes);
    let mut lines = text.split('\n').enumerate();
    let header = lines.next().map(|(_, l)| l.trim()).unwrap_or_default();
    let mut cols = Vec::new();
    for c in header.split(',') {
        let c = c.trim();
        cols.push(match c {
            "__name__" => CsvColumn::Name,
            "__value__" => CsvColumn::Value,
            "__timestamp__" | "__timestamp__:unix_ms" => CsvColumn::Time("unix_ms"),
            "__timestamp__:unix_s" => CsvColumn::Time("unix_s"),
            "__timestamp__:unix_ns" => CsvColumn::Time("unix_ns"),
            "__timestamp__:rfc3339" => CsvColumn::Time("rfc3339"),
            c if c.starts_with("__timestamp__") => CsvColumn::Time("custom"),
            "" => CsvColumn::Skip,
            c => CsvColumn::Label(c.to_string()),
        });
    }
    let mut with_samples = 0;
    for (i, line) in lines {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let number = i as u64 + 1;
        let fields = split_csv(line);
        if fields.len() != cols.len() {
            out.problem(
                number,
                ProblemKind::Unparsed,
                format!("{} fields, the header names {}", fields.len(), cols.len()),
            );
            continue;
        }
        let mut name = String::new();
        let mut value = None;
        let mut ts = NO_TS;
        let mut labels = Vec::new();
        let mut bad = None;
        for (c, f) in cols.iter().zip(&fields) {
            match c {
                CsvColumn::Name => name = f.clone(),
                CsvColumn::Value => value = f.parse::<f64>().ok(),
                CsvColumn::Time(unit) => {
                    let t = match *unit {
                        "unix_s" => f.parse::<f64>().ok().and_then(super::ms_of_seconds),
                        "unix_ns" => f.parse::<i64>().ok().map(|n| n / 1_000_000),
                        "rfc3339" => {
                            crate::time::parse_rfc3339_nanos(f.as_bytes()).map(|n| n / 1_000_000)
                        }
                        "unix_ms" => f.parse::<i64>().ok(),
                        _ => None,
                    };
                    match t {
                        Some(t) => ts = t,
                        None => bad = Some(format!("invalid timestamp {f:?}")),
                    }
                }
                CsvColumn::Label(k) => labels.push((k.clone(), f.clone())),
                CsvColumn::Skip => {}
            }
        }
        let Some(value) = value else {
            out.problem(number, ProblemKind::Unparsed, "invalid __value__");
            continue;
        };
        if let Some(msg) = bad {
            out.problem(number, ProblemKind::Unparsed, msg);
            continue;
        }
        let id = interner.id(&mut out, name, labels, MetricType::Unknown);
        out.push_sample(id, ts, value, number);
        with_samples += 1;
    }
    out.lines = count_lines(bytes);
    out.other_lines = out.lines - out.unparsed - with_samples;
    out
}

/// Splits a CSV line (double quotes with `""` escapes).
fn split_csv(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// Whether a line is a `kubectl top` header.
pub(crate) fn kubectl_top_header(line: &str) -> bool {
    let cols: Vec<&str> = line.split_whitespace().collect();
    cols.first()
        .is_some_and(|c| matches!(*c, "NAME" | "NAMESPACE" | "POD"))
        && cols.contains(&"CPU(cores)")
}

/// `kubectl top pods [-A] [--containers]` and `kubectl top nodes`: `pod_*` (or `container_*`
/// with `--containers`) `cpu_usage_cores` and `memory_working_set_bytes`, and for nodes also
/// `node_cpu_usage_ratio` and `node_memory_usage_ratio` from the percent columns. The output
/// has no time: the scrape time applies.
pub(crate) fn parse_kubectl_top(bytes: &[u8]) -> Parsed {
    let mut out = Parsed::default();
    let mut interner = SeriesInterner::default();
    let text = String::from_utf8_lossy(bytes);
    let mut header: Vec<String> = Vec::new();
    let mut with_samples = 0;
    for (i, line) in text.split('\n').enumerate() {
        let number = i as u64 + 1;
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        if kubectl_top_header(line) {
            header = line.split_whitespace().map(str::to_string).collect();
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        if header.is_empty() || fields.len() != header.len() {
            out.problem(
                number,
                ProblemKind::Unparsed,
                "not a row of the `kubectl top` table above it",
            );
            continue;
        }
        let has = |c: &str| header.iter().any(|h| h == c);
        let get = |c: &str| header.iter().position(|h| h == c).map(|i| fields[i]);
        let node = header
            .iter()
            .any(|h| h.starts_with("CPU%") || h == "CPU(%)");
        let (prefix, labels): (&str, Labels) = if node {
            (
                "node",
                vec![("node".into(), get("NAME").unwrap_or("").into())],
            )
        } else if has("POD") {
            let mut l = vec![
                ("pod".into(), get("POD").unwrap_or("").to_string()),
                ("container".into(), get("NAME").unwrap_or("").to_string()),
            ];
            if let Some(ns) = get("NAMESPACE") {
                l.push(("namespace".into(), ns.into()));
            }
            ("container", l)
        } else {
            let mut l = vec![("pod".into(), get("NAME").unwrap_or("").to_string())];
            if let Some(ns) = get("NAMESPACE") {
                l.push(("namespace".into(), ns.into()));
            }
            ("pod", l)
        };
        let mut cells = vec![
            ("CPU(cores)", "cpu_usage_cores", 1.0),
            ("MEMORY(bytes)", "memory_working_set_bytes", 1.0),
        ];
        if node {
            cells.push(("CPU%", "cpu_usage_ratio", 0.01));
            cells.push(("CPU(%)", "cpu_usage_ratio", 0.01));
            cells.push(("MEMORY%", "memory_usage_ratio", 0.01));
            cells.push(("MEMORY(%)", "memory_usage_ratio", 0.01));
        }
        let mut any = false;
        for (col, suffix, scale) in cells {
            let Some(cell) = get(col) else { continue };
            if cell == "<unknown>" {
                continue;
            }
            let v = cell
                .strip_suffix('%')
                .map_or_else(|| parse_quantity(cell), |p| p.parse().ok());
            match v {
                Some(v) => {
                    let id = interner.id(
                        &mut out,
                        format!("{prefix}_{suffix}"),
                        labels.clone(),
                        MetricType::Gauge,
                    );
                    out.push_sample(id, NO_TS, v * scale, number);
                    any = true;
                }
                None => out.problem(
                    number,
                    ProblemKind::Invalid,
                    format!("invalid {col} {cell:?}"),
                ),
            }
        }
        with_samples += u64::from(any);
    }
    out.lines = count_lines(bytes);
    out.other_lines = out.lines - out.unparsed - with_samples;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn influx_points() {
        let p = parse_influx(b"# DML\n# CONTEXT-DATABASE: telegraf\ncpu,host=a,region=eu usage_idle=98.5,usage_user=1i 1465839830100400200\nmem,host=a used_percent=12.5,note=\"x y\" 1465839830100\nweather temp=1\nbroken line here\n");
        assert_eq!(p.samples(), 4);
        let names: Vec<&str> = p.series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "cpu_usage_idle",
                "cpu_usage_user",
                "mem_used_percent",
                "weather_temp"
            ]
        );
        assert_eq!(p.sample_ts[0], 1465839830100);
        assert_eq!(p.sample_ts[2], 1465839830100);
        assert_eq!(p.sample_ts[3], NO_TS);
        assert!(
            p.series[0]
                .labels
                .contains(&("db".into(), "telegraf".into()))
        );
        assert_eq!(p.unparsed, 1);
        assert_eq!(p.lines, 6);
        assert_eq!(p.other_lines, 2);
    }

    #[test]
    fn victoria_csv_with_header() {
        let p = parse_victoria_csv(b"__name__,__value__,__timestamp__:unix_s,job\nup,1,1602523388,a\nup,0,1602523403,a\nup,x,1,a\n");
        assert_eq!(p.samples(), 2);
        assert_eq!(p.sample_ts[1], 1602523403000);
        assert_eq!(p.series[0].labels, vec![("job".into(), "a".into())]);
        assert_eq!(p.unparsed, 1);
    }

    #[test]
    fn kubectl_top_tables() {
        let p = parse_kubectl_top(b"NAMESPACE     NAME                  CPU(cores)   MEMORY(bytes)\nkube-system   coredns-abc           3m           12Mi\nshop          web-1                 250m         1Gi\n");
        assert_eq!(p.samples(), 4);
        assert_eq!(p.series[0].name, "pod_cpu_usage_cores");
        assert_eq!(
            p.sample_value,
            vec![0.003, 12.0 * 1048576.0, 0.25, 1073741824.0]
        );
        let p = parse_kubectl_top(b"NAME       CPU(cores)   CPU%   MEMORY(bytes)   MEMORY%\nnode-a     120m         6%     1500Mi          40%\n");
        let names: Vec<&str> = p.series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "node_cpu_usage_cores",
                "node_memory_working_set_bytes",
                "node_cpu_usage_ratio",
                "node_memory_usage_ratio"
            ]
        );
        assert_eq!(p.sample_value[2], 0.06);
        let p = parse_kubectl_top(
            b"POD     NAME   CPU(cores)   MEMORY(bytes)\nweb-1   app    5m           30Mi\n",
        );
        assert_eq!(p.series[0].name, "container_cpu_usage_cores");
    }
}
