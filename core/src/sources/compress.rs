//! Compressed streams, told apart by their first bytes: gzip, zstd, xz and bzip2. Every decoder
//! here is pure Rust, so the same code reads a `.tar.zst` natively and in the browser.

use std::io::{self, BufRead, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
use ruzstd::decoding::{BlockDecodingStrategy, FrameDecoder};

pub use crate::detect::archive::Compression;

impl Compression {
    /// A reader of the decompressed bytes of `r`. Its errors say which format failed, and
    /// when nothing decoded before the damage, why (zstd, xz and bzip2 decode whole blocks).
    pub fn decoder<'a, R: BufRead + Send + 'a>(self, r: R) -> Box<dyn Read + Send + 'a> {
        Box::new(Damage {
            inner: self.raw_decoder(r),
            compression: self,
            produced: 0,
        })
    }

    fn raw_decoder<'a, R: BufRead + Send + 'a>(self, r: R) -> Box<dyn Read + Send + 'a> {
        match self {
            Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(r)),
            Compression::Zstd => Box::new(ZstdFrames {
                source: r,
                decoder: FrameDecoder::new(),
                in_frame: false,
            }),
            Compression::Xz => {
                let head = Arc::new(Mutex::new(Vec::new()));
                let tee = Tee {
                    inner: r,
                    copy: head.clone(),
                };
                Box::new(XzSalvage {
                    inner: lzma_rust2::XzReader::new(tee, true),
                    head,
                    produced: 0,
                    salvaged: None,
                })
            }
            Compression::Bzip2 => Box::new(bzip2::bufread::MultiBzDecoder::new(r)),
        }
    }
}

/// Compressed bytes kept of an xz file's start, for [`XzSalvage`]: its first LZMA2 chunk
/// (at most 64 KiB compressed) and the headers before it.
const XZ_HEAD_KEEP: usize = 80 * 1024;

/// A reader that copies the first [`XZ_HEAD_KEEP`] bytes it passes on.
struct Tee<R> {
    inner: R,
    copy: Arc<Mutex<Vec<u8>>>,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Ok(mut c) = self.copy.lock()
            && c.len() < XZ_HEAD_KEEP
        {
            let take = n.min(XZ_HEAD_KEEP - c.len());
            c.extend_from_slice(&buf[..take]);
        }
        Ok(n)
    }
}

/// xz with what `xz -dc` keeps of a file cut inside its first LZMA2 chunk: lzma-rust2 reads a
/// chunk's compressed bytes whole before decoding it, so such a file decodes to nothing. On
/// an error before any byte came out, the first chunk is decoded again from the kept head by
/// a raw LZMA decoder that takes its input as it comes; what it gives before the cut is
/// passed on, then the error.
struct XzSalvage<R> {
    inner: R,
    head: Arc<Mutex<Vec<u8>>>,
    produced: u64,
    salvaged: Option<(io::Cursor<Vec<u8>>, Option<io::Error>)>,
}

impl<R: Read> Read for XzSalvage<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some((out, err)) = &mut self.salvaged {
            let n = out.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            return match err.take() {
                Some(e) => Err(e),
                None => Ok(0),
            };
        }
        match self.inner.read(buf) {
            Ok(n) => {
                self.produced += n as u64;
                Ok(n)
            }
            Err(e) if self.produced == 0 => {
                let head = self.head.lock().map(|h| h.clone()).unwrap_or_default();
                match xz_first_chunk(&head) {
                    Some(out) if !out.is_empty() => {
                        self.salvaged = Some((io::Cursor::new(out), Some(e)));
                        self.read(buf)
                    }
                    _ => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }
}

/// What the first LZMA2 chunk of the xz file starting with `head` decodes to before `head`
/// ends (`None` when it is not a single-filter LZMA2 block, as xz writes by default).
fn xz_first_chunk(head: &[u8]) -> Option<Vec<u8>> {
    // Stream header (12 bytes), then the block header: its size, flags, optional sizes, and
    // one filter: LZMA2 (0x21) with its dictionary-size byte.
    let block = head.get(12..)?;
    let header_len = (usize::from(*block.first()?) + 1) * 4;
    let flags = *block.get(1)?;
    if flags & 0x03 != 0 {
        return None; // more than one filter (a BCJ filter before LZMA2)
    }
    let mut at = 2;
    let varint = |at: &mut usize| -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..63).step_by(7) {
            let b = *block.get(*at)?;
            *at += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    };
    if flags & 0x40 != 0 {
        varint(&mut at)?;
    }
    if flags & 0x80 != 0 {
        varint(&mut at)?;
    }
    if varint(&mut at)? != 0x21 || varint(&mut at)? != 1 {
        return None;
    }
    let p = u32::from(*block.get(at)?);
    let dict_size = if p >= 40 {
        u32::MAX
    } else {
        (2 | (p & 1)) << (p / 2 + 11)
    };
    let chunk = block.get(header_len..)?;
    let control = *chunk.first()?;
    match control {
        // An uncompressed chunk: its bytes as they are.
        0x01 | 0x02 => {
            let size = (usize::from(*chunk.get(1)?) << 8 | usize::from(*chunk.get(2)?)) + 1;
            let data = chunk.get(3..)?;
            Some(data[..size.min(data.len())].to_vec())
        }
        // An LZMA chunk that resets the dictionary and sets the properties.
        0xE0..=0xFF => {
            let unpacked = (u64::from(control & 0x1f) << 16
                | u64::from(*chunk.get(1)?) << 8
                | u64::from(*chunk.get(2)?))
                + 1;
            let props = *chunk.get(5)?;
            let data = chunk.get(6..)?;
            let mut reader =
                lzma_rust2::LzmaReader::new_with_props(data, unpacked, props, dict_size, None)
                    .ok()?;
            let mut out = Vec::new();
            let mut buf = [0u8; 8192];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => out.extend_from_slice(&buf[..n]),
                }
            }
            Some(out)
        }
        _ => None,
    }
}

