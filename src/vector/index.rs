//! The in-memory index of one collection: the HNSW graph, where each
//! point's vector is (for exact search), and tombstones. Derived from
//! RocksDB and rebuilt from it at open; RocksDB holds the truth.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use rustc_hash::FxHashMap;

use super::IndexEngine;
use super::hnsw::{Graph, dot};
use super::native::NativeGraph;
use super::{CollectionConfig, DEFAULT_EF, Hit, Metric, Search, SearchResult};
use crate::error::{Error, Result};

/// Search exactly when at most this many points can match.
const EXACT_BELOW: usize = 2_000;
/// ...or when a filter admits at most this fraction of the live points.
const EXACT_FRACTION: f64 = 0.05;
/// Rebuild the graph once this fraction of its points are deleted.
pub const REBUILD_DEAD_FRACTION: f64 = 0.25;

/// The HNSW graph of one collection, in the engine its configuration
/// names. Both take prepared vectors under caller slots and answer
/// `(slot, distance)` in the same conventions.
pub enum Engine {
    /// `hnsw_rs`.
    HnswRs(Graph),
    /// The native engine.
    Native(Box<NativeGraph>),
}

impl Engine {
    fn new(config: &CollectionConfig, capacity: usize) -> Engine {
        match config.engine {
            IndexEngine::HnswRs => Engine::HnswRs(Graph::new(
                config.metric,
                config.m,
                config.ef_construction,
                capacity,
            )),
            IndexEngine::Native => Engine::Native(Box::new(NativeGraph::new(
                config.metric,
                config.dim,
                config.m,
                config.ef_construction,
            ))),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Engine::HnswRs(g) => g.len(),
            Engine::Native(g) => g.len(),
        }
    }

    /// The files a dump of `engine` writes, in checkpoint order.
    pub fn dump_files(engine: IndexEngine) -> Vec<String> {
        match engine {
            IndexEngine::HnswRs => super::hnsw::dump_files().to_vec(),
            IndexEngine::Native => super::native::DUMP_FILES.map(str::to_owned).to_vec(),
        }
    }

    /// Writes the graph into the empty directory `dir`.
    pub fn dump(&self, dir: &std::path::Path) -> std::result::Result<(), String> {
        match self {
            Engine::HnswRs(g) => g.dump(dir),
            Engine::Native(g) => g.dump(dir),
        }
    }

    /// Reloads a graph dumped for `config` (its files already verified).
    pub fn load(
        config: &CollectionConfig,
        dir: &std::path::Path,
    ) -> std::result::Result<Engine, String> {
        match config.engine {
            IndexEngine::HnswRs => Graph::load(config.metric, dir).map(Engine::HnswRs),
            IndexEngine::Native => NativeGraph::load(
                config.metric,
                config.dim,
                config.m,
                config.ef_construction,
                dir,
            )
            .map(|g| Engine::Native(Box::new(g))),
        }
    }

    /// Tells the engine that the point in `row` is gone (the native engine
    /// marks its node for [`repair`](NativeGraph::repair); `hnsw_rs` keeps
    /// it as a tombstone, which the caller's filter skips).
    fn delete(&mut self, row: u32) {
        if let Engine::Native(g) = self {
            g.delete(row);
        }
    }

    fn insert_all(&mut self, items: &[(&[f32], usize)]) {
        match self {
            Engine::HnswRs(g) => g.insert_all(items),
            Engine::Native(g) => g.insert_all(items),
        }
    }

    fn search(
        &self,
        query: &[f32],
        k: usize,
        ef: usize,
        keep: Option<&dyn Fn(usize) -> bool>,
    ) -> Vec<(usize, f32)> {
        match self {
            Engine::HnswRs(g) => g.search(query, k, ef, keep),
            Engine::Native(g) => g.search(query, k, ef, keep),
        }
    }
}

/// A point of the index (live, or deleted but still in the graph).
struct Entry {
    key: u64,
    slot: u64,
    /// Where its vector is: the native graph's node, or (`hnsw_rs`) the
    /// row of [`VectorIndex::arena`].
    row: u32,
}

/// No entry: a [`VectorIndex::slot_entry`] value.
const NONE: u32 = u32::MAX;

/// One collection's index.
pub struct VectorIndex {
    config: CollectionConfig,
    graph: Engine,
    entries: Vec<Entry>,
    /// `hnsw_rs` only: the vectors for exact search, row `r` at
    /// `arena[r * dim..(r + 1) * dim]`. The native graph's own arena serves
    /// that engine, so its vectors are held once.
    arena: Vec<f32>,
    /// `slot_entry[slot]`: the entry of the live point in `slot`, or
    /// [`NONE`] — also the tombstone test inside the HNSW walk, without a
    /// hash lookup (four bytes per slot ever allocated).
    slot_entry: Vec<u32>,
    by_key: FxHashMap<u64, u32>,
    /// Live points; every other point of the graph is a tombstone.
    live: usize,
    /// One past the highest slot in the graph.
    slot_end: u64,
    /// Whether the graph changed since it was last checkpointed or loaded.
    pub dirty: bool,
    /// How the index was made at open: from a checkpoint (with this many
    /// points replayed from storage) or rebuilt.
    pub origin: Origin,
}

