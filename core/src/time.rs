//! Timestamps: RFC 3339 parsing into nanoseconds since the Unix epoch (UTC), formatting, durations
//! and the `--since`/`--until` bounds.
//!
//! Every timestamp in podsift's tables is an `i64` of nanoseconds since 1970-01-01T00:00:00Z.
//! The parser is hand-written because it runs once per log line on the hot path; it is
//! equivalent to the regex
//! `^(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(\.\d+)?([Zz]|[+-]\d\d(:?\d\d)?)$`
//! followed by range checks of each field.

/// Nanoseconds in one second.
pub(crate) const NANOS_PER_SEC: i64 = 1_000_000_000;
/// Nanoseconds in one minute.
pub(crate) const NANOS_PER_MIN: i64 = 60 * NANOS_PER_SEC;
/// Nanoseconds in one hour.
pub(crate) const NANOS_PER_HOUR: i64 = 60 * NANOS_PER_MIN;
/// Nanoseconds in one day.
pub(crate) const NANOS_PER_DAY: i64 = 24 * NANOS_PER_HOUR;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date (year, month, day) of a count of days since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

#[inline(always)]
fn digits2(b: &[u8], at: usize) -> Option<u32> {
    let hi = b.get(at)?.wrapping_sub(b'0');
    let lo = b.get(at + 1)?.wrapping_sub(b'0');
    (hi < 10 && lo < 10).then(|| u32::from(hi) * 10 + u32::from(lo))
}

/// Nanoseconds of a civil date and time, or `None` when a field is out of range.
/// `second` may be 60 (a leap second), which counts as the next second.
pub(crate) fn nanos_from_civil(
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    nanos: u32,
) -> Option<i64> {
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second);
    secs.checked_mul(NANOS_PER_SEC)?
        .checked_add(i64::from(nanos))
}

/// Parses an RFC 3339 timestamp into nanoseconds since the epoch, UTC.
///
/// Accepts `T`, `t` or a space between date and time, a fraction of any length (digits past the
/// ninth are dropped), and `Z`, `z`, `±hh:mm`, `±hhmm` or `±hh` as the offset.
pub(crate) fn parse_rfc3339_nanos(s: &[u8]) -> Option<i64> {
    let (local, rest) = parse_local_datetime(s)?;
    let offset_secs = parse_offset(rest)?;
    local.checked_sub(offset_secs * NANOS_PER_SEC)
}

/// Days since the epoch of the `YYYY-MM-DD` in `s[..10]`, validated.
fn parse_date_days(s: &[u8]) -> Option<i64> {
    if s.len() < 10 || s[4] != b'-' || s[7] != b'-' {
        return None;
    }
    let year = i64::from(digits2(s, 0)? * 100 + digits2(s, 2)?);
    let month = digits2(s, 5)?;
    let day = digits2(s, 8)?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(year, month, day))
}

/// Nanoseconds since midnight of `[Tt ]hh:mm:ss[.fraction]` at `s[10..]`, and what follows it.
fn parse_time_of_day(s: &[u8]) -> Option<(i64, &[u8])> {
    let t: &[u8; 19] = s.get(..19)?.try_into().ok()?;
    if t[13] != b':' || t[16] != b':' || !matches!(t[10], b'T' | b't' | b' ') {
        return None;
    }
    let (hour, minute, second) = hh_mm_ss(&t[11..19])?;
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut i = 19;
    let mut nanos = 0u32;
    if matches!(s.get(i), Some(b'.' | b',')) {
        i += 1;
        let start = i;
        let mut kept = 0;
        // Runtimes write nine digits: take eight at once.
        if let Some(v) = s.get(i..i + 8).and_then(eight_digits) {
            nanos = v;
            kept = 8;
            i += 8;
        }
        while let Some(&c) = s.get(i) {
            let v = c.wrapping_sub(b'0');
            if v > 9 {
                break;
            }
            // Digits past the ninth are dropped.
            if kept < 9 {
                nanos = nanos * 10 + u32::from(v);
                kept += 1;
            }
            i += 1;
        }
        if i == start {
            return None;
        }
        const SCALE: [u32; 10] = [
            1_000_000_000,
            100_000_000,
            10_000_000,
            1_000_000,
            100_000,
            10_000,
            1_000,
            100,
            10,
            1,
        ];
        nanos *= SCALE[kept];
    }
    let secs = i64::from(hour * 3600 + minute * 60 + second);
    Some((secs * NANOS_PER_SEC + i64::from(nanos), &s[i..]))
}