/// A decoder whose errors name the format and, when nothing was decoded yet, say that the data
/// ends or is damaged inside its first block.
struct Damage<'a> {
    inner: Box<dyn Read + Send + 'a>,
    compression: Compression,
    produced: u64,
}

impl Read for Damage<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => {
                self.produced += n as u64;
                Ok(n)
            }
            // A decompression bomb's limit, or an error already explained.
            Err(e) if e.kind() == io::ErrorKind::FileTooLarge => Err(e),
            Err(e) => {
                let name = match self.compression {
                    Compression::Gzip => "gzip",
                    Compression::Zstd => "zstd",
                    Compression::Xz => "xz",
                    Compression::Bzip2 => "bzip2",
                };
                let msg = if self.produced == 0 && self.compression != Compression::Gzip {
                    format!(
                        "{name} data cut short or damaged inside its first block, and {name} is decoded a whole block at a time: nothing before the damage can be read ({e})"
                    )
                } else {
                    format!("{name} data cut short or damaged ({e})")
                };
                Err(io::Error::new(e.kind(), msg))
            }
        }
    }
}

/// Zstandard frames one after another; skippable frames are skipped.
struct ZstdFrames<R> {
    source: R,
    decoder: FrameDecoder,
    in_frame: bool,
}

impl<R: BufRead> Read for ZstdFrames<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if self.in_frame {
                while self.decoder.can_collect() == 0 && !self.decoder.is_finished() {
                    self.decoder
                        .decode_blocks(&mut self.source, BlockDecodingStrategy::UptoBlocks(1))
                        .map_err(io::Error::other)?;
                }
                let n = self.decoder.read(buf)?;
                if n > 0 {
                    return Ok(n);
                }
                if self.decoder.is_finished() && self.decoder.can_collect() == 0 {
                    self.in_frame = false;
                } else {
                    continue;
                }
            }
            if self.source.fill_buf()?.is_empty() {
                return Ok(0);
            }
            match self.decoder.init(&mut self.source) {
                Ok(()) => self.in_frame = true,
                Err(FrameDecoderError::ReadFrameHeaderError(ReadFrameHeaderError::SkipFrame {
                    length,
                    ..
                })) => {
                    let skipped = io::copy(
                        &mut (&mut self.source).take(u64::from(length)),
                        &mut io::sink(),
                    )?;
                    if skipped < u64::from(length) {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "zstd: skippable frame cut short",
                        ));
                    }
                }
                Err(e) => return Err(io::Error::other(e)),
            }
        }
    }
}

/// A reader that fails once more than `limit` bytes came through (a decompression bomb), or
/// once the bytes counted in `total` by every reader sharing it pass `limit`.
#[derive(Debug)]
pub(crate) struct Limited<'t, R> {
    inner: R,
    left: u64,
    limit: u64,
    total: Option<&'t AtomicU64>,
}

impl<'t, R> Limited<'t, R> {
    /// Wraps `inner`.
    pub(crate) fn new(inner: R, limit: u64) -> Self {
        Self {
            inner,
            left: limit,
            limit,
            total: None,
        }
    }

    /// Wraps `inner`, counting what comes through into `total`, which all the readers given it
    /// share (`--max-unpacked` is the most for all compressed files together).
    pub(crate) fn sharing(inner: R, limit: u64, total: &'t AtomicU64) -> Self {
        let left = limit.saturating_sub(total.load(Ordering::Relaxed));
        Self {
            inner,
            left,
            limit,
            total: Some(total),
        }
    }

