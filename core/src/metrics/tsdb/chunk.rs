//! Chunk segment files (`chunks/000001`) and the chunks in them: the XOR float encoding is
//! decoded; the others are named.

use super::dec::{Bits, Dec, crc32c};
use crate::metrics::histogram::{
    CUSTOM_BUCKETS_SCHEMA, CounterReset, NativeHistogram, is_stale_nan,
};

/// A chunk segment file's magic number.
pub const MAGIC: u32 = 0x85BD_40DD;

/// The segment header: magic, version, padding.
pub const HEADER_LEN: usize = 8;

/// A chunk's encoding byte, named as Prometheus names it.
pub fn encoding_name(e: u8) -> &'static str {
    match e {
        0 => "none",
        1 => "XOR",
        2 => "histogram",
        3 => "floathistogram",
        4 => "XOR2",
        5 => "histogramST",
        6 => "floathistogramST",
        _ => "unknown",
    }
}

/// The XOR float encoding.
pub const XOR: u8 = 1;

/// Where the chunk at `offset` ends (its length, encoding, data and checksum), read from the
/// bytes of the segment from `base` on; `None` when its length is not in them.
pub fn chunk_end(part: &[u8], offset: u32, base: u32) -> Option<u64> {
    let at = (offset as usize).checked_sub(base as usize)?;
    let mut d = Dec::new(part.get(at..)?);
    let len = d.uvarint()?;
    Some(u64::from(offset) + d.pos() as u64 + 1 + len + 4)
}

/// Decodes a head chunk file (`chunks_head/000001`: chunks with their series ref and time
/// range, no index), calling `chunk(series_ref, encoding, data)` for each, in file order.
/// Returns the chunks read and the damage found: (byte offset, message). The file ends at
/// its first zero series ref past the last chunk (files are written ahead of their chunks).
pub fn head_chunks(
    file: &[u8],
    mut chunk: impl FnMut(u64, u8, &[u8]),
) -> (u64, Vec<(u64, String)>) {
    let mut problems = Vec::new();
    if file.len() < HEADER_LEN
        || u32::from_be_bytes([file[0], file[1], file[2], file[3]]) != super::HEAD_CHUNKS_MAGIC
    {
        problems.push((0, "not a head chunk file (magic number)".into()));
        return (0, problems);
    }
    let mut pos = HEADER_LEN;
    let mut n = 0;
    // series ref, mint, maxt, encoding, then the length.
    const META: usize = 8 + 8 + 8 + 1;
    while pos + META < file.len() {
        let head = &file[pos..pos + META];
        if head.iter().all(|&b| b == 0) {
            break;
        }
        let series = u64::from_be_bytes(head[..8].try_into().unwrap_or_default());
        // The top bit marks an out-of-order chunk; the encoding is the rest.
        let encoding = head[24] & 0x7f;
        let mut d = Dec::new(&file[pos + META..]);
        let Some(len) = d.uvarint() else {
            problems.push((
                pos as u64,
                "a head chunk's length is cut; the rest of the file is lost".into(),
            ));
            break;
        };
        let data_start = pos + META + d.pos();
        let Some(end) = usize::try_from(len)
            .ok()
            .and_then(|l| data_start.checked_add(l))
            .filter(|&e| e + 4 <= file.len())
        else {
            problems.push((
                pos as u64,
                format!("a head chunk of {len} bytes runs past the file's end; the rest of the file is lost"),
            ));
            break;
        };
        let want = u32::from_be_bytes(file[end..end + 4].try_into().unwrap_or_default());
        if crc32c(&file[pos..end]) != want {
            problems.push((
                pos as u64,
                "a head chunk fails its checksum; the rest of the file is lost".into(),
            ));
            break;
        }
        chunk(series, encoding, &file[data_start..end]);
        n += 1;
        pos = end + 4;
    }
    (n, problems)
}