/// `hh:mm:ss` read as one 8-byte word: the six digits checked and converted together.
#[inline(always)]
fn hh_mm_ss(b: &[u8]) -> Option<(u32, u32, u32)> {
    let w = u64::from_le_bytes(b.try_into().ok()?);
    // Bytes 2 and 5 must be ':'; give them b'0' so that the digit test below covers all eight.
    const COLONS: u64 = (b':' as u64) << 16 | (b':' as u64) << 40;
    const COLON_MASK: u64 = 0xff << 16 | 0xff << 40;
    if w & COLON_MASK != COLONS {
        return None;
    }
    let v = (w & !COLON_MASK | 0x30 << 16 | 0x30 << 40) ^ 0x3030_3030_3030_3030;
    // Each byte is now its digit value; a value of 10 or more (or a high byte) sets bit 7.
    if (v.wrapping_add(0x7676_7676_7676_7676) | v) & 0x8080_8080_8080_8080 != 0 {
        return None;
    }
    let d = |i: u32| ((v >> (8 * i)) & 0xff) as u32;
    Some((d(0) * 10 + d(1), d(3) * 10 + d(4), d(6) * 10 + d(7)))
}

/// The value of eight ASCII digits, or `None` if one is not a digit (SWAR: one register).
#[inline(always)]
fn eight_digits(b: &[u8]) -> Option<u32> {
    let v = u64::from_le_bytes(b.try_into().ok()?);
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    // Every byte in b'0'..=b'9': high nibble 3, and adding 6 does not carry out of the nibble.
    let high_ok = v & 0xf0f0_f0f0_f0f0_f0f0 == ZEROS;
    let low_ok = v.wrapping_add(0x0606_0606_0606_0606) & 0xf0f0_f0f0_f0f0_f0f0 == ZEROS;
    if !(high_ok && low_ok) {
        return None;
    }
    let mut x = v - ZEROS;
    x = (x * 10 + (x >> 8)) & 0x00ff_00ff_00ff_00ff;
    x = (x * 100 + (x >> 16)) & 0x0000_ffff_0000_ffff;
    x = (x * 10_000 + (x >> 32)) & 0xffff_ffff;
    Some(x as u32)
}

/// Parses `YYYY-MM-DD[Tt ]hh:mm:ss[.fraction]` at the start of `s` into nanoseconds (as if UTC)
/// and returns what follows it.
pub(crate) fn parse_local_datetime(s: &[u8]) -> Option<(i64, &[u8])> {
    let days = parse_date_days(s)?;
    let (tod, rest) = parse_time_of_day(s)?;
    Some((days.checked_mul(NANOS_PER_DAY)?.checked_add(tod)?, rest))
}

/// Remembers the last date parsed, since consecutive log lines share it: the hot path then
/// only parses the time of day.
#[derive(Clone, Debug, Default)]
pub(crate) struct DateCache {
    /// `YYYY-MM-DD` as two integers (compared without a `memcmp` call).
    key: (u64, u16),
    days: Option<i64>,
}

#[inline(always)]
fn date_key(s: &[u8]) -> Option<(u64, u16)> {
    let k: &[u8; 10] = s.get(..10)?.try_into().ok()?;
    Some((
        u64::from_le_bytes([k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7]]),
        u16::from_le_bytes([k[8], k[9]]),
    ))
}

impl DateCache {
    /// [`parse_rfc3339_nanos`], reusing the last date when `s` starts with it.
    #[inline]
    pub(crate) fn parse_rfc3339_nanos(&mut self, s: &[u8]) -> Option<i64> {
        let key = date_key(s)?;
        let days = match self.days {
            Some(d) if key == self.key => d,
            _ => {
                let d = parse_date_days(s)?;
                self.key = key;
                self.days = Some(d);
                d
            }
        };
        let (tod, rest) = parse_time_of_day(s)?;
        let offset_secs = parse_offset(rest)?;
        days.checked_mul(NANOS_PER_DAY)?
            .checked_add(tod)?
            .checked_sub(offset_secs * NANOS_PER_SEC)
    }
}

