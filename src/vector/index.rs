//! The in-memory index of one collection: the engine's graph, and for each
//! of its rows the point's key, its storage slot, and the commit
//! generations that created and removed it.
//!
//! Derived from RocksDB (the truth) and rebuilt from it. The generations
//! make every search answer for one snapshot: a row is visible at
//! generation `g` when it was born at or before `g` and died after it, so
//! a point committed later is invisible and a point deleted or replaced
//! later is still found, with its old vector, by older snapshots. A
//! removed row is *reclaimed* — unlinked from its key, handed to the
//! engine's delete (and so to its repair) — only once no open snapshot
//! can see it (the horizon, see `txn/generations.rs`).

use std::collections::{BinaryHeap, VecDeque};

use parking_lot::Mutex;
use rustc_hash::{FxHashMap, FxHashSet};

use super::engine::{self, Engine, Near};
use super::{CollectionConfig, DEFAULT_EF, Hit, Metric, SearchResult, simd};
use crate::error::{Error, Result};
use crate::parallel;
use crate::rng::Rng;

/// Search exactly when at most this many points can match.
const EXACT_BELOW: usize = 2_000;
/// ...or when a filter admits at most this fraction of the live points.
const EXACT_FRACTION: f64 = 0.05;
/// ...or when scanning the admitted points costs fewer distances than
/// the filtered walk is expected to: a walk measures about
/// `WALK_DISTANCES · ef · M` points to find `ef` results, and one that
/// admits a fraction `f` of them about `1/f` times as many — so the scan
/// wins while `admitted² ≤ WALK_DISTANCES · ef · M · live`. Measured on
/// the Debian set (63,666 × 384, ef 48, M 16): an unfiltered walk costs
/// as much as about 1,400 exact distances (hence 1.8), and a filter
/// admitting 10.5 % of the points took 1.23 ms walking, 0.57 ms scanning.
const WALK_DISTANCES: f64 = 1.8;
/// Rebuild the graph once this fraction of its rows are reclaimed.
pub const REBUILD_DEAD_FRACTION: f64 = 0.25;

/// `died` of a row that is alive.
const ALIVE: u64 = u64::MAX;

/// One row of the engine's graph.
#[derive(Clone, Copy, Debug)]
struct Row {
    key: u64,
    slot: u64,
    /// The generation that committed it.
    born: u64,
    /// The generation that removed it, or [`ALIVE`].
    died: u64,
}

/// Which rows a search may return: those alive at `generation`, less the
/// slots a write transaction has deleted but not committed.
#[derive(Clone, Copy)]
pub struct Visibility<'a> {
    pub generation: u64,
    pub hidden: Option<&'a FxHashSet<u64>>,
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

/// One collection's index.
pub struct VectorIndex {
    config: CollectionConfig,
    engine: Box<dyn Engine>,
    /// Per engine row, in slot order (slots only grow).
    rows: Vec<Row>,
    /// Key → its newest row not yet reclaimed.
    by_key: FxHashMap<u64, u32>,
    /// Row → the older row of the same key, while that one is not
    /// reclaimed (a point updated or re-inserted while an older snapshot
    /// may still see its previous version).
    older: FxHashMap<u32, u32>,
    /// Rows removed and not yet reclaimed, in the order they died.
    dying: VecDeque<u32>,
    /// Rows that died at or before this generation are reclaimed.
    reclaimed: u64,
    /// Rows alive at the newest generation.
    live: usize,
    /// The newest generation that added rows.
    newest_birth: u64,
    /// One past the highest slot in the graph.
    slot_end: u64,
    /// Whether the graph changed since it was last checkpointed or loaded.
    pub dirty: bool,
    /// How the index was made at open.
    pub origin: Origin,
    /// Points inserted or removed so far (the age of a calibration).
    changes: u64,
    /// Recall per `ef` measured on the collection itself, per `k`
    /// ([`ef_for_recall`](Self::ef_for_recall)).
    calibrations: Mutex<FxHashMap<usize, Calibration>>,
}

/// Recall@k per `ef` of the ladder, measured when the index held `live`
/// points, after `changes` changes.
#[derive(Clone, Debug, PartialEq)]
pub struct Calibration {
    pub k: usize,
    pub live: usize,
    pub changes: u64,
    /// `(ef, recall@k)`, ef ascending; empty when the collection is
    /// searched exactly.
    pub curve: Vec<(usize, f64)>,
    /// The standard error of each point's recall: the spread of the
    /// queries' own recalls over √queries.
    pub errors: Vec<f64>,
}

impl Calibration {
    /// Whether more than a tenth of the points measured have changed since.
    fn stale(&self, changes: u64) -> bool {
        changes.saturating_sub(self.changes) * 10 > self.live as u64
    }