/// Checks a segment's header.
pub fn check_header(seg: &[u8]) -> Result<(), String> {
    if seg.len() < HEADER_LEN {
        return Err(format!(
            "{} bytes, shorter than a chunk segment's header",
            seg.len()
        ));
    }
    let magic = u32::from_be_bytes([seg[0], seg[1], seg[2], seg[3]]);
    if magic != MAGIC {
        return Err(format!("not a chunk segment (magic {magic:08x})"));
    }
    if seg[4] != 1 {
        return Err(format!(
            "chunk segment format version {} (podsift reads 1)",
            seg[4]
        ));
    }
    Ok(())
}

/// One chunk as stored.
#[derive(Clone, Copy, Debug)]
pub struct RawChunk<'a> {
    /// Its encoding byte.
    pub encoding: u8,
    /// Its data.
    pub data: &'a [u8],
}

/// The chunk at `offset` of segment `seg`, its checksum checked.
pub fn chunk_at(seg: &[u8], offset: u32) -> Result<RawChunk<'_>, String> {
    chunk_in(seg, offset, 0)
}

/// The chunk at `offset` of a segment of which `part` holds the bytes from `base` on.
pub fn chunk_in(part: &[u8], offset: u32, base: u32) -> Result<RawChunk<'_>, String> {
    let off = offset as usize;
    if off < HEADER_LEN || off < base as usize || off - base as usize >= part.len() {
        return Err(format!(
            "the index points at offset {off}, outside the segment's {} bytes",
            base as usize + part.len()
        ));
    }
    let mut d = Dec::new(&part[off - base as usize..]);
    let len = d
        .uvarint()
        .ok_or("the chunk's length is cut or malformed")?;
    let body = usize::try_from(len)
        .ok()
        .and_then(|l| l.checked_add(1))
        .and_then(|l| d.bytes(l))
        .ok_or_else(|| format!("a chunk of {len} bytes runs past the segment's end (cut file?)"))?;
    let want = d.be32().ok_or("the chunk's checksum is cut off")?;
    if crc32c(body) != want {
        return Err("chunk fails its checksum".into());
    }
    Ok(RawChunk {
        encoding: body[0],
        data: &body[1..],
    })
}

/// Decodes an XOR chunk, calling `sample(t, v)` for each sample. Returns the samples the chunk
/// says it holds, and an error when it is cut before them (the samples before the cut were
/// given).
pub fn xor_samples(data: &[u8], mut sample: impl FnMut(i64, f64)) -> Result<u16, String> {
    let n = match data {
        [a, b, ..] => u16::from_be_bytes([*a, *b]),
        _ => return Err("XOR chunk shorter than its sample count".into()),
    };
    let mut b = Bits::new(&data[2..]);
    let cut = |i: u16| format!("XOR chunk cut after {i} of its {n} samples");
    if n == 0 {
        return Ok(0);
    }
    let mut t = b.varint().ok_or_else(|| cut(0))?;
    let mut v = f64::from_bits(b.bits(64).ok_or_else(|| cut(0))?);
    sample(t, v);
    if n == 1 {
        return Ok(1);
    }
    let (mut leading, mut trailing) = (0u8, 0u8);
    let mut delta = b.uvarint().ok_or_else(|| cut(1))?;
    t = t.wrapping_add(delta as i64);
    b.xor_value(&mut v, &mut leading, &mut trailing)
        .ok_or_else(|| cut(1))?;
    sample(t, v);
    for i in 2..n {
        let dod = b.xor_dod().ok_or_else(|| cut(i))?;
        delta = (delta as i64).wrapping_add(dod) as u64;
        t = t.wrapping_add(delta as i64);
        b.xor_value(&mut v, &mut leading, &mut trailing)
            .ok_or_else(|| cut(i))?;
        sample(t, v);
    }
    Ok(n)
}

/// The integer native histogram encoding.
pub const HISTOGRAM: u8 = 2;
/// The float native histogram encoding.
pub const FLOAT_HISTOGRAM: u8 = 3;

