//! JSON payloads: one object per entry, as zap, logrus, slog, bunyan, pino, ECS and Serilog write.
//!
//! The level comes from the best-ranked level member (`level`, `lvl`, `severity`, `log.level`,
//! ... compared case-insensitively, numbers read as bunyan/pino levels), the application's time
//! from `ts`/`time`/`timestamp`/`@timestamp`/`@t` (RFC 3339 text or epoch seconds, ms, µs, ns).
//! Members become fields; nested objects are flattened into dotted keys and arrays kept as JSON.

#[cfg(test)]
use super::PayloadCase;
use super::json::{JsonStr, JsonValue, scan_object_with, scan_whole_object_inner};
use super::{EntryFormat, PayloadContext, PayloadInfo, PayloadParser};
use crate::level::Level;
use crate::time::{parse_epoch_nanos, parse_leading_timestamp};

/// Level member names, best first.
const LEVEL_KEYS: [&str; 11] = [
    "level",
    "lvl",
    "severity",
    "log.level",
    "loglevel",
    "log_level",
    "levelname",
    "level_name",
    "@l",
    "@level",
    "severitytext",
];

/// Time member names, best first.
const TIME_KEYS: [&str; 7] = [
    "ts",
    "time",
    "timestamp",
    "@timestamp",
    "@t",
    "t",
    "datetime",
];

/// Bit `n` is set when a name of length `n` is in `keys`.
const fn length_mask(keys: &[&str]) -> u32 {
    let mut mask = 0u32;
    let mut i = 0;
    while i < keys.len() {
        mask |= 1 << keys[i].len();
        i += 1;
    }
    mask
}

const LEVEL_KEY_LENGTHS: u32 = length_mask(&LEVEL_KEYS);
const TIME_KEY_LENGTHS: u32 = length_mask(&TIME_KEYS);

fn rank(keys: &[&str], lengths: u32, key: &JsonStr<'_>) -> Option<usize> {
    let len = key.raw.len();
    if len >= 32 || lengths & (1 << len) == 0 {
        return None;
    }
    keys.iter()
        .position(|k| k.len() == len && k.as_bytes().eq_ignore_ascii_case(key.raw))
}

/// What a member's name may be, by its first byte (any case): level names start with `l`, `s`
/// or `@`, time names with `t`, `d` or `@`; most members (`msg`, `caller`, ...) are neither.
fn key_class(key: &JsonStr<'_>) -> (bool, bool) {
    if key.escaped || key.raw.len() > 16 {
        return (false, false);
    }
    match key.raw.first().map(u8::to_ascii_lowercase) {
        Some(b'l' | b's') => (true, false),
        Some(b't' | b'd') => (false, true),
        Some(b'@') => (true, true),
        _ => (false, false),
    }
}

/// Deepest nesting flattened into dotted keys; deeper objects are kept as JSON text.
const MAX_FLATTEN_DEPTH: usize = 8;

