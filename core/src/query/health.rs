//! Signs of trouble in log entries, for reports and views: crash evidence in a message (a Go
//! panic, a Python traceback, an out-of-memory kill), spikes in a per-minute error series,
//! and silences (a container that stopped writing for a while).

/// What a message shows went wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Evidence {
    /// `panic: ...` with `goroutine N [running]:`.
    GoPanic,
    /// `fatal error: ...` (the Go runtime: concurrent map writes, out of memory).
    GoFatal,
    /// `Traceback (most recent call last):`.
    PythonTraceback,
    /// A Java exception or error with its stack (`java.lang.IllegalStateException: ...` then
    /// `\tat ...`), or `Exception in thread "main"`.
    JavaException,
    /// Out of memory: the kernel's OOM killer, `OOMKilled`, `java.lang.OutOfMemoryError`,
    /// `MemoryError`, `runtime: out of memory`, `Cannot allocate memory`.
    OutOfMemory,
    /// A segmentation fault (`SIGSEGV`, `segfault at`).
    Segfault,
}

impl Evidence {
    /// A short name (`go-panic`, `oom`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Evidence::GoPanic => "go-panic",
            Evidence::GoFatal => "go-fatal",
            Evidence::PythonTraceback => "python-traceback",
            Evidence::JavaException => "java-exception",
            Evidence::OutOfMemory => "oom",
            Evidence::Segfault => "segfault",
        }
    }
}

/// The strongest evidence in a message (a joined entry: a stack trace is one message).
/// Out-of-memory wins over the crash it causes.
pub fn evidence(message: &str) -> Option<Evidence> {
    let has = |s: &str| message.contains(s);
    if has("Out of memory: Kill")
        || has("oom-kill")
        || has("OOMKilled")
        || has("OutOfMemoryError")
        || has("runtime: out of memory")
        || has("Cannot allocate memory")
        || message.starts_with("MemoryError")
        || has("\nMemoryError")
        || has("invoked oom-killer")
    {
        return Some(Evidence::OutOfMemory);
    }
    let starts_line = |s: &str| {
        message
            .match_indices(s)
            .any(|(i, _)| i == 0 || message.as_bytes()[i - 1] == b'\n')
    };
    if starts_line("panic: ") && (has("goroutine ") || has("[recovered]") || message.len() < 400) {
        return Some(Evidence::GoPanic);
    }
    if starts_line("fatal error: ") {
        return Some(Evidence::GoFatal);
    }
    if has("Traceback (most recent call last):") {
        return Some(Evidence::PythonTraceback);
    }
    if has("SIGSEGV") || has("segfault at") || has("Segmentation fault") {
        return Some(Evidence::Segfault);
    }
    if has("Exception in thread \"") || java_exception(message) {
        return Some(Evidence::JavaException);
    }
    None
}

/// A line `pkg.Class(Exception|Error)[: msg]` followed by a `\tat ` frame (or `Caused by:`).
fn java_exception(message: &str) -> bool {
    if !(message.contains("\n\tat ")
        || message.contains("\n    at ")
        || message.contains("Caused by: "))
    {
        return false;
    }
    message.lines().any(|l| {
        // `[ERROR] ... java.lang.IllegalStateException: msg`: the word before the colon.
        let head = l.split(": ").next().unwrap_or("");
        let class = head.rsplit([' ', '\t']).next().unwrap_or("");
        let name = class.rsplit('.').next().unwrap_or("");
        class.contains('.') && (name.ends_with("Exception") || name.ends_with("Error"))
    })
}

/// Which minutes of a per-minute count are spikes: at least `min_count`, and more than
/// `factor` times the median of the minutes around them (the `window` minutes either side).
/// The series is dense (one value per minute, zeros included).
pub fn spikes(counts: &[u64], window: usize, factor: f64, min_count: u64) -> Vec<bool> {
    (0..counts.len())
        .map(|i| {
            let lo = i.saturating_sub(window);
            let hi = (i + window + 1).min(counts.len());
            let mut around: Vec<u64> = counts[lo..hi]
                .iter()
                .enumerate()
                .filter(|(k, _)| lo + k != i)
                .map(|(_, c)| *c)
                .collect();
            around.sort_unstable();
            let median = if around.is_empty() {
                0.0
            } else {
                around[around.len() / 2] as f64
            };
            counts[i] >= min_count && counts[i] as f64 > factor * median.max(1.0)
        })
        .collect()
}

