//! QuiverDB's own HNSW graph (Malkov & Yashunin, 2016), built for this
//! database: the default [`Engine`].
//!
//! Layout: vectors in one contiguous `f32` arena indexed by a `u32`
//! internal id (`arena.rs`); layer-0 neighbour lists stored flat with a
//! fixed capacity of `2M` (`count, n1, …, n2M` per node); upper layers
//! likewise with capacity `M`, only for the nodes that reach them. Lists
//! are atomics, so a search may read while another thread links (as in
//! hnswlib, each writer holds the node's lock; readers never lock).
//!
//! * `build.rs` — insertion on all cores (`crate::parallel`) with the paper's
//!   neighbour-selection heuristic;
//! * `search.rs` — the walks, with reused per-searcher state (an
//!   epoch-stamped visited array, two heaps) and prefetching;
//! * `quant.rs` — int8 codes of the vectors, and `binary.rs` — one-bit
//!   codes, for quantised walks whose best candidates are re-ranked with
//!   the `f32` vectors;
//! * `repair.rs` — deletes: marked at once, unlinked at compaction;
//! * `file.rs` — the five-file dump (the codes in the fifth), reloaded
//!   with the vectors mapped.
//!
//! Distances are the metric's (`metric.rs`): the negated dot product for
//! cosine and inner product, the squared Euclidean distance for L2.

mod arena;
mod binary;
mod build;
mod file;
mod quant;
mod repair;
mod search;

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering as Mem};

use parking_lot::Mutex;

use super::engine::{Engine, Keep};
use super::{Metric, Quantization};
use crate::error::Result;
use crate::rng::Rng;
use arena::Arena;
use binary::BinaryCodes;
pub use file::{DUMP_FILES, REQUIRED_FILES};
use quant::Int8Codes;

/// Upper layers at most (level draws above are clamped).
const MAX_LEVEL: usize = 16;

/// The graph.
pub struct NativeGraph {
    metric: Metric,
    dim: usize,
    m: usize,
    m0: usize,
    ef_construction: usize,
    level_mult: f64,
    /// Node `i`'s vector is row `i`.
    vectors: Arena,
    /// The caller's label of each node (the point's storage slot).
    labels: Vec<u64>,
    levels: Vec<u8>,
    /// Layer 0: `(1 + m0)` atomics per node.
    links0: Vec<AtomicU32>,
    /// Upper layers: node `i` owns `levels[i] * (1 + m)` atomics from
    /// `upper_at[i]`.
    upper: Vec<AtomicU32>,
    upper_at: Vec<usize>,
    locks: Vec<Mutex<()>>,
    /// Whether each node is fully linked. Searches made while building skip
    /// nodes that are not: a node reached before its own lists are written
    /// is a dead end.
    done: Vec<AtomicBool>,
    /// Nodes marked deleted.
    deleted: Vec<AtomicBool>,
    /// Deleted nodes whose links are not repaired yet.
    unrepaired: usize,
    /// `(entry node, its level)`; `None` while empty.
    entry: Mutex<Option<(u32, usize)>>,
    rng: Rng,
    quantization: Quantization,
    /// With quantization, the codes of every row once the graph has
    /// [`quant::MIN_TRAIN`] rows.
    codes: Option<Codes>,
}

/// The codes a quantised walk reads.
enum Codes {
    Int8(Int8Codes),
    Binary(BinaryCodes),
}

