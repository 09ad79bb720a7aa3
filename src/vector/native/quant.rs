//! Int8 scalar codes of the graph's vectors, for walks that read a
//! quarter of the bytes.
//!
//! Each component is stored as one byte, `x ≈ lo_d + step_d · c`, with a
//! per-dimension range learned from the vectors (the 0.1 % and 99.9 %
//! quantiles of a sample, so a few outliers do not coarsen every code;
//! values outside are clamped). A query becomes 16-bit weights
//! `w_d ≈ q_d · step_d / scale`, so the dot product with a row is
//! `Σ q_d lo_d + scale · Σ w_d c_d` — one integer dot product per row
//! (`simd::dot_codes`). For L2 the row's `‖x̂‖²` is kept beside its codes:
//! `‖q − x̂‖² = ‖q‖² − 2 q·x̂ + ‖x̂‖²`, and the constant `‖q‖²` is dropped.
//!
//! Estimates order candidates during the walk only; the walk's best are
//! re-ranked with the exact `f32` distances (`search.rs`).

use crate::parallel;
use crate::vector::{Metric, simd};

/// Rows a graph needs before codes are learned; smaller graphs walk on
/// the `f32` vectors (there the codes would save nothing).
pub(super) const MIN_TRAIN: usize = 1_000;

/// Rows sampled to learn the ranges.
const SAMPLE: usize = 20_000;

/// The codes of rows `0..len()`.
pub struct Int8Codes {
    dim: usize,
    lo: Vec<f32>,
    step: Vec<f32>,
    codes: Vec<u8>,
    /// `‖x̂‖²` per row (for L2).
    norms: Vec<f32>,
    /// Rows when the ranges were learned.
    trained_rows: usize,
    /// How an L2 estimate strays, from the steps alone.
    l2_spread: Spread,
}

