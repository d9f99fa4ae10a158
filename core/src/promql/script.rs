//! Prometheus's PromQL test scripts (the `promqltest` format of its `testdata/*.test`), run
//! through podsift's engine: `load <interval>` with series in the expanding notation (`0+10x5`,
//! `1x3`, `_`, `_x2`, `stale`), `clear`, `eval instant at <time> <expr>` and `eval range from
//! <start> to <end> step <step> <expr>` with their expected results and `expect` lines. Each
//! `eval` gets a [`Verdict`].
//!
//! Warnings and infos (`expect warn`, `expect info`) are annotations podsift does not produce;
//! the result is checked without them. Native histograms are not evaluated yet: an `eval`
//! reading a series loaded with histogram samples is [`Verdict::Unsupported`].

use std::collections::HashSet;

use super::{Error, Labels, Series, Storage, Value};

/// How one `eval` went.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// The engine's result is the expected one.
    Passed,
    /// It is not: why.
    Failed(String),
    /// It needs what the engine does not do yet.
    Unsupported(String),
}

/// One `eval` of a script: its line (from 1), its expression, and how it went.
#[derive(Clone, Debug)]
pub struct Eval {
    /// The line of the `eval` command (from 1).
    pub line: usize,
    /// The command after `eval` (`instant at 5m rate(x[1m])`).
    pub expr: String,
    /// How it went.
    pub verdict: Verdict,
}

/// Prometheus's default lookback.
const LOOKBACK_MS: i64 = 5 * 60 * 1000;

/// Runs every `eval` of `script`.
pub fn run(script: &str) -> Vec<Eval> {
    let lines: Vec<&str> = script.lines().collect();
    let mut storage = Storage::default();
    // Metric names loaded with native histogram samples (not evaluated yet).
    let mut histogram_names: HashSet<String> = HashSet::new();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim();
        i += 1;
        let at = i;
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        // The indented lines that belong to this command.
        let mut body = Vec::new();
        while i < lines.len() && (lines[i].starts_with([' ', '\t']) && !lines[i].trim().is_empty())
        {
            if !lines[i].trim().starts_with('#') {
                body.push((i + 1, lines[i].trim()));
            }
            i += 1;
        }
        let (cmd, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        match cmd {
            "clear" => {
                storage = Storage::default();
                histogram_names.clear();
            }
            "load" | "load_with_nhcb" => {
                let Some(interval) = parse_duration(rest.trim()) else {
                    continue;
                };
                for (_, def) in &body {
                    match parse_series_def(def, interval) {
                        Some(SeriesDef::Floats(s)) => merge(&mut storage, s),
                        Some(SeriesDef::Histograms(name)) => {
                            histogram_names.insert(name);
                        }
                        None => {}
                    }
                }
                if cmd == "load_with_nhcb" {
                    // Classic histograms become custom-bucket native ones: not evaluated yet.
                    for s in &storage.series {
                        let name = super::eval::label(&s.labels, "__name__");
                        if let Some(base) = name.strip_suffix("_bucket") {
                            histogram_names.insert(base.to_string());
                        }
                    }
                }
            }
            c if c.starts_with("eval") => {
                let verdict = eval_command(c, rest, &body, &storage, &histogram_names);
                let expr = rest.to_string();
                out.push(Eval {
                    line: at,
                    expr,
                    verdict,
                });
            }
            _ => {}
        }
    }
    out
}

/// Adds a loaded series (its samples merged with those of the same labels).
fn merge(storage: &mut Storage, s: Series) {
    match storage.series.iter_mut().find(|x| x.labels == s.labels) {
        Some(x) => {
            x.samples.extend(s.samples);
            x.samples.sort_by_key(|p| p.0);
        }
        None => storage.series.push(s),
    }
}

enum SeriesDef {
    Floats(Series),
    /// Native histogram samples of this metric name.
    Histograms(String),
}

/// A series line of `load`: its labels, then values one interval apart from 0.
fn parse_series_def(def: &str, interval: i64) -> Option<SeriesDef> {
    let (labels, values) = split_series(def)?;
    if values.contains("{{") {
        return Some(SeriesDef::Histograms(
            super::eval::label(&labels, "__name__").to_string(),
        ));
    }
    let vals = expand(values)?;
    let samples = vals
        .into_iter()
        .enumerate()
        .filter_map(|(k, v)| v.map(|v| (k as i64 * interval, v)))
        .collect();
    Some(SeriesDef::Floats(Series { labels, samples }))
}

