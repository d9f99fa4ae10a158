//! Text payloads: anything that is not JSON, klog or logfmt.
//!
//! The level is the first level word near the start of the line (within [`LEVEL_WINDOW`] bytes
//! after a leading timestamp): an upper-case word (`ERROR`, `WARN`, `INFO`, `CRIT`, ...) standing
//! alone, or a lower/capitalised one that is bracketed (`[warn]`, `<error>`) or followed by a
//! colon (`error:`, `panic:`, `Warning:`), or, in any case, is the whole token right after the
//! leading timestamp (`<time>\tinfo\t...`, zap's console encoder). Go's `fatal error:` is fatal. Words in prose ("no error
//! occurred") do not count. A timestamp at the very start (optionally in `[...]`) is the
//! application's time.

#[cfg(test)]
use super::PayloadCase;
use super::{EntryFormat, PayloadContext, PayloadInfo, PayloadParser};
use crate::level::Level;
use crate::time::parse_leading_timestamp;

/// How far past the leading timestamp a level word is looked for.
pub(crate) const LEVEL_WINDOW: usize = 96;

fn word_level(word: &[u8]) -> Option<Level> {
    Some(match word.len() {
        3 if word.eq_ignore_ascii_case(b"err") => Level::Error,
        3 if word.eq_ignore_ascii_case(b"dbg") => Level::Debug,
        3 if word.eq_ignore_ascii_case(b"inf") => Level::Info,
        3 if word.eq_ignore_ascii_case(b"wrn") => Level::Warn,
        3 if word.eq_ignore_ascii_case(b"ftl") => Level::Fatal,
        4 if word.eq_ignore_ascii_case(b"info") => Level::Info,
        4 if word.eq_ignore_ascii_case(b"warn") => Level::Warn,
        4 if word.eq_ignore_ascii_case(b"crit") => Level::Fatal,
        5 if word.eq_ignore_ascii_case(b"error") => Level::Error,
        5 if word.eq_ignore_ascii_case(b"debug") => Level::Debug,
        5 if word.eq_ignore_ascii_case(b"trace") => Level::Trace,
        5 if word.eq_ignore_ascii_case(b"fatal") => Level::Fatal,
        5 if word.eq_ignore_ascii_case(b"panic") => Level::Fatal,
        5 if word.eq_ignore_ascii_case(b"alert") => Level::Fatal,
        5 if word.eq_ignore_ascii_case(b"emerg") => Level::Fatal,
        6 if word.eq_ignore_ascii_case(b"severe") => Level::Error,
        6 if word.eq_ignore_ascii_case(b"notice") => Level::Info,
        7 if word.eq_ignore_ascii_case(b"warning") => Level::Warn,
        8 if word.eq_ignore_ascii_case(b"critical") => Level::Fatal,
        _ => return None,
    })
}

/// Whether a line is a test runner's failure marker, as ginkgo (v1 and v2) and `go test` print
/// them: `• Failure [60.3 seconds]`, `• [FAILED] [0.3 seconds]`, `[Fail] [sig-apps] ...`,
/// `Summarizing 4 Failures:`, `FAIL! -- 21 Passed | 4 Failed`, `--- FAIL: TestE2E`, `FAIL`,
/// `Test Suite Failed`. Such a line is an error, and starts an entry of its own.
pub(crate) fn test_failure_marker(line: &[u8]) -> bool {
    const BULLET: &[u8] = "\u{2022} ".as_bytes();
    match line.first() {
        Some(0xE2) => line.strip_prefix(BULLET).is_some_and(|r| {
            r.starts_with(b"Failure")
                || r.starts_with(b"[FAILED]")
                || r.starts_with(b"[PANICKED]")
                || r.starts_with(b"[TIMEDOUT]")
                || r.starts_with(b"[INTERRUPTED]")
        }),
        Some(b'[') => {
            line.starts_with(b"[Fail] ")
                || line.starts_with(b"[FAIL] ")
                || line.starts_with(b"[FAILED] ")
                || line.starts_with(b"[PANICKED] ")
        }
        Some(b'S') => line.strip_prefix(b"Summarizing ").is_some_and(|r| {
            let digits = r.iter().take_while(|c| c.is_ascii_digit()).count();
            digits > 0 && r[digits..].starts_with(b" Failure")
        }),
        Some(b'F') => {
            line.starts_with(b"FAIL!")
                || line.starts_with(b"FAIL\t")
                || line.trim_ascii_end() == b"FAIL"
        }
        Some(b'-') => line.starts_with(b"--- FAIL: "),
        Some(b'T') => line.starts_with(b"Test Suite Failed"),
        _ => false,
    }
}

