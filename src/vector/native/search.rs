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
                let mut found = self.beam(&estimate, entry, ef, keep, s);
                // Re-rank the best of the estimates only: on the Debian set
                // (384-d, k 10) the best 2k give the same recall@10 as all
                // of them, at 10 % more queries/s.
                found.truncate((2 * k).max(k + 10).max(ef / 4));
                for n in &mut found {
                    n.0 = self.distance(query, n.1);
                }
                found.sort_unstable();
                found
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
