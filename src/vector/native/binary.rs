//! One-bit codes of the graph's vectors, after `RaBitQ` (Gao & Long,
//! SIGMOD 2024): a thirty-second of the `f32` bytes per visited point,
//! with an unbiased distance estimate and a bound on its error.
//!
//! A row `x` is taken relative to the centroid `c` of the rows:
//! `r = x − c`, `o = r / ‖r‖`. A random rotation `P` (three rounds of
//! random sign flips and a Walsh–Hadamard transform over the dimension
//! padded to a power of two `D`) spreads `o` evenly over the coordinates;
//! the code is the sign of each coordinate of `P o`, i.e. the hypercube
//! vertex `x̄ = sign(P o) / √D` nearest to it. Kept per row right after
//! its bits (one read for both): `‖r‖`, `⟨x̄, P o⟩` and `⟨r, c⟩`.
//!
//! A query `q` becomes `q' = P (q − c) / ‖q − c‖`, quantised to 4 bits a
//! coordinate as four bit planes, so `⟨x̄, q'⟩` is four `AND` + popcount
//! sums (`simd::bit_dot`). Then `⟨o, q̂⟩ ≈ ⟨x̄, q'⟩ / ⟨x̄, P o⟩`, unbiased,
//! with error at most `ε₀ √((1 − ⟨x̄,Po⟩²) / ⟨x̄,Po⟩²) / √(D − 1)` with high
//! probability (ε₀ = 1.9, the paper's). From it:
//! `‖x − q‖² = ‖r‖² + ‖q − c‖² − 2 ‖r‖ ‖q − c‖ ⟨o, q̂⟩`, and
//! `⟨x, q⟩ = ‖r‖ ‖q − c‖ ⟨o, q̂⟩ + ⟨r, c⟩ + ⟨c, q⟩`.
//!
//! The walk orders candidates by the estimates; its candidates are then
//! re-ranked exactly in the order of their lower bounds, stopping at the
//! first whose bound is past the `k`-th exact distance (`search.rs`).

use super::quant::{Reader, write_f32s};
use crate::vector::{Metric, simd};

/// Rows sampled for the centroid.
const SAMPLE: usize = 20_000;

/// The error bound's confidence multiplier (`RaBitQ`'s `ε₀`).
const EPSILON0: f32 = 1.9;

/// Rounds of sign flips and Hadamard transforms in the rotation.
const ROUNDS: usize = 3;

/// The codes of rows `0..len()`.
pub struct BinaryCodes {
    dim: usize,
    /// The dimension padded to a power of two (at least 64).
    padded: usize,
    /// `u64` words a code's bits take.
    words: usize,
    /// `u64` words a row takes: its bits, then its factors (`‖r‖`,
    /// `⟨x̄, P o⟩`, `⟨r, c⟩` as `f32` bits, two words).
    stride: usize,
    centroid: Vec<f32>,
    /// The rotation's random signs, `ROUNDS × padded`.
    signs: Vec<f32>,
    /// The rows, `stride` words each.
    rows: Vec<u64>,
    /// Rows when the centroid was learned.
    trained_rows: usize,
}

