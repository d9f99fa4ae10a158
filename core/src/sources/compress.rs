//! Compressed streams, told apart by their first bytes: gzip, zstd, xz and bzip2. Every decoder
//! here is pure Rust, so the same code reads a `.tar.zst` natively and in the browser.

use std::io::{self, BufRead, Read};
use std::sync::atomic::{AtomicU64, Ordering};

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
            Compression::Xz => Box::new(lzma_rust2::XzReader::new(r, true)),
            Compression::Bzip2 => Box::new(bzip2::bufread::MultiBzDecoder::new(r)),
        }
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
