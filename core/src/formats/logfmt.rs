//! logfmt payloads: `time="2024-01-01T12:00:00Z" level=info msg="hello world" n=3`, as logrus's
//! text formatter, go-kit, Prometheus, Grafana and Loki write them.
//!
//! A payload is logfmt when every token is a pair and there are at least two, which is the
//! regex `^\s*([^\s="]+=("(?:[^"\\]|\\.)*"|[^\s"]*)\s+){1,}[^\s="]+=("(?:[^"\\]|\\.)*"|[^\s"]*)\s*$`.
//! Lines with bare words (`Starting server on port=8080`) are text, not logfmt.

#[cfg(test)]
use super::PayloadCase;
use super::{EntryFormat, PayloadContext, PayloadInfo, PayloadParser};
use crate::level::Level;
use crate::time::parse_leading_timestamp;

const LEVEL_KEYS: [&[u8]; 6] = [
    b"level",
    b"lvl",
    b"severity",
    b"loglevel",
    b"log_level",
    b"levelname",
];
const TIME_KEYS: [&[u8]; 4] = [b"ts", b"time", b"timestamp", b"t"];

/// One `key=value` token: key range, value range (inside the quotes when quoted), quoted.
pub(crate) type Pair = (usize, usize, usize, usize, bool);

/// Byte classes for the tokenizer: 0 plain, 1 whitespace, 2 `=`, 3 `"`.
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    t[b' ' as usize] = 1;
    t[b'\t' as usize] = 1;
    t[b'\n' as usize] = 1;
    t[b'\r' as usize] = 1;
    t[0x0c] = 1;
    t[b'=' as usize] = 2;
    t[b'"' as usize] = 3;
    t
};

/// Splits `b` into pairs; `None` when a token is not a pair.
fn tokenize(b: &[u8], pairs: &mut Vec<Pair>) -> Option<()> {
    pairs.clear();
    let mut i = 0;
    loop {
        while b.get(i).is_some_and(|&c| CLASS[c as usize] == 1) {
            i += 1;
        }
        if i >= b.len() {
            return Some(());
        }
        let key_start = i;
        // Tokens are short: a table lookup per byte beats word-at-a-time searches here.
        while b.get(i).is_some_and(|&c| CLASS[c as usize] == 0) {
            i += 1;
        }
        if i == key_start || b.get(i) != Some(&b'=') {
            return None;
        }
        let key_end = i;
        i += 1;
        if b.get(i) == Some(&b'"') {
            i += 1;
            let start = i;
            loop {
                i += memchr::memchr2(b'"', b'\\', b.get(i..)?)?;
                if b[i] == b'"' {
                    break;
                }
                i += 2;
            }
            pairs.push((key_start, key_end, start, i, true));
            i += 1;
            if b.get(i).is_some_and(|c| !c.is_ascii_whitespace()) {
                return None;
            }
        } else {
            let start = i;
            while b
                .get(i)
                .is_some_and(|&c| matches!(CLASS[c as usize], 0 | 2))
            {
                i += 1;
            }
            if b.get(i) == Some(&b'"') {
                return None;
            }
            pairs.push((key_start, key_end, start, i, false));
        }
    }
}

fn unquote_into(raw: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'\\' && i + 1 < raw.len() {
            out.push(match raw[i + 1] {
                b'n' => b'\n',
                b't' => b'\t',
                b'r' => b'\r',
                other => other,
            });
            i += 2;
        } else {
            out.push(raw[i]);
            i += 1;
        }
    }
}