/// Finds the level word in `b`; returns the level and the word's range.
pub(crate) fn find_level_word(b: &[u8]) -> Option<(Level, usize, usize)> {
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_alphabetic() {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_alphabetic() {
            i += 1;
        }
        let end = i;
        let before = start.checked_sub(1).map(|j| b[j]);
        let after = b.get(end).copied();
        if before.is_some_and(|c| c.is_ascii_digit() || c == b'_')
            || after.is_some_and(|c| c.is_ascii_digit() || c == b'_')
        {
            continue;
        }
        let word = &b[start..end];
        let Some(level) = word_level(word) else {
            continue;
        };
        let upper = word.iter().all(u8::is_ascii_uppercase);
        let bracketed = matches!(
            (before, after),
            (Some(b'['), Some(b']')) | (Some(b'<'), Some(b'>'))
        );
        let colon = after == Some(b':');
        if word.eq_ignore_ascii_case(b"fatal") && b[end..].starts_with(b" error:") {
            return Some((Level::Fatal, start, end));
        }
        if upper || bracketed || colon {
            return Some((level, start, end));
        }
    }
    None
}

/// `<timestamp> <level> ...` (zap's console encoder, many others): right after a leading
/// timestamp, a level word of any case that is a whole whitespace-delimited token counts.
fn level_token_after_timestamp(window: &[u8], after_ts: bool) -> Option<(Level, usize, usize)> {
    if !after_ts {
        return None;
    }
    let start = window
        .iter()
        .take_while(|c| matches!(c, b' ' | b'\t'))
        .count();
    if start == 0 {
        return None;
    }
    let len = window[start..]
        .iter()
        .take_while(|c| c.is_ascii_alphabetic())
        .count();
    let end = start + len;
    if !matches!(window.get(end), None | Some(b' ' | b'\t')) {
        return None;
    }
    word_level(&window[start..end]).map(|l| (l, start, end))
}

/// The length of what looks like a leading timestamp:
/// `\d{4}[-/]\d\d[-/]\d\d[Tt ]\d\d:\d\d:\d\d([.,]\d+)?([Zz]|[+-]\d\d(:?\d\d)?)?`.
fn timestamp_shape_len(s: &[u8]) -> Option<usize> {
    let digit = |i: usize| s.get(i).is_some_and(u8::is_ascii_digit);
    let at = |i: usize, c: &[u8]| s.get(i).is_some_and(|b| c.contains(b));
    let shaped = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
        .iter()
        .all(|&i| digit(i))
        && at(4, b"-/")
        && at(7, b"-/")
        && at(10, b"Tt ")
        && at(13, b":")
        && at(16, b":");
    if !shaped {
        return None;
    }
    let mut i = 19;
    if at(i, b".,") && digit(i + 1) {
        i += 1;
        while digit(i) {
            i += 1;
        }
    }
    if at(i, b"Zz") {
        i += 1;
    } else if at(i, b"+-") && digit(i + 1) && digit(i + 2) {
        i += 3;
        if at(i, b":") && digit(i + 1) && digit(i + 2) {
            i += 3;
        } else if digit(i) && digit(i + 1) {
            i += 2;
        }
    }
    Some(i)
}

