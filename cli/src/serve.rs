//! `podsift serve [--port N] [PATH...]`: the browser viewer (built by `wasm/build.sh` and
//! embedded at build time) from a small HTTP server on 127.0.0.1 only. With PATHs, the page
//! opens them at start: it fetches them from this server (its CSP then allows connections to
//! its own origin, 127.0.0.1, and nothing else).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};

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

/// Serves until killed.
pub(crate) fn cmd_serve(port: u16, paths: &[PathBuf]) -> Result<bool> {
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
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        if let Err(e) = answer(stream, addr.port(), &preload) {
            // One broken connection does not stop the server.
            let _ = writeln!(std::io::stderr(), "podsift serve: {e}");
        }
    }
    Ok(true)
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

fn answer(mut stream: TcpStream, port: u16, preload: &Preload) -> Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    let mut host = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
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
        _ => "Method Not Allowed",
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