impl BinaryCodes {
    /// Learns the centroid from the `n` rows `row(0..n)` and encodes them
    /// (on all cores).
    pub fn train<'a>(dim: usize, n: usize, row: impl Fn(u32) -> &'a [f32] + Sync) -> BinaryCodes {
        let picked = n.clamp(1, SAMPLE);
        let mut centroid = vec![0f64; dim];
        for k in 0..n.min(SAMPLE) {
            for (c, x) in centroid.iter_mut().zip(row((k * n / picked) as u32)) {
                *c += f64::from(*x);
            }
        }
        let padded = dim.next_power_of_two().max(64);
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64 ^ dim as u64;
        let signs = (0..ROUNDS * padded)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                if seed >> 63 == 0 { 1.0 } else { -1.0 }
            })
            .collect();
        let words = padded / 64;
        let mut codes = BinaryCodes {
            dim,
            padded,
            words,
            stride: words + 2,
            centroid: centroid
                .iter()
                .map(|c| (c / picked as f64) as f32)
                .collect(),
            signs,
            rows: vec![0; n * (words + 2)],
            trained_rows: n,
        };
        let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let share = n.div_ceil(threads).max(1);
        let stride = codes.stride;
        let mut rows = std::mem::take(&mut codes.rows);
        std::thread::scope(|scope| {
            for (part, rows) in rows.chunks_mut(share * stride).enumerate() {
                let (row, codes) = (&row, &codes);
                scope.spawn(move || {
                    let mut scratch = vec![0f32; codes.padded];
                    for (k, out) in rows.chunks_exact_mut(stride).enumerate() {
                        codes.encode(row((part * share + k) as u32), out, &mut scratch);
                    }
                });
            }
        });
        codes.rows = rows;
        codes
    }

    /// Rows encoded.
    pub fn len(&self) -> usize {
        self.rows.len() / self.stride
    }

    /// Rows when the centroid was learned.
    pub fn trained_rows(&self) -> usize {
        self.trained_rows
    }

    /// Encodes one more row.
    pub fn push(&mut self, v: &[f32]) {
        let mut out = vec![0u64; self.stride];
        self.encode(v, &mut out, &mut Vec::new());
        self.rows.extend_from_slice(&out);
    }

    /// Row `i`'s bits.
    #[inline]
    pub fn row(&self, i: u32) -> &[u64] {
        let at = i as usize * self.stride;
        &self.rows[at..at + self.words]
    }

    /// Row `i`'s factors: `‖r‖`, `⟨x̄, P o⟩`, `⟨r, c⟩`.
    #[inline]
    fn factors(&self, i: u32) -> [f32; 3] {
        let at = i as usize * self.stride + self.words;
        let (a, b) = (self.rows[at], self.rows[at + 1]);
        [
            f32::from_bits(a as u32),
            f32::from_bits((a >> 32) as u32),
            f32::from_bits(b as u32),
        ]
    }

    /// Starts loading row `i`'s bits and factors.
    #[inline]
    pub fn prefetch(&self, i: u32) {
        let at = i as usize * self.stride;
        let lines = (self.stride * 8).div_ceil(64);
        simd::prefetch_bytes(bytemuck::cast_slice(&self.rows[at..=at]), lines);
    }

    /// Bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.rows.capacity() * 8 + (self.centroid.capacity() + self.signs.capacity()) * 4
    }

    /// `out ← P v` for `v` of `dim` components (`out` has `padded`).
    fn rotate(&self, v: &[f32], out: &mut [f32]) {
        out[..self.dim].copy_from_slice(v);
        out[self.dim..].fill(0.0);
        for signs in self.signs.chunks_exact(self.padded) {
            for (x, s) in out.iter_mut().zip(signs) {
                *x *= s;
            }
            hadamard(out);
        }
        // Each unnormalised transform scales lengths by √D.
        let scale = (self.padded as f32).powf(-1.5);
        for x in out.iter_mut() {
            *x *= scale;
        }
    }

    /// Writes the row of `v` (bits, then factors) into `out`.
    fn encode(&self, v: &[f32], out: &mut [u64], scratch: &mut Vec<f32>) {
        let [norm, ip, r_dot_c] = self.encode_bits(v, &mut out[..self.words], scratch);
        out[self.words] = u64::from(norm.to_bits()) | u64::from(ip.to_bits()) << 32;
        out[self.words + 1] = u64::from(r_dot_c.to_bits());
    }

    /// Writes the bits of `v` into `out`; returns its factors.
    fn encode_bits(&self, v: &[f32], out: &mut [u64], scratch: &mut Vec<f32>) -> [f32; 3] {
        let r: Vec<f32> = v.iter().zip(&self.centroid).map(|(x, c)| x - c).collect();
        let norm = simd::dot(&r, &r).sqrt();
        let r_dot_c = simd::dot(&r, &self.centroid);
        out.fill(0);
        if norm == 0.0 || !norm.is_finite() {
            // The row is the centroid: its estimate is exact whatever
            // the bits, as ‖r‖ = 0.
            return [0.0, 1.0, r_dot_c];
        }
        let unit: Vec<f32> = r.iter().map(|x| x / norm).collect();
        scratch.resize(self.padded, 0.0);
        self.rotate(&unit, scratch);
        let mut absolute = 0f32;
        for (i, x) in scratch.iter().enumerate() {
            if *x > 0.0 {
                out[i / 64] |= 1 << (i % 64);
            }
            absolute += x.abs();
        }
        let ip = (absolute / (self.padded as f32).sqrt()).max(f32::MIN_POSITIVE);
        [norm, ip, r_dot_c]
    }

    /// Writes the padded dimension, centroid, rotation signs and rows
    /// (the dump's layout, after its header: `docs/FORMAT.md`).
    pub fn write_to(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        out.write_all(&(self.padded as u64).to_le_bytes())?;
        write_f32s(out, &self.centroid)?;
        write_f32s(out, &self.signs)?;
        for chunk in self.rows.chunks(1 << 12) {
            let bytes: Vec<u8> = chunk.iter().flat_map(|w| w.to_le_bytes()).collect();
            out.write_all(&bytes)?;
        }
        Ok(())
    }

    /// Reads what [`write_to`](Self::write_to) wrote for `rows` rows of
    /// `dim` components learned at `trained_rows`; `None` when anything
    /// is out of place (length, padding, a sign that is not ±1).
    pub fn read_from(
        bytes: &[u8],
        dim: usize,
        rows: usize,
        trained_rows: usize,
    ) -> Option<BinaryCodes> {
        let mut r = Reader(bytes);
        let padded = usize::try_from(r.u64()?).ok()?;
        if padded != dim.next_power_of_two().max(64) || trained_rows > rows {
            return None;
        }
        let centroid = r.f32s(dim)?;
        let signs = r.f32s(ROUNDS * padded)?;
        if signs.iter().any(|s| s.abs().to_bits() != 1f32.to_bits()) {
            return None;
        }
        let words = padded / 64;
        let body = r.take(rows.checked_mul(words + 2)?.checked_mul(8)?)?;
        if !r.0.is_empty() {
            return None;
        }
        let rows = body
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
            .collect();
        Some(BinaryCodes {
            dim,
            padded,
            words,
            stride: words + 2,
            centroid,
            signs,
            rows,
            trained_rows,
        })
    }

    /// A query (prepared: normalised for cosine) in the codes' terms.
    pub fn query(&self, metric: Metric, q: &[f32]) -> BinaryQuery {
        let r: Vec<f32> = q.iter().zip(&self.centroid).map(|(x, c)| x - c).collect();
        let norm = simd::dot(&r, &r).sqrt();
        let mut rotated = vec![0f32; self.padded];
        if norm > 0.0 && norm.is_finite() {
            let unit: Vec<f32> = r.iter().map(|x| x / norm).collect();
            self.rotate(&unit, &mut rotated);
        }
        let lo = rotated.iter().copied().fold(f32::INFINITY, f32::min);
        let hi = rotated.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let step = if hi > lo { (hi - lo) / 15.0 } else { 1.0 };
        // x ≥ lo: adding ½ and truncating rounds (and vectorises, where
        // `round` is a library call).
        let levels: Vec<u64> = rotated
            .iter()
            .map(|x| (((x - lo) / step + 0.5) as u64).min(15))
            .collect();
        let mut planes = vec![0u64; 4 * self.words];
        for (j, plane) in planes.chunks_exact_mut(self.words).enumerate() {
            for (word, levels) in plane.iter_mut().zip(levels.chunks_exact(64)) {
                *word = levels
                    .iter()
                    .enumerate()
                    .fold(0, |w, (b, level)| w | (level >> j & 1) << b);
            }
        }
        let root = (self.padded as f32).sqrt();
        BinaryQuery {
            planes,
            step,
            lo,
            sum: rotated.iter().sum(),
            root,
            spread: EPSILON0 / ((self.padded - 1) as f32).sqrt(),
            norm,
            c_dot_q: simd::dot(&self.centroid, q),
            l2: metric == Metric::L2,
        }
    }
}

