//! PromQL evaluated offline over series held in memory, with Prometheus's semantics: instant
//! and range evaluation, lookback (5 minutes unless told), staleness markers, `offset`, `@`,
//! subqueries, binary operators with vector matching, aggregations and functions.
//!
//! Expressions are parsed by the promql-parser crate (after [`parse`] refuses the inputs it
//! panics on) and evaluated one step at a time: a range query is the instant evaluation at
//! each step, as Prometheus defines it. [`script`] reads Prometheus's own test scripts (the
//! `promqltest` format) so that its suite checks this engine.
//!
//! What is not implemented yet says so ([`Error::Unsupported`]) rather than answering wrong:
//! native histograms, and the functions `eval/functions.rs` does not know.

mod eval;
pub mod script;

pub use eval::{Engine, MAX_STEPS, eval_instant, eval_range};

use promql_parser::parser::Expr;

/// Labels of a series, sorted by name, `__name__` among them.
pub type Labels = Vec<(String, String)>;

/// A series: its labels and its samples in time order (ms, value).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Series {
    /// Labels, sorted by name.
    pub labels: Labels,
    /// Samples in time order; a stale marker is [`crate::metrics::histogram::is_stale_nan`].
    pub samples: Vec<(i64, f64)>,
}

/// The series a query reads.
#[derive(Clone, Debug, Default)]
pub struct Storage {
    /// Series, each with its own labels.
    pub series: Vec<Series>,
}

/// What an expression evaluates to.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A number.
    Scalar(f64),
    /// A string.
    String(String),
    /// One sample per series, at the evaluation time.
    Vector(Vec<(Labels, f64)>),
    /// Samples per series over a range.
    Matrix(Vec<(Labels, Vec<(i64, f64)>)>),
}

/// Why a query gave no value.
#[derive(Clone, Debug, PartialEq)]
pub enum Error {
    /// The query is wrong, or fails as Prometheus's fails (many-to-many matching, ...).
    Invalid(String),
    /// The query needs what podsift does not do yet.
    Unsupported(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Invalid(m) => write!(f, "{m}"),
            Error::Unsupported(m) => write!(f, "not supported yet: {m}"),
        }
    }
}

/// Parses a PromQL expression. Durations past what the parser takes without panicking (it
/// multiplies them unchecked) are refused first.
pub fn parse(text: &str) -> Result<Expr, Error> {
    check_size(text)?;
    check_durations(text)?;
    promql_parser::parser::parse(text).map_err(Error::Invalid)
}

/// Operators and brackets an expression may hold: evaluation recurses once per level of the
/// expression, and a machine-written query of thousands of levels would run out of stack.
const MAX_OPERATORS: usize = 512;

/// Refuses an expression nested deeper than evaluation can follow.
fn check_size(text: &str) -> Result<(), Error> {
    let mut ops = 0;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in text.chars() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' | '`' => quote = Some(c),
            '+' | '-' | '*' | '/' | '%' | '^' | '(' | '[' | '{' | '=' | '!' | '<' | '>' => ops += 1,
            _ => {}
        }
    }
    if ops > MAX_OPERATORS {
        return Err(Error::Invalid(format!(
            "expression too large: more than {MAX_OPERATORS} operators and brackets"
        )));
    }
    Ok(())
}

/// Refuses a duration the parser would panic on (it converts them unchecked): a number with
/// a unit (`99999999999999999999s`), or a bare number of seconds inside a range (`x[1e40]`),
/// after `@` or after `offset`, past about a thousand years; outside quoted strings.
fn check_durations(text: &str) -> Result<(), Error> {
    let b = text.as_bytes();
    let mut i = 0;
    let mut depth = 0usize;
    // The last word or symbol: a number right after `@` or `offset` is a time.
    let mut after_time_word = false;
    while i < b.len() {
        let c = b[i];
        if matches!(c, b'"' | b'\'' | b'`') {
            i += 1;
            while i < b.len() && b[i] != c {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            after_time_word = false;
            continue;
        }
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let starts_word = i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
        if (c.is_ascii_digit() || c == b'.') && starts_word {
            let start = i;
            while i < b.len()
                && (b[i].is_ascii_alphanumeric()
                    || b[i] == b'.'
                    || (matches!(b[i], b'+' | b'-') && matches!(b[i - 1], b'e' | b'E')))
            {
                i += 1;
            }
            let word = &text[start..i];
            let digits_end = word
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(word.len());
            let (number, unit) = word.split_at(digits_end);
            let is_exponent = unit.starts_with(['e', 'E'])
                && unit[1..]
                    .trim_start_matches(['+', '-'])
                    .chars()
                    .all(|c| c.is_ascii_digit())
                && unit.len() > 1;
            let value = if is_exponent {
                word.parse::<f64>().unwrap_or(f64::INFINITY)
            } else {
                number.parse::<f64>().unwrap_or(f64::INFINITY)
            };
            let has_unit = !unit.is_empty() && !is_exponent;
            let timed = has_unit || depth > 0 || after_time_word;
            if timed && (number.len() > 15 || value.is_nan() || value.abs() > 1e11) {
                return Err(Error::Invalid(format!("duration {word} is too long")));
            }
            after_time_word = false;
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            after_time_word = text[start..i].eq_ignore_ascii_case("offset");
            continue;
        }
        match c {
            b'[' => depth += 1,
            b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        // A sign between `offset`/`@` and its number keeps it a time.
        after_time_word = c == b'@' || (after_time_word && matches!(c, b'-' | b'+'));
        i += 1;
    }
    Ok(())
}