/// Splits `name{a="b"} rest` into labels and the rest.
fn split_series(def: &str) -> Option<(Labels, &str)> {
    let b = def.as_bytes();
    let mut end = None;
    let mut in_quote = false;
    let mut k = 0;
    while k < b.len() {
        match b[k] {
            b'\\' if in_quote => k += 1,
            b'"' => in_quote = !in_quote,
            b'}' if !in_quote => {
                end = Some(k + 1);
                break;
            }
            c if !in_quote && c.is_ascii_whitespace() && !def[..k].contains('{') => {
                end = Some(k);
                break;
            }
            _ => {}
        }
        k += 1;
    }
    let end = end.unwrap_or(def.len());
    let labels = parse_labels(&def[..end])?;
    Some((labels, def[end..].trim()))
}

/// `name{a="b", c="d"}` (or `{a="b"}`) as sorted labels.
fn parse_labels(text: &str) -> Option<Labels> {
    let text = text.trim();
    let (name, rest) = match text.find('{') {
        Some(p) => (&text[..p], &text[p..]),
        None => (text, ""),
    };
    let mut labels = Labels::new();
    if !name.is_empty() {
        labels.push(("__name__".into(), name.to_string()));
    }
    if !rest.is_empty() {
        let inner = rest.strip_prefix('{')?.strip_suffix('}')?;
        let mut s = inner.trim();
        while !s.is_empty() {
            let eq = s.find('=')?;
            let key = s[..eq].trim().trim_matches('"').to_string();
            let after = s[eq + 1..].trim_start();
            let body = after.strip_prefix('"')?;
            let mut value = String::new();
            let mut chars = body.char_indices();
            let mut close = None;
            while let Some((p, c)) = chars.next() {
                match c {
                    '\\' => match chars.next() {
                        Some((_, 'n')) => value.push('\n'),
                        Some((_, 't')) => value.push('\t'),
                        Some((_, o)) => value.push(o),
                        None => return None,
                    },
                    '"' => {
                        close = Some(p);
                        break;
                    }
                    o => value.push(o),
                }
            }
            let close = close?;
            labels.push((key, value));
            s = body[close + 1..].trim_start();
            s = s.strip_prefix(',').unwrap_or(s).trim_start();
        }
    }
    labels.sort();
    Some(labels)
}

/// The expanding notation: `1 2 _ stale 0+10x3 5-1x2 1x2 _x3` as values (None: no sample).
fn expand(text: &str) -> Option<Vec<Option<f64>>> {
    let mut out = Vec::new();
    for tok in text.split_whitespace() {
        if tok == "_" {
            out.push(None);
            continue;
        }
        if tok == "stale" {
            out.push(Some(f64::from_bits(
                crate::metrics::histogram::STALE_NAN_BITS,
            )));
            continue;
        }
        if let Some(n) = tok.strip_prefix("_x") {
            out.extend(std::iter::repeat_n(None, n.parse().ok()?));
            continue;
        }
        if let Some((head, n)) = tok.rsplit_once('x').filter(|(h, _)| !h.is_empty()) {
            let n: usize = n.parse().ok()?;
            // `a+bxn`, `a-bxn` or `axn`; the sign of `a` itself is not a step.
            let split = head[1..].rfind(['+', '-']).map(|p| p + 1);
            let (start, step) = match split {
                Some(p) => {
                    let step: f64 = number(&head[p + 1..])?;
                    (
                        number(&head[..p])?,
                        if &head[p..=p] == "-" { -step } else { step },
                    )
                }
                None => (number(head)?, 0.0),
            };
            if tok.contains("stale") {
                return None;
            }
            let mut v = start;
            for _ in 0..=n {
                out.push(Some(v));
                v += step;
            }
            continue;
        }
        out.push(Some(number(tok)?));
    }
    Some(out)
}

fn number(s: &str) -> Option<f64> {
    match s {
        "Inf" | "+Inf" | "inf" | "+inf" => Some(f64::INFINITY),
        "-Inf" | "-inf" => Some(f64::NEG_INFINITY),
        "NaN" | "nan" => Some(f64::NAN),
        _ => {
            if let Some(h) = s.strip_prefix("0x") {
                return i64::from_str_radix(h, 16).ok().map(|v| v as f64);
            }
            s.parse().ok()
        }
    }
}

/// A duration as Prometheus writes them (`5m`, `1h30m`, `10s53ms`); a bare number is seconds.
pub(crate) fn parse_duration(s: &str) -> Option<i64> {
    if let Ok(n) = s.parse::<f64>() {
        return Some((n * 1000.0) as i64);
    }
    let mut total = 0i64;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit())?;
        if digits == 0 {
            return None;
        }
        let n: i64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "ms" => 1,
            "s" => 1000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "w" => 7 * 86_400_000,
            "y" => 365 * 86_400_000,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(unit)?)?;
        rest = &rest[unit_len..];
    }
    Some(total)
}