impl Int8Codes {
    /// Learns the ranges from the `n` rows `row(0..n)` and encodes them
    /// (on all cores).
    pub fn train<'a>(dim: usize, n: usize, row: impl Fn(u32) -> &'a [f32] + Sync) -> Int8Codes {
        let picked = n.min(SAMPLE);
        // The sample column by column: rows read in order, once.
        let mut columns = vec![0f32; dim * picked];
        for k in 0..picked {
            // Evenly spaced rows: deterministic, and spread over the file.
            for (d, x) in row((k * n / picked) as u32).iter().enumerate() {
                columns[d * picked + k] = *x;
            }
        }
        let at = |q: f64| ((picked - 1) as f64 * q).round() as usize;
        let mut lo = Vec::with_capacity(dim);
        let mut step = Vec::with_capacity(dim);
        for column in columns.chunks_exact_mut(picked.max(1)).take(dim) {
            let low = *column.select_nth_unstable_by(at(0.001), f32::total_cmp).1;
            let high = *column.select_nth_unstable_by(at(0.999), f32::total_cmp).1;
            lo.push(low);
            step.push(if high > low {
                (high - low) / 255.0
            } else {
                1.0
            });
        }
        let mut codes = vec![0; n * dim];
        let norms = parallel::rows(&mut codes, dim, |i, out| {
            encode(&lo, &step, row(i as u32), out)
        });
        Int8Codes {
            dim,
            l2_spread: Spread::l2(&step),
            lo,
            step,
            codes,
            norms,
            trained_rows: n,
        }
    }

    /// Rows encoded.
    pub fn len(&self) -> usize {
        self.norms.len()
    }

    /// Rows when the ranges were learned.
    pub fn trained_rows(&self) -> usize {
        self.trained_rows
    }

    /// Encodes one more row.
    pub fn push(&mut self, v: &[f32]) {
        let at = self.codes.len();
        self.codes.resize(at + self.dim, 0);
        let norm = encode(&self.lo, &self.step, v, &mut self.codes[at..]);
        self.norms.push(norm);
    }

    /// Row `i`'s codes.
    #[inline]
    pub fn row(&self, i: u32) -> &[u8] {
        let at = i as usize * self.dim;
        &self.codes[at..at + self.dim]
    }

    /// Bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.codes.capacity() + (self.norms.capacity() + self.lo.len() + self.step.len()) * 4
    }

    /// Writes the ranges, codes and norms (the dump's layout, after its
    /// header: `docs/FORMAT.md`).
    pub fn write_to(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        for v in [&self.lo, &self.step] {
            write_f32s(out, v)?;
        }
        out.write_all(&self.codes)?;
        write_f32s(out, &self.norms)
    }

    /// Reads what [`write_to`](Self::write_to) wrote for `rows` rows of
    /// `dim` components learned at `trained_rows`; `None` when the bytes
    /// have another length.
    pub fn read_from(
        bytes: &[u8],
        dim: usize,
        rows: usize,
        trained_rows: usize,
    ) -> Option<Int8Codes> {
        let mut r = Reader(bytes);
        let lo = r.f32s(dim)?;
        let step = r.f32s(dim)?;
        let codes = r.take(rows.checked_mul(dim)?)?.to_vec();
        let norms = r.f32s(rows)?;
        (r.0.is_empty() && trained_rows <= rows).then_some(Int8Codes {
            dim,
            l2_spread: Spread::l2(&step),
            lo,
            step,
            codes,
            norms,
            trained_rows,
        })
    }

    /// A query (prepared: normalised for cosine) in the codes' terms.
    pub fn query(&self, metric: Metric, q: &[f32]) -> CodedQuery {
        let weights: Vec<f32> = q.iter().zip(&self.step).map(|(x, s)| x * s).collect();
        let base: f32 = q.iter().zip(&self.lo).map(|(x, l)| x * l).sum();
        let top = weights.iter().fold(0f32, |m, w| m.max(w.abs()));
        // The largest weight such that 255 · Σ|w| fits an i32, at most
        // i16::MAX: ±21,000 or so for 384 dimensions.
        let limit = (f64::from(i32::MAX) / (255.0 * self.dim.max(1) as f64)).min(32_767.0) as f32;
        let scale = if top > 0.0 { top / limit } else { 1.0 };
        // Rounding a component errs by at most half a step, evenly spread:
        // variance step² / 12 per component.
        let spread = if metric == Metric::L2 {
            self.l2_spread
        } else {
            let variance: f32 = weights.iter().map(|w| w * w / 12.0).sum();
            Spread::Dot(variance.sqrt())
        };
        CodedQuery {
            weights: weights
                .iter()
                .map(|w| (w / scale).round().clamp(-limit, limit) as i16)
                .collect(),
            scale,
            base,
            l2: metric == Metric::L2,
            spread,
        }
    }
}

/// Writes `f32`s little-endian.
pub(super) fn write_f32s(out: &mut impl std::io::Write, v: &[f32]) -> std::io::Result<()> {
    for chunk in v.chunks(1 << 12) {
        let bytes: Vec<u8> = chunk.iter().flat_map(|x| x.to_le_bytes()).collect();
        out.write_all(&bytes)?;
    }
    Ok(())
}

/// Reads a dump's fields front to back; `None` past its end.
pub(super) struct Reader<'a>(pub &'a [u8]);

