//! The native engine's walks: greedy descent through the upper layers, then
//! a beam search on a layer, with reused per-searcher state.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::Ordering as Mem;

use super::binary::{BinaryCodes, BinaryQuery};
use super::quant::{CodedQuery, Int8Codes};
use super::{Codes, NativeGraph};
use crate::vector::engine::Keep;
pub(super) use crate::vector::engine::Near;
use crate::vector::simd;

/// How many neighbours ahead a search prefetches vectors.
const PREFETCH_AHEAD: usize = 3;

thread_local! {
    /// This thread's searcher state, for walks (builds keep one per
    /// worker).
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

/// A searcher's reusable state.
#[derive(Default)]
pub(super) struct Scratch {
    /// Sixteen-bit stamps: half the cache footprint of `u32`s (the array
    /// is read at random, once per neighbour), cleared every 65,535
    /// searches.
    visited: Vec<u16>,
    epoch: u16,
    candidates: BinaryHeap<Reverse<Near>>,
    results: BinaryHeap<Near>,
    /// The unvisited neighbours of the node being expanded.
    batch: Vec<u32>,
}

impl Scratch {
    /// Starts a new search over `n` nodes: O(1) except when the array
    /// grows or the epoch wraps.
    pub(super) fn begin(&mut self, n: usize) {
        if self.visited.len() < n {
            self.visited.resize(n, 0);
        }
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.visited.iter_mut().for_each(|v| *v = 0);
            self.epoch = 1;
        }
        self.candidates.clear();
        self.results.clear();
    }

    /// Marks `i` visited; returns whether it was new.
    #[inline]
    pub(super) fn visit(&mut self, i: u32) -> bool {
        let slot = &mut self.visited[i as usize];
        if *slot == self.epoch {
            false
        } else {
            *slot = self.epoch;
            true
        }
    }
}

/// How a walk measures a node against its query: the `f32` vectors, or
/// the codes' estimates.
pub(super) trait Gauge {
    /// The distance (or its estimate) to node `i`.
    fn distance(&self, i: u32) -> f32;
    /// Starts loading what [`distance`](Self::distance) will read of `i`.
    fn prefetch(&self, i: u32);
}

/// Exact distances from the `f32` vectors.
pub(super) struct Exact<'a> {
    pub graph: &'a NativeGraph,
    pub query: &'a [f32],
}

impl Gauge for Exact<'_> {
    #[inline]
    fn distance(&self, i: u32) -> f32 {
        self.graph.distance(self.query, i)
    }

    #[inline]
    fn prefetch(&self, i: u32) {
        simd::prefetch(self.graph.vector(i));
    }
}

/// Estimates from the int8 codes.
struct Coded<'a> {
    codes: &'a Int8Codes,
    query: CodedQuery,
}

impl Gauge for Coded<'_> {
    #[inline]
    fn distance(&self, i: u32) -> f32 {
        self.query.distance(self.codes, i)
    }

    #[inline]
    fn prefetch(&self, i: u32) {
        simd::prefetch_bytes(self.codes.row(i), 8);
    }
}

/// Estimates from the one-bit codes.
struct Bits<'a> {
    codes: &'a BinaryCodes,
    query: &'a BinaryQuery<'a>,
}

impl Gauge for Bits<'_> {
    #[inline]
    fn distance(&self, i: u32) -> f32 {
        self.query.estimate(self.codes, i).0
    }

    #[inline]
    fn prefetch(&self, i: u32) {
        self.codes.prefetch(i);
    }
}

impl NativeGraph {
    /// Greedy descent on one upper layer.
    pub(super) fn greedy(
        &self,
        q: &impl Gauge,
        mut ep: u32,
        mut d: f32,
        layer: usize,
        buf: &mut Vec<u32>,
    ) -> (u32, f32) {
        loop {
            let mut moved = false;
            self.neighbours(ep, layer, buf);
            for &n in buf.iter() {
                if !self.done[n as usize].load(Mem::Acquire) {
                    continue;
                }
                let dn = q.distance(n);
                if dn < d {
                    (ep, d, moved) = (n, dn, true);
                }
            }
            if !moved {
                return (ep, d);
            }
        }
    }

