//! Native only: walks files and folders on disk into a [`FileSet`].
//!
//! This is the one module of podsift-core that touches the filesystem (CI checks that). Folders
//! are walked in name order, so results do not depend on the order the OS lists them in.
//! Symbolic links to files are kept as links (with their target), so the planner can tell a
//! `/var/log/containers` link from a copy; links to folders are not followed (they could loop)
//! and are reported.

// This module is where filesystem access lives (core/clippy.toml bans it everywhere else).
#![allow(clippy::disallowed_methods)]

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::{ByteSource, FileSet, LinkTarget, NewFile};
use crate::diag::{Diagnostic, Severity};

/// Files on disk, opened by path.
#[derive(Debug)]
struct DiskFiles {
    paths: Vec<PathBuf>,
}

impl ByteSource for DiskFiles {
    fn open(&self, key: usize) -> io::Result<Box<dyn Read + Send + '_>> {
        Ok(Box::new(fs::File::open(&self.paths[key])?))
    }

    fn open_at(&self, key: usize, offset: u64) -> io::Result<Box<dyn Read + Send + '_>> {
        use std::io::{Seek, SeekFrom};
        let mut f = fs::File::open(&self.paths[key])?;
        f.seek(SeekFrom::Start(offset))?;
        Ok(Box::new(f))
    }
}

fn slash_path(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
        .replacen("//", "/", 1)
}

struct Walk {
    paths: Vec<PathBuf>,
    files: Vec<NewFile>,
    problems: Vec<Diagnostic>,
    /// The inputs, canonical: a link whose target is under none of them leads out.
    roots: Vec<PathBuf>,
    /// Read what links lead to outside the inputs (`--follow-links`).
    follow_links: bool,
    /// Files met and not listed (see [`FileSet::unlisted`]).
    unlisted: usize,
}

impl Walk {
    fn add_file(
        &mut self,
        disk: PathBuf,
        path: String,
        layout_path: String,
        size: u64,
        link: Option<LinkTarget>,
    ) {
        self.files.push(NewFile {
            path,
            layout_path,
            size,
            link,
            key: self.paths.len(),
        });
        self.paths.push(disk);
    }

    fn walk_dir(&mut self, disk: &Path, display: &str, layout: &str) {
        let mut children: Vec<fs::DirEntry> = match fs::read_dir(disk) {
            Ok(rd) => rd
                .filter_map(|e| match e {
                    Ok(e) => Some(e),
                    Err(err) => {
                        self.problems.push(Diagnostic::file(
                            display,
                            Severity::Error,
                            format!("cannot list folder: {err}"),
                        ));
                        None
                    }
                })
                .collect(),
            Err(err) => {
                self.problems.push(Diagnostic::file(
                    display,
                    Severity::Error,
                    format!("cannot list folder: {err}"),
                ));
                return;
            }
        };
        children.sort_by_key(fs::DirEntry::file_name);
        for child in children {
            let name = child.file_name().to_string_lossy().into_owned();
            let child_disk = child.path();
            let child_display = format!("{display}/{name}");
            let child_layout = format!("{layout}/{name}");
            let meta = match fs::symlink_metadata(&child_disk) {
                Ok(m) => m,
                Err(err) => {
                    self.problems.push(Diagnostic::file(
                        child_display,
                        Severity::Error,
                        format!("cannot read: {err}"),
                    ));
                    continue;
                }
            };
            let ft = meta.file_type();
            if ft.is_symlink() {
                self.add_link(child_disk, child_display, child_layout);
            } else if ft.is_dir() {
                self.walk_dir(&child_disk, &child_display, &child_layout);
            } else if ft.is_file() {
                self.add_file(child_disk, child_display, child_layout, meta.len(), None);
            } else {
                self.unlisted += 1;
                self.problems.push(Diagnostic::file(
                    child_display,
                    Severity::Warning,
                    "skipped: not a regular file (a socket, pipe or device)",
                ));
            }
        }
    }

