//! BM25, as Lucene and tantivy compute it.
//!
//! For a term `t` in field `f` of document `d`:
//!
//! ```text
//! score = boost · idf(t) · (k1 + 1) · tf / (tf + k1 · (1 − b + b · len(d, f) / avg_len(f)))
//! idf(t) = ln(1 + (N − df(t) + 0.5) / (df(t) + 0.5))
//! ```
//!
//! with k1 = 1.2, b = 0.75, `N` the documents in the index, `df(t)` those
//! whose field `f` holds `t`, `avg_len(f)` the field's tokens over `N`,
//! and `len(d, f)` the field's token count quantised to one byte on
//! Lucene's log scale ([`norm_id`]), as both engines store it. A query's
//! score is the sum of its matching clauses' scores, each field scored
//! apart. Arithmetic is `f32`, as in tantivy, whose scores these equal.

/// The term-frequency saturation.
pub const K1: f32 = 1.2;
/// The length normalisation.
pub const B: f32 = 0.75;

/// Lengths below this are kept exactly.
const EXACT: u32 = 24;

/// The field length a norm byte stands for (Lucene's `SmallFloat.byte4ToInt`).
#[must_use]
pub fn norm_length(id: u8) -> u32 {
    if u32::from(id) < EXACT {
        return u32::from(id);
    }
    let b = id - EXACT as u8;
    let bits = u32::from(b & 0b111);
    let shift = b >> 3;
    let exp = if shift == 0 {
        bits
    } else {
        (bits | 8) << (shift - 1)
    };
    EXACT + exp
}

/// The norm byte of a field `length` tokens long: the largest byte whose
/// length is at most `length`.
#[must_use]
pub fn norm_id(length: u32) -> u8 {
    let (mut lo, mut hi) = (0u16, 255u16);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if norm_length(mid as u8) <= length {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    lo as u8
}

/// `ln(1 + (N − df + 0.5) / (df + 0.5))`.
#[must_use]
pub fn idf(df: u64, docs: u64) -> f32 {
    let x = (docs.saturating_sub(df) as f32 + 0.5) / (df as f32 + 0.5);
    (1.0 + x).ln()
}

/// One weighted term (or phrase) over one field: the scores of its
/// matches by frequency and norm.
#[derive(Clone, Debug)]
pub(crate) struct Weight {
    /// `boost · idf · (k1 + 1)`.
    weight: f32,
    /// `k1 · (1 − b + b · norm_length(id) / avg)` per norm byte.
    norms: Box<[f32; 256]>,
}

impl Weight {
    pub(crate) fn new(idf: f32, boost: f32, avg_length: f32) -> Weight {
        let mut norms = Box::new([0f32; 256]);
        for (id, n) in norms.iter_mut().enumerate() {
            *n = K1 * (1.0 - B + B * norm_length(id as u8) as f32 / avg_length);
        }
        Weight {
            weight: boost * idf * (1.0 + K1),
            norms,
        }
    }

    pub(crate) fn score(&self, tf: u32, norm: u8) -> f32 {
        let tf = tf as f32;
        self.weight * (tf / (tf + self.norms[norm as usize]))
    }

    /// The greatest score of a document with frequency at most `max_tf`
    /// and norm at least `min_norm`.
    pub(crate) fn bound(&self, max_tf: u32, min_norm: u8) -> f32 {
        self.score(max_tf, min_norm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_norm_scale_is_lucenes() {
        // Exact up to 40, then a log scale; every byte round-trips.
        for len in 0..=40 {
            assert_eq!(u32::from(norm_id(len)), len);
        }
        assert_eq!((norm_id(41), norm_id(42)), (40, 41));
        assert_eq!(norm_length(255), 2_013_265_944);
        assert_eq!(norm_id(u32::MAX), 255);
        for id in 1..=255u8 {
            let len = norm_length(id);
            assert!(len > norm_length(id - 1));
            assert_eq!(norm_id(len), id);
            assert_eq!(norm_id(len - 1), id - 1);
        }
    }

    #[test]
    fn bm25_matches_the_formula() {
        // N = 10, df = 2: idf = ln(1 + 8.5 / 2.5).
        let idf = idf(2, 10);
        assert!((idf - (1.0f32 + 8.5 / 2.5).ln()).abs() < 1e-6);
        let w = Weight::new(idf, 1.0, 5.0);
        let expected = idf * 2.2 * 3.0 / (3.0 + 1.2 * (0.25 + 0.75 * 10.0 / 5.0));
        assert!((w.score(3, norm_id(10)) - expected).abs() < 1e-5);
        assert!(w.bound(3, norm_id(4)) > w.score(3, norm_id(10)));
    }
}