impl Codes {
    /// Learns `quantization`'s codes of the `n` rows `row(0..n)`; `None`
    /// for no quantization.
    fn train<'a>(
        quantization: Quantization,
        dim: usize,
        n: usize,
        row: impl Fn(u32) -> &'a [f32] + Sync,
    ) -> Option<Codes> {
        match quantization {
            Quantization::Int8 => Some(Codes::Int8(Int8Codes::train(dim, n, row))),
            Quantization::Binary => Some(Codes::Binary(BinaryCodes::train(dim, n, row))),
            _ => None,
        }
    }

    fn len(&self) -> usize {
        match self {
            Codes::Int8(c) => c.len(),
            Codes::Binary(c) => c.len(),
        }
    }

    fn trained_rows(&self) -> usize {
        match self {
            Codes::Int8(c) => c.trained_rows(),
            Codes::Binary(c) => c.trained_rows(),
        }
    }

    fn push(&mut self, v: &[f32]) {
        match self {
            Codes::Int8(c) => c.push(v),
            Codes::Binary(c) => c.push(v),
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            Codes::Int8(c) => c.heap_bytes(),
            Codes::Binary(c) => c.heap_bytes(),
        }
    }
}

impl NativeGraph {
    /// An empty graph. `m` in 2..=256 (validated by the caller).
    pub fn new(metric: Metric, dim: usize, m: usize, ef_construction: usize) -> NativeGraph {
        NativeGraph {
            metric,
            dim,
            m,
            m0: 2 * m,
            ef_construction: ef_construction.max(m),
            level_mult: 1.0 / (m.max(2) as f64).ln(),
            vectors: Arena::new(dim),
            labels: Vec::new(),
            levels: Vec::new(),
            links0: Vec::new(),
            upper: Vec::new(),
            upper_at: Vec::new(),
            locks: Vec::new(),
            done: Vec::new(),
            deleted: Vec::new(),
            unrepaired: 0,
            entry: Mutex::new(None),
            rng: Rng::new(0x2545_f491_4f6c_dd1d),
            quantization: Quantization::None,
            codes: None,
        }
    }

    /// The graph with its walks reading `quantization`'s codes (learned
    /// now if it has enough rows).
    #[must_use]
    pub fn quantized(mut self, quantization: Quantization) -> NativeGraph {
        self.quantization = quantization;
        // Codes read from a dump serve only the quantization they are of.
        let fits = matches!(
            (quantization, &self.codes),
            (Quantization::Int8, Some(Codes::Int8(_)))
                | (Quantization::Binary, Some(Codes::Binary(_)))
        );
        if !fits {
            self.codes = None;
        }
        self.refresh_codes();
        self
    }

    /// Brings the codes up to the rows: learns them once there are enough
    /// rows, learns them again when the rows have doubled since (the
    /// ranges or the centroid follow the data as it grows; re-encoding
    /// costs far less than the insertions that doubled it), else encodes
    /// the new rows.
    fn refresh_codes(&mut self) {
        let n = self.len();
        if self.quantization == Quantization::None || n < quant::MIN_TRAIN {
            self.codes = None;
            return;
        }
        let vectors = &self.vectors;
        match &mut self.codes {
            Some(c) if n < 2 * c.trained_rows() => {
                for i in c.len()..n {
                    c.push(vectors.row(i as u32));
                }
            }
            _ => self.codes = Codes::train(self.quantization, self.dim, n, |i| vectors.row(i)),
        }
    }

    /// Points in the graph.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Bytes of memory held (vectors, links, bookkeeping), the mapped part
    /// of the vectors not included.
    pub fn heap_bytes(&self) -> usize {
        self.vectors.heap_bytes()
            + self.labels.capacity() * 8
            + self.levels.capacity()
            + (self.links0.capacity() + self.upper.capacity()) * 4
            + self.upper_at.capacity() * 8
            + self.locks.capacity() * std::mem::size_of::<Mutex<()>>()
            + (self.done.capacity() + self.deleted.capacity())
            + self.codes.as_ref().map_or(0, Codes::heap_bytes)
    }

    /// Bytes a walk reads: the neighbour lists (with the levels and upper
    /// offsets that find them) and the codes of a quantised walk, else the
    /// vectors (held or mapped).
    pub fn walk_bytes(&self) -> usize {
        let links = (self.links0.capacity() + self.upper.capacity()) * 4
            + self.upper_at.capacity() * 8
            + self.levels.capacity();
        links
            + self.codes.as_ref().map_or_else(
                || self.vectors.heap_bytes() + self.vectors.mapped_bytes(),
                Codes::heap_bytes,
            )
    }

