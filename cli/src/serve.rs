//! `podsift serve [--port N] [PATH...]`: the browser viewer (built by `wasm/build.sh` and
//! embedded at build time) from a small HTTP server on 127.0.0.1 only. With PATHs, the page
//! opens them at start: it fetches them from this server (its CSP then allows connections to
//! its own origin, 127.0.0.1, and nothing else).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

include!(concat!(env!("OUT_DIR"), "/viewer.rs"));

/// Files to preload: (path as the page names it, where it is).
type Preload = Vec<(String, PathBuf)>;

fn preload_files(paths: &[PathBuf]) -> Result<Preload> {
    let mut out = Vec::new();
    for p in paths {
        let base = p.parent().unwrap_or(Path::new(""));
        let mut todo = vec![p.clone()];
        while let Some(f) = todo.pop() {
            let meta = std::fs::metadata(&f).with_context(|| format!("{}", f.display()))?;
            if meta.is_dir() {
                let mut entries: Vec<PathBuf> = std::fs::read_dir(&f)
                    .with_context(|| format!("{}", f.display()))?
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .collect();
                entries.sort();
                todo.extend(entries.into_iter().rev());
            } else {
                let name = f.strip_prefix(base).unwrap_or(&f).display().to_string();
                out.push((name, f));
            }
        }
    }
    Ok(out)
}

/// Connections answered at once; one more is told to come back (503) instead of waiting
/// behind them.
const MAX_CONNECTIONS: usize = 64;
/// Longest request line (method, target, version) read.
const MAX_REQUEST_LINE: u64 = 8 * 1024;
/// Most bytes of headers read after it.
const MAX_HEADERS: u64 = 64 * 1024;

/// Serves until killed: each connection on a thread of its own (at most [`MAX_CONNECTIONS`]),
/// its request read within `timeout` in all, so a client that holds a connection open or
/// sends slowly delays no one else and is dropped.
pub(crate) fn cmd_serve(port: u16, paths: &[PathBuf], timeout: Duration) -> Result<bool> {
    if VIEWER.is_empty() {
        bail!(
            "this podsift was built without the browser viewer: run `bash wasm/build.sh`, then \
             build podsift again"
        );
    }
    let preload = preload_files(paths)?;
    let listener = TcpListener::bind(("127.0.0.1", port))
        .with_context(|| format!("listening on 127.0.0.1:{port}"))?;
    let addr = listener.local_addr()?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "podsift viewer: http://{addr}/")?;
    if !preload.is_empty() {
        writeln!(out, "opens {} files at start", preload.len())?;
    }
    out.flush()?;
    drop(out);
    let preload = Arc::new(preload);
    let open = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        if open.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            open.fetch_sub(1, Ordering::SeqCst);
            let _ = stream.set_write_timeout(Some(timeout));
            let _ = respond(&mut stream, 503, "text/plain", b"too many connections");
            continue;
        }
        let (preload, held) = (preload.clone(), open.clone());
        let port = addr.port();
        let spawned = std::thread::Builder::new()
            .name("serve".into())
            .spawn(move || {
                let _ = stream.set_write_timeout(Some(timeout));
                if let Err(e) = answer(stream, port, &preload, timeout) {
                    // One broken or slow connection does not stop the server.
                    let _ = writeln!(std::io::stderr(), "podsift serve: {e}");
                }
                held.fetch_sub(1, Ordering::SeqCst);
            });
        if spawned.is_err() {
            open.fetch_sub(1, Ordering::SeqCst);
        }
    }
    Ok(true)
}

/// One line of at most `max` bytes (`None`: longer than that).
fn read_line_capped(reader: &mut impl BufRead, max: u64) -> std::io::Result<Option<String>> {
    let mut line = Vec::new();
    reader.take(max + 1).read_until(b'\n', &mut line)?;
    if line.len() as u64 > max {
        return Ok(None);
    }
    Ok(Some(String::from_utf8_lossy(&line).into_owned()))
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("wasm") => "application/wasm",
        _ => "application/octet-stream",
    }
}

/// A connection's reads, all of which must end by one deadline (a client that sends a byte
/// now and then cannot hold its connection for longer than that).
struct Deadline {
    stream: TcpStream,
    until: Instant,
}

impl Read for Deadline {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the request took longer than --timeout",
            ));
        }
        self.stream.set_read_timeout(Some(left))?;
        self.stream.read(buf)
    }
}

fn answer(mut stream: TcpStream, port: u16, preload: &Preload, timeout: Duration) -> Result<()> {
    let mut reader = BufReader::new(Deadline {
        stream: stream.try_clone()?,
        until: Instant::now() + timeout,
    });
    let Some(request) = read_line_capped(&mut reader, MAX_REQUEST_LINE)? else {
        return respond(&mut stream, 414, "text/plain", b"request line too long");
    };
    let mut host = String::new();
    let mut headers_left = MAX_HEADERS;
    loop {
        let Some(line) = read_line_capped(&mut reader, headers_left)? else {
            return respond(&mut stream, 431, "text/plain", b"request headers too large");
        };
        headers_left -= line.len() as u64;
        if line.is_empty() || line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case("host")
        {
            host = v.trim().to_string();
        }
    }
    let mut parts = request.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    // Only this machine's names: a page elsewhere cannot reach the server through DNS
    // rebinding.
    let local = [format!("127.0.0.1:{port}"), format!("localhost:{port}")];
    if !local.contains(&host) {
        return respond(
            &mut stream,
            403,
            "text/plain",
            b"podsift serve answers 127.0.0.1 only",
        );
    }
    if method != "GET" {
        return respond(&mut stream, 405, "text/plain", b"GET only");
    }
    let path = target.split('?').next().unwrap_or("/");
    let name = path.trim_start_matches('/');
    let name = if name.is_empty() { "index.html" } else { name };
    if let Some(rest) = name.strip_prefix("preload/") {
        if rest == "list.json" {
            let list: Vec<serde_json::Value> = preload
                .iter()
                .map(|(n, _)| serde_json::json!({ "path": n }))
                .collect();
            let body = serde_json::to_vec(&list)?;
            return respond(&mut stream, 200, "application/json", &body);
        }
        return match rest.parse::<usize>().ok().and_then(|k| preload.get(k)) {
            Some((_, file)) => {
                let body = std::fs::read(file).with_context(|| format!("{}", file.display()))?;
                respond(&mut stream, 200, "application/octet-stream", &body)
            }
            None => respond(&mut stream, 404, "text/plain", b"no such file"),
        };
    }
    let Some((_, body)) = VIEWER.iter().find(|(n, _)| *n == name) else {
        return respond(&mut stream, 404, "text/plain", b"not found");
    };
    if name == "index.html" && !preload.is_empty() {
        let page = String::from_utf8_lossy(body)
            .replace("connect-src 'none'", "connect-src 'self'")
            .replace(
                "<title>",
                "<meta name=\"podsift-preload\" content=\"1\">\n<title>",
            );
        return respond(&mut stream, 200, content_type(name), page.as_bytes());
    }
    respond(&mut stream, 200, content_type(name), body)
}

fn respond(stream: &mut TcpStream, code: u16, kind: &str, body: &[u8]) -> Result<()> {
    let reason = match code {
        200 => "OK",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        414 => "URI Too Long",
        431 => "Request Header Fields Too Large",
        _ => "Service Unavailable",
    };
    write!(
        stream,
        "HTTP/1.1 {code} {reason}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n\
         Referrer-Policy: no-referrer\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    stream.write_all(body)?;
    stream.flush()?;
    Ok(())
}
