//! Embeds the browser viewer (`wasm/dist`, written by `wasm/build.sh`) for `podsift serve`.
//! Without it, `podsift serve` says how to build it.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let wasm = Path::new(env!("CARGO_MANIFEST_DIR")).join("../wasm");
    let dist = wasm.join("dist");
    // A watched path that does not exist makes cargo run this again on every build (and
    // relink podsift): until the viewer is built, watch the folder it will appear in.
    if dist.is_dir() {
        println!("cargo:rerun-if-changed={}", dist.display());
    } else {
        println!("cargo:rerun-if-changed={}", wasm.display());
    }
    let mut code = String::from(
        "/// The viewer's files: (name, contents).\npub(crate) static VIEWER: &[(&str, &[u8])] = &[\n",
    );
    if dist.join("index.html").is_file()
        && let Ok(entries) = std::fs::read_dir(&dist)
    {
        let mut names: Vec<_> = entries
            .filter_map(Result::ok)
            .filter(|e| e.path().is_file())
            .map(|e| e.path())
            .collect();
        names.sort();
        for path in names {
            println!("cargo:rerun-if-changed={}", path.display());
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            let _ = writeln!(
                code,
                "    ({name:?}, include_bytes!({:?})),",
                path.canonicalize().unwrap_or(path.clone())
            );
        }
    }
    code.push_str("];\n");
    let out = std::env::var("OUT_DIR").unwrap_or_default();
    std::fs::write(Path::new(&out).join("viewer.rs"), code).unwrap_or_else(|e| {
        println!("cargo:warning=could not write the viewer's asset list: {e}");
    });
}