/// Reads a timestamp at the start of `s` as applications write them: ISO 8601 with `T` or a
/// space, `-` or `/` between date parts, a `.` or `,` fraction, and an optional offset (`Z`,
/// `±hh:mm`, `±hhmm`); without an offset the time is taken as UTC. Returns the time and the number
/// of bytes it took.
pub(crate) fn parse_leading_timestamp(s: &[u8]) -> Option<(i64, usize)> {
    if s.len() < 19 {
        return None;
    }
    let sep = s[4];
    if !(sep == b'-' || sep == b'/') || s[7] != sep {
        return None;
    }
    let normalized;
    let s2 = if sep == b'/' {
        let mut v = s[..19].to_vec();
        v[4] = b'-';
        v[7] = b'-';
        v.extend_from_slice(&s[19..s.len().min(40)]);
        normalized = v;
        &normalized[..]
    } else {
        s
    };
    let (local, rest) = parse_local_datetime(s2)?;
    let consumed = s2.len() - rest.len();
    let (offset, tz_len) = leading_offset(rest);
    Some((local - offset * NANOS_PER_SEC, consumed + tz_len))
}

/// An offset at the start of `s` (`Z`, `z`, `±hh:mm`, `±hhmm`), as seconds and its length;
/// (0, 0) when there is none.
fn leading_offset(s: &[u8]) -> (i64, usize) {
    match s.first() {
        Some(b'Z' | b'z') => return (0, 1),
        Some(b'+' | b'-') => {}
        _ => return (0, 0),
    }
    for len in [6, 5, 3] {
        if let Some(part) = s.get(..len) {
            let ends_token = s.get(len).is_none_or(|c| !c.is_ascii_alphanumeric());
            if ends_token && let Some(off) = parse_offset(part) {
                return (off, len);
            }
        }
    }
    (0, 0)
}

/// An epoch number as written (`1704110400`, `1704110400.5`, `1704110400123`) in seconds,
/// milliseconds, microseconds or nanoseconds, told apart by the digits before the point as
/// [`epoch_to_nanos`] does; exact, unlike going through `f64`. Exponent forms go through `f64`.
pub(crate) fn parse_epoch_nanos(text: &[u8]) -> Option<i64> {
    let (neg, digits) = match text.split_first()? {
        (b'-', rest) => (true, rest),
        _ => (false, text),
    };
    let (int, frac) = match memchr::memchr(b'.', digits) {
        Some(dot) => (&digits[..dot], &digits[dot + 1..]),
        None => (digits, &b""[..]),
    };
    if int.is_empty() || !int.iter().chain(frac).all(u8::is_ascii_digit) || int.len() > 19 {
        let v: f64 = std::str::from_utf8(text).ok()?.parse().ok()?;
        return epoch_to_nanos(v);
    }
    let unit: i64 = match int.len() {
        ..=11 => NANOS_PER_SEC,
        12..=14 => 1_000_000,
        15..=17 => 1_000,
        _ => 1,
    };
    let whole: i64 = std::str::from_utf8(int).ok()?.parse().ok()?;
    let mut frac_nanos: i64 = 0;
    let mut scale = unit;
    for &c in frac {
        scale /= 10;
        if scale == 0 {
            break;
        }
        frac_nanos += i64::from(c - b'0') * scale;
    }
    let v = whole.checked_mul(unit)?.checked_add(frac_nanos)?;
    Some(if neg { -v } else { v })
}

/// An epoch number in seconds, milliseconds, microseconds or nanoseconds (told apart by
/// magnitude, which is unambiguous for times between 1973 and 5138) into nanoseconds.
pub(crate) fn epoch_to_nanos(v: f64) -> Option<i64> {
    let abs = v.abs();
    let nanos = if abs < 1e11 {
        v * 1e9
    } else if abs < 1e14 {
        v * 1e6
    } else if abs < 1e17 {
        v * 1e3
    } else {
        v
    };
    finite_nanos(nanos)
}

