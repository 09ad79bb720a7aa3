//! The `hnsw_rs` engine: the only module that names `hnsw_rs`.
//!
//! Its `process::exit` (M > 256) and its `assert!`s (dimension mismatch,
//! `DistDot` on non-normalised vectors) are unreachable from here: callers
//! validate dimensions, finiteness and M first, cosine vectors arrive
//! normalised, and raw inner products use [`NegDot`] instead of `DistDot`.
//! The calls made here (`new`, `insert_slice`, `parallel_insert_slice`,
//! `search_filter`, point iteration) print nothing to stdout; the printing
//! ones (dumps, `modify_level_scale`) are never called.
//!
//! `hnsw_rs` addresses points by a data id: here the point's label (its
//! storage slot), as checkpoints of every format wrote them. The adapter
//! keeps the rows the [`Engine`] trait speaks of — labels and a copy of
//! the vectors, in insertion order — and reports every hit's distance in
//! the metric's own terms, recomputed from that copy (`hnsw_rs`'s
//! distances are only monotone stand-ins: it requires them non-negative).

use std::path::Path;

use hnsw_rs::api::AnnT;
use hnsw_rs::prelude::{DistDot, DistL2, Distance, Hnsw, HnswIo};
use self_cell::self_cell;

use super::engine::{Engine, Keep};
use super::{CollectionConfig, Metric, simd};
use crate::error::{Error, Result};
use crate::storage::files;

/// Inner-product distance for `Metric::Dot`: a strictly decreasing map of
/// the dot product onto positive finite numbers (`hnsw_rs` asserts that
/// distances are >= 0, and HNSW only compares them): `1 - d` for `d <= 0`,
/// `1 / (1 + d)` above.
#[derive(Clone, Copy, Debug, Default)]
pub struct NegDot;

impl Distance<f32> for NegDot {
    fn eval(&self, va: &[f32], vb: &[f32]) -> f32 {
        let d = simd::dot(va, vb);
        if d <= 0.0 { 1.0 - d } else { 1.0 / (1.0 + d) }
    }
}

/// Layers of the HNSW graph (the maximum `hnsw_rs` allows).
const MAX_LAYERS: usize = 16;

/// The base name of the two files of a graph dump.
const DUMP_BASENAME: &str = "graph";

/// The files a dump writes, relative to its directory.
pub const DUMP_FILES: [&str; 2] = ["graph.hnsw.graph", "graph.hnsw.data"];

type CosineHnsw<'a> = Hnsw<'a, f32, DistDot>;
type L2Hnsw<'a> = Hnsw<'a, f32, DistL2>;
type DotHnsw<'a> = Hnsw<'a, f32, NegDot>;

// A reloaded graph borrows the `HnswIo` that read it; each cell owns both.
self_cell!(
    struct LoadedCosine {
        owner: HnswIo,
        #[not_covariant]
        dependent: CosineHnsw,
    }
);
self_cell!(
    struct LoadedL2 {
        owner: HnswIo,
        #[not_covariant]
        dependent: L2Hnsw,
    }
);
self_cell!(
    struct LoadedDot {
        owner: HnswIo,
        #[not_covariant]
        dependent: DotHnsw,
    }
);

/// An `hnsw_rs` graph, built here or reloaded from a checkpoint.
enum Graph {
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

/// The `hnsw_rs` engine of one collection.
pub struct HnswRs {
    metric: Metric,
    dim: usize,
    graph: Graph,
    /// Row → label (the `hnsw_rs` data id).
    labels: Vec<u64>,
    /// Label → row (`u32::MAX`: none).
    row_of: Vec<u32>,
    /// Row `r`'s vector at `vectors[r * dim..]`.
    vectors: Vec<f32>,
    /// Rows deleted: they stay in the graph (walks filter them) until a
    /// rebuild.
    deleted: usize,
}

impl HnswRs {
    /// An empty graph. `m` must be in 2..=256 (validated by the caller).
    pub fn new(config: &CollectionConfig, capacity: usize) -> HnswRs {
        let capacity = capacity.max(1024);
        let (m, ef) = (config.m, config.ef_construction);
        let graph = match config.metric {
            Metric::Cosine => Graph::Cosine(Hnsw::new(m, capacity, MAX_LAYERS, ef, DistDot)),
            Metric::L2 => Graph::L2(Hnsw::new(m, capacity, MAX_LAYERS, ef, DistL2)),
            Metric::Dot => Graph::Dot(Hnsw::new(m, capacity, MAX_LAYERS, ef, NegDot)),
        };
        HnswRs {
            metric: config.metric,
            dim: config.dim,
            graph,
            labels: Vec::new(),
            row_of: Vec::new(),
            vectors: Vec::new(),
            deleted: 0,
        }
    }

