//! A small, allocation-free JSON object scanner.
//!
//! docker json-file lines and JSON payloads are objects whose members podsift reads one level
//! deep, on the hot path. This scanner finds the members of one object and hands out borrowed
//! spans; strings are decoded only when asked. Nested objects and arrays are checked for balanced
//! brackets and well-formed strings and returned as raw spans.

use std::borrow::Cow;

/// Why a byte slice is not a JSON object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JsonError {
    /// The input does not start with `{`.
    NotAnObject,
    /// The input ends inside the object.
    Truncated,
    /// An unexpected byte at this offset.
    Unexpected(usize),
    /// Bytes other than whitespace follow the object.
    TrailingBytes(usize),
    /// Nesting deeper than [`MAX_DEPTH`].
    TooDeep,
}

/// Deepest nesting accepted inside a value.
pub(crate) const MAX_DEPTH: usize = 128;

/// A JSON string as it appears in the input, without its quotes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct JsonStr<'a> {
    /// The bytes between the quotes, escapes not yet decoded.
    pub raw: &'a [u8],
    /// Whether `raw` contains a backslash.
    pub escaped: bool,
}

impl<'a> JsonStr<'a> {
    /// Appends the decoded bytes (UTF-8 unless the input held invalid UTF-8) to `out`.
    pub(crate) fn decode_into(&self, out: &mut Vec<u8>) {
        if !self.escaped {
            out.extend_from_slice(self.raw);
            return;
        }
        let raw = self.raw;
        let mut i = 0;
        while i < raw.len() {
            let Some(off) = memchr::memchr(b'\\', &raw[i..]) else {
                out.extend_from_slice(&raw[i..]);
                return;
            };
            out.extend_from_slice(&raw[i..i + off]);
            i += off + 1;
            let Some(&esc) = raw.get(i) else { return };
            i += 1;
            let simple = match esc {
                b'"' => b'"',
                b'\\' => b'\\',
                b'/' => b'/',
                b'b' => 0x08,
                b'f' => 0x0c,
                b'n' => b'\n',
                b'r' => b'\r',
                b't' => b'\t',
                b'u' => {
                    let (ch, used) = decode_unicode_escape(&raw[i..]);
                    i += used;
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                    continue;
                }
                other => other,
            };
            out.push(simple);
        }
    }

    /// The decoded string; invalid UTF-8 becomes U+FFFD.
    pub(crate) fn decode(&self) -> Cow<'a, str> {
        if !self.escaped {
            return String::from_utf8_lossy(self.raw);
        }
        let mut out = Vec::with_capacity(self.raw.len());
        self.decode_into(&mut out);
        Cow::Owned(match String::from_utf8(out) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })
    }

    /// Compares with an unescaped ASCII key (keys podsift looks for have no escapes).
    #[inline]
    pub(crate) fn is(&self, key: &str) -> bool {
        let key = key.as_bytes();
        !self.escaped
            && self.raw.len() == key.len()
            && self.raw.iter().zip(key).all(|(a, b)| a == b)
    }
}

/// Decodes the hex digits after `\u` (and a following low surrogate); returns the character and
/// how many bytes were used. Malformed escapes decode to U+FFFD.
fn decode_unicode_escape(s: &[u8]) -> (char, usize) {
    fn hex4(s: &[u8]) -> Option<u32> {
        let h = std::str::from_utf8(s.get(..4)?).ok()?;
        u32::from_str_radix(h, 16).ok()
    }
    let Some(hi) = hex4(s) else {
        return (char::REPLACEMENT_CHARACTER, 0);
    };
    if (0xD800..0xDC00).contains(&hi) {
        if s.get(4..6) == Some(b"\\u")
            && let Some(lo) = hex4(&s[6..])
            && (0xDC00..0xE000).contains(&lo)
        {
            let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
            return (char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER), 10);
        }
        return (char::REPLACEMENT_CHARACTER, 4);
    }
    (char::from_u32(hi).unwrap_or(char::REPLACEMENT_CHARACTER), 4)
}

