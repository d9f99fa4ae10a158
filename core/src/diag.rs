//! Diagnostics: what could not be read or parsed, with the file and line.
//!
//! Partial failures never stop ingest: each one becomes a [`Diagnostic`] and processing goes on.
//! Front ends print them and turn their presence into an exit code.

use std::fmt;

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Data was read, but something about it is off (a bad time, a line cut short).
    Warning,
    /// Data was not read: an unparsed line, a skipped file, a read error.
    Error,
}

/// One problem with an input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file, as shown to the user.
    pub path: String,
    /// The 1-based line, when the problem is on a line.
    pub line: Option<u64>,
    /// Severity.
    pub severity: Severity,
    /// What happened.
    pub message: String,
}

impl Diagnostic {
    /// A problem with a whole file.
    pub fn file(path: impl Into<String>, severity: Severity, message: impl Into<String>) -> Self {
        Diagnostic {
            path: path.into(),
            line: None,
            severity,
            message: message.into(),
        }
    }

    /// A problem on one line.
    pub fn line(
        path: impl Into<String>,
        line: u64,
        severity: Severity,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            path: path.into(),
            line: Some(line),
            severity,
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        match self.line {
            Some(line) => write!(f, "{kind}: {}:{line}: {}", self.path, self.message),
            None => write!(f, "{kind}: {}: {}", self.path, self.message),
        }
    }
}

/// `16 GiB`, `512 MiB`, `300 B`.
pub fn human_size(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else if v.fract() == 0.0 {
        format!("{v:.0} {}", UNITS[u])
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}
