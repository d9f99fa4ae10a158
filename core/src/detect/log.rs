//! Whether a file reads as a log, and how: container runtime lines, plain lines that start like
//! entries, JSON documents over several lines, a journal export, a defined format.

use super::json_head::{Skim, Val};
use crate::formats::EntryFormat;
use crate::formats::cri::parse_cri_line;
use crate::formats::docker::parse_docker_line;
use crate::level::Level;
use crate::time::{NANOS_PER_SEC, parse_epoch_nanos, parse_leading_timestamp};

/// What a file's first lines look like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sniff {
    /// No bytes.
    Empty,
    /// One of the first non-empty lines is a CRI or json-file line.
    ContainerLog,
    /// NUL bytes or mostly invalid UTF-8.
    Binary,
    /// Text of another kind.
    Text,
}

/// Looks at the first lines of `head` (the start of a decompressed file).
pub(crate) fn sniff(head: &[u8]) -> Sniff {
    if head.is_empty() {
        return Sniff::Empty;
    }
    let sample = &head[..head.len().min(4096)];
    let invalid = String::from_utf8_lossy(sample).matches('\u{FFFD}').count();
    if sample.contains(&0) || invalid * 10 > sample.len() {
        return Sniff::Binary;
    }
    let container_line = head
        .split(|&c| c == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.is_empty())
        .take(8)
        .any(|l| parse_cri_line(l).is_ok() || parse_docker_line(l).is_ok());
    if container_line {
        Sniff::ContainerLog
    } else if head.iter().all(u8::is_ascii_whitespace) {
        Sniff::Empty
    } else {
        Sniff::Text
    }
}

/// Whether a file is `journalctl -o export` output: `KEY=value` lines from the first, with the
/// journal's own fields among them.
pub(crate) fn journal_export(head: &[u8]) -> bool {
    let first = head.split(|&c| c == b'\n').next().unwrap_or_default();
    let key = first
        .iter()
        .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || **c == b'_')
        .count();
    let realtime = memchr::memmem::find(head, b"\n__REALTIME_TIMESTAMP=").is_some()
        || first.starts_with(b"__REALTIME_TIMESTAMP=");
    key > 0
        && first.get(key) == Some(&b'=')
        && realtime
        && memchr::memmem::find(head, b"MESSAGE").is_some()
}

/// Whether a file holds log records as multi-line JSON documents: it starts with `[` or with
/// an object that does not end on its first line, and its first bytes name a journal record's
/// or a logger's members (so that resource and config JSON is not read as logs).
pub(crate) fn json_documents(head: &[u8]) -> bool {
    let start = head.iter().position(|c| !c.is_ascii_whitespace());
    let Some(start) = start else { return false };
    let first_line = head[start..]
        .split(|&c| c == b'\n')
        .next()
        .unwrap_or_default()
        .trim_ascii();
    let multi_line = match head[start] {
        b'[' => true,
        b'{' => !first_line.ends_with(b"}"),
        _ => false,
    };
    if !multi_line {
        return false;
    }
    let has = |k: &[u8]| memchr::memmem::find(head, k).is_some();
    let first_object =
        memchr::memchr(b'{', &head[start..]).map_or(&head[start..], |o| &head[start + o..]);
    crate::formats::journald::looks_like_record(first_object)
        || ((has(b"\"msg\"") || has(b"\"message\"") || has(b"\"MESSAGE\""))
            && (has(b"\"ts\"")
                || has(b"\"time\"")
                || has(b"\"timestamp\"")
                || has(b"\"@timestamp\"")))
}