    /// Bytes of vectors mapped from a checkpoint file.
    pub fn mapped_bytes(&self) -> usize {
        self.vectors.mapped_bytes()
    }

    /// Node `i`'s vector (as inserted: normalised for cosine).
    #[inline]
    pub fn vector(&self, i: u32) -> &[f32] {
        self.vectors.row(i)
    }

    #[inline]
    pub(super) fn distance(&self, q: &[f32], i: u32) -> f32 {
        self.metric.distance(q, self.vector(i))
    }

    /// The list of node `i` at `layer`: `(count, neighbours)`.
    #[inline]
    pub(super) fn list(&self, i: u32, layer: usize) -> &[AtomicU32] {
        if layer == 0 {
            let at = i as usize * (1 + self.m0);
            &self.links0[at..at + 1 + self.m0]
        } else {
            let at = self.upper_at[i as usize] + (layer - 1) * (1 + self.m);
            &self.upper[at..at + 1 + self.m]
        }
    }

    pub(super) fn neighbours(&self, i: u32, layer: usize, out: &mut Vec<u32>) {
        let list = self.list(i, layer);
        let n = list[0].load(Mem::Relaxed) as usize;
        out.clear();
        out.extend(list[1..=n].iter().map(|a| a.load(Mem::Relaxed)));
    }
}

impl Engine for NativeGraph {
    fn len(&self) -> usize {
        NativeGraph::len(self)
    }

    fn insert(&mut self, points: &[(u64, &[f32])]) {
        self.insert_all(points);
    }

    fn vector(&self, row: u32) -> &[f32] {
        NativeGraph::vector(self, row)
    }

    fn label(&self, row: u32) -> u64 {
        self.labels[row as usize]
    }

    fn search(&self, query: &[f32], k: usize, ef: usize, keep: Keep<'_>) -> Vec<(u32, f32)> {
        self.walk(query, k, ef, keep)
    }

    fn delete(&mut self, row: u32) {
        NativeGraph::delete(self, row);
    }

    fn unrepaired(&self) -> usize {
        NativeGraph::unrepaired(self)
    }

    fn compact(&mut self) -> Option<Vec<u32>> {
        Some(NativeGraph::compact(self))
    }

    fn dump(&self, dir: &Path) -> Result<()> {
        NativeGraph::dump(self, dir)
    }

    fn heap_bytes(&self) -> Option<usize> {
        Some(NativeGraph::heap_bytes(self))
    }

    fn mapped_bytes(&self) -> usize {
        NativeGraph::mapped_bytes(self)
    }

