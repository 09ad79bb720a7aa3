//! One-bit codes of the graph's vectors, after `RaBitQ` (Gao & Long,
//! SIGMOD 2024): a thirty-second of the `f32` bytes per visited point,
//! with an unbiased distance estimate and a bound on its error.
//!
//! The rows are grouped around about `√n` centroids (k-means on a
//! sample, as `RaBitQ`'s IVF lists: a row far from one global centroid
//! would have a residual too long for its bits to tell its neighbours
//! apart). A row `x` is taken relative to its nearest centroid `c`:
//! `r = x − c`, `o = r / ‖r‖`. A random rotation `P` (three rounds of
//! random sign flips and a Walsh–Hadamard transform over the dimension
//! padded to a power of two `D`) spreads `o` evenly over the coordinates;
//! the code is the sign of each coordinate of `P o`, i.e. the hypercube
//! vertex `x̄ = sign(P o) / √D` nearest to it. Kept per row right after
//! its bits (one read for all): `‖r‖`, `⟨x̄, P o⟩`, `⟨r, c⟩`, the
//! centroid's number and `⟨x̄, P c⟩`.
//!
//! A query `q` is rotated once, `P q`, and quantised to 4 bits a
//! coordinate as four bit planes, so `⟨x̄, P q⟩` is four `AND` + popcount
//! sums (`simd::bit_dot`); then `⟨x̄, q'⟩` for `q' = P (q − c) / ‖q − c‖`
//! is `(⟨x̄, P q⟩ − ⟨x̄, P c⟩) / ‖q − c‖`, with `‖q − c‖` and `⟨c, q⟩` made
//! per centroid the first time the walk meets one of its rows. Then
//! `⟨o, q̂⟩ ≈ ⟨x̄, q'⟩ / ⟨x̄, P o⟩`, unbiased, with error at most
//! `ε₀ √((1 − ⟨x̄,Po⟩²) / ⟨x̄,Po⟩²) / √(D − 1)` with high probability
//! (ε₀ = 1.9, the paper's). From it:
//! `‖x − q‖² = ‖r‖² + ‖q − c‖² − 2 ‖r‖ ‖q − c‖ ⟨o, q̂⟩`, and
//! `⟨x, q⟩ = ‖r‖ ‖q − c‖ ⟨o, q̂⟩ + ⟨r, c⟩ + ⟨c, q⟩`.
//!
//! The walk orders candidates by the estimates; its candidates are then
//! re-ranked exactly in the order of their lower bounds, stopping at the
//! first whose bound is past the `k`-th exact distance (`search.rs`).

use std::cell::Cell;

use super::quant::{Reader, write_f32s};
use crate::parallel;
use crate::rng::Rng;
use crate::vector::{Metric, simd};

/// Rows sampled per centroid to learn the centroids (at most
/// `SAMPLE_PER_CENTROID × centroids` rows).
const SAMPLE_PER_CENTROID: usize = 32;

/// Centroids at most.
const MAX_CENTROIDS: usize = 1_024;

/// k-means rounds.
const KMEANS_ROUNDS: usize = 5;

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
    /// `u64` words a row takes: its bits, then its factors (`‖r‖` and
    /// `⟨x̄, P o⟩` as `f32` bits in one word, `⟨r, c⟩` and the centroid's
    /// number in the next, `⟨x̄, P c⟩` in the last).
    stride: usize,
    /// The centroids, `dim` each.
    centroids: Vec<f32>,
    /// The rotated centroids `P c`, `padded` each.
    rotated: Vec<f32>,
    /// `‖c‖²` of each centroid.
    norms: Vec<f32>,
    /// The rotation's random signs, `ROUNDS × padded`.
    signs: Vec<f32>,
    /// The rows, `stride` words each.
    rows: Vec<u64>,
    /// Rows when the centroids were learned.
    trained_rows: usize,
}