/// A result as the Prometheus HTTP API's `data` writes it: `{"resultType":"vector","result":
/// [{"metric":{...},"value":[1700000000.5,"1"]}]}` (`at` the evaluation time, ms, for a
/// vector or scalar).
pub fn api_json(v: &Value, at: i64) -> String {
    let metric = |l: &Labels| {
        let m: serde_json::Map<String, serde_json::Value> = l
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        serde_json::Value::Object(m)
    };
    let point = |t: i64, x: f64| serde_json::json!([t as f64 / 1000.0, format_value(x)]);
    let (kind, result) = match v {
        Value::Scalar(x) => ("scalar", point(at, *x)),
        Value::String(s) => ("string", serde_json::json!([at as f64 / 1000.0, s])),
        Value::Vector(v) => (
            "vector",
            serde_json::Value::Array(
                v.iter()
                    .map(|(l, x)| serde_json::json!({"metric": metric(l), "value": point(at, *x)}))
                    .collect(),
            ),
        ),
        Value::Matrix(m) => (
            "matrix",
            serde_json::Value::Array(
                m.iter()
                    .map(|(l, pts)| {
                        let values: Vec<serde_json::Value> =
                            pts.iter().map(|&(t, x)| point(t, x)).collect();
                        serde_json::json!({"metric": metric(l), "values": values})
                    })
                    .collect(),
            ),
        ),
    };
    serde_json::json!({"resultType": kind, "result": result}).to_string()
}

/// The Prometheus HTTP API's whole response body for a result: `{"status":"success","data":
/// ...}` with [`api_json`]'s `data`.
pub fn api_response(v: &Value, at: i64) -> String {
    format!(r#"{{"status":"success","data":{}}}"#, api_json(v, at))
}

/// A sample value as Prometheus writes it in text (`+Inf`, `NaN`, shortest round trip).
pub fn format_value(v: f64) -> String {
    eval::format_value(v)
}

/// The value of a stale marker, as Prometheus writes it.
pub(crate) fn is_stale(v: f64) -> bool {
    crate::metrics::histogram::is_stale_nan(v)
}

/// `labels` without `__name__`.
pub(crate) fn drop_name(mut labels: Labels) -> Labels {
    labels.retain(|(k, _)| k != "__name__");
    labels
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_the_parser_would_panic_on_are_refused() {
        assert!(parse("x[99999999999999999999s]").is_err());
        assert!(parse("rate(x[5m]) offset 999999999999999d").is_err());
        assert!(parse(r#"x{a="99999999999999999999s"}"#).is_ok());
        assert!(parse("x[5m:30s] offset 1h").is_ok());
        assert!(parse("5s[05555555555555555555555555555555555555599]e/J").is_err());
        assert!(parse("x @ 1e300").is_err());
        assert!(parse("x offset -1e300").is_err());
        assert!(parse("x[300] @ 1700000000").is_ok());
        assert!(parse("x + 1e300").is_ok());
        assert!(parse(&format!("{}1", "-".repeat(5000))).is_err());
        assert!(parse(&format!("{}1{}", "(".repeat(600), ")".repeat(600))).is_err());
    }
}
