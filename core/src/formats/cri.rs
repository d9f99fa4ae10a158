//! CRI container log lines, as containerd and CRI-O write them under `/var/log/pods`.
//!
//! `<RFC 3339 time> <stdout|stderr> <P|F>[:tags] <message>`
//!
//! The hand-written parser is equivalent to the regex
//! `^(\S+) (stdout|stderr) ([PF])(:\S*)?(?: (.*))?$` with the first group parsed by
//! [`crate::time::parse_rfc3339_nanos`]. `P` marks a partial line: the runtime split a long line
//! (16 KiB by default) and the next line of the same stream continues it, up to an `F`.

use super::Stream;
use crate::time::DateCache;

/// One parsed CRI line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CriLine<'a> {
    /// The runtime's timestamp, nanoseconds since the epoch.
    pub ts_nanos: i64,
    /// stdout or stderr.
    pub stream: Stream,
    /// The `P` tag: the next line of this stream continues this one.
    pub partial: bool,
    /// The text after the tag and its space (may be empty).
    pub message: &'a [u8],
}

/// Why a line is not a CRI line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CriError {
    /// The first field is not an RFC 3339 time.
    Timestamp,
    /// The first field is an RFC 3339 time outside what nanoseconds since 1970 hold.
    OutOfRange,
    /// The second field is not `stdout` or `stderr`.
    Stream,
    /// The third field is not `P` or `F` (with optional `:tags`).
    Tag,
}

impl std::fmt::Display for CriError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CriError::Timestamp => "not a CRI line: no RFC 3339 time at the start",
            CriError::OutOfRange => {
                "a CRI line whose time is outside what podsift holds (1677-09-21 to 2262-04-11, nanoseconds since 1970)"
            }
            CriError::Stream => "not a CRI line: stream is not stdout or stderr",
            CriError::Tag => "not a CRI line: tag is not P or F",
        })
    }
}

/// The first space: fields here are short (a time of about 30 bytes, a tag of one), so the
/// first `inline` bytes are searched in a register and only the rest with memchr.
#[inline(always)]
fn first_space(b: &[u8], inline: usize) -> Option<usize> {
    let head = b.len().min(inline);
    super::scan::find_any(&b[..head], [b' '])
        .or_else(|| memchr::memchr(b' ', &b[head..]).map(|i| head + i))
}

/// Parses one line (without its `\n`).
pub(crate) fn parse_cri_line(line: &[u8]) -> Result<CriLine<'_>, CriError> {
    parse_cri_line_cached(line, &mut DateCache::default())
}

/// [`parse_cri_line`] with a date cache kept across the lines of a stream.
#[inline]
pub(crate) fn parse_cri_line_cached<'a>(
    line: &'a [u8],
    dates: &mut DateCache,
) -> Result<CriLine<'a>, CriError> {
    let sp = first_space(line, 48).ok_or(CriError::Timestamp)?;
    let ts_nanos = dates.parse_rfc3339_nanos(&line[..sp]).ok_or_else(|| {
        // The shape of a time (`yyyy-mm-ddThh:mm:ss`) whose value does not fit: say so.
        let t = &line[..sp];
        let shaped = t.len() >= 20
            && t[..4].iter().all(u8::is_ascii_digit)
            && t[4] == b'-'
            && t[7] == b'-'
            && matches!(t[10], b'T' | b't')
            && t[13] == b':';
        if shaped {
            CriError::OutOfRange
        } else {
            CriError::Timestamp
        }
    })?;
    let rest = &line[sp + 1..];
    let stream = match rest.get(..7).and_then(|s| <[u8; 7]>::try_from(s).ok()) {
        Some(s) if s == *b"stdout " => Stream::Stdout,
        Some(s) if s == *b"stderr " => Stream::Stderr,
        _ => return Err(CriError::Stream),
    };
    let rest = &rest[7..];
    let (tag, message) = match first_space(rest, 16) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &rest[rest.len()..]),
    };
    let partial = match tag.first() {
        Some(b'P') => true,
        Some(b'F') => false,
        _ => return Err(CriError::Tag),
    };
    if tag.len() > 1 && tag[1] != b':' {
        return Err(CriError::Tag);
    }
    Ok(CriLine {
        ts_nanos,
        stream,
        partial,
        message,
    })
}

/// One case: a line, and (time, stream, partial, message) or `None` when it must be rejected.
#[cfg(test)]
pub(crate) type CriCase = (&'static str, Option<(i64, Stream, bool, &'static str)>);

/// Table-driven cases, shared with the format picker's tests.
#[cfg(test)]
pub(crate) fn cases() -> Vec<CriCase> {
    const T: i64 = 1_475_713_029_669_794_202; // 2016-10-06T00:17:09.669794202Z
    vec![
        (
            "2016-10-06T00:17:09.669794202Z stdout F The content",
            Some((T, Stream::Stdout, false, "The content")),
        ),
        (
            "2016-10-06T00:17:09.669794202Z stderr P part one ",
            Some((T, Stream::Stderr, true, "part one ")),
        ),
        (
            "2016-10-06T00:17:09.669794202Z stdout P:TAG1:TAG2 tagged",
            Some((T, Stream::Stdout, true, "tagged")),
        ),
        (
            "2016-10-06T02:17:09.669794202+02:00 stdout F offset",
            Some((T, Stream::Stdout, false, "offset")),
        ),
        (
            "2016-10-06T00:17:09.66979420Z stdout F eight digits",
            Some((T - 2, Stream::Stdout, false, "eight digits")),
        ),
        (
            "2016-10-06T00:17:09.669794202Z stdout F ",
            Some((T, Stream::Stdout, false, "")),
        ),
        (
            "2016-10-06T00:17:09.669794202Z stdout F",
            Some((T, Stream::Stdout, false, "")),
        ),
        (
            "2016-10-06T00:17:09.669794202Z stdout F  two  spaces ",
            Some((T, Stream::Stdout, false, " two  spaces ")),
        ),
        (
            "2016-10-06T00:17:09.669794202Z stdout F {\"a\":1}",
            Some((T, Stream::Stdout, false, "{\"a\":1}")),
        ),
        (
            "2016-10-06T00:17:09.669794202Z stdout P:TAG1:TAG2:TAG3:TAG4 long tags",
            Some((T, Stream::Stdout, true, "long tags")),
        ),
        (
            "2016-10-06T00:17:09.6697942020000000000000000000000000Z stdout F long fraction",
            Some((T, Stream::Stdout, false, "long fraction")),
        ),
        ("2016-10-06T00:17:09.669794202Z stdin F x", None),
        ("2016-10-06T00:17:09.669794202Z stdout X x", None),
        ("2016-10-06T00:17:09.669794202Z stdout FP x", None),
        ("2016-10-06T00:17:09.669794202Z stdout", None),
        ("2016-10-06 stdout F x", None),
        ("unsupported log format test log", None),
        ("{\"log\":\"x\"}", None),
        ("", None),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_out_of_range_is_told_from_no_time() {
        assert_eq!(
            parse_cri_line(b"9999-01-01T00:00:00Z stdout F far").unwrap_err(),
            CriError::OutOfRange
        );
        assert_eq!(
            parse_cri_line(b"hello stdout F x").unwrap_err(),
            CriError::Timestamp
        );
    }

    #[test]
    fn table() {
        for (input, want) in cases() {
            let got = parse_cri_line(input.as_bytes()).ok().map(|l| {
                (
                    l.ts_nanos,
                    l.stream,
                    l.partial,
                    std::str::from_utf8(l.message).unwrap(),
                )
            });
            assert_eq!(got, want, "{input:?}");
        }
    }
}