    /// Beam search on one layer from `entry`; returns up to `ef` nearest,
    /// nearest first. With `keep`, only admitted nodes enter the results
    /// (the walk still passes through the others).
    #[allow(
        clippy::too_many_arguments,
        reason = "the hot loop's inputs; bundling them would only rename them"
    )]
    pub(super) fn search_layer(
        &self,
        q: &impl Gauge,
        entry: &[Near],
        ef: usize,
        layer: usize,
        s: &mut Scratch,
        keep: Keep<'_>,
        building: bool,
    ) -> Vec<Near> {
        s.begin(self.len());
        for &e in entry {
            s.visit(e.1);
            s.candidates.push(Reverse(e));
            if keep.is_none_or(|k| k(e.1)) {
                s.results.push(e);
            }
        }
        while let Some(Reverse(c)) = s.candidates.pop() {
            if s.results.len() >= ef && s.results.peek().is_some_and(|w| c.0 > w.0) {
                break;
            }
            let list = self.list(c.1, layer);
            let n = list[0].load(Mem::Acquire) as usize;
            // First the unvisited neighbours; then their distances, each
            // vector prefetched a few neighbours ahead (prefetching all at
            // once fills the CPU's line-fill buffers and stalls it).
            let mut batch = std::mem::take(&mut s.batch);
            batch.clear();
            for a in &list[1..=n] {
                let x = a.load(Mem::Relaxed);
                if (building && !self.done[x as usize].load(Mem::Acquire)) || !s.visit(x) {
                    continue;
                }
                batch.push(x);
            }
            for &x in batch.iter().take(PREFETCH_AHEAD) {
                q.prefetch(x);
            }
            for (k, &x) in batch.iter().enumerate() {
                if let Some(&next) = batch.get(k + PREFETCH_AHEAD) {
                    q.prefetch(next);
                }
                let d = q.distance(x);
                let worst = s.results.peek().map_or(f32::INFINITY, |w| w.0);
                if s.results.len() < ef || d < worst {
                    s.candidates.push(Reverse(Near(d, x)));
                    if keep.is_none_or(|k| k(x)) {
                        s.results.push(Near(d, x));
                        if s.results.len() > ef {
                            s.results.pop();
                        }
                    }
                }
            }
            s.batch = batch;
            // The next node to expand: start loading its list now.
            if let Some(Reverse(next)) = s.candidates.peek() {
                simd::prefetch_words(self.list(next.1, layer));
            }
        }
        let mut out: Vec<Near> = s.results.drain().collect();
        out.sort_unstable();
        out
    }

    /// The `k` nearest nodes (accepted by `keep`, if given) as
    /// `(node, distance)`, nearest first: a greedy descent to layer 0, then
    /// a beam of `ef` candidates there. With codes the walk measures by
    /// their estimates and the beam's candidates are then re-ranked by
    /// their exact distances.
    pub fn walk(&self, query: &[f32], k: usize, ef: usize, keep: Keep<'_>) -> Vec<(u32, f32)> {
        let Some(entry) = *self.entry.lock() else {
            return Vec::new();
        };
        // Each thread keeps its own searcher state: handed between threads,
        // its visited array (2 bytes a node) would move between the cores'
        // caches at every search.
        let found = SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut s) => self.walk_with(query, k, ef.max(k), keep, entry, &mut s),
            Err(_) => self.walk_with(query, k, ef.max(k), keep, entry, &mut Scratch::default()),
        });
        found.into_iter().take(k).map(|n| (n.1, n.0)).collect()
    }

    /// [`walk`](Self::walk)'s candidates, nearest first, with exact
    /// distances: at least `k` (one-bit codes: exactly `k`) when the walk
    /// found that many.
    fn walk_with(
        &self,
        query: &[f32],
        k: usize,
        ef: usize,
        keep: Keep<'_>,
        entry: (u32, usize),
        s: &mut Scratch,
    ) -> Vec<Near> {
        match &self.codes {
            Some(Codes::Int8(codes)) => {
                let estimate = Coded {
                    codes,
                    query: codes.query(self.metric, query),
                };
                let found = self.beam(&estimate, entry, ef, keep, s);
                self.rerank_int8(query, k, ef, keep, &estimate.query, &found, s)
            }
            Some(Codes::Binary(codes)) => {
                let bits = codes.query(self.metric, query);
                let found = self.beam(
                    &Bits {
                        codes,
                        query: &bits,
                    },
                    entry,
                    ef,
                    keep,
                    s,
                );
                self.rerank_bounded(query, k, codes, &bits, &found)
            }
            None => {
                let exact = Exact { graph: self, query };
                self.beam(&exact, entry, ef, keep, s)
            }
        }
    }

    /// An int8 walk's candidates (nearest estimate first) with exact
    /// distances, nearest first. The best `max(2k, k + 10, ef / 4)`
    /// estimates are re-ranked (on the Debian set, 384-d, k 10, the best
    /// 2k give the same recall@10 as all of them, at 10 % more queries/s),
    /// then each later one whose estimate is within the rounding's margin
    /// of the `k`-th exact distance found. When the estimates of the whole
    /// beam, or (in a beam of at least `2k`) of the beam past its `k`
    /// best, lie within twice the margin, the codes cannot tell those
    /// candidates apart (near-duplicates closer than a code step: on such
    /// a set recall@10 fell to 0.72 against 0.998 for the `f32` walk) and
    /// the nearest may lie past the beam, so the walk goes on from the
    /// candidates with exact distances.
    #[allow(clippy::too_many_arguments, reason = "the walk's inputs")]
    fn rerank_int8(
        &self,
        query: &[f32],
        k: usize,
        ef: usize,
        keep: Keep<'_>,
        coded: &CodedQuery,
        found: &[Near],
        s: &mut Scratch,
    ) -> Vec<Near> {
        // Estimates leave out the query's own `‖q‖²` under L2.
        let offset = if self.metric == crate::vector::Metric::L2 {
            simd::dot(query, query)
        } else {
            0.0
        };
        let first = (2 * k).max(k + 10).max(ef / 4).min(found.len());
        let mut exact: Vec<Near> = found[..first]
            .iter()
            .map(|n| Near(self.distance(query, n.1), n.1))
            .collect();
        // The k nearest exact distances so far (a max-heap: the k-th on top).
        let mut best: BinaryHeap<Near> = exact.iter().copied().collect();
        while best.len() > k {
            best.pop();
        }
        let kth = |best: &BinaryHeap<Near>| {
            if best.len() < k {
                f32::INFINITY
            } else {
                best.peek().map_or(f32::INFINITY, |n| n.0)
            }
        };
        for n in &found[first..] {
            let bound = kth(&best);
            if n.0 + offset > bound + coded.margin(bound) {
                break;
            }
            let near = Near(self.distance(query, n.1), n.1);
            exact.push(near);
            best.push(near);
            if best.len() > k {
                best.pop();
            }
        }
        let bound = kth(&best);
        // How far apart the beam's estimates lie from the `from`-th on.
        let span = |from: usize| found[found.len() - 1].0 - found[from].0;
        let flat = 2.0 * coded.margin(bound);
        let ambiguous = found.len() >= ef.max(k)
            && (span(0) <= flat || (found.len() >= 2 * k && span(k - 1) <= flat));
        if ambiguous {
            return self.search_layer(&Exact { graph: self, query }, &exact, ef, 0, s, keep, false);
        }
        exact.sort_unstable();
        exact
    }

    /// The `k` nearest of a one-bit walk's candidates by exact distance,
    /// nearest first: candidates taken in the order of their estimates'
    /// lower bounds, until the next bound is past the `k`-th exact
    /// distance found (no later candidate can then be nearer, within the
    /// bounds' confidence).
    fn rerank_bounded(
        &self,
        query: &[f32],
        k: usize,
        codes: &BinaryCodes,
        bits: &BinaryQuery,
        found: &[Near],
    ) -> Vec<Near> {
        // The beam kept each estimate; its bound comes from the factors.
        let mut lower: Vec<Near> = found
            .iter()
            .map(|n| Near(n.0 - bits.bound(codes, n.1), n.1))
            .collect();
        lower.sort_unstable();
        let mut best: BinaryHeap<Near> = BinaryHeap::with_capacity(k + 1);
        for Near(bound, i) in lower {
            if best.len() >= k && best.peek().is_some_and(|w| bound > w.0) {
                break;
            }
            best.push(Near(self.distance(query, i), i));
            if best.len() > k {
                best.pop();
            }
        }
        best.into_sorted_vec()
    }

    /// The descent from `(entry node, its level)`, then the layer-0 beam.
    fn beam(
        &self,
        q: &impl Gauge,
        (mut ep, top): (u32, usize),
        ef: usize,
        keep: Keep<'_>,
        s: &mut Scratch,
    ) -> Vec<Near> {
        let mut buf = Vec::new();
        let mut d = q.distance(ep);
        for layer in (1..=top).rev() {
            (ep, d) = self.greedy(q, ep, d, layer, &mut buf);
        }
        self.search_layer(q, &[Near(d, ep)], ef, 0, s, keep, false)
    }
}
