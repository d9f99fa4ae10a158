//! End-to-end tests of the `podsift` binary. The node tree as a whole: generated trees and the
//! shipped sample against their truth, one stream per container in time order, links and copies
//! read once, damaged input, usage errors.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use serde_json::Value;

#[test]
fn generated_tree_matches_its_truth() {
    let dir = TempDir::new("truth");
    let truth = podsift_testgen::generate(dir.path(), &podsift_testgen::Spec::small(11)).unwrap();
    assert!(
        truth.unparsed > 0 && truth.joined > 0 && truth.duplicates > 0,
        "the spec plants all cases"
    );
    let want: BTreeMap<String, BTreeMap<String, u64>> = truth
        .instances
        .iter()
        .map(|(k, v)| (k.clone(), v.levels.clone()))
        .collect();
    assert_eq!(stats_by_instance(dir.path()), want);

    // sources: every line accounted for, duplicates not read, totals equal the truth.
    let out = podsift(&["sources", dir.path().to_str().unwrap(), "-o", "json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "planted unparsed lines give exit code 1"
    );
    let rows = ndjson(&out);
    let read: Vec<&Value> = rows.iter().filter(|r| r["status"] == "read").collect();
    let sum = |k: &str| read.iter().map(|r| u(&r[k])).sum::<u64>();
    assert_eq!(sum("lines"), truth.lines);
    assert_eq!(sum("entries"), truth.entries);
    assert_eq!(sum("joined"), truth.joined);
    assert_eq!(sum("unparsed"), truth.unparsed);
    assert_eq!(
        rows.iter().filter(|r| r["status"] == "duplicate").count() as u64,
        truth.duplicates
    );
    for r in &read {
        assert_eq!(
            u(&r["lines"]),
            u(&r["entries"]) + u(&r["joined"]),
            "{}",
            r["file"]
        );
    }
    let files: u64 = truth.instances.values().map(|i| i.files).sum();
    assert_eq!(read.len() as u64, files);
    // Each unparsed line is reported with its file and line.
    let err = stderr(&out);
    assert_eq!(
        err.matches("unparsed line kept as is").count() as u64,
        truth.unparsed
    );
    assert!(
        err.contains(&format!("{} unparsed lines", truth.unparsed)),
        "{err}"
    );
}

#[test]
fn shipped_sample_matches_its_truth_and_generator() {
    let sample = repo().join("testdata/sample");
    let truth: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("testdata/sample.truth.json")).unwrap(),
    )
    .unwrap();
    let want: BTreeMap<String, BTreeMap<String, u64>> = truth["instances"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v["levels"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(l, n)| (l.clone(), u(n)))
                    .collect(),
            )
        })
        .collect();
    assert_eq!(stats_by_instance(&sample), want);
    let out = podsift(&[
        "stats",
        sample.to_str().unwrap(),
        "--by",
        "namespace,pod,level",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // The generator still writes exactly the shipped sample.
    let dir = TempDir::new("sample");
    podsift_testgen::generate(dir.path(), &podsift_testgen::Spec::sample()).unwrap();
    let listing = |root: &Path| -> BTreeMap<String, Vec<u8>> {
        let mut out = BTreeMap::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let e = e.unwrap();
                let p = e.path();
                let meta = std::fs::symlink_metadata(&p).unwrap();
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                if meta.is_dir() {
                    stack.push(p);
                } else if meta.file_type().is_symlink() {
                    out.insert(
                        rel,
                        std::fs::read_link(&p)
                            .unwrap()
                            .to_string_lossy()
                            .into_owned()
                            .into_bytes(),
                    );
                } else {
                    out.insert(rel, std::fs::read(&p).unwrap());
                }
            }
        }
        out
    };
    assert!(
        listing(dir.path()) == listing(&sample),
        "testdata/sample differs from `podsift-testgen testdata/sample --sample`"
    );
}