    /// The smallest `ef` measured whose recall, less two standard errors
    /// of its measure, reaches `target`. The errors come from how the
    /// queries' recalls vary (a hard query misses several neighbours at
    /// once), not from the k · queries neighbours as if each were drawn
    /// alone, which gave margins 1.3–2.5 times too narrow. On the churn
    /// benchmark (Debian, 20 rounds of 10 % replacements, recall counting
    /// ties) one binomial error left the default ef under 0.95 in 3 rounds,
    /// one error of the queries' spread in 1, two in none.
    fn ef_for(&self, target: f64) -> Option<usize> {
        self.curve
            .iter()
            .zip(&self.errors)
            .find(|&(&(_, r), &e)| r - 2.0 * e >= target)
            .map(|(&(ef, _), _)| ef)
    }

    /// The standard error of a recall `r` measured as `samples` neighbours
    /// drawn alone: what a calibration kept before the errors were
    /// measured is judged by.
    pub fn binomial_error(r: f64, samples: usize) -> f64 {
        (r * (1.0 - r) / samples.max(1) as f64).sqrt()
    }
}

/// The recall@k the default `ef` is chosen for ([`VectorIndex::default_ef`]).
pub const DEFAULT_RECALL: f64 = 0.95;
/// The `k` its calibration is measured at.
pub const DEFAULT_CALIBRATION_K: usize = 10;

/// The `ef` values a recall target chooses among.
const EF_LADDER: [usize; 12] = [10, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512];

/// Points used as queries by a calibration.
pub(crate) const CALIBRATION_QUERIES: usize = 100;

/// The `k` nearest of candidate `(distance, key)`s, nearest first (ties by
/// key), as hits: one exact pass, or the merge of several.
pub struct TopK {
    k: usize,
    /// A max-heap: the root is the worst candidate kept.
    heap: BinaryHeap<Near<u64>>,
}

impl TopK {
    pub fn new(k: usize) -> TopK {
        TopK {
            k,
            heap: BinaryHeap::with_capacity(k + 1),
        }
    }

    pub fn push(&mut self, distance: f32, key: u64) {
        if self.heap.len() == self.k && self.heap.peek().is_some_and(|w| Near(distance, key) >= *w)
        {
            return;
        }
        self.heap.push(Near(distance, key));
        if self.heap.len() > self.k {
            self.heap.pop();
        }
    }

    /// The candidates kept, nearest first.
    pub fn into_sorted(self) -> Vec<Near<u64>> {
        self.heap.into_sorted_vec()
    }

    pub fn hits(self, config: &CollectionConfig) -> Vec<Hit> {
        self.into_sorted()
            .into_iter()
            .map(|Near(d, key)| Hit::new(key, config.metric.score(d)))
            .collect()
    }
}

impl VectorIndex {
    /// An empty index in the configured engine.
    pub fn new(config: CollectionConfig, capacity: usize, origin: Origin) -> VectorIndex {
        let engine = engine::create(&config, capacity);
        Self::around(config, engine, origin)
    }

    fn around(config: CollectionConfig, engine: Box<dyn Engine>, origin: Origin) -> VectorIndex {
        VectorIndex {
            config,
            engine,
            rows: Vec::new(),
            by_key: FxHashMap::default(),
            older: FxHashMap::default(),
            dying: VecDeque::new(),
            reclaimed: 0,
            live: 0,
            newest_birth: 0,
            slot_end: 0,
            dirty: false,
            origin,
            changes: 0,
            calibrations: Mutex::new(FxHashMap::default()),
        }
    }

    /// An index around a graph reloaded from a checkpoint that covers the
    /// slots below `slot_end`. `live` lists the `(slot, key)` of the points
    /// alive in storage in those slots, sorted by slot; every one must be
    /// in the graph. Rows whose point is no longer stored are dead (and
    /// reclaimed) at once.
    pub fn reloaded(
        config: CollectionConfig,
        engine: Box<dyn Engine>,
        slot_end: u64,
        live: &[(u64, u64)],
    ) -> Result<VectorIndex> {
        let mut index = Self::around(config, engine, Origin::Checkpoint { replayed: 0 });
        index.slot_end = slot_end;
        let n = index.engine.len();
        index.rows.reserve(n);
        index.by_key.reserve(live.len());
        let mut wanted = live.iter().filter(|(slot, _)| *slot < slot_end).peekable();
        for r in 0..n as u32 {
            let slot = index.engine.label(r);
            if index.rows.last().is_some_and(|last| last.slot >= slot) {
                return Err(Error::corruption(
                    "the checkpoint's rows are not in slot order",
                ));
            }
            if wanted.peek().is_some_and(|(s, _)| *s < slot) {
                break; // a live point the graph skipped: reported below
            }
            let row = match wanted.next_if(|(s, _)| *s == slot) {
                Some(&(_, key)) => Row {
                    key,
                    slot,
                    born: 0,
                    died: ALIVE,
                },
                None => Row {
                    key: u64::MAX,
                    slot,
                    born: 0,
                    died: 0,
                },
            };
            index.push_row(row);
            if row.died == 0 {
                index.engine.delete(r);
                index.changes += 1;
            }
        }
        if let Some((slot, _)) = wanted.next() {
            return Err(Error::corruption(format!(
                "the checkpoint lacks the point in slot {slot}"
            )));
        }
        Ok(index)
    }

