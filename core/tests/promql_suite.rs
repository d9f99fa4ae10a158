//! Prometheus's own PromQL test suite (`promql/promqltest/testdata/*.test` in
//! ../shared/realdata) run through podsift's engine. Prints a scoreboard per file and fails
//! when a file passes fewer evals than `testdata/promql/scoreboard.tsv` says it did;
//! `PODSIFT_WRITE_SCOREBOARD=1` writes the new counts there.

// Tests run natively and read the scripts from disk.
#![allow(clippy::disallowed_methods, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::path::Path;

use podsift_core::promql::script::{Verdict, run};

fn scoreboard_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/promql/scoreboard.tsv")
}

#[test]
fn prometheus_promql_suite_scoreboard() {
    let Some(root) = podsift_testgen::need::realdata() else {
        return;
    };
    let dir = root.join("05_prometheus/prometheus_repo/promql/promqltest/testdata");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "test"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 21, "the suite in ../shared has 21 files");
    // file -> (evals, passed, failed, unsupported)
    let mut board: BTreeMap<String, [usize; 4]> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut unsupported: BTreeMap<String, usize> = BTreeMap::new();
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(f).unwrap();
        let mut row = [0usize; 4];
        for e in run(&text) {
            row[0] += 1;
            match e.verdict {
                Verdict::Passed => row[1] += 1,
                Verdict::Failed(m) => {
                    row[2] += 1;
                    failures.push(format!("{name}:{}: {}: {m}", e.line, e.expr));
                }
                Verdict::Unsupported(m) => {
                    row[3] += 1;
                    *unsupported.entry(m).or_insert(0usize) += 1;
                }
            }
        }
        board.insert(name, row);
    }
    let total = board.values().fold([0usize; 4], |mut a, r| {
        for k in 0..4 {
            a[k] += r[k];
        }
        a
    });
    let mut text = String::from("file\tevals\tpassed\tfailed\tunsupported\n");
    for (name, r) in board
        .iter()
        .chain(std::iter::once((&"total".to_string(), &total)))
    {
        text.push_str(&format!("{name}\t{}\t{}\t{}\t{}\n", r[0], r[1], r[2], r[3]));
    }
    eprintln!("{text}");
    if std::env::var_os("PODSIFT_SHOW_FAILURES").is_some() {
        for f in &failures {
            eprintln!("{f}");
        }
        let mut by: Vec<_> = unsupported.iter().collect();
        by.sort_by_key(|x| std::cmp::Reverse(*x.1));
        for (m, n) in by.iter().take(25) {
            eprintln!("unsupported {n}: {m}");
        }
    }
    assert!(
        total[0] >= 2_200,
        "the suite has 2,213 evals; {} read",
        total[0]
    );
    if std::env::var_os("PODSIFT_WRITE_SCOREBOARD").is_some() {
        std::fs::write(scoreboard_path(), &text).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(scoreboard_path()).unwrap();
    let mut dropped = Vec::new();
    for line in committed.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (name, passed) = (cols[0], cols[2].parse::<usize>().unwrap());
        let now = if name == "total" {
            total[1]
        } else {
            board.get(name).map_or(0, |r| r[1])
        };
        if now < passed {
            dropped.push(format!(
                "{name}: {now} passed, the scoreboard says {passed}"
            ));
        }
    }
    assert!(
        dropped.is_empty(),
        "fewer evals pass than the scoreboard says: {dropped:?}"
    );
}