    fn walk_bytes(&self) -> Option<usize> {
        Some(NativeGraph::walk_bytes(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vector::simd;

    fn data(n: usize, dim: usize, seed: u64) -> Vec<Vec<f32>> {
        let mut rng = Rng::new(seed);
        (0..n)
            .map(|_| (0..dim).map(|_| rng.f32() - 0.5).collect())
            .collect()
    }

    fn exact(base: &[Vec<f32>], q: &[f32], k: usize) -> Vec<usize> {
        let mut d: Vec<(f32, usize)> = base
            .iter()
            .enumerate()
            .map(|(i, v)| (simd::l2_squared(q, v), i))
            .collect();
        d.sort_by(|a, b| a.0.total_cmp(&b.0));
        d.into_iter().take(k).map(|x| x.1).collect()
    }

    #[test]
    fn recall_against_brute_force_and_filters() {
        let base = data(5_000, 24, 11);
        let queries = data(100, 24, 99);
        let mut g = NativeGraph::new(Metric::L2, 24, 16, 200);
        let items: Vec<(u64, &[f32])> = base
            .iter()
            .enumerate()
            .map(|(i, v)| (i as u64 * 3, v.as_slice()))
            .collect();
        g.insert_all(&items[..100]); // two batches: the second links into the first
        g.insert_all(&items[100..]);
        assert_eq!(g.len(), 5_000);
        let mut hit = 0;
        for q in &queries {
            let truth = exact(&base, q, 10);
            let found: Vec<usize> = g
                .walk(q, 10, 64, None)
                .into_iter()
                .map(|(row, _)| (g.labels[row as usize] / 3) as usize)
                .collect();
            hit += found.iter().filter(|f| truth.contains(f)).count();
            // Distances are squared Euclidean, ascending.
            let d: Vec<f32> = g.walk(q, 10, 64, None).into_iter().map(|x| x.1).collect();
            assert!(d.windows(2).all(|w| w[0] <= w[1]));
        }
        let recall = hit as f64 / 1000.0;
        assert!(recall >= 0.95, "recall@10 {recall}");
        // A filter admitting even rows only: every hit admitted, k found.
        let keep = |row: u32| row.is_multiple_of(2);
        for q in queries.iter().take(20) {
            let found = g.walk(q, 10, 64, Some(&keep));
            assert_eq!(found.len(), 10);
            assert!(found.iter().all(|(s, _)| keep(*s)));
        }
    }

    #[test]
    fn quantized_walks_return_exact_distances_with_recall() {
        // One-bit codes estimate coarsely in 24 dimensions: a wider beam.
        for (quantization, ef) in [(Quantization::Int8, 64), (Quantization::Binary, 160)] {
            quantized_walk(quantization, ef);
        }
    }

    fn quantized_walk(quantization: Quantization, ef: usize) {
        let base = data(5_000, 24, 11);
        let queries = data(100, 24, 99);
        let items: Vec<(u64, &[f32])> = base
            .iter()
            .enumerate()
            .map(|(i, v)| (i as u64, v.as_slice()))
            .collect();
        let mut g = NativeGraph::new(Metric::L2, 24, 16, 200).quantized(quantization);
        g.insert_all(&items[..600]);
        assert!(g.codes.is_none(), "too few rows to learn codes");
        g.insert_all(&items[600..1_500]);
        let trained = |g: &NativeGraph| g.codes.as_ref().map(|c| (c.trained_rows(), c.len()));
        assert_eq!(trained(&g), Some((1_500, 1_500)));
        g.insert_all(&items[1_500..2_000]);
        assert_eq!(trained(&g), Some((1_500, 2_000)), "new rows encoded");
        g.insert_all(&items[2_000..]);
        assert_eq!(trained(&g), Some((5_000, 5_000)), "learned again");
        let mut hit = 0;
        for q in &queries {
            let truth = exact(&base, q, 10);
            let found = g.walk(q, 10, ef, None);
            for &(row, d) in &found {
                // Scores are the exact distances, not the estimates.
                assert_eq!(
                    d.to_bits(),
                    simd::l2_squared(q, &base[row as usize]).to_bits()
                );
            }
            assert!(found.windows(2).all(|w| w[0].1 <= w[1].1));
            hit += found
                .iter()
                .filter(|(row, _)| truth.contains(&(*row as usize)))
                .count();
        }
        assert!(hit >= 950, "{quantization:?}: recall@10 {hit}/1000");
        let keep = |row: u32| row.is_multiple_of(3);
        for q in queries.iter().take(20) {
            let found = g.walk(q, 10, ef, Some(&keep));
            assert_eq!(found.len(), 10);
            assert!(found.iter().all(|(s, _)| keep(*s)));
        }
        // A reloaded graph reads its codes from the dump (as they were:
        // learned at 5,000 rows, 10 appended) and answers alike.
        let extra = data(10, 24, 7);
        let more: Vec<(u64, &[f32])> = extra
            .iter()
            .enumerate()
            .map(|(i, v)| (5_000 + i as u64, v.as_slice()))
            .collect();
        g.insert_all(&more);
        assert_eq!(trained(&g), Some((5_000, 5_010)));
        let dir = tempfile::tempdir().unwrap();
        g.dump(dir.path()).unwrap();
        let load = |dir: &std::path::Path| NativeGraph::load(Metric::L2, 24, 16, 200, dir);
        let h = load(dir.path()).unwrap().quantized(quantization);
        assert_eq!(trained(&h), Some((5_000, 5_010)), "read, not learned");
        for q in queries.iter().take(20) {
            assert_eq!(g.walk(q, 10, ef, None), h.walk(q, 10, ef, None));
        }
        // Codes of another quantization are not used.
        let other = match quantization {
            Quantization::Int8 => Quantization::Binary,
            _ => Quantization::Int8,
        };
        let mixed = load(dir.path()).unwrap().quantized(other);
        assert!(
            matches!(
                (other, &mixed.codes),
                (Quantization::Int8, Some(Codes::Int8(_)))
                    | (Quantization::Binary, Some(Codes::Binary(_)))
            ),
            "{other:?}: learned its own"
        );
        // A damaged codes file is refused with the dump; a dump of an older
        // build (no codes file) loads and learns them.
        let codes = dir.path().join("native.codes");
        let bytes = std::fs::read(&codes).unwrap();
        for damaged in [
            &bytes[..bytes.len() - 1],
            &[&bytes[..8], &[7], &bytes[9..]].concat(),
        ] {
            std::fs::write(&codes, damaged).unwrap();
            assert!(load(dir.path()).is_err(), "{quantization:?}");
        }
        std::fs::remove_file(&codes).unwrap();
        let old = load(dir.path()).unwrap();
        assert!(old.codes.is_none());
        assert_eq!(trained(&old.quantized(quantization)), Some((5_010, 5_010)));
    }

    #[test]
    fn a_dump_reloads_to_the_same_answers_and_bad_files_are_refused() {
        let base = data(2_000, 8, 5);
        let mut g = NativeGraph::new(Metric::L2, 8, 8, 64);
        let items: Vec<(u64, &[f32])> = base
            .iter()
            .enumerate()
            .map(|(i, v)| (i as u64 + 10, v.as_slice()))
            .collect();
        g.insert_all(&items);
        let dir = tempfile::tempdir().unwrap();
        g.dump(dir.path()).unwrap();
        let mut h = NativeGraph::load(Metric::L2, 8, 8, 64, dir.path()).unwrap();
        for q in data(20, 8, 77) {
            assert_eq!(g.walk(&q, 5, 32, None), h.walk(&q, 5, 32, None));
        }
        assert_eq!(g.labels, h.labels);
        // It keeps growing after a reload.
        h.insert_all(&[(5_000, &[9.0; 8][..])]);
        assert_eq!(h.walk(&[9.0; 8], 1, 64, None)[0], (2_000, 0.0));
        assert_eq!(h.labels[2_000], 5_000);
        assert!(
            NativeGraph::load(Metric::L2, 9, 8, 64, dir.path()).is_err(),
            "other dimension"
        );
        for (file, cut) in [
            ("native.links0", 4),
            ("native.nodes", 1),
            ("native.vectors", 3),
        ] {
            let copy = tempfile::tempdir().unwrap();
            for f in DUMP_FILES {
                std::fs::copy(dir.path().join(f), copy.path().join(f)).unwrap();
            }
            let p = copy.path().join(file);
            let mut bytes = std::fs::read(&p).unwrap();
            bytes.truncate(bytes.len() - cut);
            std::fs::write(&p, bytes).unwrap();
            assert!(
                NativeGraph::load(Metric::L2, 8, 8, 64, copy.path()).is_err(),
                "{file}"
            );
        }
        // A neighbour id past the end is refused.
        let copy = tempfile::tempdir().unwrap();
        for f in DUMP_FILES {
            std::fs::copy(dir.path().join(f), copy.path().join(f)).unwrap();
        }
        let p = copy.path().join("native.links0");
        let mut bytes = std::fs::read(&p).unwrap();
        bytes[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        std::fs::write(&p, bytes).unwrap();
        assert!(NativeGraph::load(Metric::L2, 8, 8, 64, copy.path()).is_err());
    }

    #[test]
    fn repair_unlinks_deleted_points_and_keeps_recall() {
        let base = data(4_000, 16, 21);
        let mut g = NativeGraph::new(Metric::L2, 16, 8, 100);
        let items: Vec<(u64, &[f32])> = base
            .iter()
            .enumerate()
            .map(|(i, v)| (i as u64, v.as_slice()))
            .collect();
        g.insert_all(&items);
        // Delete every third point, the entry point among them.
        let entry = g.entry.lock().unwrap().0;
        let gone: Vec<usize> = (0..4_000)
            .filter(|i| i % 3 == 0 || *i == entry as usize)
            .collect();
        for &i in &gone {
            assert!(g.delete(i as u32));
        }
        assert!(!g.delete(0), "deleting twice reports nothing new");
        assert_eq!(g.unrepaired(), gone.len());
        g.repair();
        assert_eq!(g.unrepaired(), 0);
        let dead = |i: u32| gone.binary_search(&(i as usize)).is_ok();
        let mut buf = Vec::new();
        for i in 0..4_000u32 {
            for layer in 0..=usize::from(g.levels[i as usize]) {
                g.neighbours(i, layer, &mut buf);
                if dead(i) {
                    assert!(buf.is_empty(), "a deleted node keeps links");
                } else {
                    assert!(
                        buf.iter().all(|&x| !dead(x)),
                        "node {i} still links to a deleted node"
                    );
                }
            }
        }
        assert!(!dead(g.entry.lock().unwrap().0));
        // Without any filter, only live points come back, with good recall.
        let live: Vec<Vec<f32>> = (0..4_000)
            .filter(|i| !dead(*i as u32))
            .map(|i| base[i].clone())
            .collect();
        let live_slots: Vec<usize> = (0..4_000).filter(|i| !dead(*i as u32)).collect();
        let mut hit = 0;
        for q in data(50, 16, 5) {
            let found = g.walk(&q, 10, 64, None);
            assert!(found.iter().all(|(s, _)| !dead(*s)));
            let truth: Vec<usize> = exact(&live, &q, 10)
                .into_iter()
                .map(|i| live_slots[i])
                .collect();
            hit += found
                .iter()
                .filter(|(s, _)| truth.contains(&(*s as usize)))
                .count();
        }
        assert!(hit >= 475, "recall after repair {hit}/500");

        // Compaction gives the deleted rows back: the live ones become
        // 0.. in order, with their labels, vectors and the same answers.
        let answers = |g: &NativeGraph| -> Vec<Vec<u64>> {
            data(50, 16, 5)
                .iter()
                .map(|q| {
                    g.walk(q, 10, 64, None)
                        .into_iter()
                        .map(|(r, _)| g.labels[r as usize])
                        .collect()
                })
                .collect()
        };
        let before = answers(&g);
        let heap = g.heap_bytes();
        let kept = g.compact();
        assert_eq!(
            kept,
            live_slots.iter().map(|&i| i as u32).collect::<Vec<_>>()
        );
        assert_eq!(g.len(), live_slots.len());
        assert!(g.heap_bytes() < heap, "{} !< {heap}", g.heap_bytes());
        for (new, &old) in live_slots.iter().enumerate() {
            assert_eq!(g.labels[new], old as u64);
            assert_eq!(g.vector(new as u32), base[old].as_slice());
            for layer in 0..=usize::from(g.levels[new]) {
                g.neighbours(new as u32, layer, &mut buf);
                assert!(buf.iter().all(|&x| (x as usize) < g.len()));
            }
        }
        assert_eq!(before, answers(&g), "the same graph, renumbered");
        assert_eq!(g.unrepaired(), 0);
        // It keeps growing and deleting after a compaction.
        g.insert_all(&[(9_999, &[7.0; 16][..])]);
        assert_eq!(
            g.walk(&[7.0; 16], 1, 64, None)[0].0 as usize,
            live_slots.len()
        );
    }
}
#[cfg(test)]
mod churn {
    use super::*;
    use crate::vector::simd;

    /// Clustered points (12 centres in 16 dimensions), a tenth deleted and
    /// as many inserted per round, compacted every third round, for 90
    /// rounds: the graph must keep its recall and every live point
    /// reachable on layer 0. (With the insert heuristic for the repairs'
    /// refills, a third of the points were unreachable by round 60.)
    #[test]
    fn rounds_of_deletes_and_compactions_keep_the_graph_whole() {
        let mut rng = Rng::new(99);
        let mut point = |c: usize| -> Vec<f32> {
            (0..16)
                .map(|i| {
                    let g = rng.gauss_f32();
                    (c as f32 * (i as f32 + 1.0)).sin() + 0.3 * g
                })
                .collect()
        };
        let mut g = NativeGraph::new(Metric::L2, 16, 16, 200);
        let mut next = 0usize;
        let mut fresh = |n: usize| -> Vec<Vec<f32>> {
            (0..n)
                .map(|_| {
                    next += 7;
                    point(next % 12)
                })
                .collect()
        };
        let first = fresh(3_000);
        let items: Vec<(u64, &[f32])> = first.iter().map(|v| (0, v.as_slice())).collect();
        g.insert_all(&items);
        // (row, vector) of every live point.
        let mut live: Vec<(u32, Vec<f32>)> = first
            .into_iter()
            .enumerate()
            .map(|(i, v)| (i as u32, v))
            .collect();
        let queries = fresh(50);
        for round in 0..90 {
            let mut gone: Vec<u32> = (0..300)
                .map(|j| live[(j * 97 + round * 13) % live.len()].0)
                .collect();
            gone.sort_unstable();
            gone.dedup();
            for &r in &gone {
                g.delete(r);
            }
            live.retain(|(r, _)| gone.binary_search(r).is_err());
            let added = fresh(gone.len());
            let at = g.len() as u32;
            let items: Vec<(u64, &[f32])> = added.iter().map(|v| (0, v.as_slice())).collect();
            g.insert_all(&items);
            live.extend(
                added
                    .into_iter()
                    .enumerate()
                    .map(|(k, v)| (at + k as u32, v)),
            );
            if round % 3 == 2 {
                let kept = g.compact();
                let renumber: std::collections::HashMap<u32, u32> = kept
                    .iter()
                    .enumerate()
                    .map(|(new, &old)| (old, new as u32))
                    .collect();
                for l in &mut live {
                    l.0 = renumber[&l.0];
                }
                assert_eq!(g.len(), live.len());
                assert!(g.unreachable().is_empty(), "round {round}");
            }
            let keep = |r: u32| !g.deleted[r as usize].load(Mem::Relaxed);
            let mut hit = 0;
            for q in &queries {
                let mut d: Vec<(f32, u32)> = live
                    .iter()
                    .map(|(r, v)| (simd::l2_squared(q, v), *r))
                    .collect();
                d.sort_by(|a, b| a.0.total_cmp(&b.0));
                let truth: Vec<u32> = d[..10].iter().map(|x| x.1).collect();
                hit += g
                    .walk(q, 10, 48, Some(&keep))
                    .iter()
                    .filter(|(r, _)| truth.contains(r))
                    .count();
            }
            assert!(hit >= 475, "round {round}: recall@10 {hit}/500");
        }
    }
}