    /// Registers row `rows.len()` (already in the engine).
    fn push_row(&mut self, row: Row) {
        let r = self.rows.len() as u32;
        self.rows.push(row);
        if row.died == ALIVE {
            self.live += 1;
        }
        if row.died > self.reclaimed
            && let Some(prev) = self.by_key.insert(row.key, r)
        {
            self.older.insert(r, prev);
        }
        self.slot_end = self.slot_end.max(row.slot + 1);
    }

    /// The graph (to checkpoint).
    pub fn engine(&self) -> &dyn Engine {
        self.engine.as_ref()
    }

    pub fn config(&self) -> &CollectionConfig {
        &self.config
    }

    /// One past the highest slot in the graph.
    pub fn slot_end(&self) -> u64 {
        self.slot_end
    }

    /// Rows in the graph, removed ones included.
    pub fn graph_points(&self) -> usize {
        self.engine.len()
    }

    /// Points alive at the newest generation.
    pub fn len(&self) -> usize {
        self.live
    }

    /// Memory held: `(heap bytes, bytes mapped from a checkpoint)`; the
    /// heap figure is `None` when the engine cannot tell.
    pub fn memory(&self) -> (Option<usize>, usize) {
        // (The key table and versions below are the index's, not the
        // walk's: see `walk_bytes`.)
        let own = self.rows.capacity() * std::mem::size_of::<Row>()
            // hashbrown: a (key, value) pair and a control byte per bucket.
            + self.by_key.capacity() * (12 + 1)
            + self.older.capacity() * (8 + 1)
            + self.dying.capacity() * 4;
        (
            self.engine.heap_bytes().map(|e| e + own),
            self.engine.mapped_bytes(),
        )
    }

    /// Bytes the walks read (links and codes or vectors), within
    /// [`memory`](Self::memory) plus the mapped part; `None` when the
    /// engine cannot tell.
    pub fn walk_bytes(&self) -> Option<usize> {
        self.engine.walk_bytes()
    }

    /// Adds prepared vectors `(slot, key, vector)` committed at generation
    /// `born` (on all cores). Slots must be above every slot in the index;
    /// a key already present must have been removed first.
    pub fn insert(&mut self, points: &[(u64, u64, Vec<f32>)], born: u64) {
        if points.is_empty() {
            return;
        }
        let items: Vec<(u64, &[f32])> = points.iter().map(|(s, _, v)| (*s, v.as_slice())).collect();
        self.engine.insert(&items);
        for &(slot, key, _) in points {
            self.push_row(Row {
                key,
                slot,
                born,
                died: ALIVE,
            });
        }
        self.newest_birth = self.newest_birth.max(born);
        self.changes += points.len() as u64;
        self.dirty = true;
    }

    /// The row holding `slot`.
    fn row_of_slot(&self, slot: u64) -> Option<u32> {
        self.rows
            .binary_search_by_key(&slot, |r| r.slot)
            .ok()
            .map(|r| r as u32)
    }

    /// Removes the point in `slot` at generation `died`: snapshots older
    /// than `died` still find it.
    pub fn remove(&mut self, slot: u64, died: u64) {
        let Some(r) = self.row_of_slot(slot) else {
            return;
        };
        let row = &mut self.rows[r as usize];
        if row.died != ALIVE {
            return;
        }
        row.died = died;
        self.dying.push_back(r);
        self.live -= 1;
        self.changes += 1;
        self.dirty = true;
    }

    /// Whether a row died at or before `horizon` and waits to be
    /// reclaimed.
    pub fn has_reclaimable(&self, horizon: u64) -> bool {
        self.dying
            .front()
            .is_some_and(|&r| self.rows[r as usize].died <= horizon)
    }

    /// Reclaims every row that died at or before `horizon` (no snapshot
    /// can see it any more): unlinks it from its key and deletes it from
    /// the engine (a repair or rebuild then unlinks it from the graph).
    /// Returns how many rows were reclaimed.
    pub fn reclaim(&mut self, horizon: u64) -> usize {
        let mut n = 0;
        while let Some(&r) = self.dying.front() {
            if self.rows[r as usize].died > horizon {
                break;
            }
            self.dying.pop_front();
            self.unlink(r);
            self.engine.delete(r);
            n += 1;
        }
        self.reclaimed = self.reclaimed.max(horizon);
        n
    }

