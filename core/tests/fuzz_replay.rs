//! Every input a fuzz target ever failed on (`fuzz/regressions/<target>/`), and a seed corpus
//! built from the repo's sample data, replayed through the fuzz targets' entry points
//! (`podsift_core::fuzz`): what the fuzzers found stays fixed without the fuzzing toolchain.
//! See FUZZING.md.

// A test reads the repo's files, which core's own code never does.
#![allow(clippy::disallowed_methods, clippy::print_stderr)]

use std::path::{Path, PathBuf};

use podsift_core::fuzz;

type Target = fn(&[u8]);

const TARGETS: &[(&str, Target)] = &[
    ("log_file", fuzz::log_file),
    ("archive", fuzz::archive),
    ("payload", fuzz::payload),
    ("exposition", fuzz::exposition),
    ("metrics_file", fuzz::metrics_file),
    ("query", fuzz::query),
    ("config", fuzz::config),
    ("tsdb", fuzz::tsdb),
];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else if p.is_file() {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Each target's fuzz_targets/ file exists and calls the entry point of its name.
#[test]
fn every_fuzz_target_is_replayed_here() {
    let dir = repo().join("fuzz/fuzz_targets");
    let mut names: Vec<String> = files_under(&dir)
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut ours: Vec<String> = TARGETS.iter().map(|t| t.0.to_string()).collect();
    ours.sort();
    assert_eq!(names, ours);
    for (name, _) in TARGETS {
        let src = std::fs::read_to_string(dir.join(format!("{name}.rs"))).unwrap();
        assert!(
            src.contains(&format!("podsift_core::fuzz::{name}(")),
            "{name}"
        );
    }
}

#[test]
fn inputs_that_once_failed_run_clean() {
    let mut replayed = 0;
    for (name, run) in TARGETS {
        for f in files_under(&repo().join("fuzz/regressions").join(name)) {
            let data = std::fs::read(&f).unwrap();
            run(&data);
            replayed += 1;
        }
    }
    eprintln!("replayed {replayed} inputs from fuzz/regressions");
}

/// The sample bundle's files through each target, with every variant byte: the fuzzers'
/// starting points run clean.
#[test]
fn the_sample_data_runs_clean_through_every_target() {
    let sample = files_under(&repo().join("testdata/sample"));
    assert!(sample.len() > 10);
    for f in &sample {
        let data = std::fs::read(f).unwrap();
        let head = &data[..data.len().min(16 * 1024)];
        for pick in 0..16u8 {
            let mut input = vec![pick];
            input.extend_from_slice(head);
            fuzz::log_file(&input);
            fuzz::payload(&input[..input.len().min(2048)]);
        }
        let mut input = vec![0u8];
        input.extend_from_slice(head);
        fuzz::exposition(&input);
        fuzz::metrics_file(&input);
    }
    for q in [
        "level:error",
        "status:>=500 AND NOT pod:web-*",
        "\"a phrase\"",
        "x:(",
        "",
    ] {
        fuzz::query(q.as_bytes());
    }
    fuzz::config(&[0]);
}
