//! The browser viewer end to end: `podsift serve` serves the viewer built by `wasm/build.sh`,
//! headless Chromium (driven by `wasm/e2e/viewer.mjs` through playwright-core) opens the
//! sample bundle as a `.tar.gz` in it, and what the app shows must match the CLI: the entries
//! read, the entries a query keeps, and a Parquet download of them (read back with DuckDB);
//! then the sample folder, opened through the folder input and dropped on the page.
//! No request may leave the page once its own files are in, and its CSP must refuse one.
//!
//! Needs the built viewer, node with `wasm/e2e/node_modules`, chromium and DuckDB for Python;
//! skips without them, unless `PODSIFT_REQUIRE_ALL` is set (`.ci/run` sets it).

#![allow(clippy::print_stderr)]

mod common;
use common::{duckdb, need};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn podsift() -> Command {
    Command::new(env!("CARGO_BIN_EXE_podsift"))
}

/// Stops `podsift serve` when the test ends, whatever happens.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Whether this podsift embeds the browser viewer (says why not, as a skip, when it does not).
fn viewer_built() -> bool {
    let embedded = podsift()
        .args(["serve", "--port", "0", "/nonexistent-path-for-the-check"])
        .output()
        .expect("podsift runs");
    if String::from_utf8_lossy(&embedded.stderr).contains("without the browser viewer") {
        need::skip(
            "the browser viewer built into podsift",
            "bash wasm/build.sh, then cargo test (podsift embeds wasm/dist when it is built)",
        );
        return false;
    }
    true
}

/// `podsift serve` started with `args`, and the address it printed.
fn serve(args: &[&str]) -> (Server, String) {
    let mut child = podsift()
        .arg("serve")
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let url = line
        .trim()
        .strip_prefix("podsift viewer: ")
        .unwrap_or_else(|| panic!("serve printed {line:?}"))
        .to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    (server, url)
}

