//! Finding the first of a few bytes, eight bytes at a time in a register (SWAR).
//!
//! Tokens in log lines (keys, levels, short values) are shorter than the point where a SIMD
//! memchr call pays for itself; these loops handle the first few words inline and hand longer
//! runs to memchr.

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// High bit set in each byte of `v` that is zero (exact for the lowest such byte).
#[inline(always)]
fn zero_bytes(v: u64) -> u64 {
    v.wrapping_sub(LO) & !v & HI
}

#[inline(always)]
fn word(b: &[u8], i: usize) -> u64 {
    u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"))
}

/// The first byte of `b` equal to one of `needles`.
#[inline(always)]
pub(crate) fn find_any<const N: usize>(b: &[u8], needles: [u8; N]) -> Option<usize> {
    let mut i = 0;
    while i + 8 <= b.len() {
        let w = word(b, i);
        let mut hits = 0;
        for n in needles {
            hits |= zero_bytes(w ^ (LO * u64::from(n)));
        }
        if hits != 0 {
            return Some(i + (hits.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b[i..]
        .iter()
        .position(|c| needles.contains(c))
        .map(|p| i + p)
}

/// The length of the run of ASCII digits at the start of `b`.
#[inline(always)]
pub(crate) fn digit_run(b: &[u8]) -> usize {
    let mut i = 0;
    while i + 8 <= b.len() {
        // Each byte minus b'0' is below 10 for digits; adding 0x76 then sets its high bit when
        // it is not (a carry only reaches later bytes, past the first non-digit).
        let v = word(b, i) ^ (LO * u64::from(b'0'));
        let non_digits = (v.wrapping_add(LO * 0x76) | v) & HI;
        if non_digits != 0 {
            return i + (non_digits.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + b[i..].iter().take_while(|c| c.is_ascii_digit()).count()
}

/// The first `a` or `b` in `hay`: inline for 32 bytes, then memchr.
#[inline(always)]
pub(crate) fn find2(hay: &[u8], a: u8, b: u8) -> Option<usize> {
    let head = hay.len().min(32);
    if let Some(p) = find_any(&hay[..head], [a, b]) {
        return Some(p);
    }
    memchr::memchr2(a, b, &hay[head..]).map(|p| head + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digit_runs() {
        for len in 0..30 {
            for stop in [b'.', b'a', b' ', b'/', b':', 0x80, 0xff, 0x39 + 1] {
                let mut v = vec![b'7'; len];
                v.push(stop);
                v.extend_from_slice(b"123");
                assert_eq!(digit_run(&v), len, "len {len} stop {stop}");
            }
            assert_eq!(digit_run(&vec![b'0'; len]), len);
        }
    }

    #[test]
    fn finds_the_first_needle_at_every_position() {
        for len in 0..80 {
            let plain = vec![b'a'; len];
            assert_eq!(find2(&plain, b'"', b'\\'), None);
            assert_eq!(find_any(&plain, [b' ', b'=', b'"']), None);
            for at in 0..len {
                for c in [b'"', b'\\'] {
                    let mut v = plain.clone();
                    v[at] = c;
                    if at + 3 < len {
                        v[at + 3] = b'"';
                    }
                    assert_eq!(find2(&v, b'"', b'\\'), Some(at), "len {len} at {at}");
                    assert_eq!(find_any(&v, [b'\\', b'"']), Some(at));
                }
            }
        }
        // Bytes with the high bit set are not mistaken for needles.
        assert_eq!(
            find2(
                &[0xa2, 0xdc, 0x22, 0xff, 0xfe, 0xa2, 0xa2, 0xa2, 0x22],
                b'"',
                b'\\'
            ),
            Some(2)
        );
        assert_eq!(find_any(&[0xa0; 9], [0x20]), None);
    }
}
