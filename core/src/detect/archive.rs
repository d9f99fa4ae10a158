//! Archives and compressed files by their first bytes (never their names): gzip, zstd, xz,
//! bzip2, zip and tar headers.

/// A tar block.
pub(crate) const BLOCK: usize = 512;

/// A compression format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Compression {
    /// gzip (several members are read one after another, as `gunzip` does).
    Gzip,
    /// Zstandard (several frames, skippable frames skipped).
    Zstd,
    /// xz (several streams).
    Xz,
    /// bzip2 (several streams).
    Bzip2,
}

impl Compression {
    /// The format whose magic bytes `head` starts with.
    pub fn of(head: &[u8]) -> Option<Compression> {
        if head.starts_with(&[0x1f, 0x8b]) {
            Some(Compression::Gzip)
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Some(Compression::Zstd)
        } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
            Some(Compression::Xz)
        } else if head.len() >= 4 && head.starts_with(b"BZh") && (b'1'..=b'9').contains(&head[3]) {
            Some(Compression::Bzip2)
        } else {
            None
        }
    }

    /// The name used in messages and the `sources` table (`gz`, `zst`, `xz`, `bz2`).
    pub fn as_str(self) -> &'static str {
        match self {
            Compression::Gzip => "gz",
            Compression::Zstd => "zst",
            Compression::Xz => "xz",
            Compression::Bzip2 => "bz2",
        }
    }
}

/// What kind of archive a file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArchiveKind {
    /// A tar, compressed or not.
    Tar(Option<Compression>),
    /// A zip.
    Zip,
}

impl ArchiveKind {
    /// `tar`, `tar.gz`, `tar.zst`, `tar.xz`, `tar.bz2`, `zip`.
    pub fn as_str(self) -> &'static str {
        match self {
            ArchiveKind::Tar(None) => "tar",
            ArchiveKind::Tar(Some(Compression::Gzip)) => "tar.gz",
            ArchiveKind::Tar(Some(Compression::Zstd)) => "tar.zst",
            ArchiveKind::Tar(Some(Compression::Xz)) => "tar.xz",
            ArchiveKind::Tar(Some(Compression::Bzip2)) => "tar.bz2",
            ArchiveKind::Zip => "zip",
        }
    }
}

/// A tar header block: its checksum holds and it has a name.
pub(crate) fn is_tar_header(block: &[u8]) -> bool {
    if block.len() < BLOCK || block[0] == 0 {
        return false;
    }
    let Some(stored) = parse_octal(&block[148..156]) else {
        return false;
    };
    let unsigned: u64 = block[..BLOCK]
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u64::from(b)
            }
        })
        .sum();
    let signed: i64 = block[..BLOCK]
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                i64::from(b as i8)
            }
        })
        .sum();
    stored == unsigned || i64::try_from(stored).is_ok_and(|s| s == signed)
}

pub(crate) fn parse_octal(field: &[u8]) -> Option<u64> {
    let s = field
        .iter()
        .skip_while(|&&c| c == b' ')
        .take_while(|&&c| (b'0'..=b'7').contains(&c));
    let mut v: u64 = 0;
    let mut any = false;
    for &c in s {
        v = v.checked_mul(8)?.checked_add(u64::from(c - b'0'))?;
        any = true;
    }
    any.then_some(v)
}

/// A zip or a plain tar, by its first bytes.
pub(crate) fn plain_archive_kind(head: &[u8]) -> Option<ArchiveKind> {
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Some(ArchiveKind::Zip);
    }
    is_tar_header(head).then_some(ArchiveKind::Tar(None))
}