struct Found<'a> {
    level: Option<(usize, JsonValue<'a>)>,
    time: Option<(usize, JsonValue<'a>)>,
    want_time: bool,
}

impl<'a> Found<'a> {
    #[inline]
    fn consider(&mut self, key: &JsonStr<'a>, value: JsonValue<'a>) {
        let (maybe_level, maybe_time) = key_class(key);
        if maybe_level && let Some(r) = rank(&LEVEL_KEYS, LEVEL_KEY_LENGTHS, key) {
            if self.level.is_none_or(|(best, _)| r < best) && !matches!(value, JsonValue::Null) {
                self.level = Some((r, value));
            }
        } else if maybe_time
            && self.want_time
            && let Some(r) = rank(&TIME_KEYS, TIME_KEY_LENGTHS, key)
            && self.time.is_none_or(|(best, _)| r < best)
        {
            self.time = Some((r, value));
        }
    }
}

fn flatten_into(
    p: &mut PayloadParser,
    prefix: &mut Vec<String>,
    key: &JsonStr<'_>,
    value: JsonValue<'_>,
) {
    prefix.push(key.decode().into_owned());
    match value {
        JsonValue::Object(raw) if prefix.len() < MAX_FLATTEN_DEPTH => {
            let mut nested = Vec::new();
            if scan_object_with(raw, |k, v| nested.push((k, v))).is_ok() && !nested.is_empty() {
                for (k, v) in nested {
                    flatten_into(p, prefix, &k, v);
                }
            } else {
                push_field(p, prefix, value);
            }
        }
        _ => push_field(p, prefix, value),
    }
    prefix.pop();
}

fn push_field(p: &mut PayloadParser, key: &[String], value: JsonValue<'_>) {
    let parts: Vec<&str> = key.iter().map(String::as_str).collect();
    p.fields.push_key(&parts);
    match value {
        JsonValue::Str(s) => {
            p.scratch.clear();
            s.decode_into(&mut p.scratch);
            let scratch = std::mem::take(&mut p.scratch);
            p.fields.push_value_bytes(&scratch);
            p.scratch = scratch;
        }
        other => p.fields.push_value(&other.to_text()),
    }
}

/// The level a member's value names; its text goes to `raw`.
fn level_of(value: JsonValue<'_>, raw: &mut String) -> Level {
    raw.clear();
    match value {
        JsonValue::Str(s) if !s.escaped => match std::str::from_utf8(s.raw) {
            Ok(text) => raw.push_str(text),
            Err(_) => raw.push_str(&s.decode()),
        },
        JsonValue::Num(n) => raw.push_str(std::str::from_utf8(n).unwrap_or_default()),
        _ => raw.push_str(&value.to_text()),
    }
    match value {
        JsonValue::Num(_) => raw
            .parse::<i64>()
            .ok()
            .or_else(|| value.as_f64().map(|n| n as i64))
            .and_then(Level::from_bunyan_number)
            .unwrap_or_default(),
        _ => Level::from_name(raw).unwrap_or_default(),
    }
}

fn time_of(value: JsonValue<'_>) -> Option<i64> {
    match value {
        JsonValue::Num(raw) => parse_epoch_nanos(raw),
        JsonValue::Str(s) if !s.escaped => match parse_leading_timestamp(s.raw) {
            Some((t, used)) if used == s.raw.len() => Some(t),
            _ => parse_epoch_nanos(s.raw),
        },
        _ => None,
    }
}

/// Parses a JSON object payload; `None` when the payload is not exactly one object.
pub(crate) fn parse<'a>(
    payload: &'a [u8],
    ctx: PayloadContext,
    p: &mut PayloadParser,
) -> Option<PayloadInfo> {
    let mut found = Found {
        level: None,
        time: None,
        want_time: ctx.want_app_ts,
    };
    let mut nested_log = None;
    // ECS may nest the level: {"log": {"level": "info"}}.
    let mut note_nested = |key: &JsonStr<'a>, value: JsonValue<'a>| {
        if key.is("log")
            && let JsonValue::Object(raw) = value
        {
            nested_log = Some(raw);
        }
    };
    if ctx.want_fields {
        let mut prefix = Vec::new();
        scan_whole_object_inner(payload, ctx.may_have_newlines, |key, value| {
            found.consider(&key, value);
            note_nested(&key, value);
            flatten_into(p, &mut prefix, &key, value);
        })
        .ok()?;
    } else {
        // Kept small so that it inlines into the scanner: this is the hot path of `stats`.
        scan_whole_object_inner(payload, ctx.may_have_newlines, |key, value| {
            found.consider(&key, value);
            note_nested(&key, value);
        })
        .ok()?;
    }
    if found.level.is_none()
        && let Some(raw) = nested_log
    {
        let _ = scan_object_with(raw, |k, v| {
            if k.is("level") && found.level.is_none() {
                found.level = Some((3, v));
            }
        });
    }
    let level = match found.level {
        Some((_, v)) => level_of(v, &mut p.level_raw),
        None => Level::Unknown,
    };
    Some(PayloadInfo {
        format: EntryFormat::JSON,
        level,
        app_ts_nanos: found.time.and_then(|(_, v)| time_of(v)),
    })
}

