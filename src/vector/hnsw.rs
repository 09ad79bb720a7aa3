//! The `hnsw_rs` engine: the only module that names `hnsw_rs`.
//!
//! Its `process::exit` (M > 256) and its `assert!`s (dimension mismatch,
//! `DistDot` on non-normalised vectors) are unreachable from here: callers
//! validate dimensions, finiteness and M first, cosine vectors arrive
//! normalised, and raw inner products use [`NegDot`] instead of `DistDot`.
//! The calls made here (`new`, `insert_slice`, `parallel_insert_slice`,
//! `search_filter`) print nothing to stdout; the printing ones (dumps,
//! `modify_level_scale`) are never called.

use std::path::Path;

use hnsw_rs::api::AnnT;
use hnsw_rs::prelude::{DistDot, DistL2, Distance, Hnsw, HnswIo};
use self_cell::self_cell;

use super::Metric;

/// Inner-product distance for `Metric::Dot`: a strictly decreasing map of
/// the dot product onto positive finite numbers (`hnsw_rs` asserts that
/// distances are >= 0, and HNSW only compares them): `1 - d` for `d <= 0`,
/// `1 / (1 + d)` above. See [`dot_from_distance`] for the inverse.
#[derive(Clone, Copy, Debug, Default)]
pub struct NegDot;

/// The distance [`NegDot`] gives an inner product `d`.
pub fn distance_from_dot(d: f32) -> f32 {
    if d <= 0.0 { 1.0 - d } else { 1.0 / (1.0 + d) }
}

/// The inner product behind a [`NegDot`] distance.
pub fn dot_from_distance(f: f32) -> f32 {
    if f >= 1.0 { 1.0 - f } else { 1.0 / f - 1.0 }
}

pub use super::simd::dot;

impl Distance<f32> for NegDot {
    fn eval(&self, va: &[f32], vb: &[f32]) -> f32 {
        distance_from_dot(dot(va, vb))
    }
}

/// Layers of the HNSW graph (the maximum `hnsw_rs` allows).
const MAX_LAYERS: usize = 16;

type CosineHnsw<'a> = Hnsw<'a, f32, DistDot>;
type L2Hnsw<'a> = Hnsw<'a, f32, DistL2>;
type DotHnsw<'a> = Hnsw<'a, f32, NegDot>;

// A reloaded graph borrows the `HnswIo` that read it; each cell owns both.
self_cell!(
    pub struct LoadedCosine {
        owner: HnswIo,
        #[not_covariant]
        dependent: CosineHnsw,
    }
);
self_cell!(
    pub struct LoadedL2 {
        owner: HnswIo,
        #[not_covariant]
        dependent: L2Hnsw,
    }
);
self_cell!(
    pub struct LoadedDot {
        owner: HnswIo,
        #[not_covariant]
        dependent: DotHnsw,
    }
);