/// Parses `Z`, `z`, `±hh:mm`, `±hhmm` or `±hh` (the whole input) into seconds east of UTC.
fn parse_offset(s: &[u8]) -> Option<i64> {
    match s {
        [b'Z' | b'z'] => Some(0),
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let hours = digits2(rest, 0)?;
            let minutes = match rest.len() {
                2 => 0,
                4 => digits2(rest, 2)?,
                5 if rest[2] == b':' => digits2(rest, 3)?,
                _ => return None,
            };
            if hours > 23 || minutes > 59 {
                return None;
            }
            let secs = i64::from(hours * 3600 + minutes * 60);
            Some(if *sign == b'-' { -secs } else { secs })
        }
        _ => None,
    }
}

/// Writes `ts_nanos` as `YYYY-MM-DDThh:mm:ss.nnnnnnnnnZ` (always nine fraction digits, so that
/// columns of timestamps line up and sort as text).
pub(crate) fn write_rfc3339_nanos(out: &mut String, ts_nanos: i64) {
    use std::fmt::Write;
    let days = ts_nanos.div_euclid(NANOS_PER_DAY);
    let in_day = ts_nanos.rem_euclid(NANOS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    let secs = in_day / NANOS_PER_SEC;
    let frac = in_day % NANOS_PER_SEC;
    let _ = write!(
        out,
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{frac:09}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
}

/// Writes `ts_nanos` as RFC 3339 with `digits` fraction digits (0, 3, 6 or 9; the fraction cut
/// to them).
pub(crate) fn write_rfc3339(out: &mut String, ts_nanos: i64, digits: u32) {
    let at = out.len();
    write_rfc3339_nanos(out, ts_nanos);
    let dot = out[at..].rfind('.').map_or(out.len(), |i| at + i);
    out.truncate(dot);
    if digits > 0 {
        let frac = ts_nanos.rem_euclid(NANOS_PER_SEC) / 10i64.pow(9 - digits.min(9));
        use std::fmt::Write;
        let _ = write!(out, ".{frac:0width$}", width = digits.min(9) as usize);
    }
    out.push('Z');
}

/// The fewest fraction digits (0, 3, 6 or 9) that write `ts_nanos` exactly.
pub(crate) fn fraction_digits(ts_nanos: i64) -> u32 {
    let frac = ts_nanos.rem_euclid(NANOS_PER_SEC);
    if frac == 0 {
        0
    } else if frac % 1_000_000 == 0 {
        3
    } else if frac % 1_000 == 0 {
        6
    } else {
        9
    }
}

/// A time as people read it: RFC 3339 with as many fraction digits as it needs
/// (`2022-12-20T23:41:04.430Z`, `2022-12-20T23:41:04Z`), not nine zeros.
pub fn format_rfc3339(ts_nanos: i64) -> String {
    let mut s = String::with_capacity(30);
    write_rfc3339(&mut s, ts_nanos, fraction_digits(ts_nanos));
    s
}

/// A duration as people read it, in its two largest units: `10h 2m`, `3m 20s`, `45s`,
/// `1.5s`, `250ms`, `2d 4h`.
pub fn format_duration(nanos: i64) -> String {
    let sign = if nanos < 0 { "-" } else { "" };
    let n = nanos.unsigned_abs();
    let (s, m, h, d) = (
        NANOS_PER_SEC as u64,
        NANOS_PER_MIN as u64,
        NANOS_PER_HOUR as u64,
        NANOS_PER_DAY as u64,
    );
    let two = |big: u64, bu: &str, small: u64, su: &str| {
        let (a, b) = (n / big, n % big / small);
        if b == 0 {
            format!("{sign}{a}{bu}")
        } else {
            format!("{sign}{a}{bu} {b}{su}")
        }
    };
    if n >= d {
        two(d, "d", h, "h")
    } else if n >= h {
        two(h, "h", m, "m")
    } else if n >= m {
        two(m, "m", s, "s")
    } else if n >= 10 * s || n.is_multiple_of(s) {
        format!("{sign}{}s", n / s)
    } else if n >= s {
        format!("{sign}{:.1}s", n as f64 / s as f64)
    } else if n >= 1_000_000 {
        format!("{sign}{}ms", n / 1_000_000)
    } else {
        format!("{sign}{n}ns")
    }
}

/// [`write_rfc3339_nanos`] into a new `String`.
pub fn format_rfc3339_nanos(ts_nanos: i64) -> String {
    let mut s = String::with_capacity(30);
    write_rfc3339_nanos(&mut s, ts_nanos);
    s
}

/// A time in ms as RFC 3339, without a fraction when it is whole seconds
/// (`2024-01-01T12:00:00Z`, `2024-01-01T12:00:00.250Z`).
pub fn format_rfc3339_ms(ms: i64) -> String {
    let s = format_rfc3339_nanos(ms.saturating_mul(1_000_000));
    match s.split_once('.') {
        Some((whole, frac)) if frac.starts_with("000") => format!("{whole}Z"),
        Some((whole, frac)) => format!("{whole}.{}Z", &frac[..3]),
        None => s,
    }
}

/// A time as an axis label whose marks are `step_nanos` apart, in UTC: the date for steps of
/// a day or more, `MM-DD hh:mm` for an hour or more, `hh:mm` for minutes, `hh:mm:ss` for
/// seconds, `hh:mm:ss.mmm` below.
pub fn format_axis(ts_nanos: i64, step_nanos: i64) -> String {
    let s = format_rfc3339_nanos(ts_nanos);
    // 2024-01-01T12:34:56.789000000Z
    let (date, time) = (&s[..10], &s[11..s.len() - 1]);
    const S: i64 = 1_000_000_000;
    match step_nanos {
        t if t >= 86_400 * S => date.to_string(),
        t if t >= 3600 * S => format!("{} {}", &date[5..], &time[..5]),
        t if t >= 60 * S => time[..5].to_string(),
        t if t >= S => time[..8].to_string(),
        _ => time[..12].to_string(),
    }
}

/// Parses a duration such as `90s`, `5m`, `1h30m`, `2d`, `500ms`, `1.5h` into nanoseconds.
/// Units: `ns`, `us`/`µs`, `ms`, `s`, `m`, `h`, `d`, `w`. A bare number is seconds.
pub fn parse_duration_nanos(s: &str) -> Option<i64> {
    parse_duration(s, true)
}

/// A duration given by a person (a flag, a query): like [`parse_duration_nanos`], but a bare
/// number is refused (is `--every 5` five seconds or five minutes?).
pub fn parse_duration_with_unit(s: &str) -> Option<i64> {
    parse_duration(s, false)
}

fn parse_duration(s: &str, bare_seconds: bool) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(secs) = s.parse::<f64>() {
        return if bare_seconds {
            finite_nanos(secs * NANOS_PER_SEC as f64)
        } else {
            None
        };
    }
    let mut total: i64 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return None;
        }
        let value: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit_nanos = match &rest[..unit_len] {
            "ns" => 1,
            "us" | "µs" => 1_000,
            "ms" => 1_000_000,
            "s" => NANOS_PER_SEC,
            "m" => NANOS_PER_MIN,
            "h" => NANOS_PER_HOUR,
            "d" => NANOS_PER_DAY,
            "w" => 7 * NANOS_PER_DAY,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total = total.checked_add(finite_nanos(value * unit_nanos as f64)?)?;
    }
    Some(total)
}

