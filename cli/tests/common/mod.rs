//! Helpers the CLI's test binaries share (each binary uses some of them).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[allow(unused_imports)]
pub(crate) use podsift_testgen::need;
use serde_json::Value;

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

/// A temporary folder, removed on drop.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("podsift-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }

    pub(crate) fn write(&self, rel: &str, bytes: &[u8]) -> PathBuf {
        let p = self.0.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub(crate) fn podsift(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_podsift"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("podsift runs")
}

pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

pub(crate) fn ndjson(o: &Output) -> Vec<Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

pub(crate) fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

pub(crate) const UID: &str = "0d5ad0a5-6b8a-4a3a-9c51-2f7e3c1b8a11";

pub(crate) fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Per instance and level, as `stats` reports them, keyed like the generator's truth.
pub(crate) fn stats_by_instance(root: &Path) -> BTreeMap<String, BTreeMap<String, u64>> {
    let out = podsift(&[
        "stats",
        root.to_str().unwrap(),
        "--by",
        "node,namespace,pod,container,restart,level",
        "-o",
        "json",
    ]);
    let mut got: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for r in ndjson(&out) {
        let key = format!(
            "{}/{}/{}/{}/{}",
            r["node"].as_str().unwrap(),
            r["namespace"].as_str().unwrap(),
            r["pod"].as_str().unwrap(),
            r["container"].as_str().unwrap(),
            r["restart"]
        );
        got.entry(key)
            .or_default()
            .insert(r["level"].as_str().unwrap().to_string(), u(&r["entries"]));
    }
    got
}

/// Totals of `podsift sources -o json` over a folder.
pub(crate) fn source_totals(dir: &Path) -> (usize, usize, usize, [u64; 4]) {
    let out = podsift(&["sources", dir.to_str().unwrap(), "-o", "json"]);
    let rows = ndjson(&out);
    let read: Vec<&Value> = rows.iter().filter(|r| r["status"] == "read").collect();
    for r in &read {
        assert_eq!(
            u(&r["lines"]),
            u(&r["entries"]) + u(&r["joined"]),
            "{}",
            r["file"]
        );
    }
    // Plain logs: every physical line counted, by an independent count of the file's lines.
    for r in read.iter().filter(|r| r["kind"] == "text") {
        let bytes = std::fs::read(r["file"].as_str().unwrap()).unwrap();
        let newlines = bytes.iter().filter(|&&c| c == b'\n').count() as u64;
        let unterminated = u64::from(!bytes.is_empty() && !bytes.ends_with(b"\n"));
        assert_eq!(u(&r["lines"]), newlines + unterminated, "{}", r["file"]);
    }
    // Totals over the runtime-framed files (CRI and json-file), which the oracle checked.
    let runtime: Vec<&&Value> = read
        .iter()
        .filter(|r| ["pods", "containers", "docker", "log"].contains(&r["kind"].as_str().unwrap()))
        .collect();
    let sum = |k: &str| runtime.iter().map(|r| u(&r[k])).sum::<u64>();
    let skipped = rows.iter().filter(|r| r["status"] == "skipped").count();
    (
        rows.len(),
        read.len(),
        skipped,
        [sum("lines"), sum("entries"), sum("joined"), sum("unparsed")],
    )
}

// Expected counts below were derived by an independent implementation of the CRI and
// json-file rules (a Python oracle) and checked against podsift file by file.