/// Parses a logfmt payload; `None` when it is not one.
pub(crate) fn parse(msg: &[u8], ctx: PayloadContext, p: &mut PayloadParser) -> Option<PayloadInfo> {
    // Cheap rejection before tokenizing: the first token must be a pair.
    let first_end = msg
        .iter()
        .position(u8::is_ascii_whitespace)
        .unwrap_or(msg.len());
    if !msg[..first_end].contains(&b'=') {
        return None;
    }
    let mut pairs = std::mem::take(&mut p.pairs);
    let ok = tokenize(msg, &mut pairs).is_some() && pairs.len() >= 2;
    if !ok {
        p.pairs = pairs;
        return None;
    }
    let mut level = Level::Unknown;
    let mut level_rank = usize::MAX;
    let mut app_ts = None;
    let mut time_rank = usize::MAX;
    let mut value = std::mem::take(&mut p.scratch);
    for &(ks, ke, vs, ve, quoted) in &pairs {
        let key = &msg[ks..ke];
        let first = key.first().map(u8::to_ascii_lowercase);
        // Level names start with `l` or `s`: most keys are ruled out by their first byte.
        let level_rank_here = if matches!(first, Some(b'l' | b's')) {
            LEVEL_KEYS
                .iter()
                .position(|k| k.eq_ignore_ascii_case(key))
                .filter(|&r| r < level_rank)
        } else {
            None
        };
        let time_rank_here = if ctx.want_app_ts && level_rank_here.is_none() && first == Some(b't')
        {
            TIME_KEYS
                .iter()
                .position(|k| k.eq_ignore_ascii_case(key))
                .filter(|&r| r < time_rank)
        } else {
            None
        };
        if level_rank_here.is_none() && time_rank_here.is_none() && !ctx.want_fields {
            continue;
        }
        let raw = &msg[vs..ve];
        if quoted {
            unquote_into(raw, &mut value);
        } else {
            value.clear();
            value.extend_from_slice(raw);
        }
        if let Some(r) = level_rank_here {
            level_rank = r;
            let text = match std::str::from_utf8(&value) {
                Ok(t) => std::borrow::Cow::Borrowed(t),
                Err(_) => String::from_utf8_lossy(&value),
            };
            level = Level::from_name(&text).unwrap_or_default();
            p.set_level_raw(&text);
        } else if let Some(r) = time_rank_here
            && let Some((t, used)) = parse_leading_timestamp(&value)
            && used == value.len()
        {
            time_rank = r;
            app_ts = Some(t);
        }
        if ctx.want_fields {
            p.fields.push_key(&[&String::from_utf8_lossy(key)]);
            p.fields.push_value_bytes(&value);
        }
    }
    p.scratch = value;
    p.pairs = pairs;
    Some(PayloadInfo {
        format: EntryFormat::LOGFMT,
        level,
        app_ts_nanos: app_ts,
    })
}

/// Table-driven cases.
#[cfg(test)]
pub(crate) fn cases() -> Vec<PayloadCase> {
    const T: i64 = 1_704_110_400_000_000_000; // 2024-01-01T12:00:00Z
    let text = |input| PayloadCase {
        input,
        format: Some(EntryFormat::TEXT),
        level: Level::Unknown,
        level_raw: "",
        app_ts_nanos: None,
        fields: vec![],
    };
    vec![
        PayloadCase {
            input: r#"time="2024-01-01T12:00:00Z" level=info msg="hello \"world\"" n=3"#,
            format: None,
            level: Level::Info,
            level_raw: "info",
            app_ts_nanos: Some(T),
            fields: vec![
                ("time", "2024-01-01T12:00:00Z"),
                ("level", "info"),
                ("msg", "hello \"world\""),
                ("n", "3"),
            ],
        },
        PayloadCase {
            input: "ts=2024-01-01T12:00:00.5Z caller=main.go:1 lvl=WARN msg=disk empty=",
            format: None,
            level: Level::Warn,
            level_raw: "WARN",
            app_ts_nanos: Some(T + 500_000_000),
            fields: vec![
                ("ts", "2024-01-01T12:00:00.5Z"),
                ("caller", "main.go:1"),
                ("lvl", "WARN"),
                ("msg", "disk"),
                ("empty", ""),
            ],
        },
        PayloadCase {
            input: "a=1 b=2\r\nc=3\x0cd=4",
            format: None,
            level: Level::Unknown,
            level_raw: "",
            app_ts_nanos: None,
            fields: vec![("a", "1"), ("b", "2"), ("c", "3"), ("d", "4")],
        },
        text("a=1 b\nc=2"),
        PayloadCase {
            input: "a=1 b=2",
            format: None,
            level: Level::Unknown,
            level_raw: "",
            app_ts_nanos: None,
            fields: vec![("a", "1"), ("b", "2")],
        },
        text("Starting server on port=8080"),
        text("port=8080 is used by something"),
        text("only=one"),
        text(r#"a="unterminated b=2"#),
        text(r#"a=x"y b=2"#),
    ]
}