#[test]
fn logs_are_one_stream_in_time_order() {
    let dir = TempDir::new("order");
    podsift_testgen::generate(dir.path(), &podsift_testgen::Spec::small(3)).unwrap();
    let out = podsift(&["logs", dir.path().to_str().unwrap(), "-o", "json"]);
    let rows = ndjson(&out);
    assert!(rows.len() > 1000);
    let ts: Vec<&str> = rows.iter().map(|r| r["ts"].as_str().unwrap()).collect();
    assert!(ts.windows(2).all(|w| w[0] <= w[1]), "not in time order");
    // Every column is there.
    for c in [
        "ts",
        "node",
        "namespace",
        "pod",
        "pod_uid",
        "container",
        "restart",
        "stream",
        "level",
        "level_raw",
        "format",
        "message",
        "app_ts",
        "fields",
        "source",
        "source_id",
        "line",
        "joined",
        "partial",
        "truncated",
    ] {
        assert!(rows[0].get(c).is_some(), "missing column {c}");
    }
    // The same query twice gives the same bytes.
    assert_eq!(
        stdout(&podsift(&[
            "logs",
            dir.path().to_str().unwrap(),
            "-o",
            "json"
        ])),
        stdout(&out)
    );

    // --tail keeps the last N per container.
    let tail = ndjson(&podsift(&[
        "logs",
        dir.path().to_str().unwrap(),
        "--tail",
        "2",
        "-o",
        "json",
    ]));
    let mut per: BTreeMap<String, usize> = BTreeMap::new();
    for r in &tail {
        *per.entry(format!(
            "{}/{}/{}",
            r["namespace"], r["pod"], r["container"]
        ))
        .or_default() += 1;
    }
    assert!(per.values().all(|&n| n == 2), "{per:?}");
    let last_ts_per_container = |rows: &[Value]| -> BTreeMap<String, String> {
        rows.iter()
            .map(|r| {
                (
                    format!("{}/{}/{}", r["namespace"], r["pod"], r["container"]),
                    r["ts"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    assert_eq!(last_ts_per_container(&tail), last_ts_per_container(&rows));
}

#[test]
fn links_and_copies_in_containers_are_read_once() {
    let dir = TempDir::new("links");
    let body = b"2024-01-01T00:00:00Z stdout F one\n2024-01-01T00:00:01Z stdout F two\n";
    let id = "169fdd862df8b8c312648ea6e279ce4ce2cb287cf1365d3982f0db06c26b2419";
    dir.write(
        &format!("node1/pods/kube-system_coredns-1_{UID}/coredns/0.log"),
        body,
    );
    dir.write(
        &format!("node2/pods/kube-system_coredns-2_{UID}/coredns/0.log"),
        body,
    );
    dir.write(
        &format!("node2/containers/coredns-2_kube-system_coredns-{id}.log"),
        body,
    );
    std::fs::create_dir_all(dir.path().join("node1/containers")).unwrap();
    std::os::unix::fs::symlink(
        format!("../pods/kube-system_coredns-1_{UID}/coredns/0.log"),
        dir.path().join(format!(
            "node1/containers/coredns-1_kube-system_coredns-{id}.log"
        )),
    )
    .unwrap();
    // An absolute link to the node's own /var/log/pods, as copied with `cp -a`.
    std::fs::create_dir_all(dir.path().join("node3/containers")).unwrap();
    dir.write(
        &format!("node3/pods/kube-system_coredns-3_{UID}/coredns/0.log"),
        body,
    );
    std::os::unix::fs::symlink(
        format!("/var/log/pods/kube-system_coredns-3_{UID}/coredns/0.log"),
        dir.path().join(format!(
            "node3/containers/coredns-3_kube-system_coredns-{id}.log"
        )),
    )
    .unwrap();
    // A link to a container whose pods/ folder was not copied.
    std::os::unix::fs::symlink(
        "/var/log/pods/default_gone_x/app/0.log",
        dir.path()
            .join(format!("node3/containers/gone_default_app-{id}.log")),
    )
    .unwrap();
    let root = dir.path().to_str().unwrap();
    let rows = ndjson(&podsift(&["stats", root, "--by", "node", "-o", "json"]));
    let got: Vec<(String, u64)> = rows
        .iter()
        .map(|r| (r["node"].as_str().unwrap().to_string(), u(&r["entries"])))
        .collect();
    assert_eq!(
        got,
        [
            ("node1".into(), 2),
            ("node2".into(), 2),
            ("node3".into(), 2)
        ]
    );
    let out = podsift(&["sources", root, "-o", "json"]);
    let rows = ndjson(&out);
    let status: BTreeMap<String, String> = rows
        .iter()
        .map(|r| {
            (
                r["file"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .chars()
                    .take(12)
                    .collect(),
                r["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(status["coredns-1_ku"], "duplicate");
    assert_eq!(status["coredns-2_ku"], "duplicate");
    assert_eq!(status["coredns-3_ku"], "duplicate");
    assert_eq!(status["gone_default"], "skipped");
    assert_eq!(
        out.status.code(),
        Some(1),
        "a dangling link is a skipped file"
    );
    assert!(stderr(&out).contains("1 file skipped"));
}

#[test]
fn damaged_and_odd_files_never_panic() {
    let dir = TempDir::new("damage");
    // A rotated .gz cut short: the lines that decompress are kept, the damage reported.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for i in 0..5000 {
        writeln!(
            gz,
            "2024-01-01T00:00:00.{i:09}Z stdout F line {i} {}",
            "x".repeat(i % 50)
        )
        .unwrap();
    }
    let full = gz.finish().unwrap();
    let pod = format!("n/pods/ns_pod_{UID}");
    dir.write(
        &format!("{pod}/app/0.log.20240101-000000.gz"),
        &full[..full.len() / 2],
    );
    dir.write(
        &format!("{pod}/app/0.log"),
        b"2024-01-01T00:00:01Z stdout F after rotation\n",
    );
    // Empty files: a container log (read, nothing in it) and another file (listed as skipped).
    dir.write(&format!("{pod}/empty/0.log"), b"");
    dir.write("n/notes.txt", b"");
    // Binary garbage where a container log should be.
    let garbage: Vec<u8> = (0..20_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    dir.write(&format!("{pod}/garbage/0.log"), &garbage);
    // A 100 MB line without a newline.
    let big = dir.write(&format!("{pod}/big/0.log"), b"");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&big).unwrap());
        f.write_all(b"2024-01-01T00:00:02Z stdout F ").unwrap();
        let chunk = vec![b'a'; 1 << 20];
        for _ in 0..100 {
            f.write_all(&chunk).unwrap();
        }
    }
    let root = dir.path().to_str().unwrap();
    let out = podsift(&["sources", root, "-o", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let rows = ndjson(&out);
    let by_name = |suffix: &str| {
        rows.iter()
            .find(|r| r["file"].as_str().unwrap().ends_with(suffix))
            .unwrap()
            .clone()
    };
    let gz_row = by_name(".gz");
    let kept = u(&gz_row["lines"]);
    assert!(
        kept > 100 && kept < 5000,
        "kept {kept} lines of the damaged file"
    );
    assert_eq!(u(&gz_row["errors"]), 1);
    assert_eq!(u(&by_name("empty/0.log")["lines"]), 0);
    assert_eq!(by_name("empty/0.log")["status"], "read");
    assert_eq!(by_name("notes.txt")["status"], "skipped");
    let g = by_name("garbage/0.log");
    assert_eq!(u(&g["lines"]), u(&g["unparsed"]));
    assert_eq!(
        u(&g["lines"]),
        garbage.iter().filter(|&&b| b == b'\n').count() as u64 + 1
    );
    let b = by_name("big/0.log");
    assert_eq!(
        (u(&b["lines"]), u(&b["entries"]), u(&b["errors"])),
        (1, 1, 1)
    );
    let err = stderr(&out);
    assert!(err.contains("the file is cut short after line"), "{err}");
    assert!(
        err.contains("big/0.log:1: line is 104857630 bytes long: kept its first 16 MiB"),
        "{err}"
    );
    assert!(
        err.contains("garbage/0.log:1: unparsed line kept as is"),
        "{err}"
    );
    // The entry continues across the damaged file into 0.log, in order.
    let last = ndjson(&podsift(&[
        "logs",
        root,
        "--container",
        "app",
        "-o",
        "json",
    ]));
    assert_eq!(last.last().unwrap()["message"], "after rotation");
    assert_eq!(last.len() as u64, kept + 1);
}

#[test]
fn usage_errors_exit_2() {
    let dir = TempDir::new("usage");
    std::fs::write(dir.path().join("app.log"), "2024-01-01T00:00:00Z INFO up\n").unwrap();
    let d = dir.path().to_str().unwrap();
    let out = podsift(&["logs", "/definitely/not/here"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no such file or folder"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        podsift(&["stats", d]).status.code().map(|c| c != 2),
        Some(true)
    );
    assert_eq!(
        podsift(&["stats", d, "--by", "bogus"]).status.code(),
        Some(2)
    );
    assert_eq!(
        podsift(&["logs", d, "--level", "loud"]).status.code(),
        Some(2)
    );
    assert_eq!(
        podsift(&["logs", d, "--since", "yesterday"]).status.code(),
        Some(2)
    );
    assert_eq!(podsift(&["bogus"]).status.code(), Some(2));
    // Each says what was meant.
    let said = |args: &[&str], want: &str| {
        let out = podsift(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(want), "{args:?}: {}", stderr(&out));
    };
    said(&["stats", d, "--every", "5"], "a duration with its unit");
    said(&["report", d, "--format", "logfmt"], "--log-format");
    said(&["sql", d], "no query");
    // SQL reads: other statements are refused in a sentence (a DROP printed nothing; an
    // INSERT printed the parser's dump of itself).
    for q in [
        "DROP TABLE logs",
        "INSERT INTO logs VALUES (1)",
        "update logs set x = 1",
    ] {
        let out = podsift(&["sql", d, q]);
        assert_ne!(out.status.code(), Some(0), "{q}");
        let err = stderr(&out);
        assert!(err.contains("a query is a SELECT"), "{q}: {err}");
        assert!(!err.contains("Ident {"), "{q}: {err}");
    }
    // A cross join past the row budget is refused before it runs (a 3-way one of the sample's
    // 811 entries, 533 million rows, took a 24 GB machine); one within it runs.
    let sample = repo().join("testdata/sample");
    let d = sample.to_str().unwrap();
    for q in [
        "SELECT count(*) FROM logs a CROSS JOIN logs b CROSS JOIN logs c",
        "SELECT count(*) FROM logs a CROSS JOIN logs b CROSS JOIN logs c WHERE a.level = 'error'",
    ] {
        let out = podsift(&["sql", d, q]);
        assert_eq!(out.status.code(), Some(2), "{q}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains("joins every row with every row"), "{q}: {err}");
        assert!(err.contains("filter the tables first"), "{q}: {err}");
    }
    let out = podsift(&[
        "sql",
        d,
        "SELECT count(*) AS n FROM (SELECT * FROM logs LIMIT 100) a CROSS JOIN (SELECT * FROM logs LIMIT 100) b",
        "-o",
        "json",
    ]);
    assert_eq!(ndjson(&out)[0]["n"], 10_000, "{}", stderr(&out));
    let help = stdout(&podsift(&["--help"]));
    assert!(help.contains("3 `podsift report`: a rule failed"), "{help}");
}

#[test]
fn empty_input_and_mistyped_paths_say_so() {
    let dir = TempDir::new("empty");
    let empty = dir.path().join("nothing-here");
    std::fs::create_dir_all(&empty).unwrap();
    let e = empty.to_str().unwrap();
    // Every command alike: exit 1 and "nothing read", with why.
    for args in [
        vec!["logs", e],
        vec!["stats", e],
        vec!["sources", e],
        vec!["patterns", e],
        vec!["report", e],
        vec!["metrics", e],
        vec!["pods", e],
        vec!["audit", e],
        vec!["events", e],
        vec!["sql", e, "SELECT count(*) FROM logs"],
    ] {
        let out = podsift(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("nothing read"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    // A last argument that looks like a path is a path: mistyped, it is an error, not a pod
    // regex that shows nothing.
    let sample = repo().join("testdata/sample");
    let s = sample.to_str().unwrap();
    for typo in ["testdata/sampel", "kubelet.log", "bundle.tar.gz"] {
        let out = podsift(&["logs", s, typo]);
        assert_eq!(out.status.code(), Some(2), "{typo}: {}", stderr(&out));
        assert!(stderr(&out).contains("no such file or folder"), "{typo}");
    }
    // A pod regex that names no pod says so.
    let out = podsift(&["logs", s, "no-such-pod"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).is_empty());
    assert!(
        stderr(&out).contains("no entries of a pod matching \"no-such-pod\""),
        "{}",
        stderr(&out)
    );
}

#[test]
fn sources_fits_a_narrow_terminal_and_shows_every_column_on_request() {
    let sample = repo().join("testdata/sample");
    let out = podsift(&["sources", sample.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    // The table (the line above it names the folder, as given).
    let widest = text
        .lines()
        .skip_while(|l| !l.starts_with("file "))
        .map(|l| l.chars().count())
        .max()
        .unwrap();
    assert!(widest <= 100, "{widest}: {text}");
    let header = text
        .lines()
        .find(|l| l.starts_with("file "))
        .expect("a header");
    for c in ["file", "status", "of", "entries", "problems", "note"] {
        assert!(header.split_whitespace().any(|h| h == c), "{header}");
    }
    // Container ids are cut as docker cuts them, and no row is lost.
    assert!(!text.contains(&"0c6cc60aeea2".repeat(2)));
    let wide = stdout(&podsift(&["sources", sample.to_str().unwrap(), "--wide"]));
    let wide_header = wide.lines().find(|l| l.starts_with("file ")).unwrap();
    for c in ["kind", "node", "restart", "lines", "formats"] {
        assert!(
            wide_header.split_whitespace().any(|h| h == c),
            "{wide_header}"
        );
    }
    let rows = |t: &str| t.lines().skip_while(|l| !l.starts_with("file ")).count();
    assert_eq!(rows(&text), rows(&wide));
}

#[test]
fn every_command_has_something_to_show_on_the_sample() {
    let sample = repo().join("testdata/sample");
    let s = sample.to_str().unwrap();
    for (args, want) in [
        (vec!["pods", s], "Most restarted containers"),
        (vec!["events", s], "BackOff"),
        (vec!["audit", s], "Top users"),
        (
            vec!["metrics", s],
            "kube_pod_container_status_restarts_total",
        ),
        (vec!["patterns", s], "template"),
        (vec!["report", s], "# podsift report"),
    ] {
        let out = podsift(&args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert!(stdout(&out).contains(want), "{args:?}: {}", stdout(&out));
    }
    // Times as people read them: no nine zeros.
    let pods = stdout(&podsift(&["pods", s]));
    assert!(pods.contains("2024-01-01T00:29:00Z"), "{pods}");
    assert!(!pods.contains(".000000000Z"), "{pods}");
    // The pod list, Events and restarts tell the same story: every container that ran twice
    // was restarted once and backed off.
    let restarted = ndjson(&podsift(&[
        "sql",
        s,
        "SELECT count(*) AS n FROM pods WHERE restarts > 0",
        "-o",
        "json",
    ]));
    let backoffs = ndjson(&podsift(&[
        "sql",
        s,
        "SELECT count(*) AS n FROM events WHERE reason = 'BackOff'",
        "-o",
        "json",
    ]));
    assert_eq!(restarted[0]["n"], backoffs[0]["n"]);
    assert!(u(&restarted[0]["n"]) > 0);
}

/// On disk as in archives, a link that leads out of the inputs is not read unless asked
/// (`passwd.log -> /etc/passwd` in a tree someone unpacked); a link to a pipe never blocks.
#[cfg(unix)]
#[test]
fn links_out_of_the_inputs_and_to_pipes_are_not_read() {
    let dir = TempDir::new("links-out");
    let outside = TempDir::new("links-target");
    let secret = outside.write(
        "secret.txt",
        b"2024-01-01T00:00:00Z INFO the analyst's own file\n",
    );
    dir.write("in/app.log", b"2024-01-01T00:00:00Z INFO ok\n");
    let input = dir.path().join("in");
    std::os::unix::fs::symlink(&secret, input.join("passwd.log")).unwrap();
    let fifo = input.join("pipe.log");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        std::os::unix::fs::symlink("pipe.log", input.join("tofifo.log")).unwrap();
    }
    let i = input.to_str().unwrap();
    let out = podsift(&["sources", i, "-o", "json"]);
    let rows = ndjson(&out);
    let passwd = rows
        .iter()
        .find(|r| r["file"].as_str().unwrap().ends_with("passwd.log"))
        .unwrap();
    assert_eq!(passwd["status"], "skipped");
    assert!(
        passwd["note"]
            .as_str()
            .unwrap()
            .starts_with("symbolic link out of the inputs"),
        "{passwd}"
    );
    let logs = stdout(&podsift(&["logs", i]));
    assert!(!logs.contains("analyst's own file"), "{logs}");
    if fifo.exists() {
        assert!(
            stderr(&out).contains("tofifo.log: skipped: symbolic link to a socket, pipe or device"),
            "{}",
            stderr(&out)
        );
    }
    // Asked for, it is read.
    let logs = stdout(&podsift(&["logs", i, "--follow-links"]));
    assert!(logs.contains("analyst's own file"), "{logs}");
}

/// A loop of links on disk is called a loop, not a dangling link.
#[cfg(unix)]
#[test]
fn a_loop_of_links_on_disk_is_called_a_loop() {
    let dir = TempDir::new("links-loop");
    dir.write("t/app.log", b"2024-01-01T00:00:00Z INFO ok\n");
    let t = dir.path().join("t");
    std::os::unix::fs::symlink("b.log", t.join("a.log")).unwrap();
    std::os::unix::fs::symlink("a.log", t.join("b.log")).unwrap();
    std::os::unix::fs::symlink("gone.log", t.join("dangling.log")).unwrap();
    let out = podsift(&["sources", t.to_str().unwrap(), "-o", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let rows = ndjson(&out);
    let note = |name: &str| {
        let row = rows
            .iter()
            .find(|r| r["file"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("{name}: {rows:?}"));
        assert_eq!(row["status"], "skipped", "{row}");
        row["note"].as_str().unwrap().to_string()
    };
    assert_eq!(
        note("a.log"),
        "symbolic link to b.log: a loop of symbolic links"
    );
    assert_eq!(
        note("b.log"),
        "symbolic link to a.log: a loop of symbolic links"
    );
    assert_eq!(
        note("dangling.log"),
        "dangling symbolic link to gone.log (not in the input)"
    );
}

/// What is not read says so in the exit code: a pipe and a link to a folder met in a walk, a
/// line cut at 16 MiB.
#[cfg(unix)]
#[test]
fn skipped_pipes_folder_links_and_cut_lines_exit_1() {
    let dir = TempDir::new("exit-1");
    dir.write("t/app.log", b"2024-01-01T00:00:00Z INFO ok\n");
    dir.write("t/d/inner.log", b"2024-01-01T00:00:01Z INFO inner\n");
    let t = dir.path().join("t");
    std::os::unix::fs::symlink("d", t.join("dirlink")).unwrap();
    let out = podsift(&["stats", t.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("dirlink: skipped: symbolic link to a folder"));
    assert!(stderr(&out).contains("1 file skipped"), "{}", stderr(&out));
    let long = format!(
        "2024-01-01T00:00:00Z INFO {}\n",
        "x".repeat(17 * 1024 * 1024)
    );
    let f = dir.write("long.log", long.as_bytes());
    let out = podsift(&["stats", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("kept its first 16 MiB"),
        "{}",
        stderr(&out)
    );
}