fn finite_nanos(v: f64) -> Option<i64> {
    (v.is_finite() && v.abs() < 9.2e18).then_some(v.round() as i64)
}

/// A `--since` or `--until` bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeBound {
    /// An absolute instant, in nanoseconds since the epoch.
    At(i64),
    /// This many nanoseconds before the last entry of the input.
    BeforeEnd(i64),
}

impl TimeBound {
    /// Parses an absolute time (RFC 3339; `YYYY-MM-DD`; `YYYY-MM-DD hh:mm[:ss]`, UTC unless an
    /// offset is given; `@<epoch seconds>`) or a duration back from the input's last entry
    /// (`15m`, `2h`, `1d`).
    pub fn parse(s: &str) -> crate::Result<Self> {
        let t = s.trim();
        if let Some(epoch) = t.strip_prefix('@') {
            let secs: f64 = epoch
                .parse()
                .map_err(|_| format!("invalid epoch time {s:?}"))?;
            return finite_nanos(secs * NANOS_PER_SEC as f64)
                .map(TimeBound::At)
                .ok_or_else(|| format!("epoch time out of range: {s:?}").into());
        }
        if let Some(ns) = parse_absolute(t.as_bytes()) {
            return Ok(TimeBound::At(ns));
        }
        if let Some(d) = parse_duration_nanos(t) {
            return Ok(TimeBound::BeforeEnd(d));
        }
        Err(format!(
            "invalid time {s:?}: expected RFC 3339 (2024-01-31T12:00:00Z), a date \
             (2024-01-31), a date and time (2024-01-31 12:00), @<epoch seconds>, or a duration \
             back from the last entry (15m, 2h, 1d)"
        )
        .into())
    }