    fn add_link(&mut self, disk: PathBuf, display: String, layout: String) {
        let target = fs::read_link(&disk)
            .map(|t| t.to_string_lossy().into_owned())
            .unwrap_or_default();
        match fs::metadata(&disk) {
            Ok(m) if m.is_dir() => {
                self.unlisted += 1;
                self.problems.push(Diagnostic::file(
                    display,
                    Severity::Warning,
                    format!("skipped: symbolic link to a folder ({target}); links to folders are not followed"),
                ));
            }
            Ok(m) if !m.is_file() => {
                self.unlisted += 1;
                self.problems.push(Diagnostic::file(
                    display,
                    Severity::Warning,
                    format!("skipped: symbolic link to a socket, pipe or device ({target}); only regular files are read"),
                ));
            }
            Ok(m) => {
                let canonical = fs::canonicalize(&disk).ok();
                let inside = canonical
                    .as_ref()
                    .is_some_and(|c| self.roots.iter().any(|r| c.starts_with(r)));
                let resolved = canonical.map(|p| slash_path(&p));
                let outside = !inside && !self.follow_links;
                self.add_file(
                    disk,
                    display,
                    layout,
                    if outside { 0 } else { m.len() },
                    Some(LinkTarget {
                        target,
                        resolved,
                        readable: !outside,
                        outside,
                        hard: false,
                        unreachable: None,
                    }),
                );
            }
            Err(e) => {
                // ELOOP (`io::ErrorKind::FilesystemLoop` is not stable yet).
                const ELOOP: i32 = if cfg!(target_os = "linux") { 40 } else { 62 };
                let unreachable = match e.kind() {
                    io::ErrorKind::NotFound => None,
                    _ if cfg!(unix) && e.raw_os_error() == Some(ELOOP) => {
                        Some("a loop of symbolic links".to_string())
                    }
                    _ => Some(e.to_string()),
                };
                self.add_file(
                    disk,
                    display,
                    layout,
                    0,
                    Some(LinkTarget {
                        target,
                        resolved: None,
                        readable: false,
                        outside: false,
                        hard: false,
                        unreachable,
                    }),
                );
            }
        }
    }
}

/// Adds a file or a folder (recursively) to `set`. Fails only when `input` itself cannot be
/// read; problems below it are added to [`FileSet::problems`].
pub fn add_path(set: &mut FileSet, input: &Path) -> io::Result<()> {
    add_path_with(set, input, &[], false)
}

/// [`add_path`], with the other inputs' folders (`roots`: links into them are inside) and
/// whether links leading out of the inputs are read (`follow_links`).
fn add_path_with(
    set: &mut FileSet,
    input: &Path,
    roots: &[PathBuf],
    follow_links: bool,
) -> io::Result<()> {
    let Some(mut walk) = walk_input(set, input, roots, follow_links)? else {
        return Ok(());
    };
    set.problems.append(&mut walk.problems);
    set.unlisted += walk.unlisted;
    set.add_source(Box::new(DiskFiles { paths: walk.paths }), walk.files);
    Ok(())
}

/// The files under `input` (a folder walked, or one file); a pipe or device named on purpose
/// is read into `set` at once instead (`None`).
fn walk_input(
    set: &mut FileSet,
    input: &Path,
    roots: &[PathBuf],
    follow_links: bool,
) -> io::Result<Option<Walk>> {
    let meta = fs::metadata(input)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", input.display())))?;
    let display = input.to_string_lossy().trim_end_matches('/').to_string();
    let display = if display.is_empty() {
        "/".to_string()
    } else {
        display
    };
    let mut walk = Walk {
        paths: Vec::new(),
        files: Vec::new(),
        problems: Vec::new(),
        roots: roots.to_vec(),
        follow_links,
        unlisted: 0,
    };
    if meta.is_dir()
        && let Ok(root) = fs::canonicalize(input)
        && !walk.roots.contains(&root)
    {
        walk.roots.push(root);
    }
    if meta.is_dir() {
        let layout = slash_path(&fs::canonicalize(input)?);
        walk.walk_dir(input, &display, &layout);
    } else if !meta.is_file() {
        // A pipe or a device named on purpose (`/dev/stdin`, `<(kubectl logs ...)`, a FIFO):
        // read to its end now, as it can be read only once and has no size.
        let bytes = fs::read(input)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", input.display())))?;
        let name = input
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "stream".into());
        let layout = if name.contains('.') {
            name
        } else {
            format!("{name}.log")
        };
        set.add_bytes_as(display, layout, bytes);
        return Ok(None);
    } else {
        // Keep the file's own name (a /var/log/containers link's name carries metadata) but
        // resolve the folders above it.
        let parent = match input.parent() {
            Some(p) if !p.as_os_str().is_empty() => fs::canonicalize(p)?,
            _ => std::env::current_dir()?,
        };
        let name = input
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let layout = format!("{}/{name}", slash_path(&parent));
        walk.add_file(input.to_path_buf(), display, layout, meta.len(), None);
    }
    Ok(Some(walk))
}

/// Files followed as they grow (`podsift logs --follow`, as `tail -F` and stern follow them):
/// every regular file under the inputs, known by its identity (device and inode) rather than
/// its name, so that a rotation (`0.log` renamed `0.log.<time>`, a new `0.log`) neither loses
/// nor repeats a line.
#[derive(Debug)]
pub struct Follower {
    inputs: Vec<PathBuf>,
    /// Per file identity: the bytes already handed out (up to a line's end).
    read: std::collections::HashMap<(u64, u64), u64>,
}

