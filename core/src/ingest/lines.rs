//! Splits a byte stream into physical lines with bounded memory.
//!
//! Lines end at `\n` (a `\r` before it is dropped); the last line may lack its newline. A
//! file whose first buffer holds `\r` and no `\n` ends its lines with a bare `\r` (classic Mac
//! OS, some serial consoles): it is split there instead of becoming one line. A line
//! longer than the limit is cut: its first `max_line` bytes are returned with the length it
//! really had, and the rest is skipped without being held in memory.

use std::io::{self, Read};

/// One physical line.
#[derive(Debug, PartialEq, Eq)]
pub struct Line<'a> {
    /// The bytes, without the newline (cut to the limit when `full_len` is set).
    pub bytes: &'a [u8],
    /// 1-based line number.
    pub number: u64,
    /// For a cut line: its full length in bytes.
    pub full_len: Option<u64>,
}

/// Reads lines from `R`.
#[derive(Debug)]
pub(crate) struct LineReader<R> {
    reader: R,
    buf: Vec<u8>,
    pos: usize,
    filled: usize,
    eof: bool,
    number: u64,
    max_line: usize,
    bytes_read: u64,
    /// A read error met with data still buffered: returned once that data is out.
    pending_error: Option<io::Error>,
    /// The byte lines end with: `\n`, or `\r` for a file that has no `\n`.
    term: u8,
    /// `term` is decided (from the first buffer).
    decided: bool,
}

/// The initial buffer size; it grows up to `max_line` for long lines. Large enough that reads
/// go straight into it rather than through a reader's own (smaller) buffer.
const INITIAL_BUFFER: usize = 256 * 1024;

impl<R: Read> LineReader<R> {
    /// A reader that cuts lines longer than `max_line` bytes.
    #[cfg(test)]
    pub(crate) fn new(reader: R, max_line: usize) -> Self {
        Self::with_buffer(reader, max_line, Vec::new())
    }

    /// [`LineReader::new`], reusing `buf` (from [`LineReader::into_buffer`]) to save zeroing a
    /// new one for every file.
    pub(crate) fn with_buffer(reader: R, max_line: usize, mut buf: Vec<u8>) -> Self {
        let initial = INITIAL_BUFFER.min(max_line.max(1) + 1);
        if buf.len() < initial {
            buf.resize(initial, 0);
        }
        LineReader {
            reader,
            buf,
            pos: 0,
            filled: 0,
            eof: false,
            number: 0,
            max_line: max_line.max(1),
            bytes_read: 0,
            pending_error: None,
            term: b'\n',
            decided: false,
        }
    }

    /// Lines of the first `len` bytes of `bytes`, already in memory, without copying them.
    pub(crate) fn from_bytes(bytes: Vec<u8>, len: usize, max_line: usize, reader: R) -> Self {
        let filled = len.min(bytes.len());
        LineReader {
            reader,
            buf: bytes,
            pos: 0,
            filled,
            eof: true,
            number: 0,
            max_line: max_line.max(1),
            bytes_read: filled as u64,
            pending_error: None,
            term: b'\n',
            decided: false,
        }
    }

    /// Whether the lines end with a bare `\r` (decided from the first buffer).
    pub(crate) fn cr_only(&self) -> bool {
        self.term == b'\r'
    }

    /// Decides the line terminator from the bytes buffered so far, once there are enough of
    /// them (a full buffer, or the whole input).
    fn decide(&mut self) {
        let have = &self.buf[self.pos..self.filled];
        if memchr::memchr(b'\n', have).is_some() {
            self.decided = true;
        } else if self.eof || self.filled == self.buf.len() {
            self.decided = true;
            if memchr::memchr(b'\r', have).is_some() {
                self.term = b'\r';
            }
        }
    }

    /// The buffer, for the next file.
    pub(crate) fn into_buffer(self) -> Vec<u8> {
        self.buf
    }

    /// Bytes taken from the underlying reader so far.
    pub(crate) fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// Lines returned so far.
    pub(crate) fn line_count(&self) -> u64 {
        self.number
    }

