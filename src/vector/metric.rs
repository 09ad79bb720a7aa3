//! The metrics, with all their maths in one place: how a vector is prepared
//! for indexing, the distance the index walks by, and the score a hit
//! reports.
//!
//! A *distance* is what the engines compare: smaller is nearer, and it is
//! cheap — the negated dot product for cosine (on normalised vectors) and
//! inner product, the squared Euclidean distance for L2. A *score* is what
//! users see: the cosine similarity, the inner product, the Euclidean
//! distance. Each is computed once from the other, exactly for the two
//! similarities (a negation).

use super::simd;
use crate::error::{Error, Result};

/// How vectors are compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Metric {
    /// Cosine similarity (score in [-1, 1], higher is better). Vectors are
    /// normalised at insert, then compared by dot product; a zero vector is
    /// refused.
    Cosine,
    /// Euclidean distance (score ≥ 0, lower is better).
    L2,
    /// Inner product (higher is better). Vectors are stored as given.
    Dot,
}

impl Metric {
    /// Whether a higher score is better (similarities) or a lower one
    /// (distances).
    #[must_use]
    pub fn higher_is_better(self) -> bool {
        !matches!(self, Metric::L2)
    }

    /// The metric's name: `cosine`, `l2` or `dot`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Metric::Cosine => "cosine",
            Metric::L2 => "l2",
            Metric::Dot => "dot",
        }
    }

    /// The metric called `name` (`cosine`, `l2` or `dot`).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Metric> {
        match name {
            "cosine" => Some(Metric::Cosine),
            "l2" => Some(Metric::L2),
            "dot" => Some(Metric::Dot),
            _ => None,
        }
    }

    /// Checks a vector (dimension, finite components, non-zero for cosine)
    /// and returns it as indexed: normalised for cosine.
    pub(crate) fn prepare(self, dim: usize, v: &[f32]) -> Result<Vec<f32>> {
        if v.len() != dim {
            return Err(Error::DimensionMismatch {
                expected: dim,
                found: v.len(),
            });
        }
        if let Some(i) = v.iter().position(|x| !x.is_finite()) {
            return Err(Error::invalid(format!(
                "vector component {i} is {}, not a finite number",
                v[i]
            )));
        }
        let mut out = v.to_vec();
        if self == Metric::Cosine {
            let norm = simd::dot(v, v).sqrt();
            if norm == 0.0 || !norm.is_finite() {
                return Err(Error::invalid(
                    "a zero vector has no direction: cosine similarity is undefined",
                ));
            }
            for x in &mut out {
                *x /= norm;
            }
        }
        Ok(out)
    }

    /// The distance between two prepared vectors: smaller is nearer.
    #[inline]
    pub(crate) fn distance(self, a: &[f32], b: &[f32]) -> f32 {
        match self {
            Metric::Cosine | Metric::Dot => -simd::dot(a, b),
            Metric::L2 => simd::l2_squared(a, b),
        }
    }

    /// The score a hit at `distance` reports.
    #[inline]
    pub(crate) fn score(self, distance: f32) -> f32 {
        match self {
            Metric::Cosine | Metric::Dot => -distance,
            Metric::L2 => distance.max(0.0).sqrt(),
        }
    }

    /// Whether a hit with `score` passes a threshold (a minimum similarity,
    /// or a maximum distance).
    pub(crate) fn passes(self, score: f32, threshold: f32) -> bool {
        if self.higher_is_better() {
            score >= threshold
        } else {
            score <= threshold
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::float_cmp, reason = "exact values are intended")]

    use super::*;

    #[test]
    fn scores_are_the_natural_ones_and_distances_order_like_them() {
        let (a, b) = ([3.0f32, 4.0], [-1.0f32, 2.0]);
        let d = Metric::Dot.distance(&a, &b);
        assert_eq!(Metric::Dot.score(d), 5.0, "the inner product, exactly");
        assert_eq!(Metric::L2.score(Metric::L2.distance(&a, &b)), 20f32.sqrt());
        let (pa, pb) = (
            Metric::Cosine.prepare(2, &a).unwrap(),
            Metric::Cosine.prepare(2, &b).unwrap(),
        );
        let cos = Metric::Cosine.score(Metric::Cosine.distance(&pa, &pb));
        assert!((cos - 5.0 / (5.0 * 5f32.sqrt())).abs() < 1e-6);
        // A nearer point has a smaller distance and a better score.
        let near = [3.0f32, 4.5];
        for m in [Metric::Cosine, Metric::L2, Metric::Dot] {
            let (pn, pb, pa) = (
                m.prepare(2, &near).unwrap(),
                m.prepare(2, &b).unwrap(),
                m.prepare(2, &a).unwrap(),
            );
            let (dn, db) = (m.distance(&pa, &pn), m.distance(&pa, &pb));
            assert!(dn < db, "{m:?}");
            assert!(m.passes(m.score(dn), m.score(db)), "{m:?}");
        }
    }

    #[test]
    fn bad_vectors_are_refused() {
        assert!(matches!(
            Metric::L2.prepare(3, &[1.0, 2.0]),
            Err(Error::DimensionMismatch {
                expected: 3,
                found: 2
            })
        ));
        assert!(Metric::Dot.prepare(1, &[f32::NAN]).is_err());
        assert!(Metric::Cosine.prepare(2, &[0.0, 0.0]).is_err());
        assert_eq!(Metric::L2.prepare(2, &[0.0, 0.0]).unwrap(), [0.0, 0.0]);
        for m in [Metric::Cosine, Metric::L2, Metric::Dot] {
            assert_eq!(Metric::from_name(m.name()), Some(m));
        }
    }
}