/// The unnormalised Walsh–Hadamard transform, in place (`x.len()` a
/// power of two).
#[allow(
    clippy::many_single_char_names,
    reason = "the butterflies' eight lanes"
)]
fn hadamard(x: &mut [f32]) {
    // The first three stages within each group of eight, in registers.
    for g in x.chunks_exact_mut(8) {
        let [a, b, c, d, e, f, h, i] = [g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7]];
        let (a, b, c, d, e, f, h, i) = (a + b, a - b, c + d, c - d, e + f, e - f, h + i, h - i);
        let (a, b, c, d, e, f, h, i) = (a + c, b + d, a - c, b - d, e + h, f + i, e - h, f - i);
        g.copy_from_slice(&[a + e, b + f, c + h, d + i, a - e, b - f, c - h, d - i]);
    }
    let n = x.len();
    let mut h = 8;
    while h < n {
        for block in x.chunks_exact_mut(2 * h) {
            let (a, b) = block.split_at_mut(h);
            for (a, b) in a.iter_mut().zip(b) {
                (*a, *b) = (*a + *b, *a - *b);
            }
        }
        h *= 2;
    }
}

/// A query against [`BinaryCodes`].
pub struct BinaryQuery {
    /// The 4-bit query, bit plane by bit plane.
    planes: Vec<u64>,
    step: f32,
    lo: f32,
    /// `Σ q'_i`.
    sum: f32,
    /// `√D`.
    root: f32,
    /// `ε₀ / √(D − 1)`.
    spread: f32,
    /// `‖q − c‖`.
    norm: f32,
    c_dot_q: f32,
    l2: bool,
}