    /// Reloads a graph dumped by [`Engine::dump`], with its points (labels
    /// and vectors) read back from the graph. The files must have been
    /// verified (`hnsw_rs` panics on malformed input); a panic is still
    /// caught and reported as [`Error::Corruption`].
    pub fn load(config: &CollectionConfig, dir: &Path) -> Result<HnswRs> {
        let io = || HnswIo::new(dir, DUMP_BASENAME);
        let loaded =
            std::panic::catch_unwind(|| match config.metric {
                Metric::Cosine => LoadedCosine::try_new(io(), |io| io.load_hnsw_with_dist(DistDot))
                    .map(Graph::CosineLoaded),
                Metric::L2 => LoadedL2::try_new(io(), |io| io.load_hnsw_with_dist(DistL2))
                    .map(Graph::L2Loaded),
                Metric::Dot => LoadedDot::try_new(io(), |io| io.load_hnsw_with_dist(NegDot))
                    .map(Graph::DotLoaded),
            });
        let graph = match loaded {
            Ok(Ok(graph)) => graph,
            Ok(Err(e)) => {
                return Err(Error::corruption(format!(
                    "the hnsw_rs dump cannot be read: {e}"
                )));
            }
            Err(_) => return Err(Error::corruption("the hnsw_rs reader panicked on the dump")),
        };
        // The points, in label order (the order they were inserted in).
        let dim = config.dim;
        let points = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut points: Vec<(u64, Vec<f32>)> = Vec::new();
            each!(&graph, g => {
                if g.get_nb_point() > 0 {
                    for p in g.get_point_indexation() {
                        points.push((p.get_origin_id() as u64, p.get_v().to_vec()));
                    }
                }
            });
            points
        }))
        .map_err(|_| Error::corruption("the hnsw_rs graph cannot list its points"))?;
        let mut engine = HnswRs {
            metric: config.metric,
            dim,
            graph,
            labels: Vec::with_capacity(points.len()),
            row_of: Vec::new(),
            vectors: Vec::with_capacity(points.len() * dim),
            deleted: 0,
        };
        let mut points = points;
        points.sort_unstable_by_key(|p| p.0);
        for (label, v) in &points {
            if v.len() != dim || engine.labels.last() == Some(label) {
                return Err(Error::corruption("the hnsw_rs dump holds malformed points"));
            }
            engine.add_row(*label, v);
        }
        Ok(engine)
    }

    fn add_row(&mut self, label: u64, v: &[f32]) {
        let row = self.labels.len() as u32;
        self.labels.push(label);
        self.vectors.extend_from_slice(v);
        let at = label as usize;
        if self.row_of.len() <= at {
            self.row_of.resize(at + 1, u32::MAX);
        }
        self.row_of[at] = row;
    }

    fn row(&self, data_id: usize) -> Option<u32> {
        self.row_of.get(data_id).copied().filter(|&r| r != u32::MAX)
    }
}

impl Engine for HnswRs {
    fn len(&self) -> usize {
        self.labels.len()
    }