    fn over(&self) -> io::Error {
        let limit = crate::diag::human_size(self.limit);
        let msg = if self.total.is_some() {
            format!(
                "archives and compressed files decompress to more than {limit} in all (the limit, --max-unpacked; a decompression bomb?), read up to it"
            )
        } else {
            format!(
                "decompresses to more than {limit} (the limit, --max-unpacked; a decompression bomb?), read up to it"
            )
        };
        io::Error::new(io::ErrorKind::FileTooLarge, msg)
    }
}

impl<R: Read> Read for Limited<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(total) = self.total {
            // Others reading at the same time took their share.
            let others = total.load(Ordering::Relaxed);
            self.left = self.left.min(self.limit.saturating_sub(others));
        }
        if self.left == 0 {
            // One byte more tells a stream of exactly `limit` bytes from a longer one.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(self.over()),
            };
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        if let Some(total) = self.total {
            total.fetch_add(n as u64, Ordering::Relaxed);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn decode_all(c: Compression, bytes: &[u8]) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        c.decoder(io::BufReader::new(bytes)).read_to_end(&mut out)?;
        Ok(out)
    }

    /// An `.xz` cut inside its first chunk gives what decodes before the cut, exactly, then an
    /// error: a compressed chunk and a stored one (what xz writes for data that does not
    /// compress).
    #[test]
    fn a_cut_xz_gives_what_decodes_before_the_cut() {
        let text: Vec<u8> = (0..3000u32)
            .flat_map(|i| format!("2024-01-01T00:00:00Z line {i} of a log\n").into_bytes())
            .collect();
        let mut noise = Vec::new();
        let mut x = 0x2545f4914f6cdd1du64;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            noise.push(x as u8);
        }
        for data in [text, noise] {
            let mut w =
                lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::default()).unwrap();
            w.write_all(&data).unwrap();
            let xz = w.finish().unwrap();
            let cut = &xz[..xz.len() / 2];
            let mut out = Vec::new();
            let err = Compression::Xz
                .decoder(io::BufReader::new(cut))
                .read_to_end(&mut out)
                .unwrap_err();
            assert!(err.to_string().starts_with("xz data cut short"), "{err}");
            assert!(
                out.len() > data.len() / 4,
                "{} of {}",
                out.len(),
                data.len()
            );
            assert_eq!(out[..], data[..out.len()]);
        }
    }

    #[test]
    fn every_format_by_magic_and_concatenated() {
        let data: Vec<u8> = (0..20_000u32)
            .flat_map(|i| format!("2024-01-01T00:00:00Z line {i}\n").into_bytes())
            .collect();
        let gz = |d: &[u8]| {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(d).unwrap();
            e.finish().unwrap()
        };
        let bz = |d: &[u8]| {
            let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
            e.write_all(d).unwrap();
            e.finish().unwrap()
        };
        let xz = |d: &[u8]| {
            let mut e =
                lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::default()).unwrap();
            e.write_all(d).unwrap();
            e.finish().unwrap()
        };
        let zst = |d: &[u8]| {
            ruzstd::encoding::compress_to_vec(d, ruzstd::encoding::CompressionLevel::Fastest)
        };
        let (a, b) = data.split_at(7_777);
        for (c, enc) in [
            (Compression::Gzip, &gz as &dyn Fn(&[u8]) -> Vec<u8>),
            (Compression::Bzip2, &bz),
            (Compression::Xz, &xz),
            (Compression::Zstd, &zst),
        ] {
            let whole = enc(&data);
            assert_eq!(Compression::of(&whole), Some(c));
            assert_eq!(decode_all(c, &whole).unwrap(), data, "{c:?}");
            let mut two = enc(a);
            if c == Compression::Zstd {
                // A skippable frame between two frames.
                two.extend_from_slice(&[0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 9, 9, 9]);
            }
            two.extend(enc(b));
            assert_eq!(decode_all(c, &two).unwrap(), data, "{c:?} concatenated");
            // Cut short: an error, never a panic, and what came before is a prefix.
            let cut = &whole[..whole.len() / 2];
            let mut out = Vec::new();
            let r = c.decoder(io::BufReader::new(cut)).read_to_end(&mut out);
            assert!(r.is_err(), "{c:?} cut short must fail");
            assert!(data.starts_with(&out), "{c:?} keeps a prefix");
        }
        assert_eq!(Compression::of(b"plain text"), None);
        assert_eq!(Compression::of(b"BZh"), None);
    }

    #[test]
    fn limited_stops_a_bomb_and_passes_the_exact_size() {
        let mut out = Vec::new();
        let err = Limited::new(io::repeat(0), 1000)
            .read_to_end(&mut out)
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::FileTooLarge);
        assert_eq!(out.len(), 1000);
        let mut out = Vec::new();
        Limited::new(&[1u8; 1000][..], 1000)
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out.len(), 1000);
    }
}