/// One `eval` command: runs it and checks the result.
fn eval_command(
    cmd: &str,
    rest: &str,
    body: &[(usize, &str)],
    storage: &Storage,
    histogram_names: &HashSet<String>,
) -> Verdict {
    let mut expect_fail = cmd == "eval_fail";
    let mut ordered = cmd == "eval_ordered";
    let mut results: Vec<&str> = Vec::new();
    for (_, l) in body {
        if let Some(e) = l.strip_prefix("expect ") {
            let e = e.trim();
            if e.starts_with("fail") {
                expect_fail = true;
            } else if e == "ordered" {
                ordered = true;
            } else if e.starts_with("string") || e.starts_with("range vector") {
                return Verdict::Unsupported(format!("expect {e}"));
            }
            continue;
        }
        results.push(l);
    }
    let words: Vec<&str> = rest.split_whitespace().collect();
    enum Kind {
        Instant(i64),
        Range(i64, i64, i64),
    }
    let (kind, expr) = match words.first() {
        Some(&"instant") if words.get(1) == Some(&"at") => {
            let Some(t) = words.get(2).and_then(|w| parse_duration(w)) else {
                return Verdict::Failed(format!("bad time in {rest:?}"));
            };
            (Kind::Instant(t), after_words(rest, 3))
        }
        Some(&"range")
            if words.get(1) == Some(&"from")
                && words.get(3) == Some(&"to")
                && words.get(5) == Some(&"step") =>
        {
            let (Some(a), Some(b), Some(s)) = (
                parse_duration(words[2]),
                parse_duration(words[4]),
                words.get(6).and_then(|w| parse_duration(w)),
            ) else {
                return Verdict::Failed(format!("bad range in {rest:?}"));
            };
            (Kind::Range(a, b, s), after_words(rest, 7))
        }
        _ => return Verdict::Failed(format!("unknown eval form {rest:?}")),
    };
    if let Some(name) = histogram_names.iter().find(|n| mentions(expr, n)) {
        return Verdict::Unsupported(format!("native histograms ({name})"));
    }
    if results.iter().any(|r| r.contains("{{")) {
        return Verdict::Unsupported("native histogram results".into());
    }
    let parsed = match super::parse(expr) {
        Ok(e) => e,
        // A query the parser does not take, and that should work, is syntax podsift's
        // parser (promql-parser 0.11) does not know yet: newer than it, or experimental.
        Err(e) => {
            return if expect_fail {
                Verdict::Passed
            } else {
                Verdict::Unsupported(format!("syntax: {e}"))
            };
        }
    };
    let got = match kind {
        Kind::Instant(t) => super::eval_instant(storage, &parsed, t, LOOKBACK_MS),
        Kind::Range(a, b, s) => super::eval_range(storage, &parsed, (a, b, s), LOOKBACK_MS),
    };
    let got = match got {
        Err(Error::Unsupported(m)) => return Verdict::Unsupported(m),
        Err(Error::Invalid(m)) => {
            return if expect_fail {
                Verdict::Passed
            } else {
                Verdict::Failed(format!("error: {m}"))
            };
        }
        Ok(v) => v,
    };
    if expect_fail {
        return Verdict::Failed("expected an error, got a result".into());
    }
    let check = match kind {
        Kind::Instant(_) => check_instant(&got, &results, ordered),
        Kind::Range(a, _, s) => check_range(&got, &results, a, s),
    };
    match check {
        Ok(()) => Verdict::Passed,
        Err(m) => Verdict::Failed(m),
    }
}

/// The text after the first `n` words.
fn after_words(s: &str, n: usize) -> &str {
    let mut rest = s.trim_start();
    for _ in 0..n {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        rest = rest[end..].trim_start();
    }
    rest
}

/// Whether `expr` names the metric `name` as a word.
fn mentions(expr: &str, name: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':';
    expr.match_indices(name).any(|(p, _)| {
        let before = expr[..p].chars().next_back();
        let after = expr[p + name.len()..].chars().next();
        !before.is_some_and(word) && !after.is_some_and(|c| word(c) && !name.ends_with("_"))
            || after.is_some_and(|c| c == '_')
    })
}

/// Values equal as promqltest compares them (relative 1e-6; NaN equals NaN).
fn almost_equal(a: f64, b: f64) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    if a == b {
        return true;
    }
    let diff = (a - b).abs();
    let min_normal = f64::MIN_POSITIVE;
    let abs_sum = a.abs() + b.abs();
    if a == 0.0 || b == 0.0 || abs_sum < min_normal {
        return diff < 1e-6 * min_normal;
    }
    diff / abs_sum.min(f64::MAX) < 1e-6
}

