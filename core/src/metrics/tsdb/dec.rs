//! The TSDB's building blocks: CRC32-Castagnoli, a bounds-checked byte decoder (big-endian
//! integers and Go's varints) and the bit reader chunks are written with.
//!
//! Every read checks its bounds and returns `None` past the end: the bytes come from files
//! nobody checked.

/// CRC32 with the Castagnoli polynomial, as the TSDB checksums its sections, chunks and
/// records (slicing by 8).
pub(crate) fn crc32c(bytes: &[u8]) -> u32 {
    static TABLES: std::sync::OnceLock<[[u32; 256]; 8]> = std::sync::OnceLock::new();
    let t = TABLES.get_or_init(|| {
        let mut t = [[0u32; 256]; 8];
        for i in 0..256u32 {
            let mut c = i;
            for _ in 0..8 {
                c = if c & 1 == 1 {
                    (c >> 1) ^ 0x82F6_3B78
                } else {
                    c >> 1
                };
            }
            t[0][i as usize] = c;
        }
        for i in 0..256 {
            for k in 1..8 {
                let prev = t[k - 1][i];
                t[k][i] = (prev >> 8) ^ t[0][(prev & 0xff) as usize];
            }
        }
        t
    });
    let mut crc = !0u32;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let lo = u32::from_le_bytes([c[0], c[1], c[2], c[3]]) ^ crc;
        let hi = u32::from_le_bytes([c[4], c[5], c[6], c[7]]);
        crc = t[7][(lo & 0xff) as usize]
            ^ t[6][((lo >> 8) & 0xff) as usize]
            ^ t[5][((lo >> 16) & 0xff) as usize]
            ^ t[4][(lo >> 24) as usize]
            ^ t[3][(hi & 0xff) as usize]
            ^ t[2][((hi >> 8) & 0xff) as usize]
            ^ t[1][((hi >> 16) & 0xff) as usize]
            ^ t[0][(hi >> 24) as usize];
    }
    for &b in chunks.remainder() {
        crc = (crc >> 8) ^ t[0][((crc ^ u32::from(b)) & 0xff) as usize];
    }
    !crc
}

/// Reads bytes front to back.
#[derive(Clone, Debug)]
pub(crate) struct Dec<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Dec<'a> {
    pub(crate) fn new(b: &'a [u8]) -> Self {
        Dec { b, pos: 0 }
    }

    /// Bytes read so far.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Bytes left.
    pub(crate) fn left(&self) -> usize {
        self.b.len() - self.pos
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.b.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }

    pub(crate) fn byte(&mut self) -> Option<u8> {
        let v = *self.b.get(self.pos)?;
        self.pos += 1;
        Some(v)
    }

    pub(crate) fn be32(&mut self) -> Option<u32> {
        self.bytes(4)
            .map(|s| u32::from_be_bytes(s.try_into().unwrap_or_default()))
    }

    pub(crate) fn be64(&mut self) -> Option<u64> {
        self.bytes(8)
            .map(|s| u64::from_be_bytes(s.try_into().unwrap_or_default()))
    }

    /// Go's `binary.Uvarint`: at most 10 bytes, no overflow.
    pub(crate) fn uvarint(&mut self) -> Option<u64> {
        uvarint_of(|| self.byte())
    }

    /// Go's `binary.Varint` (zig-zag).
    pub(crate) fn varint(&mut self) -> Option<i64> {
        self.uvarint().map(unzigzag)
    }

    /// A `uvarint` length and that many bytes.
    pub(crate) fn uvarint_bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.uvarint()?;
        self.bytes(usize::try_from(n).ok()?)
    }
}

/// Go's unsigned varint from the bytes `next` gives: at most 10 bytes, no overflow.
fn uvarint_of(mut next: impl FnMut() -> Option<u8>) -> Option<u64> {
    let mut x = 0u64;
    for i in 0..10 {
        let b = next()?;
        if i == 9 && b > 1 {
            return None;
        }
        x |= u64::from(b & 0x7f) << (7 * i);
        if b < 0x80 {
            return Some(x);
        }
    }
    None
}

fn unzigzag(u: u64) -> i64 {
    ((u >> 1) as i64) ^ -((u & 1) as i64)
}

/// Reads bits, most significant first, as the TSDB's `bstream` writes them.
#[derive(Clone, Debug)]
pub(crate) struct Bits<'a> {
    b: &'a [u8],
    /// Position in bits.
    pos: usize,
}

impl<'a> Bits<'a> {
    pub(crate) fn new(b: &'a [u8]) -> Self {
        Bits { b, pos: 0 }
    }

    /// Bits left.
    pub(crate) fn left_bits(&self) -> usize {
        (self.b.len() * 8).saturating_sub(self.pos)
    }

    pub(crate) fn bit(&mut self) -> Option<bool> {
        let byte = *self.b.get(self.pos >> 3)?;
        let v = (byte >> (7 - (self.pos & 7))) & 1 == 1;
        self.pos += 1;
        Some(v)
    }

    /// `n` (at most 64) bits as a number.
    pub(crate) fn bits(&mut self, n: u32) -> Option<u64> {
        debug_assert!(n <= 64);
        if n == 0 {
            return Some(0);
        }
        let end = self.pos + n as usize;
        if end > self.b.len() * 8 {
            return None;
        }
        let first = self.pos >> 3;
        let shift = (self.pos & 7) as u32;
        let word = match self.b.get(first..first + 16) {
            Some(s) => u128::from_be_bytes(s.try_into().unwrap_or_default()),
            None => {
                let mut w = [0u8; 16];
                let s = &self.b[first..];
                w[..s.len()].copy_from_slice(s);
                u128::from_be_bytes(w)
            }
        };
        self.pos = end;
        Some(((word << shift) >> (128 - n)) as u64)
    }