/// Whether the first record of a JSON file looks like a log record: it has a message, a time
/// or a level member (`msg`, `message`, `MESSAGE`, `@timestamp`, `ts`, `level`, ... in any case)
/// whose value is one (a time that parses, a level word). A status, configuration or version
/// document (`{"status":200}`, a kubelet's `configz`, `serverversion.json`, sonobuoy's
/// `query-time.json` whose `time` is a duration) has none and is not read as a log.
pub(crate) fn json_records_look_like_logs(s: &Skim) -> bool {
    let record = match s.get("") {
        // fluent-bit's `[time, record]`.
        Some(Val::Array) if matches!(s.get("0"), Some(Val::Num(_))) => "1",
        Some(Val::Array) => "0",
        _ => "",
    };
    if !matches!(s.get(record), Some(Val::Object)) {
        return false;
    }
    let value = |key: &str| {
        let path = if record.is_empty() {
            key.to_string()
        } else {
            format!("{record}/{key}")
        };
        s.get(&path)
    };
    s.keys(record).any(|key| {
        let lower = key.to_ascii_lowercase();
        let v = value(key);
        if lower == "resourcelogs" {
            // OpenTelemetry's OTLP/JSON: records nested in resources and scopes.
            true
        } else if MESSAGE_KEYS.contains(&lower.as_str()) {
            matches!(v, Some(Val::Str(_) | Val::Object))
        } else if TIME_KEYS.contains(&lower.as_str()) {
            match v {
                Some(Val::Str(t)) => {
                    let t = t.as_bytes();
                    parse_leading_timestamp(t).is_some()
                        || parse_epoch_nanos(t).is_some_and(|n| n > NANOS_PER_SEC * 100_000_000)
                }
                Some(Val::Num(n)) => {
                    parse_epoch_nanos(n.as_bytes()).is_some_and(|n| n > NANOS_PER_SEC * 100_000_000)
                }
                _ => false,
            }
        } else if LEVEL_KEYS.contains(&lower.as_str()) {
            matches!(v, Some(Val::Str(l)) if Level::from_name(l).is_some())
                || matches!(v, Some(Val::Num(_)))
        } else {
            false
        }
    })
}

/// Members that hold a log record's message (compared in lower case).
const MESSAGE_KEYS: [&str; 8] = [
    "msg",
    "message",
    "@message",
    "@m",
    "@mt",
    "short_message",
    "full_message",
    "log",
];

/// Members that hold a log record's time.
const TIME_KEYS: [&str; 16] = [
    "time",
    "ts",
    "t",
    "@t",
    "timestamp",
    "@timestamp",
    "date",
    "datetime",
    "asctime",
    "eventtime",
    "logtime",
    "timemillis",
    "__realtime_timestamp",
    "_source_realtime_timestamp",
    "requestreceivedtimestamp",
    "stagetimestamp",
];

/// Members that hold a log record's level.
const LEVEL_KEYS: [&str; 7] = [
    "level",
    "lvl",
    "severity",
    "loglevel",
    "levelname",
    "@l",
    "priority",
];

