//! Normalized log levels.
//!
//! Every entry gets one of seven levels; the text the application wrote is kept beside it
//! (`level_raw`). The mapping follows what the common loggers write: zap, logrus, slog, klog,
//! bunyan and pino numbers, log4j/logback, Python logging, syslog severities.

use std::fmt;

/// A normalized level, ordered by severity (`Unknown` sorts lowest).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Level {
    /// No level could be found.
    #[default]
    Unknown,
    /// Trace, finest.
    Trace,
    /// Debug, fine.
    Debug,
    /// Informational (includes notice).
    Info,
    /// Warning.
    Warn,
    /// Error.
    Error,
    /// Fatal, panic, critical, alert, emergency.
    Fatal,
}

impl Level {
    /// All levels, in severity order.
    pub const ALL: [Level; 7] = [
        Level::Unknown,
        Level::Trace,
        Level::Debug,
        Level::Info,
        Level::Warn,
        Level::Error,
        Level::Fatal,
    ];

    /// The name used in tables and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Unknown => "unknown",
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
            Level::Fatal => "fatal",
        }
    }

    /// Normalizes a level name as loggers write it (`INFO`, `Warning`, `err`, `CRIT`, `dpanic`,
    /// `I`, `30`, ...). Returns `None` for text that is not a level.
    pub fn from_name(raw: &str) -> Option<Level> {
        // The spellings most loggers use, without lower-casing.
        match raw {
            "info" | "INFO" | "I" => return Some(Level::Info),
            "warn" | "WARN" | "warning" | "WARNING" | "W" => return Some(Level::Warn),
            "error" | "ERROR" | "E" => return Some(Level::Error),
            "debug" | "DEBUG" => return Some(Level::Debug),
            _ => {}
        }
        let raw = raw.trim();
        if raw.is_empty() || raw.len() > 16 {
            return None;
        }
        if let Ok(n) = raw.parse::<i64>() {
            return Level::from_bunyan_number(n);
        }
        let mut buf = [0u8; 16];
        let lower = &mut buf[..raw.len()];
        lower.copy_from_slice(raw.as_bytes());
        lower.make_ascii_lowercase();
        Some(match &*lower {
            b"trace" | b"trc" | b"finest" | b"finer" | b"verbose" | b"vrb" => Level::Trace,
            b"debug" | b"dbg" | b"debu" | b"fine" | b"config" | b"d" => Level::Debug,
            b"info" | b"inf" | b"information" | b"informational" | b"notice" | b"i" => Level::Info,
            b"warn" | b"warning" | b"wrn" | b"w" => Level::Warn,
            b"error" | b"err" | b"eror" | b"erro" | b"severe" | b"e" => Level::Error,
            b"fatal" | b"fata" | b"ftl" | b"critical" | b"crit" | b"crt" | b"panic" | b"dpanic"
            | b"alert" | b"emerg" | b"emergency" | b"f" => Level::Fatal,
            _ => return None,
        })
    }

    /// bunyan and pino numeric levels: 10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal.
    pub(crate) fn from_bunyan_number(n: i64) -> Option<Level> {
        Some(match n {
            ..=0 => return None,
            1..=19 => Level::Trace,
            20..=29 => Level::Debug,
            30..=39 => Level::Info,
            40..=49 => Level::Warn,
            50..=59 => Level::Error,
            60.. => Level::Fatal,
        })
    }

    /// A syslog priority (`PRI`, severity = `PRI & 7`) or bare severity: 0-2 fatal (emerg,
    /// alert, crit), 3 error, 4 warn, 5-6 info (notice, info), 7 debug.
    pub(crate) fn from_syslog(priority: u32) -> Level {
        match priority & 7 {
            0..=2 => Level::Fatal,
            3 => Level::Error,
            4 => Level::Warn,
            5 | 6 => Level::Info,
            _ => Level::Debug,
        }
    }

    /// Parses a level as given on the command line: a name from [`Level::as_str`].
    pub(crate) fn parse_cli(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let cases = [
            ("INFO", Some(Level::Info)),
            ("Warning", Some(Level::Warn)),
            ("err", Some(Level::Error)),
            ("CRIT", Some(Level::Fatal)),
            ("dpanic", Some(Level::Fatal)),
            ("I", Some(Level::Info)),
            ("30", Some(Level::Info)),
            ("50", Some(Level::Error)),
            ("60", Some(Level::Fatal)),
            ("10", Some(Level::Trace)),
            ("notice", Some(Level::Info)),
            ("severe", Some(Level::Error)),
            ("hello", None),
            ("", None),
            ("0", None),
            ("a-very-long-word-that-is-no-level", None),
        ];
        for (raw, want) in cases {
            assert_eq!(Level::from_name(raw), want, "{raw}");
        }
    }

    #[test]
    fn order_is_severity() {
        assert!(
            Level::Fatal > Level::Error && Level::Error > Level::Warn && Level::Info > Level::Debug
        );
        assert!(Level::Trace > Level::Unknown);
        for l in Level::ALL {
            assert_eq!(Level::parse_cli(l.as_str()), Some(l));
        }
    }
}