    fn fill(&mut self) -> io::Result<usize> {
        loop {
            match self.reader.read(&mut self.buf[self.filled..]) {
                Ok(n) => {
                    self.filled += n;
                    self.bytes_read += n as u64;
                    if n == 0 {
                        self.eof = true;
                    }
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// The next line; `Ok(None)` at the end. A read error comes after the lines read before it
    /// (the last one possibly without its newline); after it the reader is at its end.
    pub(crate) fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        let mut scanned = self.pos;
        loop {
            if !self.decided {
                self.decide();
            }
            // Until the terminator is decided, no line is cut (the buffer is being filled).
            let found = if self.decided {
                memchr::memchr(self.term, &self.buf[scanned..self.filled])
            } else {
                None
            };
            if let Some(off) = found {
                let end = scanned + off;
                let start = self.pos;
                self.pos = end + 1;
                self.number += 1;
                // Only possible when the whole input was handed over in memory.
                let full_len = (end - start > self.max_line).then_some((end - start) as u64);
                let mut bytes = &self.buf[start..end.min(start + self.max_line)];
                if self.term == b'\n'
                    && let [rest @ .., b'\r'] = bytes
                {
                    bytes = rest;
                }
                return Ok(Some(Line {
                    bytes,
                    number: self.number,
                    full_len,
                }));
            }
            scanned = if self.decided { self.filled } else { self.pos };
            if self.eof && !self.decided {
                continue;
            }
            if self.eof {
                if self.pos < self.filled {
                    let start = self.pos;
                    self.pos = self.filled;
                    self.number += 1;
                    let len = self.filled - start;
                    return Ok(Some(Line {
                        bytes: &self.buf[start..start + len.min(self.max_line)],
                        number: self.number,
                        full_len: (len > self.max_line).then_some(len as u64),
                    }));
                }
                return match self.pending_error.take() {
                    Some(e) => Err(e),
                    None => Ok(None),
                };
            }
            if self.filled - self.pos >= self.max_line {
                return self.cut_line();
            }
            if self.pos > 0 {
                self.buf.copy_within(self.pos..self.filled, 0);
                self.filled -= self.pos;
                scanned -= self.pos;
                self.pos = 0;
            }
            if self.filled == self.buf.len() {
                let grown = (self.buf.len() * 2).min(self.max_line + 1);
                self.buf.resize(grown, 0);
            }
            if let Err(e) = self.fill() {
                self.eof = true;
                self.pending_error = Some(e);
            }
        }
    }

    /// Returns the first `max_line` bytes of an overlong line and skips the rest of it. The
    /// caller found no newline in `buf[pos..filled]`, so all of it belongs to this line.
    fn cut_line(&mut self) -> io::Result<Option<Line<'_>>> {
        let start = self.pos;
        let keep_end = start + self.max_line;
        let mut full_len = (self.filled - start) as u64;
        let mut skip = vec![0u8; 64 * 1024];
        let mut leftover = 0..0;
        loop {
            match self.reader.read(&mut skip) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => {
                    self.bytes_read += n as u64;
                    if let Some(nl) = memchr::memchr(self.term, &skip[..n]) {
                        full_len += nl as u64;
                        leftover = nl + 1..n;
                        break;
                    }
                    full_len += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.eof = true;
                    self.pending_error = Some(e);
                    break;
                }
            }
        }
        // Keep the line's first part, then what followed its newline.
        let rest = &skip[leftover];
        if self.buf.len() < keep_end + rest.len() {
            self.buf.resize(keep_end + rest.len(), 0);
        }
        self.buf[keep_end..keep_end + rest.len()].copy_from_slice(rest);
        self.filled = keep_end + rest.len();
        self.pos = keep_end;
        self.number += 1;
        let mut bytes = &self.buf[start..keep_end];
        if let [rest @ .., b'\r'] = bytes {
            bytes = rest;
        }
        Ok(Some(Line {
            bytes,
            number: self.number,
            full_len: Some(full_len),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out at most `step` bytes per call, to cross buffer edges.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(out.len()).min(self.data.len());
            out[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn collect(data: &[u8], step: usize, max: usize) -> Vec<(String, u64, Option<u64>)> {
        let mut r = LineReader::new(Trickle { data, step }, max);
        let mut out = Vec::new();
        while let Some(l) = r.next_line().unwrap() {
            out.push((
                String::from_utf8_lossy(l.bytes).into_owned(),
                l.number,
                l.full_len,
            ));
        }
        out
    }

    #[test]
    fn splits_lines() {
        for step in [1, 2, 3, 7, 1000] {
            assert_eq!(
                collect(b"a\nbb\r\n\nlast", step, 100),
                vec![
                    ("a".into(), 1, None),
                    ("bb".into(), 2, None),
                    ("".into(), 3, None),
                    ("last".into(), 4, None)
                ]
            );
            assert_eq!(collect(b"x\n", step, 100), vec![("x".into(), 1, None)]);
            assert!(collect(b"", step, 100).is_empty());
        }
    }

    #[test]
    fn bare_carriage_returns_end_lines_when_there_is_no_newline() {
        for step in [1, 2, 5, 1000] {
            assert_eq!(
                collect(b"rec 1\rrec 2\r\rlast", step, 100),
                vec![
                    ("rec 1".into(), 1, None),
                    ("rec 2".into(), 2, None),
                    ("".into(), 3, None),
                    ("last".into(), 4, None)
                ]
            );
            let mut r = LineReader::new(
                Trickle {
                    data: b"a\rb\r",
                    step,
                },
                100,
            );
            while r.next_line().unwrap().is_some() {}
            assert!(r.cr_only());
            // With newlines, a `\r` inside a line stays (only `\r\n`'s is dropped).
            assert_eq!(
                collect(b"a\rb\nc\r\n", step, 100),
                vec![("a\rb".into(), 1, None), ("c".into(), 2, None)]
            );
        }
    }

    #[test]
    fn cuts_overlong_lines_and_goes_on() {
        for step in [1, 3, 64, 10_000] {
            let mut data = vec![b'a'; 50];
            data.extend_from_slice(b"\nok\n");
            data.extend(vec![b'b'; 30]);
            assert_eq!(
                collect(&data, step, 10),
                vec![
                    ("a".repeat(10), 1, Some(50)),
                    ("ok".into(), 2, None),
                    ("b".repeat(10), 3, Some(30))
                ]
            );
        }
    }

    /// Regression: with a power-of-two limit the buffer grows to exactly the limit, and
    /// skipping the rest of a cut line must not mistake a full buffer for the end of the file.
    #[test]
    fn lines_after_a_cut_line_are_read_with_power_of_two_limits() {
        let max = INITIAL_BUFFER * 2;
        let mut data = vec![b'a'; max * 3 + 5];
        data.extend_from_slice(b"\nnext\nlast");
        for step in [7, 4096, 1 << 20] {
            let got = collect(&data, step, max);
            assert_eq!(got.len(), 3, "step {step}");
            assert_eq!(
                (got[0].0.len(), got[0].2),
                (max, Some((max * 3 + 5) as u64))
            );
            assert_eq!((got[1].0.as_str(), got[1].1), ("next", 2));
            assert_eq!((got[2].0.as_str(), got[2].1), ("last", 3));
        }
    }

    #[test]
    fn bytes_in_memory_are_split_the_same_way() {
        let data = b"a\nbbbbbbbbbbbbbbbbbbbb\r\nc\ndddddddddddddddddd".to_vec();
        for max in [5, 100] {
            // A reused buffer: stale bytes after the data are not read.
            let mut buf = data.clone();
            buf.extend_from_slice(b"zz\nstale\n");
            let mut from_bytes = LineReader::from_bytes(buf, data.len(), max, io::empty());
            let mut streamed = LineReader::new(&data[..], max);
            loop {
                let a = from_bytes
                    .next_line()
                    .unwrap()
                    .map(|l| (l.bytes.to_vec(), l.number, l.full_len));
                let b = streamed
                    .next_line()
                    .unwrap()
                    .map(|l| (l.bytes.to_vec(), l.number, l.full_len));
                assert_eq!(a, b, "max {max}");
                if a.is_none() {
                    break;
                }
            }
        }
    }

    #[test]
    fn long_lines_grow_the_buffer_up_to_the_limit() {
        let line = vec![b'z'; INITIAL_BUFFER * 3];
        let mut data = line.clone();
        data.push(b'\n');
        let got = collect(&data, 100_000, INITIAL_BUFFER * 4);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0.len(), line.len());
        assert_eq!(got[0].2, None);
    }

    #[test]
    fn data_before_a_read_error_is_kept() {
        struct HalfLine(bool);
        impl Read for HalfLine {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                if self.0 {
                    return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "truncated"));
                }
                self.0 = true;
                out[..7].copy_from_slice(
                    b"one
two",
                );
                Ok(7)
            }
        }
        let mut r = LineReader::new(HalfLine(false), 100);
        assert_eq!(r.next_line().unwrap().unwrap().bytes, b"one");
        assert_eq!(r.next_line().unwrap().unwrap().bytes, b"two");
        assert_eq!(
            r.next_line().unwrap_err().kind(),
            io::ErrorKind::UnexpectedEof
        );
        assert!(r.next_line().unwrap().is_none());
    }

    #[test]
    fn read_errors_end_the_stream() {
        struct Failing(u8);
        impl Read for Failing {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                if self.0 == 0 {
                    return Err(io::Error::new(io::ErrorKind::InvalidData, "corrupt"));
                }
                self.0 -= 1;
                out[..2].copy_from_slice(b"a\n");
                Ok(2)
            }
        }
        let mut r = LineReader::new(Failing(2), 100);
        assert_eq!(r.next_line().unwrap().unwrap().bytes, b"a");
        assert_eq!(r.next_line().unwrap().unwrap().bytes, b"a");
        assert!(r.next_line().is_err());
        assert!(r.next_line().unwrap().is_none());
    }
}