/// A stretch of time with no entries from one source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Silence {
    /// The last entry before it (ns).
    pub from: i64,
    /// The first entry after it (ns).
    pub to: i64,
}

/// The gaps longer than `threshold` (ns) between consecutive times of one source (`times`
/// in order).
pub fn silences(times: &[i64], threshold: i64) -> Vec<Silence> {
    times
        .windows(2)
        .filter(|w| w[1] - w[0] > threshold)
        .map(|w| Silence {
            from: w[0],
            to: w[1],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_in_messages() {
        let cases: &[(&str, Option<Evidence>)] = &[
            (
                "panic: runtime error: invalid memory address or nil pointer dereference\n[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4a1b2c]\n\ngoroutine 1 [running]:\nmain.main()\n\t/app/main.go:12 +0x1d",
                Some(Evidence::GoPanic),
            ),
            (
                "fatal error: concurrent map writes\n\ngoroutine 7 [running]:",
                Some(Evidence::GoFatal),
            ),
            (
                "fatal error: runtime: out of memory",
                Some(Evidence::OutOfMemory),
            ),
            (
                "Traceback (most recent call last):\n  File \"app.py\", line 3, in <module>\n    main()\nValueError: bad",
                Some(Evidence::PythonTraceback),
            ),
            (
                "java.lang.IllegalStateException: closed\n\tat com.example.Db.query(Db.java:42)\n\tat com.example.Main.main(Main.java:7)",
                Some(Evidence::JavaException),
            ),
            (
                "2024-01-01 ERROR [main] c.e.Db - java.sql.SQLException: gone\n\tat c.e.Db.q(Db.java:1)",
                Some(Evidence::JavaException),
            ),
            (
                "Exception in thread \"main\" java.lang.OutOfMemoryError: Java heap space",
                Some(Evidence::OutOfMemory),
            ),
            (
                "Memory cgroup out of memory: Killed process 4242 (java) total-vm:1024kB; oom-kill:constraint=CONSTRAINT_MEMCG",
                Some(Evidence::OutOfMemory),
            ),
            (
                "app[123]: segfault at 0 ip 00007f sp 00007f error 4",
                Some(Evidence::Segfault),
            ),
            // Words alone are not evidence.
            ("no panic here: all fine", None),
            ("the Error was handled", None),
            ("java.lang.IllegalStateException: closed", None),
        ];
        for (msg, want) in cases {
            assert_eq!(evidence(msg), *want, "{msg}");
        }
    }

    #[test]
    fn spikes_stand_out_from_their_neighbours() {
        let counts = [1, 2, 1, 0, 30, 2, 1, 1, 3, 2, 2, 40, 45, 1];
        let s = spikes(&counts, 5, 5.0, 10);
        let at: Vec<usize> = s
            .iter()
            .enumerate()
            .filter(|(_, x)| **x)
            .map(|(i, _)| i)
            .collect();
        assert_eq!(at, [4, 11, 12]);
        // A steady high rate is not a spike.
        assert!(spikes(&[50; 10], 3, 5.0, 10).iter().all(|x| !x));
        assert!(spikes(&[], 3, 5.0, 10).is_empty());
    }

    #[test]
    fn silences_longer_than_the_threshold() {
        let s = 1_000_000_000;
        let times = [0, 10 * s, 20 * s, 400 * s, 410 * s, 1000 * s];
        assert_eq!(
            silences(&times, 300 * s),
            [
                Silence {
                    from: 20 * s,
                    to: 400 * s
                },
                Silence {
                    from: 410 * s,
                    to: 1000 * s
                }
            ]
        );
    }
}