/// Table-driven cases.
#[cfg(test)]
pub(crate) fn cases() -> Vec<PayloadCase> {
    const T: i64 = 1_704_110_400_000_000_000; // 2024-01-01T12:00:00Z
    let case = |input, level, level_raw, app_ts_nanos, fields| PayloadCase {
        input,
        format: None,
        level,
        level_raw,
        app_ts_nanos,
        fields,
    };
    vec![
        // zap production: epoch seconds as a float.
        case(
            r#"{"level":"error","ts":1704110400.5,"caller":"main.go:12","msg":"boom","error":"EOF"}"#,
            Level::Error,
            "error",
            Some(T + 500_000_000),
            vec![
                ("level", "error"),
                ("ts", "1704110400.5"),
                ("caller", "main.go:12"),
                ("msg", "boom"),
                ("error", "EOF"),
            ],
        ),
        // logrus
        case(
            r#"{"level":"warning","msg":"disk low","time":"2024-01-01T12:00:00Z"}"#,
            Level::Warn,
            "warning",
            Some(T),
            vec![
                ("level", "warning"),
                ("msg", "disk low"),
                ("time", "2024-01-01T12:00:00Z"),
            ],
        ),
        // slog
        case(
            r#"{"time":"2024-01-01T13:00:00.25+01:00","level":"INFO","msg":"hello","user":{"id":7,"name":"a\"b"}}"#,
            Level::Info,
            "INFO",
            Some(T + 250_000_000),
            vec![
                ("time", "2024-01-01T13:00:00.25+01:00"),
                ("level", "INFO"),
                ("msg", "hello"),
                ("user.id", "7"),
                ("user.name", "a\"b"),
            ],
        ),
        // bunyan: numeric level
        case(
            r#"{"name":"app","hostname":"h","pid":1,"level":50,"msg":"failed","time":"2024-01-01T12:00:00.000Z","v":0}"#,
            Level::Error,
            "50",
            Some(T),
            vec![
                ("name", "app"),
                ("hostname", "h"),
                ("pid", "1"),
                ("level", "50"),
                ("msg", "failed"),
                ("time", "2024-01-01T12:00:00.000Z"),
                ("v", "0"),
            ],
        ),
        // pino: epoch milliseconds
        case(
            r#"{"level":30,"time":1704110400123,"pid":9,"msg":"ok"}"#,
            Level::Info,
            "30",
            Some(T + 123_000_000),
            vec![
                ("level", "30"),
                ("time", "1704110400123"),
                ("pid", "9"),
                ("msg", "ok"),
            ],
        ),
        // ECS with a dotted key, and with a nested object
        case(
            r#"{"@timestamp":"2024-01-01T12:00:00.000Z","log.level":"warn","message":"m"}"#,
            Level::Warn,
            "warn",
            Some(T),
            vec![
                ("@timestamp", "2024-01-01T12:00:00.000Z"),
                ("log.level", "warn"),
                ("message", "m"),
            ],
        ),
        case(
            r#"{"@timestamp":"2024-01-01T12:00:00Z","log":{"level":"error","logger":"x"},"tags":["a","b"]}"#,
            Level::Error,
            "error",
            Some(T),
            vec![
                ("@timestamp", "2024-01-01T12:00:00Z"),
                ("log.level", "error"),
                ("log.logger", "x"),
                ("tags", r#"["a","b"]"#),
            ],
        ),
        // GCP structured logging and Serilog compact
        case(
            r#"{"severity":"CRITICAL","message":"down"}"#,
            Level::Fatal,
            "CRITICAL",
            None,
            vec![("severity", "CRITICAL"), ("message", "down")],
        ),
        case(
            r#"{"@t":"2024-01-01T12:00:00.0000000Z","@mt":"Hi {Name}","@l":"Debug","Name":"x"}"#,
            Level::Debug,
            "Debug",
            Some(T),
            vec![
                ("@t", "2024-01-01T12:00:00.0000000Z"),
                ("@mt", "Hi {Name}"),
                ("@l", "Debug"),
                ("Name", "x"),
            ],
        ),
        // A level member that is no level, and no level at all.
        case(
            r#"{"level":"chatty","msg":"x"}"#,
            Level::Unknown,
            "chatty",
            None,
            vec![("level", "chatty"), ("msg", "x")],
        ),
        case(r#"{"a":1}"#, Level::Unknown, "", None, vec![("a", "1")]),
        case(
            "  {\"Level\":\"Warning\"}  ",
            Level::Warn,
            "Warning",
            None,
            vec![("Level", "Warning")],
        ),
        // Not one object: falls through to the other formats.
        PayloadCase {
            input: r#"{"a":1} trailing"#,
            format: Some(EntryFormat::TEXT),
            level: Level::Unknown,
            level_raw: "",
            app_ts_nanos: None,
            fields: vec![],
        },
        PayloadCase {
            input: r#"{"level":"error","msg":"cut"#,
            format: Some(EntryFormat::TEXT),
            level: Level::Unknown,
            level_raw: "",
            app_ts_nanos: None,
            fields: vec![],
        },
    ]
}