/// Decodes a native histogram chunk (`float`: the float histogram encoding), calling
/// `sample(t, histogram)` for each sample. As [`xor_samples`], the samples before a cut are
/// given and the cut is the error.
pub fn histogram_samples(
    data: &[u8],
    float: bool,
    mut sample: impl FnMut(i64, &NativeHistogram),
) -> Result<u16, String> {
    let (n, flags) = match data {
        [a, b, f, ..] => (u16::from_be_bytes([*a, *b]), *f),
        _ => return Err("histogram chunk shorter than its header".into()),
    };
    if n == 0 {
        return Ok(0);
    }
    let header = match flags & 0b1100_0000 {
        0b1000_0000 => CounterReset::Reset,
        0b0100_0000 => CounterReset::NotReset,
        0b1100_0000 => CounterReset::Gauge,
        _ => CounterReset::Unknown,
    };
    let mut b = Bits::new(&data[3..]);
    let cut = |i: u16| format!("histogram chunk cut after {i} of its {n} samples");
    let layout = |b: &mut Bits<'_>| -> Option<NativeHistogram> {
        let zero_threshold = match b.byte()? {
            0 => 0.0,
            255 => f64::from_bits(b.bits(64)?),
            k => 0.5 * 2f64.powi(i32::from(k) - 243),
        };
        let schema = i32::try_from(b.varbit_int()?).ok()?;
        let spans = |b: &mut Bits<'_>| -> Option<Vec<(i32, u32)>> {
            let count = b.varbit_uint()?;
            // Each span takes at least two bits.
            let mut v = Vec::with_capacity((count as usize).min(b.left_bits() / 2));
            for _ in 0..count {
                let length = u32::try_from(b.varbit_uint()?).ok()?;
                let offset = i32::try_from(b.varbit_int()?).ok()?;
                v.push((offset, length));
            }
            Some(v)
        };
        let positive_spans = spans(b)?;
        let negative_spans = spans(b)?;
        let mut custom_values = Vec::new();
        if schema == CUSTOM_BUCKETS_SCHEMA {
            let count = b.varbit_uint()?;
            custom_values.reserve((count as usize).min(b.left_bits()));
            for _ in 0..count {
                custom_values.push(match b.varbit_uint()? {
                    0 => f64::from_bits(b.bits(64)?),
                    k => (k - 1) as f64 / 1000.0,
                });
            }
        }
        Some(NativeHistogram {
            schema,
            zero_threshold,
            positive_spans,
            negative_spans,
            custom_values,
            counter_reset: header,
            float,
            ..NativeHistogram::default()
        })
    };
    let mut h = layout(&mut b).ok_or_else(|| cut(0))?;
    if !(-4..=8).contains(&h.schema) && h.schema != CUSTOM_BUCKETS_SCHEMA {
        return Err(format!("histogram chunk with unknown schema {}", h.schema));
    }
    let buckets = |spans: &[(i32, u32)]| spans.iter().map(|s| s.1 as usize).sum::<usize>();
    let (np, nn) = (buckets(&h.positive_spans), buckets(&h.negative_spans));
    // Each bucket takes at least one bit in the first sample.
    if np + nn > b.left_bits() {
        return Err(cut(0));
    }
    h.positive = vec![0.0; np];
    h.negative = vec![0.0; nn];
    let mut t = b.varbit_int().ok_or_else(|| cut(0))?;
    let (mut t_delta, mut leading, mut trailing) = (0i64, 0u8, 0u8);
    if float {
        let mut next = || b.bits(64).map(f64::from_bits).ok_or_else(|| cut(0));
        h.count = next()?;
        h.zero_count = next()?;
        h.sum = next()?;
        for v in h.positive.iter_mut().chain(h.negative.iter_mut()) {
            *v = next()?;
        }
        if h.counter_reset != CounterReset::Gauge {
            h.counter_reset = CounterReset::Unknown;
        }
        sample(t, &h);
        let mut windows = vec![(0u8, 0u8); 3 + np + nn];
        for i in 1..n {
            t_delta = t_delta.wrapping_add(b.varbit_int().ok_or_else(|| cut(i))?);
            t = t.wrapping_add(t_delta);
            let NativeHistogram {
                count,
                zero_count,
                sum,
                positive,
                negative,
                ..
            } = &mut h;
            for (k, v) in [count, zero_count, sum].into_iter().enumerate() {
                let (l, r) = &mut windows[k];
                b.xor_value(v, l, r).ok_or_else(|| cut(i))?;
            }
            if !is_stale_nan(*sum) {
                for (k, v) in positive.iter_mut().chain(negative.iter_mut()).enumerate() {
                    let (l, r) = &mut windows[3 + k];
                    b.xor_value(v, l, r).ok_or_else(|| cut(i))?;
                }
            }
            if h.counter_reset != CounterReset::Gauge {
                h.counter_reset = CounterReset::NotReset;
            }
            sample(t, &h);
        }
        return Ok(n);
    }
    // Integer histograms: counts as varbit numbers, buckets as deltas to the bucket before,
    // and from the second sample on, each as a delta of deltas over time.
    let mut count = b.varbit_uint().ok_or_else(|| cut(0))? as i64;
    let mut zero = b.varbit_uint().ok_or_else(|| cut(0))? as i64;
    h.sum = f64::from_bits(b.bits(64).ok_or_else(|| cut(0))?);
    let mut deltas = vec![0i64; np + nn];
    let mut delta_deltas = vec![0i64; np + nn];
    for d in deltas.iter_mut() {
        *d = b.varbit_int().ok_or_else(|| cut(0))?;
    }
    let (mut count_delta, mut zero_delta) = (0i64, 0i64);
    let fill = |h: &mut NativeHistogram, deltas: &[i64], count: i64, zero: i64| {
        h.count = count as u64 as f64;
        h.zero_count = zero as u64 as f64;
        let (p, q) = deltas.split_at(np);
        for (out, d) in [(&mut h.positive, p), (&mut h.negative, q)] {
            let mut current = 0i64;
            for (o, d) in out.iter_mut().zip(d) {
                current = current.wrapping_add(*d);
                *o = current as f64;
            }
        }
    };
    fill(&mut h, &deltas, count, zero);
    if h.counter_reset != CounterReset::Gauge {
        h.counter_reset = CounterReset::Unknown;
    }
    sample(t, &h);
    for i in 1..n {
        t_delta = t_delta.wrapping_add(b.varbit_int().ok_or_else(|| cut(i))?);
        t = t.wrapping_add(t_delta);
        count_delta = count_delta.wrapping_add(b.varbit_int().ok_or_else(|| cut(i))?);
        count = count.wrapping_add(count_delta);
        zero_delta = zero_delta.wrapping_add(b.varbit_int().ok_or_else(|| cut(i))?);
        zero = zero.wrapping_add(zero_delta);
        b.xor_value(&mut h.sum, &mut leading, &mut trailing)
            .ok_or_else(|| cut(i))?;
        if !is_stale_nan(h.sum) {
            for (d, dd) in deltas.iter_mut().zip(delta_deltas.iter_mut()) {
                *dd = dd.wrapping_add(b.varbit_int().ok_or_else(|| cut(i))?);
                *d = d.wrapping_add(*dd);
            }
        }
        fill(&mut h, &deltas, count, zero);
        if h.counter_reset != CounterReset::Gauge {
            h.counter_reset = CounterReset::NotReset;
        }
        sample(t, &h);
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes bits most significant first, as the TSDB's `bstream` does.
    #[derive(Default)]
    struct W {
        bytes: Vec<u8>,
        used: u8,
    }

    impl W {
        fn bit(&mut self, b: bool) {
            if self.used == 0 {
                self.bytes.push(0);
            }
            if b {
                *self.bytes.last_mut().unwrap() |= 0x80 >> self.used;
            }
            self.used = (self.used + 1) % 8;
        }
        fn bits(&mut self, v: u64, n: u32) {
            for i in (0..n).rev() {
                self.bit((v >> i) & 1 == 1);
            }
        }
        fn uvarint(&mut self, mut v: u64) {
            while v >= 0x80 {
                self.bits((v as u8 | 0x80) as u64, 8);
                v >>= 7;
            }
            self.bits(v, 8);
        }
    }

    #[test]
    fn xor_chunks_decode_deltas_and_xored_values() {
        // Three samples: (1000, 1.0), (1015, 1.0), (1031, 2.5): the third has a
        // delta of delta of +1 and a changed value with a new window.
        let mut w = W::default();
        w.bits(3, 16);
        w.uvarint(2000); // zig-zag of 1000
        w.bits(1.0f64.to_bits(), 64);
        w.uvarint(15);
        w.bit(false); // value unchanged
        w.bits(0b10, 2); // dod in 14 bits
        w.bits(1, 14);
        let x = 1.0f64.to_bits() ^ 2.5f64.to_bits();
        let (lead, trail) = (x.leading_zeros(), x.trailing_zeros());
        w.bits(0b11, 2);
        w.bits(u64::from(lead), 5);
        let sig = 64 - lead - trail;
        w.bits(u64::from(sig), 6);
        w.bits(x >> trail, sig);
        let mut got = Vec::new();
        assert_eq!(xor_samples(&w.bytes, |t, v| got.push((t, v))), Ok(3));
        assert_eq!(got, vec![(1000, 1.0), (1015, 1.0), (1031, 2.5)]);
        // Cut in the third sample: the first two are kept and the cut is said.
        let mut got = Vec::new();
        let cut = &w.bytes[..w.bytes.len() - 2];
        assert_eq!(
            xor_samples(cut, |t, v| got.push((t, v))),
            Err("XOR chunk cut after 2 of its 3 samples".into())
        );
        assert_eq!(got.len(), 2);
    }

    impl W {
        /// `varbit_int`/`varbit_uint` as the TSDB writes them.
        fn varbit(&mut self, v: i64) {
            let sizes = [3u32, 6, 9, 12, 18, 25, 56];
            if v == 0 {
                self.bit(false);
                return;
            }
            for (k, &sz) in sizes.iter().enumerate() {
                if v >= -((1i64 << (sz - 1)) - 1) && v <= 1i64 << (sz - 1) {
                    self.bits((1 << (k + 1)) - 1, k as u32 + 1);
                    self.bit(false);
                    self.bits(v as u64 & ((1u64 << sz) - 1), sz);
                    return;
                }
            }
            self.bits(0xff, 8);
            self.bits(v as u64, 64);
        }
        fn xor(&mut self, prev: f64, v: f64) {
            let x = prev.to_bits() ^ v.to_bits();
            if x == 0 {
                self.bit(false);
                return;
            }
            let (lead, trail) = (x.leading_zeros().min(31), x.trailing_zeros());
            let sig = 64 - lead - trail;
            self.bits(0b11, 2);
            self.bits(u64::from(lead), 5);
            self.bits(u64::from(sig % 64), 6);
            self.bits(x >> trail, sig);
        }
    }

    #[test]
    fn float_histogram_chunks_decode_as_documented() {
        // Two samples, schema 0, no zero threshold, positive buckets 1 and 2 (one span of
        // two starting at index 1), a gauge histogram chunk.
        let mut w = W::default();
        w.bits(2, 16);
        w.bits(0b1100_0000, 8);
        w.bits(0, 8); // zero threshold 0
        w.varbit(0); // schema
        w.varbit(1); // one positive span
        w.varbit(2); // of length 2
        w.varbit(1); // at index 1
        w.varbit(0); // no negative spans
        w.varbit(1000); // t
        for v in [3.5f64, 0.5, 10.25, 1.0, 2.0] {
            w.bits(v.to_bits(), 64);
        }
        w.varbit(15); // t + 15
        w.xor(3.5, 4.5); // count
        w.xor(0.5, 0.5);
        w.xor(10.25, 12.0); // sum
        w.xor(1.0, 1.0);
        w.xor(2.0, 3.0);
        let mut got = Vec::new();
        assert_eq!(
            histogram_samples(&w.bytes, true, |t, h| got.push((t, h.clone()))),
            Ok(2)
        );
        let want = |count, sum, buckets: Vec<f64>| NativeHistogram {
            schema: 0,
            zero_threshold: 0.0,
            zero_count: 0.5,
            count,
            sum,
            positive_spans: vec![(1, 2)],
            positive: buckets,
            counter_reset: CounterReset::Gauge,
            float: true,
            ..NativeHistogram::default()
        };
        assert_eq!(
            got,
            vec![
                (1000, want(3.5, 10.25, vec![1.0, 2.0])),
                (1015, want(4.5, 12.0, vec![1.0, 3.0])),
            ]
        );
    }

    #[test]
    fn custom_bucket_histograms_read_their_bounds() {
        // One integer sample with schema -53 and bounds 0.25 (as 251 = 0.25 * 1000 + 1) and
        // 1e-9 (not a whole number of thousandths: a float).
        let mut w = W::default();
        w.bits(1, 16);
        w.bits(0, 8);
        w.bits(0, 8);
        w.varbit(-53);
        w.varbit(1);
        w.varbit(2);
        w.varbit(0);
        w.varbit(0);
        w.varbit(2); // two custom bounds
        w.varbit(251);
        w.varbit(0);
        w.bits(1e-9f64.to_bits(), 64);
        w.varbit(7); // t
        w.varbit(5); // count
        w.varbit(0); // zero count
        w.bits(2.5f64.to_bits(), 64);
        w.varbit(2); // bucket 0: 2
        w.varbit(1); // bucket 1: 2 + 1
        let mut got = Vec::new();
        histogram_samples(&w.bytes, false, |t, h| got.push((t, h.clone()))).unwrap();
        assert_eq!(got.len(), 1);
        let (t, h) = &got[0];
        assert_eq!(*t, 7);
        assert_eq!(h.custom_values, vec![0.25, 1e-9]);
        assert_eq!((h.count, h.sum), (5.0, 2.5));
        assert_eq!(h.positive, vec![2.0, 3.0]);
        // A schema that is neither standard nor custom is refused.
        let mut w2 = W::default();
        w2.bits(1, 16);
        w2.bits(0, 8);
        w2.bits(0, 8);
        w2.varbit(9);
        w2.bits(0, 32);
        assert_eq!(
            histogram_samples(&w2.bytes, false, |_, _| {}),
            Err("histogram chunk with unknown schema 9".into())
        );
    }

    #[test]
    fn a_chunk_is_checked_against_its_checksum() {
        let mut seg = vec![0x85, 0xBD, 0x40, 0xDD, 1, 0, 0, 0];
        let body = [XOR, 0, 1, 2, 3];
        seg.push(4);
        seg.extend_from_slice(&body);
        seg.extend_from_slice(&crc32c(&body).to_be_bytes());
        check_header(&seg).unwrap();
        let c = chunk_at(&seg, 8).unwrap();
        assert_eq!((c.encoding, c.data), (XOR, &[0u8, 1, 2, 3][..]));
        seg[10] ^= 1;
        assert_eq!(chunk_at(&seg, 8).unwrap_err(), "chunk fails its checksum");
        assert!(chunk_at(&seg, 3).is_err());
        assert!(chunk_at(&seg[..12], 8).unwrap_err().contains("runs past"));
    }
}