impl BinaryCodes {
    /// Learns the centroids from the `n` rows `row(0..n)` and encodes them
    /// (on all cores).
    pub fn train<'a>(dim: usize, n: usize, row: impl Fn(u32) -> &'a [f32] + Sync) -> BinaryCodes {
        let padded = dim.next_power_of_two().max(64);
        let mut rng = Rng::new(0x9e37_79b9_7f4a_7c15_u64 ^ dim as u64);
        let signs = (0..ROUNDS * padded)
            .map(|_| if rng.next_u64() >> 63 == 0 { 1.0 } else { -1.0 })
            .collect();
        let words = padded / 64;
        let mut codes = BinaryCodes {
            dim,
            padded,
            words,
            stride: words + 3,
            centroids: kmeans(dim, n, &row),
            rotated: Vec::new(),
            norms: Vec::new(),
            signs,
            rows: Vec::new(),
            trained_rows: n,
        };
        codes.rotate_centroids();
        let mut rows = vec![0; n * codes.stride];
        parallel::rows(&mut rows, codes.stride, |i, out| {
            codes.encode(row(i as u32), out);
        });
        codes.rows = rows;
        codes
    }

    /// Fills `rotated` and `norms` from `centroids`.
    fn rotate_centroids(&mut self) {
        self.norms = self
            .centroids
            .chunks_exact(self.dim)
            .map(|c| simd::dot(c, c))
            .collect();
        let mut rotated = vec![0f32; self.centroids.len() / self.dim * self.padded];
        for (c, out) in self
            .centroids
            .chunks_exact(self.dim)
            .zip(rotated.chunks_exact_mut(self.padded))
        {
            self.rotate(c, out);
        }
        self.rotated = rotated;
    }

    /// Centroids.
    fn centres(&self) -> usize {
        self.centroids.len() / self.dim
    }

    /// Centroid `j`.
    fn centroid(&self, j: usize) -> &[f32] {
        &self.centroids[j * self.dim..(j + 1) * self.dim]
    }

    /// The number of the centroid nearest to `v`.
    fn nearest(&self, v: &[f32]) -> usize {
        nearest(&self.centroids, self.dim, v)
    }

    /// Rows encoded.
    pub fn len(&self) -> usize {
        self.rows.len() / self.stride
    }

    /// Rows when the centroids were learned.
    pub fn trained_rows(&self) -> usize {
        self.trained_rows
    }

    /// Encodes one more row.
    pub fn push(&mut self, v: &[f32]) {
        let mut out = vec![0u64; self.stride];
        self.encode(v, &mut out);
        self.rows.extend_from_slice(&out);
    }

    /// Row `i`'s bits.
    #[inline]
    pub fn row(&self, i: u32) -> &[u64] {
        let at = i as usize * self.stride;
        &self.rows[at..at + self.words]
    }

    /// Row `i`'s factors (`‖r‖`, `⟨x̄, P o⟩`, `⟨r, c⟩`, `⟨x̄, P c⟩`) and
    /// centroid.
    #[inline]
    fn factors(&self, i: u32) -> ([f32; 4], usize) {
        let at = i as usize * self.stride + self.words;
        let (a, b, c) = (self.rows[at], self.rows[at + 1], self.rows[at + 2]);
        (
            [
                f32::from_bits(a as u32),
                f32::from_bits((a >> 32) as u32),
                f32::from_bits(b as u32),
                f32::from_bits(c as u32),
            ],
            (b >> 32) as usize,
        )
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
        self.rows.capacity() * 8
            + (self.centroids.capacity()
                + self.rotated.capacity()
                + self.norms.capacity()
                + self.signs.capacity())
                * 4
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
    fn encode(&self, v: &[f32], out: &mut [u64]) {
        let centre = self.nearest(v);
        let [norm, ip, r_dot_c] = self.encode_bits(v, centre, &mut out[..self.words]);
        // ⟨x̄, P c⟩, x̄ = ±1/√D by the bits.
        let pc = &self.rotated[centre * self.padded..(centre + 1) * self.padded];
        let signed: f32 = pc
            .iter()
            .enumerate()
            .map(|(i, x)| {
                if out[i / 64] >> (i % 64) & 1 == 1 {
                    *x
                } else {
                    -x
                }
            })
            .sum();
        let x_dot_c = signed / (self.padded as f32).sqrt();
        out[self.words] = u64::from(norm.to_bits()) | u64::from(ip.to_bits()) << 32;
        out[self.words + 1] = u64::from(r_dot_c.to_bits()) | (centre as u64) << 32;
        out[self.words + 2] = u64::from(x_dot_c.to_bits());
    }

    /// Writes the bits of `v` against centroid `centre` into `out`;
    /// returns its factors.
    fn encode_bits(&self, v: &[f32], centre: usize, out: &mut [u64]) -> [f32; 3] {
        let c = self.centroid(centre);
        let r: Vec<f32> = v.iter().zip(c).map(|(x, c)| x - c).collect();
        let norm = simd::dot(&r, &r).sqrt();
        let r_dot_c = simd::dot(&r, c);
        out.fill(0);
        if norm == 0.0 || !norm.is_finite() {
            // The row is its centroid: its estimate is exact whatever
            // the bits, as ‖r‖ = 0.
            return [0.0, 1.0, r_dot_c];
        }
        let unit: Vec<f32> = r.iter().map(|x| x / norm).collect();
        let mut rotated = vec![0f32; self.padded];
        self.rotate(&unit, &mut rotated);
        let mut absolute = 0f32;
        for (i, x) in rotated.iter().enumerate() {
            if *x > 0.0 {
                out[i / 64] |= 1 << (i % 64);
            }
            absolute += x.abs();
        }
        let ip = (absolute / (self.padded as f32).sqrt()).max(f32::MIN_POSITIVE);
        [norm, ip, r_dot_c]
    }

    /// Writes the padded dimension, the centroids, the rotation signs and
    /// the rows (the dump's layout, after its header: `docs/FORMAT.md`).
    pub fn write_to(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        for v in [self.padded, self.centres()] {
            out.write_all(&(v as u64).to_le_bytes())?;
        }
        write_f32s(out, &self.centroids)?;
        write_f32s(out, &self.signs)?;
        for chunk in self.rows.chunks(1 << 12) {
            let bytes: Vec<u8> = chunk.iter().flat_map(|w| w.to_le_bytes()).collect();
            out.write_all(&bytes)?;
        }
        Ok(())
    }

    /// Reads what [`write_to`](Self::write_to) wrote for `rows` rows of
    /// `dim` components learned at `trained_rows`; `None` when anything
    /// is out of place (length, padding, a sign that is not ±1, a row's
    /// centroid that does not exist).
    pub fn read_from(
        bytes: &[u8],
        dim: usize,
        rows: usize,
        trained_rows: usize,
    ) -> Option<BinaryCodes> {
        let mut r = Reader(bytes);
        let padded = usize::try_from(r.u64()?).ok()?;
        let centres = usize::try_from(r.u64()?).ok()?;
        if padded != dim.next_power_of_two().max(64)
            || trained_rows > rows
            || !(1..=MAX_CENTROIDS).contains(&centres)
        {
            return None;
        }
        let centroids = r.f32s(centres.checked_mul(dim)?)?;
        let signs = r.f32s(ROUNDS * padded)?;
        if signs.iter().any(|s| s.abs().to_bits() != 1f32.to_bits()) {
            return None;
        }
        let words = padded / 64;
        let body = r.take(rows.checked_mul(words + 3)?.checked_mul(8)?)?;
        if !r.0.is_empty() {
            return None;
        }
        let rows: Vec<u64> = body
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
            .collect();
        if rows
            .chunks_exact(words + 3)
            .any(|row| (row[words + 1] >> 32) as usize >= centres)
        {
            return None;
        }
        let mut codes = BinaryCodes {
            dim,
            padded,
            words,
            stride: words + 3,
            centroids,
            rotated: Vec::new(),
            norms: Vec::new(),
            signs,
            rows,
            trained_rows,
        };
        codes.rotate_centroids();
        Some(codes)
    }

    /// A query (prepared: normalised for cosine) in the codes' terms:
    /// `P q` as 4-bit levels in bit planes; its terms against each
    /// centroid (`‖q − c‖`, `⟨c, q⟩`) are made when first needed.
    pub fn query<'q>(&'q self, metric: Metric, q: &'q [f32]) -> BinaryQuery<'q> {
        let mut rotated = vec![0f32; self.padded];
        self.rotate(q, &mut rotated);
        let lo = rotated.iter().copied().fold(f32::INFINITY, f32::min);
        let hi = rotated.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let step = if hi > lo {
            (hi - lo) / ((1 << LEVEL_BITS) - 1) as f32
        } else {
            1.0
        };
        // x ≥ lo: adding ½ and truncating rounds (and vectorises, where
        // `round` is a library call).
        let levels: Vec<u64> = rotated
            .iter()
            .map(|x| (((x - lo) / step + 0.5) as u64).min((1 << LEVEL_BITS) - 1))
            .collect();
        let mut planes = vec![0u64; LEVEL_BITS * self.words];
        for (bit, plane) in planes.chunks_exact_mut(self.words).enumerate() {
            for (word, levels) in plane.iter_mut().zip(levels.chunks_exact(64)) {
                *word = levels
                    .iter()
                    .enumerate()
                    .fold(0, |w, (b, level)| w | (level >> bit & 1) << b);
            }
        }
        BinaryQuery {
            codes: self,
            q,
            q_norm2: simd::dot(q, q),
            planes,
            step,
            lo,
            sum: rotated.iter().sum(),
            root: (self.padded as f32).sqrt(),
            spread: EPSILON0 / ((self.padded - 1) as f32).sqrt(),
            l2: metric == Metric::L2,
            terms: vec![Cell::new((f32::NAN, 0.0)); self.centres()],
        }
    }
}

