//! docker json-file lines: `{"log":"...\n","stream":"stdout","time":"<RFC 3339>"}`.
//!
//! The daemon splits lines longer than 16 KiB: every piece but the last has a `log` without a
//! trailing newline, and the next line of the same stream continues it. Members may come in any
//! order and with spaces; `attrs` (from `--log-opt labels=...`) and unknown members are ignored.

use super::Stream;
use super::json::{JsonError, JsonStr, JsonValue, scan_whole_object_with};
use crate::time::parse_rfc3339_nanos;

/// One parsed json-file line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DockerLine<'a> {
    /// The `time` member, when present and valid.
    pub ts_nanos: Option<i64>,
    /// The `stream` member, when it is stdout or stderr.
    pub stream: Option<Stream>,
    /// The `log` member, escapes not yet decoded.
    pub log: JsonStr<'a>,
    /// `log` does not end with a newline: the next line of the stream continues it.
    pub partial: bool,
    /// `time` was present but not a valid RFC 3339 string.
    pub bad_time: bool,
}

/// Why a line is not a json-file line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DockerError {
    /// The line is not a JSON object.
    Json(JsonError),
    /// The object has no `log` member.
    NoLog,
    /// `log` is not a string.
    LogNotString,
}

impl std::fmt::Display for DockerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DockerError::Json(JsonError::NotAnObject) => f.write_str("not a JSON object"),
            DockerError::Json(JsonError::Truncated) => f.write_str("JSON object is cut short"),
            DockerError::Json(JsonError::Unexpected(at)) => {
                write!(f, "invalid JSON at byte {}", at + 1)
            }
            DockerError::Json(JsonError::TrailingBytes(at)) => {
                write!(f, "bytes after the JSON object at byte {}", at + 1)
            }
            DockerError::Json(JsonError::TooDeep) => f.write_str("JSON nested too deep"),
            DockerError::NoLog => f.write_str("json-file line without a \"log\" member"),
            DockerError::LogNotString => f.write_str("json-file \"log\" member is not a string"),
        }
    }
}

/// Whether a raw (still escaped) JSON string ends with the escape `\n`.
fn ends_with_escaped_newline(raw: &[u8]) -> bool {
    if !raw.ends_with(b"\\n") {
        return false;
    }
    let backslashes = raw[..raw.len() - 1]
        .iter()
        .rev()
        .take_while(|&&c| c == b'\\')
        .count();
    backslashes % 2 == 1
}

/// Parses one line (without its `\n`).
pub(crate) fn parse_docker_line(line: &[u8]) -> Result<DockerLine<'_>, DockerError> {
    let mut log = None;
    let mut log_not_string = false;
    let mut stream = None;
    let mut time = None;
    scan_whole_object_with(line, |key, value| {
        if key.is("log") {
            match value {
                JsonValue::Str(s) => log = Some(s),
                _ => log_not_string = true,
            }
        } else if key.is("stream") {
            if let JsonValue::Str(s) = value {
                stream = match s.raw {
                    b"stdout" => Some(Stream::Stdout),
                    b"stderr" => Some(Stream::Stderr),
                    _ => None,
                };
            }
        } else if key.is("time") {
            time = Some(value);
        }
    })
    .map_err(DockerError::Json)?;
    let log = match log {
        Some(log) => log,
        None if log_not_string => return Err(DockerError::LogNotString),
        None => return Err(DockerError::NoLog),
    };
    let ts_nanos = match time {
        Some(JsonValue::Str(s)) if !s.escaped => parse_rfc3339_nanos(s.raw),
        _ => None,
    };
    Ok(DockerLine {
        ts_nanos,
        stream,
        log,
        partial: !ends_with_escaped_newline(log.raw),
        bad_time: time.is_some() && ts_nanos.is_none(),
    })
}

/// Table-driven cases: a line and (time, stream, decoded log, partial) it must parse to, or
/// `None` when it must be rejected. Shared with the format picker's tests.
#[allow(clippy::type_complexity)]
#[cfg(test)]
pub(crate) fn cases() -> Vec<(
    &'static str,
    Option<(Option<i64>, Option<Stream>, &'static str, bool)>,
)> {
    const T: i64 = 1_475_625_630_082_640_485; // 2016-10-05T00:00:30.082640485Z
    vec![
        (
            r#"{"log":"The actual log line\n","stream":"stderr","time":"2016-10-05T00:00:30.082640485Z"}"#,
            Some((
                Some(T),
                Some(Stream::Stderr),
                "The actual log line\n",
                false,
            )),
        ),
        (
            r#"{"log": "A line without newline char at the end", "stream": "stdout", "time": "2016-10-05T00:00:30.082640485Z"}"#,
            Some((
                Some(T),
                Some(Stream::Stdout),
                "A line without newline char at the end",
                true,
            )),
        ),
        (
            r#"{"stream":"stdout","time":"2016-10-05T00:00:30.082640485Z","log":"reordered\n"}"#,
            Some((Some(T), Some(Stream::Stdout), "reordered\n", false)),
        ),
        (
            r#"{"log":"ends with a backslash n \\n","stream":"stdout","time":"2016-10-05T00:00:30.082640485Z"}"#,
            Some((
                Some(T),
                Some(Stream::Stdout),
                "ends with a backslash n \\n",
                true,
            )),
        ),
        (
            r#"{"log":"escaped \\\n","stream":"stdout","time":"2016-10-05T00:00:30.082640485Z"}"#,
            Some((Some(T), Some(Stream::Stdout), "escaped \\\n", false)),
        ),
        (
            r#"{"log":"\u003cb\u003e \"q\"\n","stream":"stdout","time":"2016-10-05T00:00:30.082640485Z","attrs":{"k":"v"}}"#,
            Some((Some(T), Some(Stream::Stdout), "<b> \"q\"\n", false)),
        ),
        (
            r#"{"log": "Hello world", "stream": "stdout"}"#,
            Some((None, Some(Stream::Stdout), "Hello world", true)),
        ),
        (
            r#"{"log": "Hello world", "stream": "stdout", "time": 123}"#,
            Some((None, Some(Stream::Stdout), "Hello world", true)),
        ),
        (
            r#"{"log": "Hello world", "stream": "stdout", "time": "qwerty"}"#,
            Some((None, Some(Stream::Stdout), "Hello world", true)),
        ),
        (
            r#"{"stream": "stderr", "time": "2016-10-05T00:00:30.082640485Z"}"#,
            None,
        ),
        (
            r#"{"log": 123, "stream": "stderr", "time": "2016-10-05T00:00:30.082640485Z"}"#,
            None,
        ),
        (
            r#""log":"cp packetbeat.yml /build/packetbeat-linux.yml\n","stream":"stdout"}"#,
            None,
        ),
        (r#"{"log":"cut"#, None),
        ("2016-10-06T00:17:09.669794202Z stdout F x", None),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        for (input, want) in cases() {
            let got = parse_docker_line(input.as_bytes())
                .ok()
                .map(|l| (l.ts_nanos, l.stream, l.log.decode().into_owned(), l.partial));
            let want = want.map(|(t, s, log, p)| (t, s, log.to_string(), p));
            assert_eq!(got, want, "{input}");
        }
        let bad_time = parse_docker_line(br#"{"log":"x\n","time":"qwerty"}"#).unwrap();
        assert!(bad_time.bad_time);
        assert_eq!(
            parse_docker_line(br#"{"log": 1}"#).unwrap_err(),
            DockerError::LogNotString
        );
    }
}
