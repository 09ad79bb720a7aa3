//! The engines behind one trait: an approximate nearest-neighbour graph
//! over prepared vectors, addressed by dense rows.
//!
//! An engine knows its metric's distance, its rows' vectors and a `u64`
//! label per row (the point's storage slot, kept so a checkpoint can be
//! matched to storage again); it knows nothing of keys, payloads,
//! transactions or which rows are visible — the index (`index.rs`) passes
//! that in as a filter.

use std::cmp::Ordering;
use std::path::Path;

use super::{CollectionConfig, IndexEngine};
use crate::error::Result;

/// A candidate: a distance and an id (a row, a key), ordered by distance
/// (`total_cmp`), then id — in the engines' heaps and in exact search.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Near<I = u32>(pub f32, pub I);

impl<I: Ord> Eq for Near<I> {}
impl<I: Ord> PartialOrd for Near<I> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl<I: Ord> Ord for Near<I> {
    fn cmp(&self, o: &Self) -> Ordering {
        self.0.total_cmp(&o.0).then(self.1.cmp(&o.1))
    }
}

/// A search's filter on rows: only rows it admits are returned (the walk
/// still passes through the others).
pub(crate) type Keep<'a> = Option<&'a dyn Fn(u32) -> bool>;

/// An HNSW graph of one collection.
pub(crate) trait Engine: Send + Sync {
    /// Rows in the graph, deleted ones included.
    fn len(&self) -> usize;

    /// Adds prepared vectors (right dimension, finite, normalised for
    /// cosine) with their labels as rows `len()..`, linking on all cores.
    fn insert(&mut self, points: &[(u64, &[f32])]);

    /// Row `row`'s vector, as prepared.
    fn vector(&self, row: u32) -> &[f32];

    /// Row `row`'s label.
    fn label(&self, row: u32) -> u64;

    /// The `k` nearest rows (admitted by `keep`, if given) with their
    /// distances (the metric's: smaller is nearer), nearest first; the
    /// walk explores `ef` candidates and passes through rows `keep`
    /// refuses.
    fn search(&self, query: &[f32], k: usize, ef: usize, keep: Keep<'_>) -> Vec<(u32, f32)>;

    /// Marks row `row` deleted: it stays reachable (callers filter it
    /// out) until [`repair`](Self::repair) unlinks it.
    fn delete(&mut self, row: u32);

    /// Rows deleted and still reachable by a walk.
    fn unrepaired(&self) -> usize;

    /// Drops every deleted row (repairing first) and renumbers the others
    /// `0..` in order, without re-inserting them; returns the old row of
    /// each row kept, or `None` if this engine cannot (the caller
    /// rebuilds).
    fn compact(&mut self) -> Option<Vec<u32>> {
        None
    }

    /// Writes the graph into the empty directory `dir`, as the files
    /// [`files`] lists.
    fn dump(&self, dir: &Path) -> Result<()>;

    /// Bytes of memory held, when the engine can tell.
    fn heap_bytes(&self) -> Option<usize>;

    /// Bytes of vectors mapped from a checkpoint file instead.
    fn mapped_bytes(&self) -> usize;

    /// Bytes a walk reads, when the engine can tell: the neighbour lists
    /// and what distances are measured on (a quantised walk's codes, else
    /// the vectors, held or mapped). What must stay in memory for walks to
    /// run at memory speed; the rest (labels, locks, the vectors a
    /// quantised walk only re-ranks with) may sit cold.
    fn walk_bytes(&self) -> Option<usize> {
        None
    }
}

/// An empty graph for `config`, with room for `capacity` points.
pub(crate) fn create(config: &CollectionConfig, capacity: usize) -> Box<dyn Engine> {
    match config.engine {
        IndexEngine::Native => Box::new(
            super::native::NativeGraph::new(
                config.metric,
                config.dim,
                config.m,
                config.ef_construction,
            )
            .quantized(config.quantization),
        ),
        IndexEngine::HnswRs => Box::new(super::hnsw_rs::HnswRs::new(config, capacity)),
    }
}

/// Reloads a graph dumped for `config` from `dir` (its files already
/// verified against their checksums).
pub(crate) fn load(config: &CollectionConfig, dir: &Path) -> Result<Box<dyn Engine>> {
    Ok(match config.engine {
        IndexEngine::Native => Box::new(
            super::native::NativeGraph::load(
                config.metric,
                config.dim,
                config.m,
                config.ef_construction,
                dir,
            )?
            .quantized(config.quantization),
        ),
        IndexEngine::HnswRs => Box::new(super::hnsw_rs::HnswRs::load(config, dir)?),
    })
}

/// The files a dump of `engine` writes, in checkpoint order.
pub(crate) fn files(engine: IndexEngine) -> &'static [&'static str] {
    match engine {
        IndexEngine::Native => &super::native::DUMP_FILES,
        IndexEngine::HnswRs => &super::hnsw_rs::DUMP_FILES,
    }
}

/// How many of [`files`] a loadable dump has at least: dumps of older
/// builds end earlier (the native engine's before its codes file).
pub(crate) fn required_files(engine: IndexEngine) -> usize {
    match engine {
        IndexEngine::Native => super::native::REQUIRED_FILES,
        IndexEngine::HnswRs => super::hnsw_rs::DUMP_FILES.len(),
    }
}
