//! Timestamp layouts as user-defined formats write them: a small `strftime` subset, plus `auto`
//! (ISO 8601 in its common shapes, epoch numbers, syslog and access-log stamps).
//!
//! A layout without a year (`%b %e %H:%M:%S`, as syslog writes) takes the year that puts the
//! time closest to a hint (the entry before it, or a time near the input's), so that a log
//! running from December into January rolls over.

use crate::time::{
    NANOS_PER_DAY, NANOS_PER_SEC, civil_from_days, nanos_from_civil, parse_epoch_nanos,
    parse_leading_timestamp,
};

/// One piece of a layout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// A byte that must be there (a space matches one or more spaces).
    Lit(u8),
    /// `%Y`: four-digit year.
    Year,
    /// `%y`: two-digit year (69-99 are 1969-1999, 00-68 are 2000-2068, as POSIX says).
    Year2,
    /// `%m`: month 01-12.
    Month,
    /// `%b`: English month abbreviation (`Jan`; a full name is accepted too).
    MonthName,
    /// `%d` or `%e`: day of month, zero- or space-padded.
    Day,
    /// `%H`.
    Hour,
    /// `%M`.
    Minute,
    /// `%S`.
    Second,
    /// `%f`: digits of a fraction of a second.
    Frac,
    /// `%.f`: an optional `.` or `,` and fraction digits.
    OptFrac,
    /// `%L`: milliseconds as a number of one to three digits (`29:606`, and `35:11` written
    /// without padding for 11 ms).
    Millis,
    /// `%z`: `Z`, `±hh:mm`, `±hhmm` or `±hh` (optional).
    Zone,
    /// `%a`: a weekday name, skipped.
    Weekday,
    /// `%s`: epoch seconds, with an optional fraction.
    Epoch,
}

/// How a format's `ts` group is read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TimeFormat {
    /// Whatever podsift recognises: ISO 8601/RFC 3339 (with `T` or a space, `.` or `,`
    /// fraction, any offset), epoch seconds/ms/us/ns, `dd/Mon/yyyy:hh:mm:ss zzzz`, and
    /// `Mon dd hh:mm:ss` without a year.
    Auto,
    /// A `strftime` layout: `%Y %y %m %d %e %b %H %M %S %f %.f %L %z %a %s %%`.
    Layout(Vec<Item>),
}

impl TimeFormat {
    /// Parses a layout string (`auto` for [`TimeFormat::Auto`]).
    pub fn parse(spec: &str) -> crate::Result<TimeFormat> {
        if spec == "auto" || spec.is_empty() {
            return Ok(TimeFormat::Auto);
        }
        let mut items = Vec::new();
        let b = spec.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] != b'%' {
                items.push(Item::Lit(b[i]));
                i += 1;
                continue;
            }
            let (item, len) = match (b.get(i + 1), b.get(i + 2)) {
                (Some(b'Y'), _) => (Item::Year, 2),
                (Some(b'y'), _) => (Item::Year2, 2),
                (Some(b'm'), _) => (Item::Month, 2),
                (Some(b'b' | b'h' | b'B'), _) => (Item::MonthName, 2),
                (Some(b'd' | b'e'), _) => (Item::Day, 2),
                (Some(b'H'), _) => (Item::Hour, 2),
                (Some(b'M'), _) => (Item::Minute, 2),
                (Some(b'S'), _) => (Item::Second, 2),
                (Some(b'f'), _) => (Item::Frac, 2),
                (Some(b'L'), _) => (Item::Millis, 2),
                (Some(b'.'), Some(b'f')) => (Item::OptFrac, 3),
                (Some(b'z' | b'Z'), _) => (Item::Zone, 2),
                (Some(b'a' | b'A'), _) => (Item::Weekday, 2),
                (Some(b's'), _) => (Item::Epoch, 2),
                (Some(b'%'), _) => (Item::Lit(b'%'), 2),
                _ => {
                    return Err(format!(
                        "unknown directive at {:?} in time layout {spec:?}: use %Y %y %m %d %e %b %H %M %S %f %.f %L %z %a %s, or \"auto\"",
                        &spec[i..spec.len().min(i + 3)]
                    ).into());
                }
            };
            items.push(item);
            i += len;
        }
        let has = |x: &Item| items.contains(x);
        if !(has(&Item::Epoch) || (has(&Item::Hour) && has(&Item::Day))) {
            return Err(format!(
                "time layout {spec:?} needs at least a day and an hour (%d %H), or %s"
            )
            .into());
        }
        Ok(TimeFormat::Layout(items))
    }

    /// Whether the layout gives no year (the year comes from a hint).
    #[cfg(test)]
    pub(crate) fn lacks_year(&self) -> bool {
        match self {
            TimeFormat::Auto => false,
            TimeFormat::Layout(items) => {
                !items.contains(&Item::Year)
                    && !items.contains(&Item::Year2)
                    && !items.contains(&Item::Epoch)
            }
        }
    }

    /// Reads the time in `s` (the whole of `s` need not be used). A time without a year takes
    /// the year that puts it closest to `near`; without `near` it is `None`.
    pub fn read(&self, s: &[u8], near: Option<i64>) -> Option<i64> {
        match self {
            TimeFormat::Auto => read_auto(s, near),
            TimeFormat::Layout(items) => read_layout(items, s, near),
        }
    }
}