    /// Takes reclaimed row `r` out of its key's chain of versions.
    fn unlink(&mut self, r: u32) {
        let key = self.rows[r as usize].key;
        let Some(&head) = self.by_key.get(&key) else {
            return;
        };
        let below = self.older.remove(&r);
        if head == r {
            match below {
                Some(o) => self.by_key.insert(key, o),
                None => self.by_key.remove(&key),
            };
            return;
        }
        let mut at = head;
        while let Some(&o) = self.older.get(&at) {
            if o == r {
                match below {
                    Some(b) => self.older.insert(at, b),
                    None => self.older.remove(&at),
                };
                return;
            }
            at = o;
        }
    }

    /// Gives the reclaimed rows back without a rebuild, if the engine can
    /// (native: repair, then renumber the rows kept — no re-insertion);
    /// returns whether it did (if not, the caller rebuilds).
    pub fn compact(&mut self) -> bool {
        if self.engine.len() == self.live + self.dying.len() {
            return true; // nothing reclaimed in the graph
        }
        let Some(kept) = self.engine.compact() else {
            return false;
        };
        if kept.len() == self.rows.len() {
            return true;
        }
        let rows = std::mem::take(&mut self.rows);
        let dying = std::mem::take(&mut self.dying);
        let slot_end = self.slot_end;
        self.by_key.clear();
        self.older.clear();
        self.live = 0;
        let mut new_row = vec![u32::MAX; rows.len()];
        for (k, &r) in kept.iter().enumerate() {
            new_row[r as usize] = k as u32;
            self.push_row(rows[r as usize]);
        }
        self.dying = dying
            .into_iter()
            .map(|r| new_row[r as usize])
            .filter(|&r| r != u32::MAX)
            .collect();
        self.rows.shrink_to_fit();
        self.slot_end = slot_end;
        self.dirty = true;
        true
    }

    /// Whether enough rows are reclaimed that a compaction (or, for an
    /// engine that cannot compact, a rebuild) pays.
    pub fn needs_rebuild(&self) -> bool {
        let kept = self.live + self.dying.len();
        let dead = self.engine.len().saturating_sub(kept);
        dead > 0 && dead as f64 >= REBUILD_DEAD_FRACTION * self.engine.len() as f64
    }

    /// A new index holding the rows not reclaimed (what some snapshot may
    /// still see), with their generations, in a graph built afresh.
    pub fn rebuilt(&self) -> VectorIndex {
        let kept: Vec<u32> = (0..self.rows.len() as u32)
            .filter(|&r| self.rows[r as usize].died > self.reclaimed)
            .collect();
        let mut fresh = VectorIndex::new(self.config.clone(), kept.len(), self.origin.clone());
        fresh.reclaimed = self.reclaimed;
        let points: Vec<(u64, &[f32])> = kept
            .iter()
            .map(|&r| (self.rows[r as usize].slot, self.engine.vector(r)))
            .collect();
        fresh.engine.insert(&points);
        let mut dying = Vec::new();
        for (new, &r) in kept.iter().enumerate() {
            let row = self.rows[r as usize];
            fresh.push_row(row);
            if row.died != ALIVE {
                dying.push((row.died, new as u32));
            }
        }
        dying.sort_unstable();
        fresh.dying = dying.into_iter().map(|(_, r)| r).collect();
        fresh.newest_birth = self.newest_birth;
        fresh.slot_end = self.slot_end;
        fresh.dirty = true;
        // A graph built afresh of the same points with the same settings
        // reaches the recall its predecessor was measured at.
        fresh.changes = self.changes;
        fresh.calibrations = Mutex::new(self.calibrations.lock().clone());
        fresh
    }

    /// Whether row `r` is visible to `v`.
    #[inline]
    fn visible(&self, r: u32, v: Visibility<'_>) -> bool {
        let row = &self.rows[r as usize];
        row.born <= v.generation
            && v.generation < row.died
            && v.hidden.is_none_or(|h| !h.contains(&row.slot))
    }

    /// Whether every row a walk can reach is visible to `v` (then the walk
    /// needs no filter at all).
    fn all_visible(&self, v: Visibility<'_>) -> bool {
        v.hidden.is_none_or(FxHashSet::is_empty)
            && v.generation >= self.newest_birth
            && self.dying.is_empty()
            && self.engine.unrepaired() == 0
    }

    /// The row of `key` visible to `v`, if any.
    fn row_for_key(&self, key: u64, v: Visibility<'_>) -> Option<u32> {
        let mut r = *self.by_key.get(&key)?;
        loop {
            if self.visible(r, v) {
                return Some(r);
            }
            r = *self.older.get(&r)?;
        }
    }

    /// Whether `key` has a point visible to `v`, and its vector.
    #[cfg(test)]
    pub fn vector_of(&self, key: u64, v: Visibility<'_>) -> Option<&[f32]> {
        self.row_for_key(key, v).map(|r| self.engine.vector(r))
    }