/// An HNSW graph over slot-numbered vectors: built here, or reloaded from
/// a checkpoint.
pub enum Graph {
    /// Cosine on normalised vectors: distance `1 - dot` (SIMD).
    Cosine(CosineHnsw<'static>),
    /// Euclidean distance (SIMD).
    L2(L2Hnsw<'static>),
    /// Inner product, through [`NegDot`].
    Dot(DotHnsw<'static>),
    CosineLoaded(LoadedCosine),
    L2Loaded(LoadedL2),
    DotLoaded(LoadedDot),
}

macro_rules! each {
    ($self:expr, $g:ident => $body:expr) => {
        match $self {
            Graph::Cosine($g) => $body,
            Graph::L2($g) => $body,
            Graph::Dot($g) => $body,
            Graph::CosineLoaded(cell) => cell.with_dependent(|_, $g| $body),
            Graph::L2Loaded(cell) => cell.with_dependent(|_, $g| $body),
            Graph::DotLoaded(cell) => cell.with_dependent(|_, $g| $body),
        }
    };
}

/// The base name of the two files of a graph dump.
pub const DUMP_BASENAME: &str = "graph";

/// The files `dump` writes, relative to its directory.
pub fn dump_files() -> [String; 2] {
    [
        format!("{DUMP_BASENAME}.hnsw.graph"),
        format!("{DUMP_BASENAME}.hnsw.data"),
    ]
}

impl Graph {
    /// An empty graph. `m` must be in 2..=256 (validated by the caller).
    pub fn new(metric: Metric, m: usize, ef_construction: usize, capacity: usize) -> Graph {
        let capacity = capacity.max(1024);
        match metric {
            Metric::Cosine => {
                Graph::Cosine(Hnsw::new(m, capacity, MAX_LAYERS, ef_construction, DistDot))
            }
            Metric::L2 => Graph::L2(Hnsw::new(m, capacity, MAX_LAYERS, ef_construction, DistL2)),
            Metric::Dot => Graph::Dot(Hnsw::new(m, capacity, MAX_LAYERS, ef_construction, NegDot)),
        }
    }

    /// Writes the graph into the empty directory `dir` (files
    /// [`dump_files`]).
    pub fn dump(&self, dir: &Path) -> Result<(), String> {
        let written =
            each!(self, g => g.file_dump(dir, DUMP_BASENAME)).map_err(|e| e.to_string())?;
        if written == DUMP_BASENAME {
            Ok(())
        } else {
            Err(format!("the dump was written as {written:?}"))
        }
    }

    /// Reloads a graph dumped by [`dump`](Self::dump). The files must have
    /// been verified (`hnsw_rs` panics on malformed input); a panic is still
    /// caught and reported as an error.
    pub fn load(metric: Metric, dir: &Path) -> Result<Graph, String> {
        let io = || HnswIo::new(dir, DUMP_BASENAME);
        let loaded =
            std::panic::catch_unwind(|| match metric {
                Metric::Cosine => LoadedCosine::try_new(io(), |io| io.load_hnsw_with_dist(DistDot))
                    .map(Graph::CosineLoaded),
                Metric::L2 => LoadedL2::try_new(io(), |io| io.load_hnsw_with_dist(DistL2))
                    .map(Graph::L2Loaded),
                Metric::Dot => LoadedDot::try_new(io(), |io| io.load_hnsw_with_dist(NegDot))
                    .map(Graph::DotLoaded),
            });
        match loaded {
            Ok(Ok(graph)) => Ok(graph),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("the HNSW reader panicked on the dump".into()),
        }
    }

    /// Points in the graph, deleted ones included.
    pub fn len(&self) -> usize {
        each!(self, g => g.get_nb_point())
    }

    /// Inserts vectors (validated: right dimension, finite, normalised for
    /// cosine) under their slots, on all cores.
    pub fn insert_all(&self, items: &[(&[f32], usize)]) {
        if items.len() == 1 {
            each!(self, g => g.insert_slice(items[0]));
        } else if !items.is_empty() {
            let items = items.to_vec();
            each!(self, g => g.parallel_insert_slice(&items));
        }
    }

    /// The `k` nearest slots (accepted by `keep`, if given), as
    /// `(slot, distance)`, nearest first. `query` is validated like
    /// inserted vectors.
    pub fn search(
        &self,
        query: &[f32],
        k: usize,
        ef: usize,
        keep: Option<&dyn Fn(usize) -> bool>,
    ) -> Vec<(usize, f32)> {
        let found = match keep {
            None => each!(self, g => g.search(query, k, ef)),
            Some(keep) => {
                let filter = |id: &usize| keep(*id);
                each!(self, g => g.search_filter(query, k, ef, Some(&filter)))
            }
        };
        found.into_iter().map(|n| (n.d_id, n.distance)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_distance_is_positive_decreasing_and_invertible() {
        let dots = [-1e30, -5.0, -0.5, 0.0, 1e-6, 0.5, 3.0, 1e6, 1e30];
        for w in dots.windows(2) {
            let (a, b) = (distance_from_dot(w[0]), distance_from_dot(w[1]));
            assert!(a > 0.0 && b > 0.0 && a.is_finite() && a > b, "{w:?}");
        }
        for d in [-7.5f32, -0.25, 0.0, 0.25, 42.0] {
            assert!((dot_from_distance(distance_from_dot(d)) - d).abs() < 1e-4 * d.abs().max(1.0));
        }
    }
}