impl Follower {
    /// Starts at the current end of every regular file under `inputs` (what a first read
    /// covered).
    pub fn new(inputs: &[impl AsRef<Path>]) -> io::Result<Follower> {
        let mut f = Follower {
            inputs: inputs.iter().map(|p| p.as_ref().to_path_buf()).collect(),
            read: std::collections::HashMap::new(),
        };
        for (disk, _, _) in f.files()? {
            if let Some((id, size)) = identity(&disk) {
                f.read.insert(id, size);
            }
        }
        Ok(f)
    }

    /// The regular files under the inputs: (on disk, as shown, layout path).
    fn files(&self) -> io::Result<Vec<(PathBuf, String, String)>> {
        let mut out = Vec::new();
        let mut scratch = FileSet::new();
        for input in &self.inputs {
            if let Some(walk) = walk_input(&mut scratch, input, &[], true)? {
                for (disk, f) in walk.paths.into_iter().zip(walk.files) {
                    if f.link.is_none() {
                        out.push((disk, f.path, f.layout_path));
                    }
                }
            }
        }
        Ok(out)
    }

    /// What was written since the last call, as a file set to plan and read like any other:
    /// the new complete lines of every file that grew, a new file whole (but a compressed
    /// rotation, whose lines were read before it was compressed), a file that shrank (cut or
    /// replaced) from its start. Each keeps its name and layout path, so it is read as the
    /// file it comes from. A line still being written waits for its end.
    pub fn poll(&mut self) -> io::Result<FileSet> {
        let mut set = FileSet::new();
        for (disk, display, layout) in self.files()? {
            let Some((id, size)) = identity(&disk) else {
                continue;
            };
            let from = match self.read.get(&id) {
                Some(&done) if done == size => continue,
                Some(&done) if done < size => done,
                Some(_) => 0,
                None if layout.ends_with(".gz") => {
                    self.read.insert(id, size);
                    continue;
                }
                None => 0,
            };
            let mut bytes = Vec::new();
            {
                use std::io::{Seek, SeekFrom};
                let mut file = fs::File::open(&disk)?;
                file.seek(SeekFrom::Start(from))?;
                file.take(size - from).read_to_end(&mut bytes)?;
            }
            let Some(end) = bytes.iter().rposition(|&c| c == b'\n') else {
                self.read.insert(id, from);
                continue;
            };
            bytes.truncate(end + 1);
            self.read.insert(id, from + bytes.len() as u64);
            set.add_bytes_as(display, layout, bytes);
        }
        Ok(set)
    }
}

/// A file's identity (device, inode) and size; `None` when it cannot be read.
fn identity(path: &Path) -> Option<((u64, u64), u64)> {
    let m = fs::metadata(path).ok()?;
    #[cfg(unix)]
    let id = {
        use std::os::unix::fs::MetadataExt;
        (m.dev(), m.ino())
    };
    #[cfg(not(unix))]
    let id = {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        path.hash(&mut h);
        (0, h.finish())
    };
    Some((id, m.len()))
}

/// The path that means standard input.
pub const STDIN: &str = "-";

/// Adds every path of `paths` (see [`add_path`]; [`STDIN`] reads standard input to its end, a
/// file planned as a log) and returns the paths, as the set shows them, of the files named one
/// by one (not found in a folder).
pub(crate) fn add_paths(
    set: &mut FileSet,
    paths: &[impl AsRef<Path>],
    follow_links: bool,
) -> io::Result<std::collections::HashSet<String>> {
    let mut direct = std::collections::HashSet::new();
    // Every folder given is inside: a link from one to another is followed.
    let roots: Vec<PathBuf> = paths
        .iter()
        .map(AsRef::as_ref)
        .filter(|p| p.is_dir())
        .filter_map(|p| fs::canonicalize(p).ok())
        .collect();
    for p in paths {
        if p.as_ref() == Path::new(STDIN) {
            let mut bytes = Vec::new();
            io::stdin().lock().read_to_end(&mut bytes)?;
            set.add_bytes_as(STDIN, "stdin.log", bytes);
            direct.insert(STDIN.to_string());
            continue;
        }
        let before = set.entries().len();
        add_path_with(set, p.as_ref(), &roots, follow_links)?;
        if !p.as_ref().is_dir() {
            direct.extend(set.entries()[before..].iter().map(|e| e.path.clone()));
        }
    }
    Ok(direct)
}