    /// The absolute instant, given the input's last timestamp (needed for [`TimeBound::BeforeEnd`]).
    pub fn resolve(self, end_nanos: Option<i64>) -> Option<i64> {
        match self {
            TimeBound::At(t) => Some(t),
            TimeBound::BeforeEnd(d) => end_nanos.map(|e| e.saturating_sub(d)),
        }
    }
}

fn parse_absolute(s: &[u8]) -> Option<i64> {
    if let Some(t) = parse_rfc3339_nanos(s) {
        return Some(t);
    }
    if s.len() == 10 && s[4] == b'-' && s[7] == b'-' {
        let year = i64::from(digits2(s, 0)? * 100 + digits2(s, 2)?);
        return nanos_from_civil(year, digits2(s, 5)?, digits2(s, 8)?, 0, 0, 0, 0);
    }
    // `YYYY-MM-DD hh:mm`: the seconds are optional here.
    let with_secs;
    let s = if s.len() >= 16 && s.get(16) != Some(&b':') {
        with_secs = [&s[..16], b":00", &s[16..]].concat();
        &with_secs[..]
    } else {
        s
    };
    let (local, rest) = parse_local_datetime(s)?;
    if rest.is_empty() {
        return Some(local);
    }
    let rest = rest.strip_prefix(b" ").unwrap_or(rest);
    Some(local - parse_offset(rest)? * NANOS_PER_SEC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_durations_as_people_read_them() {
        let t = 1_671_579_664_430_000_000; // 2022-12-20T23:41:04.430Z
        assert_eq!(format_rfc3339(t), "2022-12-20T23:41:04.430Z");
        assert_eq!(format_rfc3339(t - 430_000_000), "2022-12-20T23:41:04Z");
        assert_eq!(format_rfc3339(t + 1_000), "2022-12-20T23:41:04.430001Z");
        assert_eq!(format_rfc3339(t + 1), "2022-12-20T23:41:04.430000001Z");
        // Before 1970 and past 9999 too.
        assert_eq!(format_rfc3339(-1_000_000_000), "1969-12-31T23:59:59Z");
        assert_eq!(format_duration(36_126 * NANOS_PER_SEC), "10h 2m");
        assert_eq!(format_duration(36_000 * NANOS_PER_SEC), "10h");
        assert_eq!(format_duration(200 * NANOS_PER_SEC), "3m 20s");
        assert_eq!(format_duration(45 * NANOS_PER_SEC), "45s");
        assert_eq!(format_duration(1_500_000_000), "1.5s");
        assert_eq!(format_duration(250_000_000), "250ms");
        assert_eq!(
            format_duration(2 * NANOS_PER_DAY + 4 * NANOS_PER_HOUR),
            "2d 4h"
        );
        assert_eq!(format_duration(-90 * NANOS_PER_SEC), "-1m 30s");
    }

    #[test]
    fn short_and_axis_times() {
        let t = 1_704_110_400_000i64; // 2024-01-01T12:00:00Z
        assert_eq!(format_rfc3339_ms(t), "2024-01-01T12:00:00Z");
        assert_eq!(format_rfc3339_ms(t + 450), "2024-01-01T12:00:00.450Z");
        let ns = (t + 61_250) * 1_000_000;
        const S: i64 = 1_000_000_000;
        assert_eq!(format_axis(ns, 86_400 * S), "2024-01-01");
        assert_eq!(format_axis(ns, 3600 * S), "01-01 12:01");
        assert_eq!(format_axis(ns, 300 * S), "12:01");
        assert_eq!(format_axis(ns, 10 * S), "12:01:01");
        assert_eq!(format_axis(ns, S / 10), "12:01:01.250");
    }

    #[test]
    fn rfc3339_cases() {
        let base = 1_475_713_029 * NANOS_PER_SEC; // 2016-10-06T00:17:09Z
        let cases: &[(&str, Option<i64>)] = &[
            ("2016-10-06T00:17:09Z", Some(base)),
            ("2016-10-06T00:17:09.669794202Z", Some(base + 669_794_202)),
            ("2016-10-06T00:17:09.66979420Z", Some(base + 669_794_200)),
            ("2016-10-06T00:17:09.6Z", Some(base + 600_000_000)),
            (
                "2016-10-06T00:17:09.1234567891234Z",
                Some(base + 123_456_789),
            ),
            ("2016-10-06t00:17:09z", Some(base)),
            ("2016-10-06T02:17:09+02:00", Some(base)),
            ("2016-10-05T22:17:09-0200", Some(base)),
            ("2016-10-06T00:17:09+00", Some(base)),
            ("2016-10-06 00:17:09Z", Some(base)),
            ("2016-10-06T00:17:09", None),
            ("2016-10-06T00:17:09.Z", None),
            ("2016-13-06T00:17:09Z", None),
            ("2016-02-30T00:17:09Z", None),
            ("2016-10-06T24:00:00Z", None),
            ("2016-10-06T00:17:09+25:00", None),
            ("qwerty", None),
            ("", None),
            ("2016-10-06T00:17:09Zjunk", None),
        ];
        for (input, want) in cases {
            assert_eq!(parse_rfc3339_nanos(input.as_bytes()), *want, "{input}");
        }
        assert_eq!(
            parse_rfc3339_nanos(b"2024-02-29T12:00:00Z"),
            Some(1_709_208_000 * NANOS_PER_SEC)
        );
        assert_eq!(
            parse_rfc3339_nanos(b"1969-12-31T23:59:59Z"),
            Some(-NANOS_PER_SEC)
        );
    }

    #[test]
    fn leading_timestamps() {
        let t = 1_704_110_400 * NANOS_PER_SEC; // 2024-01-01T12:00:00Z
        let cases: &[(&str, Option<(i64, usize)>)] = &[
            (
                "2024-01-01 12:00:00,123 INFO x",
                Some((t + 123_000_000, 23)),
            ),
            ("2024-01-01T12:00:00.5Z rest", Some((t + 500_000_000, 22))),
            ("2024-01-01T13:00:00+01:00 rest", Some((t, 25))),
            ("2024-01-01T13:00:00+0100 rest", Some((t, 24))),
            ("2024/01/01 12:00:00 [error] x", Some((t, 19))),
            ("2024-01-01T12:00:00", Some((t, 19))),
            ("2024-01-01T04:00:00-08:00 x", Some((t, 25))),
            ("12:00:00 2024-01-01", None),
            ("2024-01-01", None),
        ];
        for (input, want) in cases {
            assert_eq!(parse_leading_timestamp(input.as_bytes()), *want, "{input}");
        }
        assert_eq!(epoch_to_nanos(1_704_110_400.5), Some(t + 500_000_000));
        assert_eq!(
            parse_epoch_nanos(b"1704110400.123456789"),
            Some(t + 123_456_789)
        );
        assert_eq!(parse_epoch_nanos(b"1704110400123"), Some(t + 123_000_000));
        assert_eq!(parse_epoch_nanos(b"1704110400123.5"), Some(t + 123_500_000));
        assert_eq!(
            parse_epoch_nanos(b"1704110400123456"),
            Some(t + 123_456_000)
        );
        assert_eq!(
            parse_epoch_nanos(b"1704110400123456789"),
            Some(t + 123_456_789)
        );
        assert_eq!(parse_epoch_nanos(b"1.7041104e9"), Some(t));
        assert_eq!(parse_epoch_nanos(b"abc"), None);
        assert_eq!(epoch_to_nanos(f64::NAN), None);
    }

    #[test]
    fn hh_mm_ss_swar() {
        assert_eq!(hh_mm_ss(b"23:59:60"), Some((23, 59, 60)));
        assert_eq!(hh_mm_ss(b"00:00:00"), Some((0, 0, 0)));
        assert_eq!(hh_mm_ss(b"12:34:56"), Some((12, 34, 56)));
        for bad in [
            b"12-34:56",
            b"12:34-56",
            b"1a:34:56",
            b"12:3/:56",
            b"12:34:5:",
            b"\xff2:34:56",
        ] {
            assert_eq!(hh_mm_ss(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn eight_digit_swar() {
        assert_eq!(eight_digits(b"12345678"), Some(12_345_678));
        assert_eq!(eight_digits(b"00000009"), Some(9));
        assert_eq!(eight_digits(b"99999999"), Some(99_999_999));
        for bad in [b"1234567:", b"/2345678", b"1234a678", b"12345 78"] {
            assert_eq!(eight_digits(bad), None);
        }
        assert_eq!(eight_digits(b"123"), None);
    }

    #[test]
    fn date_cache_agrees_with_the_parser() {
        let mut cache = DateCache::default();
        for input in [
            "2016-10-06T00:17:09.669794202Z",
            "2016-10-06T00:17:10Z",
            "2016-10-06T25:17:10Z",
            "2016-10-06T00:17:10+02:00",
            "2016-10-07T00:00:00Z",
            "2016-02-30T00:00:00Z",
            "2016-10-07",
            "2016-10-07T00:00:00",
            "",
        ] {
            assert_eq!(
                cache.parse_rfc3339_nanos(input.as_bytes()),
                parse_rfc3339_nanos(input.as_bytes()),
                "{input}"
            );
        }
    }

    #[test]
    fn civil_round_trip() {
        for days in [-1_000_000, -1, 0, 1, 11_016, 19_723, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn format_round_trips() {
        for ts in [
            0,
            1,
            -1,
            1_475_713_029_669_794_202,
            1_709_208_000 * NANOS_PER_SEC,
        ] {
            let s = format_rfc3339_nanos(ts);
            assert_eq!(parse_rfc3339_nanos(s.as_bytes()), Some(ts), "{s}");
        }
        assert_eq!(
            format_rfc3339_nanos(1_475_713_029_669_794_202),
            "2016-10-06T00:17:09.669794202Z"
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration_nanos("90s"), Some(90 * NANOS_PER_SEC));
        assert_eq!(parse_duration_nanos("1h30m"), Some(90 * NANOS_PER_MIN));
        assert_eq!(parse_duration_nanos("500ms"), Some(500_000_000));
        assert_eq!(parse_duration_nanos("1.5h"), Some(90 * NANOS_PER_MIN));
        assert_eq!(parse_duration_nanos("2d"), Some(2 * NANOS_PER_DAY));
        assert_eq!(parse_duration_nanos("30"), Some(30 * NANOS_PER_SEC));
        assert_eq!(parse_duration_nanos("5x"), None);
        assert_eq!(parse_duration_nanos("m"), None);
        assert_eq!(parse_duration_nanos(""), None);
    }

    #[test]
    fn time_bounds() {
        let day = 1_704_067_200 * NANOS_PER_SEC; // 2024-01-01T00:00:00Z
        assert_eq!(
            TimeBound::parse("2024-01-01").ok(),
            Some(TimeBound::At(day))
        );
        assert_eq!(
            TimeBound::parse("2024-01-01T00:00:00Z").ok(),
            Some(TimeBound::At(day))
        );
        assert_eq!(
            TimeBound::parse("2024-01-01 01:30").ok(),
            Some(TimeBound::At(day + 90 * NANOS_PER_MIN))
        );
        assert_eq!(
            TimeBound::parse("2024-01-01 01:30:15").ok(),
            Some(TimeBound::At(day + 5415 * NANOS_PER_SEC))
        );
        assert_eq!(
            TimeBound::parse("2024-01-01T02:00+01:00").ok(),
            Some(TimeBound::At(day + NANOS_PER_HOUR))
        );
        assert_eq!(
            TimeBound::parse("@1704067200").ok(),
            Some(TimeBound::At(day))
        );
        assert_eq!(
            TimeBound::parse("15m").ok(),
            Some(TimeBound::BeforeEnd(15 * NANOS_PER_MIN))
        );
        assert!(TimeBound::parse("yesterday").is_err());
        assert_eq!(TimeBound::BeforeEnd(10).resolve(Some(100)), Some(90));
        assert_eq!(TimeBound::BeforeEnd(10).resolve(None), None);
    }
}