    /// The `k` points nearest to prepared query `q` visible to `v` (and
    /// with a key in `keys`, if given), best first, with the top `k` of
    /// `extra` candidates merged in (a write transaction's own points).
    ///
    /// Exact (brute force over the admitted points) when `exact` is set,
    /// when at most 2,000 points can match, or when `keys` admits so few
    /// points that scanning them is cheaper than a filtered walk (at most
    /// 5 % of the live points, or see [`WALK_DISTANCES`]); else an HNSW walk of `ef` candidates with
    /// the admitted rows checked inside the walk, falling back to exact
    /// search when the walk finds fewer than `k` while `k` exist.
    #[allow(
        clippy::too_many_arguments,
        reason = "the search's inputs, each from a different layer above"
    )]
    pub fn search(
        &self,
        q: &[f32],
        k: usize,
        ef: usize,
        exact: bool,
        keys: Option<&[u64]>,
        v: Visibility<'_>,
        extra: &[(f32, u64)],
    ) -> SearchResult {
        let admitted: Option<Vec<u32>> = keys.map(|keys| {
            let mut rows: Vec<u32> = keys
                .iter()
                .filter_map(|&key| self.row_for_key(key, v))
                .collect();
            rows.sort_unstable();
            rows
        });
        let candidates = admitted.as_ref().map_or(self.live, Vec::len);
        let (n, live) = (candidates as f64, self.live as f64);
        let selective = admitted.is_some()
            && (n <= EXACT_FRACTION * live
                || n * n <= WALK_DISTANCES * (ef.max(k) * self.config.m) as f64 * live);
        let mut top = TopK::new(k);
        for &(d, key) in extra {
            top.push(d, key);
        }
        if exact || candidates <= EXACT_BELOW || selective {
            self.exact(q, admitted.as_deref(), v, &mut top);
            return SearchResult {
                hits: top.hits(&self.config),
                exact: true,
                ef: None,
            };
        }
        let keep = |r: u32| {
            self.visible(r, v)
                && admitted
                    .as_ref()
                    .is_none_or(|a| a.binary_search(&r).is_ok())
        };
        let filtered = admitted.is_some() || !self.all_visible(v);
        let keep: Option<&dyn Fn(u32) -> bool> = filtered.then_some(&keep);
        let found = self.engine.search(q, k, ef.max(k), keep);
        // At most this many rows can be visible (the live ones, and those
        // an older snapshot still sees).
        let existing = admitted
            .as_ref()
            .map_or(self.live + self.dying.len(), Vec::len);
        if found.len() < k.min(existing) {
            // The walk ran out of admitted points: answer exactly, so k
            // results come back whenever k exist.
            self.exact(q, admitted.as_deref(), v, &mut top);
            return SearchResult {
                hits: top.hits(&self.config),
                exact: true,
                ef: None,
            };
        }
        for (r, d) in found {
            top.push(d, self.rows[r as usize].key);
        }
        SearchResult {
            hits: top.hits(&self.config),
            exact: false,
            ef: Some(ef.max(k)),
        }
    }

    /// The smallest `ef` of the ladder whose recall@k, measured on the
    /// collection's own points (less two standard errors of the measure),
    /// reaches `target`; `None` (search exactly)
    /// if none does. Measured at the first call for a `k`, again once more
    /// than a tenth of the points measured have changed since.
    pub fn ef_for_recall(&self, k: usize, target: f64) -> Option<usize> {
        let known = self
            .calibrations
            .lock()
            .get(&k)
            .filter(|c| !c.stale(self.changes))
            .map(|c| c.ef_for(target));
        if let Some(ef) = known {
            return ef;
        }
        // Measured without the lock: searches at the default ef (which
        // read the calibrations) go on meanwhile.
        let (curve, errors) = self.calibrate(k);
        let calibration = Calibration {
            k,
            live: self.live,
            changes: self.changes,
            curve,
            errors,
        };
        let ef = calibration.ef_for(target);
        self.calibrations.lock().insert(k, calibration);
        ef
    }

    /// The `ef` a search of `k` that names neither an `ef` nor a recall
    /// target walks with: the smallest `ef` whose recall@k, by the
    /// collection's calibration for `k` (else for
    /// [`DEFAULT_CALIBRATION_K`]), reaches [`DEFAULT_RECALL`] — if none
    /// does, the smallest within 0.01 of the best measured — and at least
    /// `k`; [`DEFAULT_EF`] when no calibration is known or more points
    /// changed since than it measured (a checkpoint measures again,
    /// [`calibrate_default`](Self::calibrate_default)). Never measures
    /// itself, so a search costs no calibration.
    pub fn default_ef(&self, k: usize) -> usize {
        self.calibrated_ef(k).unwrap_or(DEFAULT_EF).max(k)
    }

    /// Whether [`default_ef`](Self::default_ef) of `k` comes from a
    /// calibration.
    pub fn is_calibrated(&self, k: usize) -> bool {
        self.calibrated_ef(k).is_some()
    }

    /// The calibrated part of [`default_ef`](Self::default_ef).
    fn calibrated_ef(&self, k: usize) -> Option<usize> {
        let calibrations = self.calibrations.lock();
        let usable = |c: &&Calibration| {
            !c.curve.is_empty() && self.changes.saturating_sub(c.changes) <= c.live as u64
        };
        let c = calibrations
            .get(&k)
            .filter(usable)
            .or_else(|| calibrations.get(&DEFAULT_CALIBRATION_K).filter(usable))?;
        c.ef_for(DEFAULT_RECALL).or_else(|| {
            // Out of reach: the smallest ef within 0.01 of the best
            // recall measured (past it, more ef buys next to nothing).
            let best = c.curve.iter().map(|&(_, r)| r).fold(0.0, f64::max);
            c.curve
                .iter()
                .find(|&&(_, r)| r >= best - 0.01)
                .map(|&(ef, _)| ef)
        })
    }

    /// Measures the calibration the default `ef` is chosen by, unless a
    /// fresh one is known. Run at checkpoints.
    pub fn calibrate_default(&self) {
        self.ef_for_recall(DEFAULT_CALIBRATION_K, DEFAULT_RECALL);
    }

    /// The calibrations known, by `k` (to keep in a checkpoint).
    pub fn calibrations(&self) -> Vec<Calibration> {
        let mut all: Vec<Calibration> = self.calibrations.lock().values().cloned().collect();
        all.sort_by_key(|c| c.k);
        all
    }

    /// Adopts calibrations kept in the checkpoint this index was reloaded
    /// from, as measured before every change since (the points removed at
    /// reload or replayed after it).
    pub fn adopt_calibrations(&mut self, kept: Vec<Calibration>) {
        let map = self.calibrations.get_mut();
        for mut c in kept {
            c.changes = 0;
            map.insert(c.k, c);
        }
    }

    /// Recall@k per `ef` of the ladder (from `k` up, until one reaches
    /// 0.999 or the recall stops rising), on `CALIBRATION_QUERIES` queries made from live points
    /// spread evenly: each point moved in a random direction by its
    /// distance to its `k`-th nearest neighbour, so the query lies among
    /// the points like a new one rather than on one. Under inner product
    /// the query starts instead halfway to its point's `k`-th nearest
    /// neighbour by L2 and moves by half their distance: the ranking
    /// depends on how far out of its cluster a query lies, and a point
    /// moved its whole neighbour distance lies further out than the
    /// points (on 20,000 × 48 clustered points the whole move asked for
    /// ef 96 for 0.95 where held-out queries reached 0.946 at ef 10; the
    /// half move chose 16, held-out 0.972). A point's own
    /// position is found too easily: on 20,000 clustered points
    /// self-queries chose ef 10 for 0.95, where held-out queries reached
    /// 0.893; moved by the distance to the nearest neighbour only, the
    /// Debian set's description queries reached 0.933 (ties counted) at
    /// the ef chosen for 0.95, by the `k`-th 0.979. The truth of
    /// each query is its `k` nearest live points by brute force (on all
    /// cores). A collection small enough to be searched exactly gets an
    /// empty curve.
    fn calibrate(&self, k: usize) -> (Vec<(usize, f64)>, Vec<f64>) {
        let alive: Vec<u32> = (0..self.rows.len() as u32)
            .filter(|&r| self.rows[r as usize].died == ALIVE)
            .collect();
        if alive.len() <= EXACT_BELOW.max(k + 1) {
            return (Vec::new(), Vec::new());
        }
        let metric = self.config.metric;
        // The `k` nearest live rows to `q`, nearest first, `skip` aside.
        let nearest_by = |metric: Metric, q: &[f32], k: usize, skip: u32| -> Vec<u32> {
            let mut top = TopK::new(k);
            for &r in alive.iter().filter(|&&r| r != skip) {
                top.push(metric.distance(q, self.engine.vector(r)), u64::from(r));
            }
            top.into_sorted().into_iter().map(|n| n.1 as u32).collect()
        };
        let nearest = |q: &[f32], k: usize, skip: u32| nearest_by(metric, q, k, skip);
        let query_of = |s: u32| -> (Vec<f32>, FxHashSet<u32>) {
            let point = self.engine.vector(s);
            let (x, radius) = if metric == Metric::Dot {
                let y = nearest_by(Metric::L2, point, k, s)
                    .last()
                    .map_or(point, |&n| self.engine.vector(n));
                let mid: Vec<f32> = point.iter().zip(y).map(|(a, b)| 0.5 * (a + b)).collect();
                (mid, 0.5 * simd::l2_squared(point, y).sqrt())
            } else {
                // The k-th neighbour by a wide walk (a brute-force scan
                // would double the calibration's cost; a neighbour the walk
                // misses only makes the query a little harder).
                let other = |r: u32| r != s && self.rows[r as usize].died == ALIVE;
                let found = self.engine.search(point, k, (4 * k).max(128), Some(&other));
                let radius = found.last().map_or(0.0, |&(n, _)| {
                    simd::l2_squared(point, self.engine.vector(n)).sqrt()
                });
                (point.to_vec(), radius)
            };
            let x = x.as_slice();
            let mut rng = Rng::spread(u64::from(s));
            let direction: Vec<f32> = x.iter().map(|_| rng.gauss_f32()).collect();
            let norm = direction
                .iter()
                .map(|d| d * d)
                .sum::<f32>()
                .sqrt()
                .max(1e-12);
            let moved: Vec<f32> = x
                .iter()
                .zip(&direction)
                .map(|(a, d)| a + radius * d / norm)
                .collect();
            // Prepared as a query is (normalised for cosine).
            let q = metric
                .prepare(moved.len(), &moved)
                .unwrap_or_else(|_| x.to_vec());
            let truth = nearest(&q, k, u32::MAX).into_iter().collect();
            (q, truth)
        };
        let samples: Vec<u32> = (0..CALIBRATION_QUERIES)
            .map(|i| alive[i * alive.len() / CALIBRATION_QUERIES])
            .collect();
        let queries = parallel::map(samples.len(), |i| query_of(samples[i]));
        let alive_only = |r: u32| self.rows[r as usize].died == ALIVE;
        let filtered = !self.dying.is_empty() || self.engine.unrepaired() > 0;
        let mut curve: Vec<(usize, f64)> = Vec::new();
        let mut errors = Vec::new();
        for ef in EF_LADDER.into_iter().filter(|&ef| ef >= k) {
            let each: Vec<f64> = parallel::map(queries.len(), |i| {
                let (q, truth) = &queries[i];
                let keep: Option<&dyn Fn(u32) -> bool> = filtered.then_some(&alive_only);
                let found = self.engine.search(q, k, ef, keep);
                found.iter().filter(|(r, _)| truth.contains(r)).count() as f64 / k as f64
            });
            let n = each.len() as f64;
            let recall = each.iter().sum::<f64>() / n;
            let variance = each.iter().map(|r| (r - recall).powi(2)).sum::<f64>() / (n - 1.0);
            curve.push((ef, recall));
            errors.push((variance / n).sqrt());
            // Done at 0.999, or on a plateau: two steps that gained at
            // most one neighbour in a thousand (duplicates the walk cannot
            // order as the truth does keep the Debian set at 0.995).
            let plateau = curve.len() >= 3 && recall - curve[curve.len() - 3].1 <= 0.001;
            if recall >= 0.999 || (recall >= 0.9 && plateau) {
                break;
            }
        }
        (curve, errors)
    }

    /// Brute force over the rows visible to `v` (or the `admitted` ones).
    fn exact(&self, q: &[f32], admitted: Option<&[u32]>, v: Visibility<'_>, top: &mut TopK) {
        let metric = self.config.metric;
        let mut consider = |r: u32| {
            top.push(
                metric.distance(q, self.engine.vector(r)),
                self.rows[r as usize].key,
            );
        };
        match admitted {
            Some(rows) => rows.iter().copied().for_each(&mut consider),
            None => (0..self.rows.len() as u32)
                .filter(|&r| self.visible(r, v))
                .for_each(&mut consider),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::float_cmp, reason = "exact values are intended")]

    use super::*;
    use crate::vector::Metric;

    fn at(generation: u64) -> Visibility<'static> {
        Visibility {
            generation,
            hidden: None,
        }
    }

    fn keys(r: &SearchResult) -> Vec<u64> {
        r.hits.iter().map(|h| h.key).collect()
    }

    #[test]
    fn the_ef_for_a_target_allows_two_standard_errors_of_the_queries() {
        let c = |errors: Vec<f64>| Calibration {
            k: 10,
            live: 10_000,
            changes: 0,
            curve: vec![(16, 0.96), (24, 0.97), (32, 0.98)],
            errors,
        };
        // Queries that agree: the first point past the target.
        assert_eq!(c(vec![0.001, 0.001, 0.001]).ef_for(0.95), Some(16));
        // Queries whose recalls spread: 0.96 - 2 * 0.01 and 0.97 - 2 *
        // 0.012 fall short of 0.95.
        assert_eq!(c(vec![0.01, 0.012, 0.004]).ef_for(0.95), Some(32));
        assert_eq!(c(vec![0.01, 0.012, 0.02]).ef_for(0.95), None);
    }

    #[test]
    fn a_calibration_is_measured_again_once_a_tenth_of_the_points_changed() {
        let config = CollectionConfig::new(8, Metric::L2).hnsw(8, 40);
        let mut index = VectorIndex::new(config, 0, Origin::Built("test".into()));
        let mut rng = crate::rng::Rng::new(0x2545_f491_4f6c_dd1d);
        let mut points = |from: u64, n: u64| -> Vec<(u64, u64, Vec<f32>)> {
            (from..from + n)
                .map(|i| (i, i, (0..8).map(|_| rng.f32()).collect()))
                .collect()
        };
        index.insert(&points(0, 3_000), 1);
        assert!(!index.is_calibrated(10));
        assert_eq!(index.default_ef(10), DEFAULT_EF);
        index.calibrate_default();
        let first = index.calibrations();
        assert_eq!(first.len(), 1);
        assert_eq!((first[0].k, first[0].live), (10, 3_000));
        assert!(index.is_calibrated(10));
        let ef = index.default_ef(10);
        assert_eq!(Some(ef), first[0].ef_for(DEFAULT_RECALL));
        assert_eq!(index.default_ef(100), 100, "never below k");
        // 300 changes (a tenth) keep it; the 301st measures again.
        index.insert(&points(3_000, 299), 2);
        index.remove(0, 3);
        index.calibrate_default();
        assert_eq!(index.calibrations(), first);
        index.remove(1, 4);
        index.calibrate_default();
        assert_eq!(index.calibrations()[0].live, 3_297);
        // Once more points changed than it measured, it is not used.
        index.insert(&points(3_299, 3_300), 5);
        assert!(!index.is_calibrated(10));
        assert_eq!(index.default_ef(10), DEFAULT_EF);
    }

    #[test]
    fn each_generation_sees_its_own_versions_until_they_are_reclaimed() {
        let config = CollectionConfig::new(2, Metric::L2);
        let mut index = VectorIndex::new(config, 0, Origin::Built("test".into()));
        // Generation 1: keys 1 and 2; generation 2: key 1 moves; generation
        // 3: key 2 is deleted.
        index.insert(&[(0, 1, vec![0.0, 0.0]), (1, 2, vec![5.0, 0.0])], 1);
        index.remove(0, 2);
        index.insert(&[(2, 1, vec![10.0, 0.0])], 2);
        index.remove(1, 3);
        let q = [0.0, 0.0];
        let search = |index: &VectorIndex, g: u64| index.search(&q, 5, 16, false, None, at(g), &[]);
        assert_eq!(keys(&search(&index, 0)), Vec::<u64>::new());
        assert_eq!(keys(&search(&index, 1)), [1, 2]);
        assert_eq!(search(&index, 1).hits[0].score, 0.0, "key 1's first vector");
        assert_eq!(keys(&search(&index, 2)), [2, 1]);
        assert_eq!(keys(&search(&index, 3)), [1]);
        assert_eq!(
            search(&index, 3).hits[0].score,
            10.0,
            "key 1's second vector"
        );
        assert_eq!(index.vector_of(1, at(1)), Some(&[0.0, 0.0][..]));
        assert_eq!(index.vector_of(1, at(2)), Some(&[10.0, 0.0][..]));
        assert_eq!(index.vector_of(2, at(3)), None);
        // A key filter finds the version each generation sees.
        let only_1 = |g| index.search(&q, 5, 16, false, Some(&[1]), at(g), &[]);
        assert_eq!(only_1(1).hits[0].score, 0.0);
        assert_eq!(only_1(2).hits[0].score, 10.0);
        // A write transaction's deletes are hidden from its own searches.
        let hidden: FxHashSet<u64> = [2].into_iter().collect();
        let own = Visibility {
            generation: 3,
            hidden: Some(&hidden),
        };
        assert!(
            index
                .search(&q, 5, 16, false, None, own, &[])
                .hits
                .is_empty()
        );
        // Reclaiming up to generation 2 drops key 1's old version only.
        assert_eq!(index.reclaim(2), 1);
        assert_eq!(index.vector_of(1, at(1)), None);
        assert_eq!(keys(&search(&index, 2)), [2, 1]);
        assert_eq!(index.reclaim(3), 1);
        assert_eq!(keys(&search(&index, 3)), [1]);
        assert!(index.needs_rebuild());
        let fresh = index.rebuilt();
        assert_eq!(fresh.graph_points(), 1);
        assert_eq!(keys(&search(&fresh, 3)), [1]);
    }

    #[test]
    fn a_rebuild_keeps_what_an_old_snapshot_still_sees() {
        let config = CollectionConfig::new(1, Metric::L2);
        let mut index = VectorIndex::new(config, 0, Origin::Built("test".into()));
        let points: Vec<(u64, u64, Vec<f32>)> = (0..10).map(|i| (i, i, vec![i as f32])).collect();
        index.insert(&points, 1);
        for slot in 0..5 {
            index.remove(slot, 2);
        }
        for slot in 5..8 {
            index.remove(slot, 3);
        }
        // A snapshot at generation 2 is open: only generation-2 deaths go.
        assert_eq!(index.reclaim(2), 5);
        let fresh = index.rebuilt();
        assert_eq!(fresh.graph_points(), 5);
        let all = |g| keys(&fresh.search(&[0.0], 10, 16, true, None, at(g), &[]));
        assert_eq!(all(2), [5, 6, 7, 8, 9]);
        assert_eq!(all(3), [8, 9]);
    }
}
