//! Compressed streams, told apart by their first bytes: gzip, zstd, xz and bzip2. Every decoder
//! here is pure Rust, so the same code reads a `.tar.zst` natively and in the browser.

use std::io::{self, BufRead, Read};

use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
use ruzstd::decoding::{BlockDecodingStrategy, FrameDecoder};

pub use crate::detect::archive::Compression;

impl Compression {
    /// A reader of the decompressed bytes of `r`.
    pub fn decoder<'a, R: BufRead + Send + 'a>(self, r: R) -> Box<dyn Read + Send + 'a> {
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

/// A reader that fails once more than `limit` bytes came through (a decompression bomb).
#[derive(Debug)]
pub(crate) struct Limited<R> {
    inner: R,
    left: u64,
    limit: u64,
}

impl<R> Limited<R> {
    /// Wraps `inner`.
    pub(crate) fn new(inner: R, limit: u64) -> Self {
        Self {
            inner,
            left: limit,
            limit,
        }
    }
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            // One byte more tells a stream of exactly `limit` bytes from a longer one.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(io::Error::new(
                    io::ErrorKind::FileTooLarge,
                    format!(
                        "decompresses to more than {} (the limit; a decompression bomb?), read up to it",
                        crate::diag::human_size(self.limit)
                    ),
                )),
            };
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
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
