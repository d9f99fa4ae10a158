//! What a test needs from outside the repository (the real data beside it, chromium, DuckDB for
//! Python, node with the viewer's test driver, the built viewer): found, or the test skips.
//!
//! A test asks for what it needs and returns when it gets `None`/`false`: it then passes, having
//! said in one line on the terminal what was missing and how to get it (written past the test
//! harness's capture, so it shows without `--nocapture`). When the test binary ends it says how
//! many of its tests skipped, and how many did so far in the same `cargo test` run. With
//! `PODSIFT_REQUIRE_ALL` set (CI sets it), nothing may skip: a missing need fails the test.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Set (non-empty) where every test must run: a missing need fails instead of skipping.
pub const REQUIRE_ALL: &str = "PODSIFT_REQUIRE_ALL";

/// The repository's root folder.
pub fn repo() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// The real data written by other projects: `PODSIFT_REALDATA`, else `../shared/realdata`
/// beside the repository.
pub fn realdata() -> Option<PathBuf> {
    let p = std::env::var_os("PODSIFT_REALDATA")
        .filter(|v| !v.is_empty())
        .map_or_else(|| repo().join("../shared/realdata"), PathBuf::from);
    if p.is_dir() {
        return Some(p);
    }
    skip(
        &format!("the real data ({})", p.display()),
        "put the shared data at ../shared/realdata beside the repository, or set PODSIFT_REALDATA",
    );
    None
}

/// Whether `check` (a program and its arguments) runs and succeeds; if not, the test skips,
/// saying it needs `what` and `how` to get it.
pub fn tool(check: &[&str], what: &str, how: &str) -> bool {
    let ok = Command::new(check[0])
        .args(&check[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        skip(what, how);
    }
    ok
}

/// Headless Chromium (`chromium` on the PATH).
pub fn chromium() -> bool {
    tool(
        &["chromium", "--version"],
        "chromium",
        "apt-get install chromium (bash .ci/run installs it)",
    )
}

/// DuckDB for Python.
pub fn duckdb() -> bool {
    tool(
        &["python3", "-c", "import duckdb"],
        "DuckDB for Python",
        "pip install duckdb (bash .ci/run installs it)",
    )
}

/// node, with the viewer's end-to-end driver's packages installed.
pub fn node_e2e() -> bool {
    if !tool(
        &["node", "--version"],
        "node",
        "install Node.js (bash .ci/run uses the machine's)",
    ) {
        return false;
    }
    if repo()
        .join("wasm/e2e/node_modules/playwright-core")
        .is_dir()
    {
        return true;
    }
    skip(
        "playwright-core in wasm/e2e/node_modules",
        "cd wasm/e2e && npm ci (bash .ci/run does it)",
    );
    false
}

/// Tests of this binary that skipped, and what they lacked.
static SKIPPED: Mutex<Vec<String>> = Mutex::new(Vec::new());
/// Whether the summary at exit is registered.
static REGISTERED: AtomicUsize = AtomicUsize::new(0);

/// Says that the running test skips because `what` is missing and `how` to get it (one line on
/// the terminal); fails the test instead under [`REQUIRE_ALL`].
pub fn skip(what: &str, how: &str) {
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    if std::env::var_os(REQUIRE_ALL).is_some_and(|v| !v.is_empty()) {
        panic!("{test} needs {what} ({REQUIRE_ALL} is set, so nothing may skip): {how}");
    }
    // Past the harness's capture: io::stderr() is not captured, eprintln! is.
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: needs {what}: {how}");
    if let Ok(mut s) = SKIPPED.lock() {
        s.push(what.to_string());
    }
    if REGISTERED.fetch_add(1, Ordering::SeqCst) == 0 {
        at_exit();
    }
}

/// The file in which the test binaries of one `cargo test` run (one parent process) count
/// their skipped tests.
#[cfg(unix)]
fn run_file() -> PathBuf {
    std::env::temp_dir().join(format!(
        "podsift-skipped-{}",
        std::os::unix::process::parent_id()
    ))
}

/// Prints, when the binary ends, how many of its tests skipped (and, on unix, how many in this
/// `cargo test` run so far).
#[allow(unsafe_code)]
fn at_exit() {
    extern "C" fn summary() {
        let skipped = SKIPPED.lock().map(|s| s.clone()).unwrap_or_default();
        if skipped.is_empty() {
            return;
        }
        let mut what: Vec<&str> = skipped.iter().map(String::as_str).collect();
        what.sort_unstable();
        what.dedup();
        #[cfg(unix)]
        let so_far = {
            let path = run_file();
            let before = std::fs::read_to_string(&path)
                .map(|s| {
                    s.lines()
                        .filter_map(|l| l.parse::<usize>().ok())
                        .sum::<usize>()
                })
                .unwrap_or(0);
            let _ = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .and_then(|mut f| writeln!(f, "{}", skipped.len()));
            format!("; {} in this cargo test run so far", before + skipped.len())
        };
        #[cfg(not(unix))]
        let so_far = String::new();
        let line = format!(
            "SKIPPED {} test{} of this suite{so_far} (missing: {}; {REQUIRE_ALL}=1 makes them fail)\n",
            skipped.len(),
            if skipped.len() == 1 { "" } else { "s" },
            what.join(", ")
        );
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
    // SAFETY: atexit only stores a function pointer to call at exit; `summary` is a plain
    // `extern "C" fn` that takes no arguments and does not unwind out (it only formats and
    // writes, ignoring errors).
    unsafe {
        libc::atexit(summary);
    }
}