/// A member's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JsonValue<'a> {
    /// A string.
    Str(JsonStr<'a>),
    /// A number, as written.
    Num(&'a [u8]),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// A nested object, raw, braces included.
    Object(&'a [u8]),
    /// An array, raw, brackets included.
    Array(&'a [u8]),
}

impl<'a> JsonValue<'a> {
    /// The value as text: strings decoded, everything else as written.
    pub(crate) fn to_text(self) -> Cow<'a, str> {
        match self {
            JsonValue::Str(s) => s.decode(),
            JsonValue::Num(raw) | JsonValue::Object(raw) | JsonValue::Array(raw) => {
                String::from_utf8_lossy(raw)
            }
            JsonValue::Bool(true) => Cow::Borrowed("true"),
            JsonValue::Bool(false) => Cow::Borrowed("false"),
            JsonValue::Null => Cow::Borrowed("null"),
        }
    }

    /// The value as a number, if it is one (or a string holding one).
    pub(crate) fn as_f64(&self) -> Option<f64> {
        match self {
            JsonValue::Num(raw) => std::str::from_utf8(raw).ok()?.parse().ok(),
            JsonValue::Str(s) if !s.escaped => std::str::from_utf8(s.raw).ok()?.trim().parse().ok(),
            _ => None,
        }
    }
}

/// One `"key": value` member of an object.
#[cfg(test)]
pub(crate) type Member<'a> = (JsonStr<'a>, JsonValue<'a>);

#[inline(always)]
fn skip_ws(b: &[u8], mut i: usize) -> usize {
    // Compact JSON has none: one comparison rules out every token byte.
    while let Some(&c) = b.get(i) {
        if c > b' ' || !matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
            break;
        }
        i += 1;
    }
    i
}

/// Scans the string that starts after the opening quote at `i`; returns the string and the offset
/// after the closing quote.
#[inline(always)]
fn scan_string(b: &[u8], mut i: usize, newlines: bool) -> Result<(JsonStr<'_>, usize), JsonError> {
    let start = i;
    let mut escaped = false;
    loop {
        let Some(off) = super::scan::find2(&b[i..], b'"', b'\\') else {
            return Err(JsonError::Truncated);
        };
        i += off;
        match b[i] {
            b'"' => {
                // JSON strings hold no raw newline (only checked when the input has one).
                if newlines && let Some(nl) = memchr::memchr(b'\n', &b[start..i]) {
                    return Err(JsonError::Unexpected(start + nl));
                }
                return Ok((
                    JsonStr {
                        raw: &b[start..i],
                        escaped,
                    },
                    i + 1,
                ));
            }
            b'\\' => {
                escaped = true;
                if i + 1 >= b.len() {
                    return Err(JsonError::Truncated);
                }
                i += 2;
            }
            _ => return Err(JsonError::Unexpected(i)),
        }
    }
}

#[inline(always)]
fn scan_number(b: &[u8], start: usize) -> Result<usize, JsonError> {
    let digits = |i: usize| i + super::scan::digit_run(&b[i..]);
    let mut i = start + usize::from(b.get(start) == Some(&b'-'));
    let int_start = i;
    i = digits(i);
    if i == int_start {
        return Err(JsonError::Unexpected(i));
    }
    if b.get(i) == Some(&b'.') {
        let f = i + 1;
        i = digits(f.min(b.len()));
        if i == f {
            return Err(JsonError::Unexpected(i));
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let e = i;
        i = digits(e.min(b.len()));
        if i == e {
            return Err(JsonError::Unexpected(i));
        }
    }
    Ok(i)
}

/// Skips a nested object or array starting at `i` (its opening bracket); returns the offset after
/// its closing bracket.
fn skip_nested(b: &[u8], mut i: usize, newlines: bool) -> Result<usize, JsonError> {
    let mut stack = [0u8; MAX_DEPTH];
    let mut depth = 0usize;
    loop {
        let Some(&c) = b.get(i) else {
            return Err(JsonError::Truncated);
        };
        match c {
            b'{' | b'[' => {
                if depth == MAX_DEPTH {
                    return Err(JsonError::TooDeep);
                }
                stack[depth] = if c == b'{' { b'}' } else { b']' };
                depth += 1;
                i += 1;
            }
            b'}' | b']' => {
                if depth == 0 || stack[depth - 1] != c {
                    return Err(JsonError::Unexpected(i));
                }
                depth -= 1;
                i += 1;
                if depth == 0 {
                    return Ok(i);
                }
            }
            b'"' => i = scan_string(b, i + 1, newlines)?.1,
            _ => i += 1,
        }
    }
}

#[inline(always)]
fn scan_value(b: &[u8], i: usize, newlines: bool) -> Result<(JsonValue<'_>, usize), JsonError> {
    let Some(&c) = b.get(i) else {
        return Err(JsonError::Truncated);
    };
    Ok(match c {
        b'"' => {
            let (s, end) = scan_string(b, i + 1, newlines)?;
            (JsonValue::Str(s), end)
        }
        b'{' => {
            let end = skip_nested(b, i, newlines)?;
            (JsonValue::Object(&b[i..end]), end)
        }
        b'[' => {
            let end = skip_nested(b, i, newlines)?;
            (JsonValue::Array(&b[i..end]), end)
        }
        b't' if b[i..].starts_with(b"true") => (JsonValue::Bool(true), i + 4),
        b'f' if b[i..].starts_with(b"false") => (JsonValue::Bool(false), i + 5),
        b'n' if b[i..].starts_with(b"null") => (JsonValue::Null, i + 4),
        b'-' | b'0'..=b'9' => {
            let end = scan_number(b, i)?;
            (JsonValue::Num(&b[i..end]), end)
        }
        _ => return Err(JsonError::Unexpected(i)),
    })
}

/// Scans the object at the start of `bytes` (after optional whitespace), calling `member` for
/// each member in order, and returns the offset just after its closing brace.
pub(crate) fn scan_object_with<'a>(
    bytes: &'a [u8],
    member: impl FnMut(JsonStr<'a>, JsonValue<'a>),
) -> Result<usize, JsonError> {
    scan_object_inner(bytes, memchr::memchr(b'\n', bytes).is_some(), member)
}

/// [`scan_object_with`] when the caller knows whether `bytes` may hold a raw newline (a single
/// physical line cannot), which saves a pass over it.
pub(crate) fn scan_object_inner<'a>(
    bytes: &'a [u8],
    newlines: bool,
    mut member: impl FnMut(JsonStr<'a>, JsonValue<'a>),
) -> Result<usize, JsonError> {
    let b = bytes;
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return Err(JsonError::NotAnObject);
    }
    i = skip_ws(b, i + 1);
    if b.get(i) == Some(&b'}') {
        return Ok(i + 1);
    }
    loop {
        match b.get(i) {
            Some(b'"') => {}
            Some(_) => return Err(JsonError::Unexpected(i)),
            None => return Err(JsonError::Truncated),
        }
        let (key, after_key) = scan_string(b, i + 1, newlines)?;
        i = skip_ws(b, after_key);
        match b.get(i) {
            Some(b':') => {}
            Some(_) => return Err(JsonError::Unexpected(i)),
            None => return Err(JsonError::Truncated),
        }
        i = skip_ws(b, i + 1);
        let (value, after_value) = scan_value(b, i, newlines)?;
        member(key, value);
        i = skip_ws(b, after_value);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1),
            Some(b'}') => return Ok(i + 1),
            Some(_) => return Err(JsonError::Unexpected(i)),
            None => return Err(JsonError::Truncated),
        }
    }
}

