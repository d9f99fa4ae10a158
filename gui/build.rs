//! Embeds the shipped sample bundle (`testdata/sample`) for the app's "Try the sample" button:
//! its regular files by path (the `containers/` links duplicate `pods/` files and are left
//! out).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/sample");
    println!("cargo:rerun-if-changed={}", sample.display());
    let mut files = Vec::new();
    walk(&sample, &mut files);
    files.sort();
    let mut code = String::from(
        "/// The shipped sample bundle's files: (path under `sample/`, contents).\n\
         pub(crate) static SAMPLE: &[(&str, &[u8])] = &[\n",
    );
    for path in files {
        let rel = path
            .strip_prefix(&sample)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        let _ = writeln!(
            code,
            "    ({:?}, include_bytes!({:?})),",
            format!("sample/{rel}"),
            path.canonicalize().unwrap_or(path.clone())
        );
    }
    code.push_str("];\n");
    let out = std::env::var("OUT_DIR").unwrap_or_default();
    std::fs::write(Path::new(&out).join("sample.rs"), code).unwrap_or_else(|e| {
        println!("cargo:warning=could not write the sample's file list: {e}");
    });
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.filter_map(Result::ok) {
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            walk(&e.path(), out);
        } else if ft.is_file() {
            out.push(e.path());
        }
    }
}
