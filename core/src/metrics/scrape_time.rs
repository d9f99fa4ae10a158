//! The time of a scrape written without timestamps: `--at`, else a timestamp in the file's
//! name, else its place in a sequence of scrapes (`metrics-001.txt`, `metrics-002.txt`, or
//! scrapes written one after another in one file), one scrape interval apart.

use std::sync::LazyLock;

use regex::Regex;

/// Options for samples without timestamps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScrapeTimeOptions {
    /// `--at`: the time of the first scrape (ms).
    pub at_ms: Option<i64>,
    /// `--scrape-interval`: the time between scrapes of a sequence (ms).
    pub interval_ms: i64,
}

impl Default for ScrapeTimeOptions {
    fn default() -> Self {
        ScrapeTimeOptions {
            at_ms: None,
            interval_ms: 15_000,
        }
    }
}

/// Where the time of a file's samples came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TimeSource {
    /// Every sample has its own timestamp.
    Samples,
    /// `--at`.
    At(i64),
    /// A timestamp in the file's name.
    FileName(i64),
    /// Some samples carry a timestamp and some not: the latest of those written.
    Latest(i64),
    /// Nothing says: the epoch (1970-01-01T00:00:00Z), plus the interval per scrape.
    Unknown,
}

/// A timestamp in a file name, in ms: `20240101-120000`, `20240101T120000Z`,
/// `2024-01-01T12:00:00Z`, `2024-01-01_12-00-00`, `2024-01-01T12:00:00.123+02:00`, or 10 or 13
/// digits of Unix time (seconds or ms, between 2001 and 2286).
pub(crate) fn name_timestamp(name: &str) -> Option<i64> {
    name_timestamp_at(name).map(|(t, _)| t)
}

/// [`name_timestamp`] and where in the name it is written.
pub(crate) fn name_timestamp_at(name: &str) -> Option<(i64, std::ops::Range<usize>)> {
    static DATE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?x)(\d{4})-?(\d{2})-?(\d{2})[T_\-\ ]?(\d{2})[:\-]?(\d{2})[:\-]?(\d{2})(?:\.(\d{1,9}))?(Z|[+\-]\d{2}:?\d{2})?",
        )
        .expect("valid")
    });
    static EPOCH: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?:^|[^0-9])(1\d{9}|1\d{12})(?:[^0-9]|$)").expect("valid"));
    if let Some(c) = DATE.captures(name) {
        let n = |i: usize| {
            c.get(i)
                .map_or(0, |m| m.as_str().parse::<i64>().unwrap_or(0))
        };
        let (y, mo, d, h, mi, s) = (n(1), n(2), n(3), n(4), n(5), n(6));
        if (1..=12).contains(&mo) && (1..=31).contains(&d) && h < 24 && mi < 60 && s < 61 {
            let frac_ms = c.get(7).map_or(0, |m| {
                let f = format!("{:0<3}", &m.as_str()[..m.as_str().len().min(3)]);
                f.parse::<i64>().unwrap_or(0)
            });
            let offset_min = c.get(8).map_or(0, |m| {
                let z = m.as_str();
                if z == "Z" {
                    return 0;
                }
                let sign = if z.starts_with('-') { -1 } else { 1 };
                let digits: String = z.chars().filter(char::is_ascii_digit).collect();
                let hh: i64 = digits[..2].parse().unwrap_or(0);
                let mm: i64 = digits[2..].parse().unwrap_or(0);
                sign * (hh * 60 + mm)
            });
            let days = crate::time::days_from_civil(y, mo as u32, d as u32);
            let secs = days * 86_400 + h * 3600 + mi * 60 + s - offset_min * 60;
            return Some((secs * 1000 + frac_ms, c.get(0)?.range()));
        }
    }
    if let Some(c) = EPOCH.captures(name) {
        let m = c.get(1)?;
        let digits = m.as_str();
        let v: i64 = digits.parse().ok()?;
        return Some((if digits.len() == 10 { v * 1000 } else { v }, m.range()));
    }
    None
}

/// A file's place in a sequence: its name with the last run of digits replaced (the
/// sequence), and that number. `None` when the name has no digits.
pub(crate) fn sequence_key(path: &str) -> Option<(String, u64)> {
    let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
    let bytes = name.as_bytes();
    let end = bytes.iter().rposition(u8::is_ascii_digit)? + 1;
    let start = bytes[..end]
        .iter()
        .rposition(|c| !c.is_ascii_digit())
        .map_or(0, |p| p + 1);
    let number: u64 = name[start..end].parse().ok()?;
    Some((format!("{dir}/{}#{}", &name[..start], &name[end..]), number))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_in_names() {
        let noon = 1_704_110_400_000;
        for name in [
            "metrics-20240101-120000.txt",
            "node-exporter_20240101T120000Z.prom",
            "scrape-2024-01-01T12:00:00Z.txt",
            "2024-01-01_12-00-00.metrics",
            "kube-state-metrics.2024-01-01T14:00:00+02:00.txt",
            "metrics.1704110400.txt",
            "metrics-1704110400000.prom",
        ] {
            assert_eq!(name_timestamp(name), Some(noon), "{name}");
        }
        assert_eq!(
            name_timestamp("scrape-2024-01-01T12:00:00.250Z"),
            Some(noon + 250)
        );
        assert_eq!(name_timestamp("metrics-001.txt"), None);
        assert_eq!(
            name_timestamp_at("node1-20240101-120000.prom").map(|(_, r)| r),
            Some(6..21)
        );
        assert_eq!(name_timestamp("metrics.txt"), None);
    }

    #[test]
    fn sequences() {
        assert_eq!(
            sequence_key("a/metrics-007.txt"),
            Some(("a/metrics-#.txt".into(), 7))
        );
        assert_eq!(sequence_key("a/metrics.txt"), None);
    }
}