    pub(crate) fn byte(&mut self) -> Option<u8> {
        self.bits(8).map(|b| b as u8)
    }

    /// Go's `binary.ReadUvarint` over the bit stream's bytes.
    pub(crate) fn uvarint(&mut self) -> Option<u64> {
        uvarint_of(|| self.byte())
    }

    pub(crate) fn varint(&mut self) -> Option<i64> {
        self.uvarint().map(unzigzag)
    }

    /// The prefix of ones (at most `max`) before a zero, as a count.
    fn ones(&mut self, max: u32) -> Option<u32> {
        let mut n = 0;
        while n < max {
            if !self.bit()? {
                break;
            }
            n += 1;
        }
        Some(n)
    }

    /// A timestamp's delta of deltas in an XOR chunk (`varbit_ts`: 0, or 14, 17, 20 or 64
    /// bits after a prefix of ones).
    pub(crate) fn xor_dod(&mut self) -> Option<i64> {
        let sz = match self.ones(4)? {
            0 => return Some(0),
            1 => 14,
            2 => 17,
            3 => 20,
            _ => return self.bits(64).map(|b| b as i64),
        };
        Some(signed(self.bits(sz)?, sz))
    }

    /// `varbit_int` (histogram chunks): 0, or 3, 6, 9, 12, 18, 25, 56 or 64 bits.
    pub(crate) fn varbit_int(&mut self) -> Option<i64> {
        let sz = match self.ones(8)? {
            0 => return Some(0),
            8 => return self.bits(64).map(|b| b as i64),
            k => VARBIT_SIZES[k as usize - 1],
        };
        Some(signed(self.bits(sz)?, sz))
    }

    /// `varbit_uint` (histogram chunks): the same sizes, unsigned.
    pub(crate) fn varbit_uint(&mut self) -> Option<u64> {
        match self.ones(8)? {
            0 => Some(0),
            8 => self.bits(64),
            k => self.bits(VARBIT_SIZES[k as usize - 1]),
        }
    }

    /// A value XORed with the one before, with the leading and trailing zero counts it
    /// shares (`varbit_xor`).
    pub(crate) fn xor_value(
        &mut self,
        value: &mut f64,
        leading: &mut u8,
        trailing: &mut u8,
    ) -> Option<()> {
        if !self.bit()? {
            return Some(());
        }
        let (lead, mbits) = if !self.bit()? {
            (
                *leading,
                64u32.checked_sub(u32::from(*leading) + u32::from(*trailing))?,
            )
        } else {
            let lead = self.bits(5)? as u8;
            let mut mbits = self.bits(6)? as u32;
            // 0 significant bits means 64.
            if mbits == 0 {
                mbits = 64;
            }
            let trail = 64u32.checked_sub(u32::from(lead) + mbits)?;
            *leading = lead;
            *trailing = trail as u8;
            (lead, mbits)
        };
        let _ = lead;
        let bits = self.bits(mbits)?;
        let trail = *trailing;
        let shifted = bits.checked_shl(u32::from(trail)).unwrap_or(0);
        *value = f64::from_bits(value.to_bits() ^ shifted);
        Some(())
    }
}

const VARBIT_SIZES: [u32; 7] = [3, 6, 9, 12, 18, 25, 56];

/// `bits` of width `sz` read as the TSDB reads them: values above half the range are negative.
fn signed(bits: u64, sz: u32) -> i64 {
    if bits > (1u64 << (sz - 1)) {
        (bits as i64) - (1i64 << sz)
    } else {
        bits as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_matches_the_published_check_value() {
        // The CRC-32C check value of "123456789".
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
        assert_eq!(crc32c(b""), 0);
        let long: Vec<u8> = (0..1000u32).map(|i| (i * 7) as u8).collect();
        let mut bytewise = !0u32;
        for &b in &long {
            bytewise ^= u32::from(b);
            for _ in 0..8 {
                bytewise = if bytewise & 1 == 1 {
                    (bytewise >> 1) ^ 0x82F6_3B78
                } else {
                    bytewise >> 1
                };
            }
        }
        assert_eq!(crc32c(&long), !bytewise);
    }

    #[test]
    fn varints_read_as_go_writes_them() {
        let mut d = Dec::new(&[0x96, 0x01, 0x03, 0x01]);
        assert_eq!(d.uvarint(), Some(150));
        assert_eq!(d.varint(), Some(-2));
        assert_eq!(d.varint(), Some(-1));
        assert_eq!(d.uvarint(), None);
        // Eleven continuation bytes overflow.
        assert_eq!(Dec::new(&[0xff; 11]).uvarint(), None);
    }

    #[test]
    fn bits_cross_byte_boundaries() {
        let mut b = Bits::new(&[0b1011_0011, 0b0101_0101, 0xff]);
        assert_eq!(b.bit(), Some(true));
        assert_eq!(b.bits(3), Some(0b011));
        assert_eq!(b.bits(8), Some(0b0011_0101));
        assert_eq!(b.bits(12), Some(0b0101_1111_1111));
        assert_eq!(b.bit(), None);
    }
}