/// The number of the row of `centroids` (`dim` each) nearest to `v`.
fn nearest(centroids: &[f32], dim: usize, v: &[f32]) -> usize {
    let mut best = (f32::INFINITY, 0);
    for (j, c) in centroids.chunks_exact(dim).enumerate() {
        let d = simd::l2_squared(v, c);
        if d < best.0 {
            best = (d, j);
        }
    }
    best.1
}

/// About `√n` centroids (at most [`MAX_CENTROIDS`]) of the rows, by
/// k-means on an evenly spaced sample, seeded with evenly spaced rows
/// of it; a centroid left without rows keeps its place.
fn kmeans<'a>(dim: usize, n: usize, row: &(impl Fn(u32) -> &'a [f32] + Sync)) -> Vec<f32> {
    let k = ((n as f64).sqrt().round() as usize).clamp(1, MAX_CENTROIDS);
    let picked = n.min(SAMPLE_PER_CENTROID * k).max(1);
    let sample: Vec<&[f32]> = (0..picked).map(|i| row((i * n / picked) as u32)).collect();
    let mut centroids: Vec<f32> = (0..k)
        .flat_map(|j| sample[j * picked / k].iter().copied())
        .collect();
    for _ in 0..KMEANS_ROUNDS {
        let assigned = parallel::map(sample.len(), |i| nearest(&centroids, dim, sample[i]));
        let mut sums = vec![0f64; k * dim];
        let mut counts = vec![0usize; k];
        for (v, &j) in sample.iter().zip(&assigned) {
            counts[j] += 1;
            for (s, x) in sums[j * dim..(j + 1) * dim].iter_mut().zip(*v) {
                *s += f64::from(*x);
            }
        }
        for (j, &count) in counts.iter().enumerate() {
            if count > 0 {
                for (c, s) in centroids[j * dim..(j + 1) * dim]
                    .iter_mut()
                    .zip(&sums[j * dim..(j + 1) * dim])
                {
                    *c = (s / count as f64) as f32;
                }
            }
        }
    }
    centroids
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

/// Bits of a query level (`P q` is quantised to 4 bits a coordinate:
/// on the Debian set 8 bits gave 0.005 more recall per ef but 4 % fewer
/// queries/s at recall 0.95).
const LEVEL_BITS: usize = 4;

/// A query against [`BinaryCodes`].
pub struct BinaryQuery<'c> {
    codes: &'c BinaryCodes,
    q: &'c [f32],
    q_norm2: f32,
    /// `P q`, 4 bits a coordinate, bit plane by bit plane.
    planes: Vec<u64>,
    step: f32,
    lo: f32,
    /// `Σ (P q)_i`.
    sum: f32,
    /// `√D`.
    root: f32,
    /// `ε₀ / √(D − 1)`.
    spread: f32,
    l2: bool,
    /// Per centroid `c`: `(‖q − c‖, ⟨c, q⟩)`, NaN until first needed.
    terms: Vec<Cell<(f32, f32)>>,
}