fn check_instant(got: &Value, results: &[&str], ordered: bool) -> Result<(), String> {
    match got {
        Value::Scalar(v) => {
            let want = results
                .first()
                .and_then(|r| number(r.trim()))
                .ok_or_else(|| format!("got scalar {v}, expected {results:?}"))?;
            if almost_equal(want, *v) {
                Ok(())
            } else {
                Err(format!("scalar {v}, expected {want}"))
            }
        }
        Value::String(s) => Err(format!("got string {s:?}")),
        Value::Matrix(_) => Err("got a range vector".into()),
        Value::Vector(v) => {
            let mut want = Vec::new();
            for r in results {
                let (labels, value) =
                    split_series(r).ok_or_else(|| format!("bad result line {r:?}"))?;
                let value = number(value.trim()).ok_or_else(|| format!("bad value in {r:?}"))?;
                want.push((labels, value));
            }
            if want.len() != v.len() {
                return Err(format!(
                    "{} series, expected {}: got {:?}",
                    v.len(),
                    want.len(),
                    short(v)
                ));
            }
            for (k, (labels, value)) in want.iter().enumerate() {
                let found = if ordered {
                    v.get(k).filter(|g| &g.0 == labels)
                } else {
                    v.iter().find(|g| &g.0 == labels)
                };
                match found {
                    Some(g) if almost_equal(*value, g.1) => {}
                    Some(g) => return Err(format!("{labels:?}: {} , expected {value}", g.1)),
                    None => return Err(format!("{labels:?} missing; got {:?}", short(v))),
                }
            }
            Ok(())
        }
    }
}

fn short(v: &[(Labels, f64)]) -> Vec<String> {
    v.iter()
        .take(4)
        .map(|(l, x)| format!("{l:?} {x}"))
        .collect()
}

fn check_range(got: &Value, results: &[&str], start: i64, step: i64) -> Result<(), String> {
    let Value::Matrix(m) = got else {
        return Err("range query gave no matrix".into());
    };
    let mut want = Vec::new();
    for r in results {
        let (labels, values) = split_series(r).ok_or_else(|| format!("bad result line {r:?}"))?;
        let vals = expand(values).ok_or_else(|| format!("bad values in {r:?}"))?;
        let points: Vec<(i64, f64)> = vals
            .into_iter()
            .enumerate()
            .filter_map(|(k, v)| v.map(|v| (start + k as i64 * step, v)))
            .collect();
        if !points.is_empty() {
            want.push((labels, points));
        }
    }
    let m: Vec<_> = m.iter().filter(|s| !s.1.is_empty()).collect();
    if want.len() != m.len() {
        return Err(format!("{} series, expected {}", m.len(), want.len()));
    }
    for (labels, points) in &want {
        let Some((_, got)) = m.iter().find(|s| &s.0 == labels) else {
            return Err(format!("{labels:?} missing"));
        };
        if got.len() != points.len()
            || got
                .iter()
                .zip(points)
                .any(|(g, w)| g.0 != w.0 || !almost_equal(w.1, g.1))
        {
            return Err(format!("{labels:?}: {got:?}, expected {points:?}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_expanding_notation() {
        let v = expand("0+10x3 _ 5-1x2 1x2 _x2 stale -2").unwrap();
        let f: Vec<String> = v
            .iter()
            .map(|x| {
                x.map_or("_".into(), |x| {
                    if x.is_nan() {
                        "stale".into()
                    } else {
                        x.to_string()
                    }
                })
            })
            .collect();
        assert_eq!(
            f,
            [
                "0", "10", "20", "30", "_", "5", "4", "3", "1", "1", "1", "_", "_", "stale", "-2"
            ]
        );
        assert_eq!(parse_duration("10s53ms"), Some(10_053));
        assert_eq!(parse_duration("1h30m"), Some(5_400_000));
    }

    #[test]
    fn a_script_passes_and_fails_as_its_expectations_say() {
        let script = "load 5m\n\thttp{job=\"a\"} 0+10x10\n\thttp{job=\"b\"} 0+20x10\n\n\
            eval instant at 50m sum(http)\n\t{} 300\n\n\
            eval instant at 50m http{job=\"a\"} * 2\n\t{job=\"a\"} 200\n\n\
            eval instant at 50m sum(http)\n\t{} 301\n\n\
            eval instant at 50m http + on() http\n\texpect fail\n\n\
            eval range from 0 to 10m step 5m http{job=\"b\"}\n\thttp{job=\"b\"} 0 20 40\n";
        let v: Vec<Verdict> = run(script).into_iter().map(|e| e.verdict).collect();
        assert_eq!(v[0], Verdict::Passed);
        assert_eq!(v[1], Verdict::Passed);
        assert!(matches!(v[2], Verdict::Failed(_)));
        assert_eq!(v[3], Verdict::Passed);
        assert_eq!(v[4], Verdict::Passed);
    }
}