#[test]
fn the_viewer_reads_a_bundle_counts_as_the_cli_and_sends_nothing() {
    if !viewer_built() {
        return;
    }
    if !(need::node_e2e() && need::chromium() && need::duckdb()) {
        return;
    }
    let e2e = repo().join("wasm/e2e");

    let dir = std::env::temp_dir().join(format!("podsift-viewer-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let bundle = dir.join("sample.tar.gz");
    let tar = Command::new("tar")
        .arg("czf")
        .arg(&bundle)
        .arg("-C")
        .arg(repo().join("testdata"))
        .arg("sample")
        .status()
        .unwrap();
    assert!(tar.success());

    // What the CLI counts in the same bundle, and in the folder it was packed from.
    let count = |path: &Path| -> (u64, u64) {
        let sql = podsift()
            .arg("sql")
            .arg(path)
            .arg(
                "SELECT count(*) AS n, sum(CASE WHEN level = 'error' THEN 1 ELSE 0 END) AS e FROM logs",
            )
            .args(["-o", "json"])
            .output()
            .unwrap();
        let want: Value = serde_json::from_slice(&sql.stdout).unwrap();
        (want["n"].as_u64().unwrap(), want["e"].as_u64().unwrap())
    };
    let (entries, errors) = count(&bundle);
    assert!(entries > errors && errors > 0);
    let folder = repo().join("testdata/sample");
    let (folder_entries, _) = count(&folder);

    let (_server, url) = serve(&["--port", "0"]);

    let run = Command::new("node")
        .arg(e2e.join("viewer.mjs"))
        .arg(&url)
        .arg(&bundle)
        .arg(&dir)
        .arg("level:error")
        .arg(&folder)
        .output()
        .expect("node runs");
    assert!(
        run.status.success(),
        "viewer.mjs: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let seen: Value = serde_json::from_slice(&run.stdout).unwrap();
    eprintln!(
        "viewer: page up in {} ms, first histogram {} ms, ready {} ms after the bundle was given",
        seen["startMs"], seen["firstHistogramMs"], seen["readyMs"]
    );
    assert_eq!(seen["panicked"], false, "{:?}", seen["console"]);
    assert_eq!(seen["loaded"]["state"], "ready", "{:?}", seen["console"]);
    assert_eq!(seen["loaded"]["entries"].as_u64(), Some(entries));
    assert_eq!(seen["loaded"]["shown"].as_u64(), Some(entries));
    assert_eq!(seen["filtered"]["shown"].as_u64(), Some(errors));
    assert_eq!(seen["filtered"]["error"], Value::Null);
    // The folder, through the "Open folder" input and dropped on the page.
    for how in ["folderInput", "folderDrop"] {
        assert_eq!(seen[how]["state"], "ready", "{how}: {:?}", seen["console"]);
        assert_eq!(seen[how]["entries"].as_u64(), Some(folder_entries), "{how}");
    }

    // Nothing went out once the page's own files were in; the CSP refused the probe.
    let requests = seen["requests"].as_array().unwrap();
    let own = requests.iter().filter(|r| r["phase"] == "loading").count();
    assert!(
        own >= 4,
        "index.html, style, script, glue, module: {requests:?}"
    );
    assert!(requests.iter().all(|r| {
        r["url"]
            .as_str()
            .unwrap()
            .starts_with(url.trim_end_matches('/'))
    }));
    let after: Vec<&Value> = requests
        .iter()
        .filter(|r| r["phase"] != "loading")
        .filter(|r| {
            let u = r["url"].as_str().unwrap_or_default();
            !(u.starts_with("blob:") || u.starts_with("data:"))
        })
        .collect();
    assert!(after.is_empty(), "requests after load: {after:?}");
    assert_eq!(seen["fetchResult"], "refused");

    // The download holds the filtered entries.
    let parquet = seen["parquet"].as_str().unwrap();
    assert!(
        parquet.ends_with(&format!("podsift-{errors}-entries.parquet")),
        "{parquet}"
    );
    let got = duckdb(&format!(
        "SELECT count(*), count(DISTINCT level::VARCHAR), min(level::VARCHAR) FROM '{parquet}'"
    ));
    assert_eq!(got, format!("{errors}\t1\terror\n"));
    assert!(dir.join("viewer.png").is_file());
    // Kept for the README when asked.
    if let Some(to) = std::env::var_os("PODSIFT_VIEWER_SCREENSHOT") {
        std::fs::copy(dir.join("viewer.png"), to).unwrap();
    }

    // The same viewer as one HTML file, opened from disk (file://, no server): it reads the
    // bundle as the served one does, and asks for nothing but itself.
    let single = repo().join("wasm/podsift.html");
    if single.is_file() {
        let run = Command::new("node")
            .arg(e2e.join("viewer.mjs"))
            .arg(format!("file://{}", single.display()))
            .arg(&bundle)
            .arg(&dir)
            .arg("level:error")
            .output()
            .expect("node runs");
        assert!(
            run.status.success(),
            "viewer.mjs on the one file: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        let seen: Value = serde_json::from_slice(&run.stdout).unwrap();
        assert_eq!(seen["loaded"]["state"], "ready", "{:?}", seen["console"]);
        assert_eq!(seen["loaded"]["entries"].as_u64(), Some(entries));
        assert_eq!(seen["filtered"]["shown"].as_u64(), Some(errors));
        let requests = seen["requests"].as_array().unwrap();
        assert!(
            requests.iter().all(|r| {
                let u = r["url"].as_str().unwrap_or_default();
                u.starts_with("file://") || u.starts_with("blob:") || u.starts_with("data:")
            }),
            "{requests:?}"
        );
        let loading: Vec<&Value> = requests
            .iter()
            .filter(|r| r["phase"] == "loading")
            .collect();
        assert_eq!(loading.len(), 1, "the page alone: {loading:?}");
    } else {
        need::skip(
            "the one-file viewer (wasm/podsift.html)",
            "bash wasm/build.sh writes it beside wasm/dist",
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `podsift serve` answers many clients at once while one holds its connection open without
/// sending a request, drops that one after `--timeout`, and refuses requests too large to be
/// one (a request line or headers past their caps) instead of reading without end.
#[test]
fn serve_answers_many_clients_while_one_is_slow() {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::{Duration, Instant};

    if !viewer_built() {
        return;
    }
    let (_server, url) = serve(&["--port", "0", "--timeout", "3"]);
    let addr = url
        .strip_prefix("http://")
        .and_then(|a| a.strip_suffix('/'))
        .unwrap_or_else(|| panic!("{url}"))
        .to_string();
    let ask = |request: &[u8]| -> String {
        let mut s = TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let _ = s.write_all(request);
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    };
    let get = format!("GET / HTTP/1.1\r\nHost: {addr}\r\n\r\n");

    // A client that starts a request and goes quiet.
    let mut slow = TcpStream::connect(&addr).unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\n").unwrap();
    let held = Instant::now();

    // Twenty clients at once, all answered while it is held.
    let answers: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..20).map(|_| s.spawn(|| ask(get.as_bytes()))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let answered_after = held.elapsed();
    for a in &answers {
        assert!(
            a.starts_with("HTTP/1.1 200 OK"),
            "{}",
            &a[..a.len().min(200)]
        );
    }
    assert!(
        answered_after < Duration::from_secs(3),
        "the others waited for the slow client: {answered_after:?}"
    );
    // The slow one is dropped once its time is up.
    slow.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut rest = Vec::new();
    let _ = slow.read_to_end(&mut rest);
    assert!(
        held.elapsed() >= Duration::from_secs(2),
        "{:?}",
        held.elapsed()
    );
    assert!(rest.is_empty(), "{}", String::from_utf8_lossy(&rest));

    // A client that sends a byte now and then is dropped at the same deadline, not kept on
    // by each byte.
    let mut trickle = TcpStream::connect(&addr).unwrap();
    let started = Instant::now();
    let mut dropped = None;
    for b in b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaa".iter() {
        std::thread::sleep(Duration::from_millis(400));
        if trickle.write_all(&[*b]).is_err() {
            dropped = Some(started.elapsed());
            break;
        }
    }
    let dropped = dropped.expect("the trickling client was never dropped");
    assert!(dropped < Duration::from_secs(8), "{dropped:?}");

    // Requests too large to be one.
    let long_target = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(100_000));
    assert!(ask(long_target.as_bytes()).starts_with("HTTP/1.1 414"));
    let big_headers = format!(
        "GET / HTTP/1.1\r\nHost: {addr}\r\n{}\r\n",
        "X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n".repeat(2000)
    );
    assert!(ask(big_headers.as_bytes()).starts_with("HTTP/1.1 431"));
    // Still only this machine's names.
    assert!(ask(b"GET / HTTP/1.1\r\nHost: evil.example:80\r\n\r\n").starts_with("HTTP/1.1 403"));
}
