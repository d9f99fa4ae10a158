//! `podsift-testgen OUT_DIR [--small SEED | --sample | --bench GB] [--truth FILE]`: writes a node log tree
//! and the counts it holds. `podsift-testgen OUT_DIR --bundles`: writes sonobuoy results of two
//! layouts (`.tar.gz`) and a must-gather tree ([`podsift_testgen::bundles`]).

// A command-line tool: printing is its job.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut out = None;
    let mut spec = podsift_testgen::Spec::small(1);
    let mut truth_path = None;
    let mut bundles = false;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--small" => {
                i += 1;
                spec = podsift_testgen::Spec::small(
                    args.get(i).and_then(|s| s.parse().ok()).unwrap_or(1),
                );
            }
            "--sample" => spec = podsift_testgen::Spec::sample(),
            "--bundles" => bundles = true,
            "--bench" => {
                i += 1;
                spec = podsift_testgen::Spec::bench(
                    args.get(i).and_then(|s| s.parse().ok()).unwrap_or(1.0),
                );
            }
            "--truth" => {
                i += 1;
                truth_path = args.get(i).map(PathBuf::from);
            }
            other if out.is_none() && !other.starts_with('-') => out = Some(PathBuf::from(other)),
            other => {
                eprintln!("podsift-testgen: unexpected argument {other:?}");
                return ExitCode::from(2);
            }
        }
        i += 1;
    }
    let Some(out) = out else {
        eprintln!(
            "usage: podsift-testgen OUT_DIR [--small SEED | --sample | --bench GB | --bundles] [--truth FILE]"
        );
        return ExitCode::from(2);
    };
    if bundles {
        return match podsift_testgen::bundles::write_bundles(&out) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("podsift-testgen: {}: {e}", out.display());
                ExitCode::from(1)
            }
        };
    }
    match podsift_testgen::generate(&out, &spec) {
        Ok(truth) => {
            let json = serde_json::to_string_pretty(&truth).expect("serializable");
            match truth_path {
                Some(p) => {
                    if let Err(e) = std::fs::write(&p, json + "\n") {
                        eprintln!("podsift-testgen: {}: {e}", p.display());
                        return ExitCode::from(1);
                    }
                }
                None => println!("{json}"),
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("podsift-testgen: {}: {e}", out.display());
            ExitCode::from(1)
        }
    }
}