impl<'a> Reader<'a> {
    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.0.len() {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    pub fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    pub fn f32s(&mut self, n: usize) -> Option<Vec<f32>> {
        let bytes = self.take(n.checked_mul(4)?)?;
        Some(
            bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        )
    }
}

/// Writes the codes of `v` into `out`; returns `‖x̂‖²`.
fn encode(lo: &[f32], step: &[f32], v: &[f32], out: &mut [u8]) -> f32 {
    let mut norm = 0f32;
    for (((x, lo), step), c) in v.iter().zip(lo).zip(step).zip(out) {
        let code = ((x - lo) / step).round().clamp(0.0, 255.0);
        let back = lo + step * code;
        norm += back * back;
        *c = code as u8;
    }
    norm
}

/// A query against [`Int8Codes`].
pub struct CodedQuery {
    weights: Vec<i16>,
    scale: f32,
    base: f32,
    l2: bool,
    spread: Spread,
}

/// How far an estimate may stray from the exact distance.
#[derive(Clone, Copy)]
enum Spread {
    /// `q·x̂ − q·x = q·e` with `e` the rounding: standard deviation
    /// `√(Σ q_d² step_d² / 12)`.
    Dot(f32),
    /// `‖q − x̂‖² − ‖q − x‖² = −2 (q − x)·e + ‖e‖²`: standard deviation at
    /// most `2 ‖q − x‖ · max step / √12` (`widest` holds `max step / √12`),
    /// and `‖e‖²` about `Σ step_d² / 12` (`bias`).
    L2 { widest: f32, bias: f32 },
}

impl Spread {
    /// The L2 spread of codes with these steps.
    fn l2(step: &[f32]) -> Spread {
        let widest = step.iter().fold(0f32, |m, &s| m.max(s));
        Spread::L2 {
            widest: widest / 12f32.sqrt(),
            bias: step.iter().map(|s| s * s / 12.0).sum(),
        }
    }
}

impl CodedQuery {
    /// The estimated distance to row `i` (in the metric's order; for L2
    /// offset by the query's `‖q‖²`).
    #[inline]
    pub fn distance(&self, codes: &Int8Codes, i: u32) -> f32 {
        let dot = self.base + self.scale * simd::dot_codes(codes.row(i), &self.weights) as f32;
        if self.l2 {
            codes.norms[i as usize] - 2.0 * dot
        } else {
            -dot
        }
    }

    /// How much an estimate may exceed the exact distance of a row whose
    /// exact distance is about `exact` (same units, `‖q‖²` included for
    /// L2): four standard deviations of the rounding's error, so a row
    /// whose estimate is past `exact` by more is, but for one in tens of
    /// thousands, farther than `exact`.
    pub fn margin(&self, exact: f32) -> f32 {
        match self.spread {
            Spread::Dot(sd) => 4.0 * sd,
            Spread::L2 { widest, bias } => 8.0 * exact.max(0.0).sqrt() * widest + bias,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_follow_the_exact_distances() {
        let dim = 48;
        let mut rng = crate::rng::Rng::new(7);
        let mut rand = move || rng.f32() - 0.5;
        let rows: Vec<Vec<f32>> = (0..2_000)
            .map(|_| (0..dim).map(|d| rand() * (1.0 + d as f32 / 10.0)).collect())
            .collect();
        let codes = Int8Codes::train(dim, rows.len(), |i| &rows[i as usize]);
        assert_eq!(codes.len(), 2_000);
        let q: Vec<f32> = (0..dim).map(|_| rand()).collect();
        for metric in [Metric::Dot, Metric::L2] {
            let cq = codes.query(metric, &q);
            let offset = if metric == Metric::L2 {
                simd::dot(&q, &q)
            } else {
                0.0
            };
            let mut worst = 0f32;
            let mut spread = 0f32;
            for (i, r) in rows.iter().enumerate() {
                let exact = metric.distance(&q, r);
                let est = cq.distance(&codes, i as u32) + offset;
                worst = worst.max((est - exact).abs());
                spread = spread.max(exact.abs());
            }
            // Within 1 % of the distances' scale: ranking quality for a
            // walk whose best are re-ranked exactly.
            assert!(worst < 0.01 * spread, "{metric:?}: {worst} vs {spread}");
        }
        // A constant dimension, and values outside the learned range,
        // neither divide by zero nor wrap.
        let flat: Vec<Vec<f32>> = (0..10).map(|i| vec![1.0, i as f32]).collect();
        let mut c = Int8Codes::train(2, 10, |i| &flat[i as usize]);
        c.push(&[-50.0, 50.0]);
        assert_eq!(c.row(10), &[0, 255]);
        let d = c.query(Metric::Dot, &[1.0, 1.0]).distance(&c, 3);
        assert!((d + 4.0).abs() < 0.05, "{d}");
    }
}