fn read_auto(s: &[u8], near: Option<i64>) -> Option<i64> {
    let s = s.trim_ascii();
    if let Some((t, _)) = parse_leading_timestamp(s) {
        return Some(t);
    }
    if s.first().is_some_and(u8::is_ascii_digit)
        && s.iter().all(|c| c.is_ascii_digit() || *c == b'.')
    {
        return parse_epoch_nanos(s);
    }
    thread_local! {
        static COMMON: [TimeFormat; 3] = [
            TimeFormat::parse("%d/%b/%Y:%H:%M:%S%.f %z").expect("valid layout"),
            TimeFormat::parse("%b %e %H:%M:%S%.f").expect("valid layout"),
            TimeFormat::parse("%a %b %e %H:%M:%S%.f %Y").expect("valid layout"),
        ];
    }
    COMMON.with(|c| c.iter().find_map(|f| f.read(s, near)))
}

const MONTHS: [&[u8; 3]; 12] = [
    b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov", b"dec",
];

fn read_layout(items: &[Item], s: &[u8], near: Option<i64>) -> Option<i64> {
    let mut i = 0;
    let (mut year, mut month, mut day) = (None, 1u32, None);
    let (mut hour, mut minute, mut second, mut nanos) = (0u32, 0u32, 0u32, 0u32);
    let mut offset_secs = 0i64;
    let mut epoch = None;
    let digits = |s: &[u8], i: &mut usize, max: usize| -> Option<u32> {
        let start = *i;
        while *i < s.len() && *i - start < max && s[*i].is_ascii_digit() {
            *i += 1;
        }
        if *i == start {
            return None;
        }
        std::str::from_utf8(&s[start..*i]).ok()?.parse().ok()
    };
    let frac = |s: &[u8], i: &mut usize| -> u32 {
        let mut n = 0u32;
        let mut scale = 100_000_000u32;
        while *i < s.len() && s[*i].is_ascii_digit() {
            n += u32::from(s[*i] - b'0') * scale;
            scale /= 10;
            *i += 1;
        }
        n
    };
    for item in items {
        match item {
            Item::Lit(b' ') => {
                let start = i;
                while s.get(i) == Some(&b' ') {
                    i += 1;
                }
                if i == start {
                    return None;
                }
            }
            Item::Lit(c) => {
                if s.get(i) != Some(c) {
                    return None;
                }
                i += 1;
            }
            Item::Year => year = Some(i64::from(digits(s, &mut i, 4)?)),
            Item::Year2 => {
                let start = i;
                let yy = i64::from(digits(s, &mut i, 2)?);
                if i - start != 2 {
                    return None;
                }
                year = Some(if yy >= 69 { 1900 + yy } else { 2000 + yy });
            }
            Item::Month => month = digits(s, &mut i, 2)?,
            Item::MonthName => {
                let word: Vec<u8> = s[i..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphabetic())
                    .map(u8::to_ascii_lowercase)
                    .collect();
                let m = MONTHS
                    .iter()
                    .position(|m| word.len() >= 3 && word.starts_with(*m))?;
                month = m as u32 + 1;
                i += word.len();
            }
            Item::Day => {
                while s.get(i) == Some(&b' ') {
                    i += 1;
                }
                day = Some(digits(s, &mut i, 2)?);
            }
            Item::Hour => hour = digits(s, &mut i, 2)?,
            Item::Minute => minute = digits(s, &mut i, 2)?,
            Item::Second => second = digits(s, &mut i, 2)?,
            Item::Frac => nanos = frac(s, &mut i),
            Item::Millis => nanos = digits(s, &mut i, 3)? * 1_000_000,
            Item::OptFrac => {
                if matches!(s.get(i), Some(b'.' | b','))
                    && s.get(i + 1).is_some_and(u8::is_ascii_digit)
                {
                    i += 1;
                    nanos = frac(s, &mut i);
                }
            }
            Item::Zone => {
                // Optional: a space before it is already consumed by the literal.
                match s.get(i) {
                    Some(b'Z' | b'z') => i += 1,
                    Some(&sign @ (b'+' | b'-')) => {
                        i += 1;
                        let hh = digits(s, &mut i, 2)?;
                        if s.get(i) == Some(&b':') {
                            i += 1;
                        }
                        let mm = digits(s, &mut i, 2).unwrap_or(0);
                        let secs = i64::from(hh * 3600 + mm * 60);
                        offset_secs = if sign == b'-' { -secs } else { secs };
                    }
                    _ => {
                        // Zone names (UTC, GMT) are read as UTC.
                        while s.get(i).is_some_and(u8::is_ascii_uppercase) {
                            i += 1;
                        }
                    }
                }
            }
            Item::Weekday => {
                let n = s[i..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphabetic())
                    .count();
                if n < 3 {
                    return None;
                }
                i += n;
            }
            Item::Epoch => {
                let start = i;
                while s.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'.') {
                    i += 1;
                }
                epoch = Some(parse_epoch_nanos(&s[start..i])?);
            }
        }
    }
    if let Some(t) = epoch {
        return Some(t);
    }
    let day = day?;
    let local = |y: i64| -> Option<i64> {
        Some(
            nanos_from_civil(y, month, day, hour, minute, second.min(60), nanos)?
                - offset_secs * NANOS_PER_SEC,
        )
    };
    match year {
        Some(y) => local(y),
        None => {
            let near = near?;
            let (y, _, _) = civil_from_days(near.div_euclid(NANOS_PER_DAY));
            [y, y - 1, y + 1]
                .into_iter()
                .filter_map(local)
                .min_by_key(|t| (t - near).unsigned_abs())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_rfc3339_nanos;

    fn t(s: &str) -> i64 {
        parse_rfc3339_nanos(s.as_bytes()).unwrap()
    }

    #[test]
    fn layouts() {
        let near = Some(t("2024-06-01T00:00:00Z"));
        let cases: [(&str, &str, Option<&str>); 13] = [
            // Two-digit years (HDFS, Spark), a compact date, logcat without a year.
            (
                "%y%m%d %H%M%S",
                "081109 203615",
                Some("2008-11-09T20:36:15Z"),
            ),
            (
                "%y/%m/%d %H:%M:%S",
                "17/06/09 20:10:40",
                Some("2017-06-09T20:10:40Z"),
            ),
            (
                "%Y%m%d-%H:%M:%S:%L",
                "20171223-22:15:35:11",
                Some("2017-12-23T22:15:35.011Z"),
            ),
            (
                "%m-%d %H:%M:%S%.f",
                "06-01 12:00:00.250",
                Some("2024-06-01T12:00:00.25Z"),
            ),
            (
                "%b %e %H:%M:%S",
                "Nov  3 09:23:38",
                Some("2024-11-03T09:23:38Z"),
            ),
            (
                "%b %e %H:%M:%S%.f",
                "Jan 02 15:04:05.123456",
                Some("2024-01-02T15:04:05.123456Z"),
            ),
            (
                "%d/%b/%Y:%H:%M:%S %z",
                "20/Jul/2009:22:59:26 +0330",
                Some("2009-07-20T19:29:26Z"),
            ),
            (
                "%Y-%m-%d %H:%M:%S,%f",
                "2024-03-01 10:00:00,250",
                Some("2024-03-01T10:00:00.25Z"),
            ),
            (
                "%Y-%m-%dT%H:%M:%S%z",
                "2024-03-01T10:00:00-0100",
                Some("2024-03-01T11:00:00Z"),
            ),
            ("%s", "1704110400.5", Some("2024-01-01T12:00:00.5Z")),
            (
                "%a %b %e %H:%M:%S %Y",
                "Mon Jan  1 12:00:00 2024",
                Some("2024-01-01T12:00:00Z"),
            ),
            ("%b %e %H:%M:%S", "Feb 30 00:00:00", None),
            ("%Y-%m-%d %H:%M:%S", "2024-13-01 00:00:00", None),
        ];
        for (layout, input, want) in cases {
            let f = TimeFormat::parse(layout).unwrap();
            assert_eq!(
                f.read(input.as_bytes(), near),
                want.map(t),
                "{layout} {input}"
            );
        }
    }

    #[test]
    fn year_rolls_over_to_the_nearest() {
        let f = TimeFormat::parse("%b %e %H:%M:%S").unwrap();
        assert!(f.lacks_year());
        let dec = Some(t("2023-12-31T23:59:00Z"));
        assert_eq!(
            f.read(b"Jan  1 00:00:10", dec),
            Some(t("2024-01-01T00:00:10Z"))
        );
        let jan = Some(t("2024-01-01T00:01:00Z"));
        assert_eq!(
            f.read(b"Dec 31 23:59:59", jan),
            Some(t("2023-12-31T23:59:59Z"))
        );
        assert_eq!(f.read(b"Dec 31 23:59:59", None), None);
    }

    #[test]
    fn auto() {
        let near = Some(t("2019-01-01T00:00:00Z"));
        let f = TimeFormat::Auto;
        for (input, want) in [
            ("2024-01-02 03:04:05,006", "2024-01-02T03:04:05.006Z"),
            ("2024-01-02T03:04:05.5+01:00", "2024-01-02T02:04:05.5Z"),
            ("1700000000123", "2023-11-14T22:13:20.123Z"),
            ("22/Jan/2019:03:56:14 +0330", "2019-01-22T00:26:14Z"),
            ("Jan 22 03:56:14", "2019-01-22T03:56:14Z"),
        ] {
            assert_eq!(f.read(input.as_bytes(), near), Some(t(want)), "{input}");
        }
        assert_eq!(f.read(b"yesterday", near), None);
    }

    #[test]
    fn bad_layouts() {
        assert!(TimeFormat::parse("%Q").is_err());
        assert!(TimeFormat::parse("%Y-%m").is_err());
        assert!(TimeFormat::parse("auto").is_ok());
    }
}