impl BinaryQuery<'_> {
    /// `(‖q − c‖, ⟨c, q⟩)` for centroid `j`.
    #[inline]
    fn terms(&self, j: usize) -> (f32, f32) {
        let mut terms = self.terms[j].get();
        if terms.0.is_nan() {
            let c_dot_q = simd::dot(self.codes.centroid(j), self.q);
            let norm2 = self.q_norm2 - 2.0 * c_dot_q + self.codes.norms[j];
            terms = (norm2.max(0.0).sqrt(), c_dot_q);
            self.terms[j].set(terms);
        }
        terms
    }

    /// The half-width of the error bound of row `i`'s estimate (from its
    /// factors only: no need to estimate again).
    #[inline]
    pub fn bound(&self, codes: &BinaryCodes, i: u32) -> f32 {
        let ([norm, ip_xo, ..], centre) = codes.factors(i);
        self.width(norm * self.terms(centre).0, ip_xo)
    }

    /// The half-width of the error bound, in the metric's units, for
    /// `‖r‖ ‖q − c‖ = scale` and `⟨x̄, P o⟩ = ip_xo`.
    #[inline]
    fn width(&self, scale: f32, ip_xo: f32) -> f32 {
        let relative = self.spread * ((1.0 - ip_xo * ip_xo).max(0.0) / (ip_xo * ip_xo)).sqrt();
        if self.l2 {
            2.0 * scale * relative
        } else {
            scale * relative
        }
    }

    /// The estimated distance to row `i`, in the metric's units, and the
    /// half-width of its error bound.
    #[inline]
    pub fn estimate(&self, codes: &BinaryCodes, i: u32) -> (f32, f32) {
        let ([norm, ip_xo, r_dot_c, x_dot_c], centre) = codes.factors(i);
        let (q_norm, c_dot_q) = self.terms(centre);
        let (weighted, ones) = simd::bit_dot(codes.row(i), &self.planes);
        // Σ over the row's set bits of (P q)_i, then ⟨x̄, P q⟩, then
        // ⟨x̄, q'⟩ with q' = P (q − c) / ‖q − c‖.
        let chosen = self.step * weighted as f32 + self.lo * ones as f32;
        let x_dot_q = (2.0 * chosen - self.sum) / self.root;
        let ip = if q_norm > 0.0 {
            (x_dot_q - x_dot_c) / q_norm
        } else {
            0.0
        };
        let cosine = ip / ip_xo;
        let scale = norm * q_norm;
        let estimate = if self.l2 {
            norm * norm + q_norm * q_norm - 2.0 * scale * cosine
        } else {
            -(scale * cosine + r_dot_c + c_dot_q)
        };
        (estimate, self.width(scale, ip_xo))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(n: usize, dim: usize, seed: u64) -> Vec<Vec<f32>> {
        let mut rng = Rng::new(seed);
        let mut rand = move || rng.f32() - 0.5;
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
        let mut alone = vec![0u64; 7];
        grown.encode(&data[1_500], &mut alone);
        assert_eq!(grown.row(1_000), &alone[..4]);
        assert_eq!(&grown.rows[7 * 1_000..7 * 1_001], &alone[..]);
        let centre = grown.centroid(3).to_vec();
        grown.push(&centre);
        let q = &queries[0];
        let (est, width) = grown.query(Metric::Dot, q).estimate(&grown, 1_001);
        assert!((est + simd::dot(q, &centre)).abs() < 1e-3 && width == 0.0);
    }
}