impl BinaryQuery {
    /// The estimated distance to row `i`, in the metric's units, and the
    /// half-width of its error bound.
    #[inline]
    pub fn estimate(&self, codes: &BinaryCodes, i: u32) -> (f32, f32) {
        let (weighted, ones) = simd::bit_dot(codes.row(i), &self.planes);
        // Σ over the row's set bits of q'_i, then ⟨x̄, q'⟩.
        let chosen = self.step * weighted as f32 + self.lo * ones as f32;
        let ip = (2.0 * chosen - self.sum) / self.root;
        let [norm, ip_xo, r_dot_c] = codes.factors(i);
        let cosine = ip / ip_xo;
        let width = self.spread * ((1.0 - ip_xo * ip_xo).max(0.0) / (ip_xo * ip_xo)).sqrt();
        let scale = norm * self.norm;
        if self.l2 {
            (
                norm * norm + self.norm * self.norm - 2.0 * scale * cosine,
                2.0 * scale * width,
            )
        } else {
            (-(scale * cosine + r_dot_c + self.c_dot_q), scale * width)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(n: usize, dim: usize, seed: u64) -> Vec<Vec<f32>> {
        let mut s = seed;
        let mut rand = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        };
        (0..n)
            .map(|_| {
                (0..dim)
                    .map(|d| rand() * (1.0 + d as f32 / 20.0) + 0.3)
                    .collect()
            })
            .collect()
    }

    #[test]
    fn the_rotation_keeps_lengths_and_angles() {
        let data = rows(3, 100, 3);
        let codes = BinaryCodes::train(100, 3, |i| &data[i as usize]);
        assert_eq!(codes.padded, 128);
        let (mut a, mut b) = (vec![0f32; 128], vec![0f32; 128]);
        codes.rotate(&data[0], &mut a);
        codes.rotate(&data[1], &mut b);
        let close = |x: f32, y: f32| (x - y).abs() <= 1e-3 * y.abs().max(1.0);
        assert!(close(simd::dot(&a, &a), simd::dot(&data[0], &data[0])));
        assert!(close(simd::dot(&a, &b), simd::dot(&data[0], &data[1])));
    }

    /// The bounds hold for nearly every row and the errors are of the
    /// size the theory gives, for every metric's form, on a dimension
    /// that is padded.
    #[test]
    fn estimates_stay_within_their_bounds() {
        let dim = 200;
        let data = rows(2_000, dim, 11);
        let codes = BinaryCodes::train(dim, data.len(), |i| &data[i as usize]);
        assert_eq!((codes.len(), codes.words), (2_000, 4));
        let queries = rows(5, dim, 99);
        for metric in [Metric::Dot, Metric::L2] {
            let (mut outside, mut total, mut error, mut scale) = (0, 0, 0f64, 0f64);
            for q in &queries {
                let bq = codes.query(metric, q);
                for (i, x) in data.iter().enumerate() {
                    let exact = metric.distance(q, x);
                    let (est, width) = bq.estimate(&codes, i as u32);
                    total += 1;
                    if (est - exact).abs() > width {
                        outside += 1;
                    }
                    error += f64::from((est - exact).abs());
                    scale += f64::from(width);
                }
            }
            // ε₀ = 1.9 is about a 94 % two-sided normal bound; the 4-bit
            // query adds a little.
            assert!(
                outside * 100 < total * 10,
                "{metric:?}: {outside} of {total} outside"
            );
            // |error| averages about 0.8 σ, the bound is 1.9 σ.
            assert!(
                error < 0.55 * scale,
                "{metric:?}: mean |error| {} vs mean bound {}",
                error / f64::from(total),
                scale / f64::from(total)
            );
        }
        // A pushed row encodes as a trained one does; the centroid itself
        // is estimated exactly.
        let mut grown = BinaryCodes::train(dim, 1_000, |i| &data[i as usize]);
        grown.push(&data[1_500]);
        let mut alone = vec![0u64; 6];
        grown.encode(&data[1_500], &mut alone, &mut Vec::new());
        assert_eq!(grown.row(1_000), &alone[..4]);
        assert_eq!(&grown.rows[6 * 1_000..6 * 1_001], &alone[..]);
        let centre = grown.centroid.clone();
        grown.push(&centre);
        let q = &queries[0];
        let (est, width) = grown.query(Metric::Dot, q).estimate(&grown, 1_001);
        assert!((est + simd::dot(q, &centre)).abs() < 1e-3 && width == 0.0);
    }
}