/// Parses a text payload; always succeeds.
pub(crate) fn parse(msg: &[u8], ctx: PayloadContext, p: &mut PayloadParser) -> PayloadInfo {
    let skip = usize::from(msg.first() == Some(&b'['));
    // Where the level window starts depends on the timestamp's shape only, so that the level
    // is the same whether or not the time itself is wanted.
    let after_ts = timestamp_shape_len(&msg[skip..]).map_or(0, |n| n + skip);
    let app_ts = if ctx.want_app_ts && after_ts > 0 {
        parse_leading_timestamp(&msg[skip..]).map(|(t, _)| t)
    } else {
        None
    };
    let window = &msg[after_ts..msg.len().min(after_ts + LEVEL_WINDOW)];
    if after_ts == 0 && test_failure_marker(msg) {
        p.set_level_raw("FAIL");
        return PayloadInfo {
            format: EntryFormat::TEXT,
            level: Level::Error,
            app_ts_nanos: None,
        };
    }
    let level = match level_token_after_timestamp(window, after_ts > 0)
        .or_else(|| find_level_word(window))
    {
        Some((level, s, e)) => {
            p.set_level_raw(std::str::from_utf8(&window[s..e]).unwrap_or_default());
            level
        }
        None => Level::Unknown,
    };
    PayloadInfo {
        format: EntryFormat::TEXT,
        level,
        app_ts_nanos: app_ts,
    }
}

/// Table-driven cases.
#[cfg(test)]
pub(crate) fn cases() -> Vec<PayloadCase> {
    const T: i64 = 1_704_110_400_000_000_000; // 2024-01-01T12:00:00Z
    let case = |input, level, level_raw, app_ts_nanos| PayloadCase {
        input,
        format: None,
        level,
        level_raw,
        app_ts_nanos,
        fields: vec![],
    };
    vec![
        case(
            "2024-01-01 12:00:00.123 ERROR 1 --- [main] o.s.Boot : failed",
            Level::Error,
            "ERROR",
            Some(T + 123_000_000),
        ),
        case(
            "2024-01-01 12:00:00,000 - app - WARNING - low disk",
            Level::Warn,
            "WARNING",
            Some(T),
        ),
        case("WARNING:root:deprecated call", Level::Warn, "WARNING", None),
        // Test runners' failure markers (ginkgo, go test) are errors; their other lines not.
        case(
            "\u{2022} Failure [60.373 seconds]",
            Level::Error,
            "FAIL",
            None,
        ),
        case(
            "[Fail] [sig-apps] Daemon set [Serial] [It] should rollback",
            Level::Error,
            "FAIL",
            None,
        ),
        case("Summarizing 4 Failures:", Level::Error, "FAIL", None),
        case("--- FAIL: TestE2E (1037.06s)", Level::Error, "FAIL", None),
        case(
            "FAIL! -- 21 Passed | 4 Failed | 0 Pending | 5746 Skipped",
            Level::Error,
            "FAIL",
            None,
        ),
        case(
            "\u{2022} [SLOW TEST:16.153 seconds]",
            Level::Unknown,
            "",
            None,
        ),
        // zap's console encoder: the level is the token after the time, in any case.
        case(
            "2024-01-01T12:00:00Z\terror\tqueue.go:12\tExporting failed",
            Level::Error,
            "error",
            Some(T),
        ),
        // ... but not a word further on in prose.
        case(
            "2024-01-01T12:00:00Z no error occurred",
            Level::Unknown,
            "",
            Some(T),
        ),
        case(
            "2024/01/01 12:00:00 [error] 29#29: *1 open() failed",
            Level::Error,
            "error",
            Some(T),
        ),
        case(
            "[2024-01-01T12:00:00Z INFO  app] listening",
            Level::Info,
            "INFO",
            Some(T),
        ),
        case(
            "panic: runtime error: index out of range",
            Level::Fatal,
            "panic",
            None,
        ),
        case(
            "fatal error: all goroutines are asleep - deadlock!",
            Level::Fatal,
            "fatal",
            None,
        ),
        case("error: unable to connect", Level::Error, "error", None),
        case("Warning: something", Level::Warn, "Warning", None),
        case("<debug> details", Level::Debug, "debug", None),
        case("no error occurred, info is fine", Level::Unknown, "", None),
        case("INFO_FLAG=1 ERROR2 set", Level::Unknown, "", None),
        case(
            "Exception in thread \"main\" java.lang.IllegalStateException",
            Level::Unknown,
            "",
            None,
        ),
        case("", Level::Unknown, "", None),
        case("plain text", Level::Unknown, "", None),
    ]
}