    fn insert(&mut self, points: &[(u64, &[f32])]) {
        let was_empty = self.labels.is_empty();
        for &(label, v) in points {
            self.add_row(label, v);
        }
        let mut items: Vec<(&[f32], usize)> =
            points.iter().map(|&(l, v)| (v, l as usize)).collect();
        // Into an empty graph the first point goes alone: `hnsw_rs` makes
        // the first point it sees the entry point, and a point inserted
        // concurrently while there is none returns without a single link,
        // so it could never be found.
        if was_empty && !items.is_empty() {
            let first = items.remove(0);
            each!(&self.graph, g => g.insert_slice(first));
        }
        if items.len() == 1 {
            each!(&self.graph, g => g.insert_slice(items[0]));
        } else if !items.is_empty() {
            each!(&self.graph, g => g.parallel_insert_slice(&items));
        }
    }

    fn vector(&self, row: u32) -> &[f32] {
        let at = row as usize * self.dim;
        &self.vectors[at..at + self.dim]
    }

    fn label(&self, row: u32) -> u64 {
        self.labels[row as usize]
    }

    fn search(&self, query: &[f32], k: usize, ef: usize, keep: Keep<'_>) -> Vec<(u32, f32)> {
        let found = match keep {
            None => each!(&self.graph, g => g.search(query, k, ef)),
            Some(keep) => {
                let filter = |id: &usize| self.row(*id).is_some_and(keep);
                each!(&self.graph, g => g.search_filter(query, k, ef, Some(&filter)))
            }
        };
        let mut hits: Vec<(u32, f32)> = found
            .into_iter()
            .filter_map(|n| self.row(n.d_id))
            .map(|row| (row, self.metric.distance(query, self.vector(row))))
            .collect();
        hits.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        hits
    }

    fn delete(&mut self, _row: u32) {
        self.deleted += 1;
    }

    fn unrepaired(&self) -> usize {
        self.deleted
    }

    fn dump(&self, dir: &Path) -> Result<()> {
        let written = each!(&self.graph, g => g.file_dump(dir, DUMP_BASENAME))
            .map_err(|e| Error::storage_text("the hnsw_rs dump failed", &format!("{e:#}")))?;
        if written == DUMP_BASENAME {
            for name in DUMP_FILES {
                files::adopt(&dir.join(name))?;
            }
            Ok(())
        } else {
            Err(Error::storage_msg(format!(
                "the hnsw_rs dump was written as {written:?}"
            )))
        }
    }

    fn heap_bytes(&self) -> Option<usize> {
        None
    }

    fn mapped_bytes(&self) -> usize {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A batch into an empty graph is inserted on several threads: its
    /// first point must be reachable (a point inserted while the graph had
    /// no entry point used to get no links). `hnsw_rs`'s concurrent
    /// inserts do not promise that every other point is linked (a point
    /// whose neighbours' lists are pruned concurrently can be left out,
    /// rarely), so for the rest the test asks that nearly all are found.
    #[test]
    fn the_first_point_of_a_first_batch_is_reachable() {
        let config = CollectionConfig::new(8, Metric::L2).hnsw(8, 40);
        let mut rng = crate::rng::Rng::new(0x0bad_5eed_1234_5678);
        let (mut found, mut asked) = (0, 0);
        for round in 0..40 {
            let vectors: Vec<Vec<f32>> = (0..64)
                .map(|_| (0..8).map(|_| rng.f32()).collect())
                .collect();
            let points: Vec<(u64, &[f32])> = vectors
                .iter()
                .enumerate()
                .map(|(i, v)| (i as u64, v.as_slice()))
                .collect();
            let mut engine = HnswRs::new(&config, 64);
            engine.insert(&points);
            for (label, v) in &points {
                let hits = engine.search(v, 1, 64, None);
                let hit = hits.first().map(|&(row, _)| engine.label(row));
                if *label == 0 {
                    assert_eq!(
                        hit,
                        Some(0),
                        "round {round}: the first point cannot be found"
                    );
                }
                asked += 1;
                found += usize::from(hit == Some(*label));
            }
        }
        assert!(found * 100 >= asked * 99, "{found} of {asked} points found");
    }
}