/// How an index came to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Built by inserting every point (new collection, or no usable
    /// checkpoint — the reason is kept).
    Built(String),
    /// Loaded from a checkpoint; this many later points were replayed.
    Checkpoint { replayed: usize },
}

/// Checks a vector (dimension, finite components, non-zero for cosine)
/// and returns it as indexed: normalised for cosine.
pub fn prepare(config: &CollectionConfig, v: &[f32]) -> Result<Vec<f32>> {
    if v.len() != config.dim {
        return Err(Error::DimensionMismatch {
            expected: config.dim,
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
    if config.metric == Metric::Cosine {
        let norm = dot(v, v).sqrt();
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

/// A max-heap entry on "worse" so the heap root is the worst kept hit.
struct Ranked(f32, u64, bool);

impl PartialEq for Ranked {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Ranked {}
impl PartialOrd for Ranked {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Ranked {
    fn cmp(&self, o: &Self) -> Ordering {
        // Worse first: lower score when higher is better, else higher.
        let by_score = if self.2 {
            o.0.total_cmp(&self.0)
        } else {
            self.0.total_cmp(&o.0)
        };
        by_score.then(self.1.cmp(&o.1))
    }
}

impl VectorIndex {
    pub fn new(config: CollectionConfig, capacity: usize) -> VectorIndex {
        Self::built(config, capacity, Origin::Built("new".into()))
    }

    /// An empty index in the configured engine.
    pub fn built(config: CollectionConfig, capacity: usize, origin: Origin) -> VectorIndex {
        let graph = Engine::new(&config, capacity);
        Self::with_engine(config, graph, origin)
    }

    /// An index around `graph` (empty, or reloaded from a checkpoint and
    /// then filled by [`add_stored`](Self::add_stored)).
    pub fn with_engine(config: CollectionConfig, graph: Engine, origin: Origin) -> VectorIndex {
        VectorIndex {
            config,
            graph,
            entries: Vec::new(),
            arena: Vec::new(),
            slot_entry: Vec::new(),
            by_key: FxHashMap::default(),
            live: 0,
            slot_end: 0,
            dirty: false,
            origin,
        }
    }

    /// The graph (to checkpoint).
    pub fn engine(&self) -> &Engine {
        &self.graph
    }

    pub fn config(&self) -> &CollectionConfig {
        &self.config
    }

    /// One past the highest slot in the graph.
    pub fn slot_end(&self) -> u64 {
        self.slot_end
    }

    /// Points in the graph, tombstones included.
    pub fn graph_points(&self) -> usize {
        self.graph.len()
    }

    /// Live points.
    pub fn len(&self) -> usize {
        self.live
    }

    /// Memory held: `(heap bytes, bytes mapped from a checkpoint)`; the
    /// heap figure is `None` under `hnsw_rs`, whose graph does not tell.
    pub fn memory(&self) -> (Option<usize>, usize) {
        let own = self.entries.capacity() * std::mem::size_of::<Entry>()
            + self.arena.capacity() * 4
            + self.slot_entry.capacity() * 4
            // hashbrown: a (key, value) pair and a control byte per bucket.
            + self.by_key.capacity() * (16 + 1);
        match &self.graph {
            Engine::Native(g) => (Some(own + g.heap_bytes()), g.mapped_bytes()),
            Engine::HnswRs(_) => (None, 0),
        }
    }

    /// Adds prepared vectors `(slot, key, vector)` (on all cores). A key
    /// already present must have been removed first.
    pub fn insert(&mut self, points: &[(u64, u64, Vec<f32>)]) {
        let first = match &self.graph {
            Engine::Native(g) => g.len(),
            Engine::HnswRs(_) => self.entries.len(),
        };
        for (k, (slot, key, v)) in points.iter().enumerate() {
            self.register(*slot, *key, (first + k) as u32);
            if let Engine::HnswRs(_) = self.graph {
                self.arena.extend_from_slice(v);
            }
        }
        let items: Vec<(&[f32], usize)> = points
            .iter()
            .map(|(slot, _, v)| (v.as_slice(), *slot as usize))
            .collect();
        self.graph.insert_all(&items);
        if let Some(max) = points.iter().map(|p| p.0).max() {
            self.slot_end = self.slot_end.max(max + 1);
        }
        self.dirty |= !points.is_empty();
    }

    /// Registers a live point whose vector is at `row`.
    fn register(&mut self, slot: u64, key: u64, row: u32) {
        let i = self.entries.len() as u32;
        self.entries.push(Entry { key, slot, row });
        let s = slot as usize;
        if self.slot_entry.len() <= s {
            self.slot_entry.resize(s + 1, NONE);
        }
        self.slot_entry[s] = i;
        self.by_key.insert(key, i);
        self.live += 1;
    }

    /// `hnsw_rs`, after a checkpoint reload: registers live points that
    /// are already in the graph, with their vectors (for exact search).
    pub fn add_stored(&mut self, points: &[(u64, u64, Vec<f32>)]) {
        for (slot, key, v) in points {
            self.register(*slot, *key, self.entries.len() as u32);
            self.arena.extend_from_slice(v);
        }
    }

    /// Native engine, after a checkpoint reload: registers the live points
    /// `(slot, key)` of slots the graph covers; their vectors are its
    /// nodes'. `Err` if the graph lacks one of them.
    pub fn add_linked(&mut self, points: &[(u64, u64)]) -> std::result::Result<(), String> {
        let Engine::Native(g) = &self.graph else {
            return Err("only a native graph holds its points' vectors".into());
        };
        let mut node_of = vec![NONE; self.slot_end as usize];
        for (node, &slot) in g.slots().iter().enumerate() {
            if let Some(n) = node_of.get_mut(slot as usize) {
                *n = node as u32;
            }
        }
        self.entries.reserve(points.len());
        self.by_key.reserve(points.len());
        for &(slot, key) in points {
            match node_of.get(slot as usize) {
                Some(&node) if node != NONE => self.register(slot, key, node),
                _ => return Err(format!("the checkpoint lacks the point in slot {slot}")),
            }
        }
        Ok(())
    }

    /// After reloading a checkpoint: the graph covers slots below
    /// `slot_end`.
    pub fn set_slot_end(&mut self, slot_end: u64) {
        self.slot_end = slot_end;
    }

    /// Whether `slot` holds a live point.
    #[inline]
    fn is_live(&self, slot: usize) -> bool {
        self.slot_entry.get(slot).is_some_and(|&e| e != NONE)
    }

    /// Whether entry `i` is its slot's live point (a removed point's entry
    /// stays, its slot pointing nowhere; slots are never reused).
    #[inline]
    fn entry_alive(&self, i: usize) -> bool {
        let slot = self.entries[i].slot as usize;
        self.slot_entry.get(slot) == Some(&(i as u32))
    }

    /// Tombstones the point in `slot` (it leaves every search at once).
    pub fn remove(&mut self, slot: u64) {
        let Some(&i) = self.slot_entry.get(slot as usize) else {
            return;
        };
        if i == NONE {
            return;
        }
        self.slot_entry[slot as usize] = NONE;
        let (key, row) = (self.entries[i as usize].key, self.entries[i as usize].row);
        self.graph.delete(row);
        self.live -= 1;
        self.dirty = true;
        if self.by_key.get(&key) == Some(&i) {
            self.by_key.remove(&key);
        }
    }

    /// After a checkpoint reload: the engine learns which of its points
    /// were deleted since (they are not live in storage).
    pub fn mark_dead_from_storage(&mut self) {
        if let Engine::Native(g) = &mut self.graph {
            let dead: Vec<u32> = (0..g.len() as u32)
                .filter(|&i| {
                    let slot = g.slots()[i as usize] as usize;
                    self.slot_entry.get(slot).is_none_or(|&e| e == NONE)
                })
                .collect();
            for node in dead {
                g.delete(node);
            }
        }
    }

    /// Repairs the links around deleted points in place, if the engine
    /// can (the native one); returns whether it did — if not, the caller
    /// rebuilds.
    pub fn repair(&mut self) -> bool {
        match &mut self.graph {
            Engine::Native(g) => {
                if g.unrepaired() > 0 {
                    g.repair();
                    self.dirty = true;
                }
                true
            }
            Engine::HnswRs(_) => false,
        }
    }

    /// Tombstones in the graph (deleted or replaced points).
    fn tombstones(&self) -> usize {
        self.graph.len().saturating_sub(self.live)
    }

    /// Whether enough points are deleted that a rebuild pays.
    pub fn needs_rebuild(&self) -> bool {
        let dead = self.tombstones();
        dead > 0 && dead as f64 >= REBUILD_DEAD_FRACTION * self.graph.len() as f64
    }

    /// A new index holding only the live points (graph built afresh).
    pub fn rebuilt(&self) -> VectorIndex {
        let mut fresh = VectorIndex::new(self.config.clone(), self.len());
        let dim = self.config.dim;
        let live: Vec<(u64, u64, Vec<f32>)> = self
            .entries
            .iter()
            .enumerate()
            .filter(|&(i, _)| self.entry_alive(i))
            .map(|(_, e)| (e.slot, e.key, self.vector(e).to_vec()))
            .collect();
        debug_assert!(live.iter().all(|p| p.2.len() == dim));
        fresh.insert(&live);
        fresh
    }

    fn score(&self, distance_or_dot: f32, from_graph: bool) -> f32 {
        match (self.config.metric, from_graph) {
            (Metric::Cosine, true) => 1.0 - distance_or_dot,
            (Metric::Dot, true) => super::hnsw::dot_from_distance(distance_or_dot),
            _ => distance_or_dot,
        }
    }

    /// The vector of `e`, as indexed.
    fn vector(&self, e: &Entry) -> &[f32] {
        match &self.graph {
            Engine::Native(g) => g.vector(e.row),
            Engine::HnswRs(_) => {
                let dim = self.config.dim;
                let at = e.row as usize * dim;
                &self.arena[at..at + dim]
            }
        }
    }

    fn exact_score(&self, q: &[f32], e: &Entry) -> f32 {
        let v = self.vector(e);
        match self.config.metric {
            Metric::Cosine | Metric::Dot => dot(q, v),
            Metric::L2 => super::simd::l2_squared(q, v).sqrt(),
        }
    }

    /// Searches with `params`; `query` is raw (validated and prepared
    /// here).
    pub fn search(&self, query: &[f32], params: &Search) -> Result<SearchResult> {
        if params.k == 0 {
            return Ok(SearchResult {
                hits: Vec::new(),
                exact: true,
            });
        }
        let q = prepare(&self.config, query)?;
        let allowed: Option<Vec<u32>> = params.keys.as_ref().map(|keys| {
            keys.iter()
                .filter_map(|k| self.by_key.get(k).copied())
                .collect()
        });
        let candidates = allowed.as_ref().map_or(self.len(), Vec::len);
        let selective =
            allowed.is_some() && (candidates as f64) <= EXACT_FRACTION * self.len() as f64;
        let mut result = if params.exact || candidates <= EXACT_BELOW || selective {
            self.exact(&q, params.k, allowed.as_deref())
        } else {
            let ef = params.ef.unwrap_or(DEFAULT_EF).max(params.k);
            // Admitted slots, sorted, when a key filter is given.
            let admitted: Option<Vec<usize>> = allowed.as_ref().map(|list| {
                let mut slots: Vec<usize> = list
                    .iter()
                    .map(|&i| self.entries[i as usize].slot as usize)
                    .collect();
                slots.sort_unstable();
                slots
            });
            let keep = |slot: usize| {
                self.is_live(slot)
                    && admitted
                        .as_ref()
                        .is_none_or(|s| s.binary_search(&slot).is_ok())
            };
            // With no tombstones and no filter, the walk needs no filter.
            let filtered = self.tombstones() > 0 || admitted.is_some();
            let keep: Option<&dyn Fn(usize) -> bool> = filtered.then_some(&keep);
            let found = self.graph.search(&q, params.k, ef, keep);
            if found.len() < params.k.min(candidates) {
                // The walk ran out of admitted points: answer exactly, so
                // k results come back whenever k exist.
                self.exact(&q, params.k, allowed.as_deref())
            } else {
                let hits = found
                    .into_iter()
                    .filter_map(|(slot, d)| {
                        let i = *self.slot_entry.get(slot).filter(|&&i| i != NONE)?;
                        Some(Hit {
                            key: self.entries[i as usize].key,
                            score: self.score(d, true),
                        })
                    })
                    .collect();
                SearchResult { hits, exact: false }
            }
        };
        if let Some(t) = params.threshold {
            let better = self.config.metric.higher_is_better();
            result
                .hits
                .retain(|h| if better { h.score >= t } else { h.score <= t });
        }
        Ok(result)
    }

    /// Brute force over the live points (or the `allowed` entries).
    fn exact(&self, q: &[f32], k: usize, allowed: Option<&[u32]>) -> SearchResult {
        let better = self.config.metric.higher_is_better();
        let mut heap: BinaryHeap<Ranked> = BinaryHeap::with_capacity(k + 1);
        let mut consider = |i: usize| {
            if !self.entry_alive(i) {
                return;
            }
            let e = &self.entries[i];
            heap.push(Ranked(self.exact_score(q, e), e.key, better));
            if heap.len() > k {
                heap.pop();
            }
        };
        match allowed {
            Some(list) => list.iter().for_each(|&i| consider(i as usize)),
            None => (0..self.entries.len()).for_each(&mut consider),
        }
        // Ascending in "worseness": best first.
        let hits = heap
            .into_sorted_vec()
            .into_iter()
            .map(|Ranked(score, key, _)| Hit { key, score })
            .collect();
        SearchResult { hits, exact: true }
    }
}