/// [`scan_object_with`], and checks that only whitespace follows the object.
pub(crate) fn scan_whole_object_with<'a>(
    bytes: &'a [u8],
    member: impl FnMut(JsonStr<'a>, JsonValue<'a>),
) -> Result<(), JsonError> {
    scan_whole_object_inner(bytes, memchr::memchr(b'\n', bytes).is_some(), member)
}

/// [`scan_whole_object_with`], told whether `bytes` may hold a raw newline.
pub(crate) fn scan_whole_object_inner<'a>(
    bytes: &'a [u8],
    newlines: bool,
    member: impl FnMut(JsonStr<'a>, JsonValue<'a>),
) -> Result<(), JsonError> {
    let end = scan_object_inner(bytes, newlines, member)?;
    let rest = skip_ws(bytes, end);
    if rest != bytes.len() {
        return Err(JsonError::TrailingBytes(rest));
    }
    Ok(())
}

/// The members of the object that makes up all of `bytes`.
#[cfg(test)]
pub(crate) fn object_members(bytes: &[u8]) -> Result<Vec<Member<'_>>, JsonError> {
    let mut members = Vec::new();
    scan_whole_object_with(bytes, |k, v| members.push((k, v)))?;
    Ok(members)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(s: &str) -> Result<Vec<(String, String)>, JsonError> {
        Ok(object_members(s.as_bytes())?
            .iter()
            .map(|(k, v)| (k.decode().into_owned(), v.to_text().into_owned()))
            .collect())
    }

    #[test]
    fn objects() {
        assert_eq!(
            members(r#"{"log":"a\nb","stream":"stdout","n":-1.5e3,"t":true,"z":null}"#).unwrap(),
            vec![
                ("log".into(), "a\nb".into()),
                ("stream".into(), "stdout".into()),
                ("n".into(), "-1.5e3".into()),
                ("t".into(), "true".into()),
                ("z".into(), "null".into()),
            ]
        );
        assert_eq!(
            members(r#" { "a" : {"b":[1,{"c":"]}"}]} , "d":[] } "#).unwrap(),
            vec![
                ("a".into(), r#"{"b":[1,{"c":"]}"}]}"#.into()),
                ("d".into(), "[]".into())
            ]
        );
        assert_eq!(members("{}").unwrap(), vec![]);
    }

    #[test]
    fn escapes() {
        let m = members(r#"{"s":"\u00e9\ud83d\ude00\"\\\/\t\u003c\ud800x"}"#).unwrap();
        assert_eq!(m[0].1, "é😀\"\\/\t<\u{FFFD}x");
    }

    #[test]
    fn rejects() {
        let bad = [
            ("", JsonError::NotAnObject),
            ("[1]", JsonError::NotAnObject),
            (r#"{"a":1"#, JsonError::Truncated),
            (r#"{"a":"x}"#, JsonError::Truncated),
            (r#"{"a" 1}"#, JsonError::Unexpected(5)),
            (r#"{"a":1,}"#, JsonError::Unexpected(7)),
            (r#"{"a":tru}"#, JsonError::Unexpected(5)),
            (r#"{"a":[1}"#, JsonError::Unexpected(7)),
            (r#"{"a":01x}"#, JsonError::Unexpected(7)),
            (r#"{"a":1} x"#, JsonError::TrailingBytes(8)),
            (r#"{a:1}"#, JsonError::Unexpected(1)),
            ("{\"a\":\"x\ny\"}", JsonError::Unexpected(7)),
        ];
        for (input, want) in bad {
            assert_eq!(members(input).unwrap_err(), want, "{input}");
        }
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(200), "]".repeat(200));
        assert_eq!(members(&deep).unwrap_err(), JsonError::TooDeep);
    }
}