/// The first 16 non-blank lines of `head`, without their `\r`.
fn first_lines(head: &[u8]) -> Vec<&[u8]> {
    head.split(|&c| c == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .take(16)
        .collect()
}

/// The defined format (syslog, access log, a user's) that the first lines of a plain file
/// match (see [`crate::formats::defined::detect`]).
pub(crate) fn detect_plain_format(head: &[u8]) -> Option<EntryFormat> {
    let lines = first_lines(head);
    crate::formats::defined::detect(&lines).map(|f| f.id)
}

/// Whether most of the first lines of `head` start the way log entries do: with a timestamp
/// (ISO 8601, syslog's `Mmm dd hh:mm:ss`, in brackets or not), a klog header, a syslog
/// priority, or a JSON object.
pub(crate) fn mostly_log_lines(head: &[u8]) -> bool {
    let lines = first_lines(head);
    let starts = lines.iter().filter(|l| starts_like_entry(l)).count();
    // The first line (a header that wraps below it) or half of them.
    lines.first().is_some_and(|l| starts_like_entry(l)) || (starts > 0 && starts * 2 >= lines.len())
}

/// Whether a line starts the way a log entry does (see [`mostly_log_lines`]).
pub(crate) fn starts_like_entry(line: &[u8]) -> bool {
    // The two shapes most lines have, checked by shape alone: an ISO date and time, and a
    // klog header.
    let d = |i: usize| line.get(i).is_some_and(u8::is_ascii_digit);
    let at = |i: usize, c: u8| line.get(i) == Some(&c);
    if d(0)
        && d(1)
        && d(2)
        && d(3)
        && (at(4, b'-') || at(4, b'/'))
        && d(5)
        && d(6)
        && d(8)
        && d(9)
        && (at(10, b'T') || at(10, b' '))
        && d(11)
        && d(12)
        && at(13, b':')
    {
        return true;
    }
    if matches!(line.first(), Some(b'I' | b'W' | b'E' | b'F'))
        && d(1)
        && d(2)
        && d(3)
        && d(4)
        && at(5, b' ')
        && d(6)
        && d(7)
        && at(8, b':')
    {
        return true;
    }
    if crate::formats::text::test_failure_marker(line) {
        return true;
    }
    // Dispatch on the first byte, so that each line runs only the checks that can match it.
    match line.first() {
        Some(b'{') => line
            .get(1..)
            .is_some_and(|r| r.trim_ascii_start().starts_with(b"\"")),
        Some(b'<') => {
            let digits = line[1..].iter().take_while(|c| c.is_ascii_digit()).count();
            (1..=3).contains(&digits) && line.get(1 + digits) == Some(&b'>')
        }
        Some(b'[') => crate::time::parse_leading_timestamp(&line[1..]).is_some(),
        Some(b'0'..=b'9') => {
            crate::time::parse_leading_timestamp(line).is_some()
                || access_log_start(line)
                || logfmt_start(line)
        }
        Some(b'I' | b'W' | b'E' | b'F') => {
            crate::formats::klog::parse_klog_header(line).is_some()
                || syslog_stamp(line)
                || logfmt_start(line)
                || access_log_start(line)
        }
        Some(c) if c.is_ascii_alphabetic() || *c == b'_' => {
            syslog_stamp(line) || logfmt_start(line) || access_log_start(line)
        }
        _ => false,
    }
}

/// `key=value` first, and a logger's key (`time=`, `ts=`, `level=`, `lvl=`, `msg=`) among the
/// first pairs.
fn logfmt_start(line: &[u8]) -> bool {
    let key = line
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
        .count();
    if key == 0 || line.get(key) != Some(&b'=') {
        return false;
    }
    const KEYS: [&[u8]; 5] = [b"time=", b"ts=", b"level=", b"lvl=", b"msg="];
    let head = &line[..line.len().min(200)];
    KEYS.iter().any(|k| head.starts_with(k))
        || head
            .windows(6)
            .filter(|w| w[0] == b' ')
            .any(|w| KEYS.iter().any(|k| w[1..].starts_with(k)))
}

/// An access log line (common or combined log format): a host, then `[dd/Mon/yyyy:hh:mm:ss`
/// within the first few tokens.
fn access_log_start(line: &[u8]) -> bool {
    let head = &line[..line.len().min(128)];
    let Some(open) = memchr::memmem::find(head, b" [") else {
        return false;
    };
    let stamp = &head[open + 2..];
    stamp.len() >= 20
        && stamp[..2].iter().all(u8::is_ascii_digit)
        && stamp[2] == b'/'
        && stamp[6] == b'/'
        && stamp[7..11].iter().all(u8::is_ascii_digit)
        && stamp[11] == b':'
        && !head[..open].contains(&b'"')
}

/// `Mmm dd hh:mm:ss` or `Mmm  d hh:mm:ss` (RFC 3164).
fn syslog_stamp(l: &[u8]) -> bool {
    const MONTHS: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    l.len() >= 15
        && l[3] == b' '
        && l[9] == b':'
        && MONTHS.iter().any(|m| l.starts_with(*m))
        && (l[4] == b' ' || l[4].is_ascii_digit())
        && l[5].is_ascii_digit()
        && l[6] == b' '
        && l[7].is_ascii_digit()
        && l[8].is_ascii_digit()
        && l[9] == b':'
        && l[12] == b':'
}
