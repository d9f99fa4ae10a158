//! Helpers the CLI's test binaries share.

use std::process::Command;

/// Runs a DuckDB query (Python's duckdb package; `.ci/run` installs it) and returns its rows
/// as tab-separated lines.
pub(crate) fn duckdb(sql: &str) -> String {
    let script = format!(
        "import duckdb\nfor r in duckdb.sql({sql:?}).fetchall(): print('\\t'.join(map(str, r)))"
    );
    let out = Command::new("python3")
        .args(["-c", &script])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "duckdb (pip install duckdb; .ci/run installs it): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
