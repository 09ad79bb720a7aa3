//! The native engine's walks: greedy descent through the upper layers, then
//! a beam search on a layer, with reused per-searcher state.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::Ordering as Mem;

use super::NativeGraph;
use crate::vector::engine::Keep;
pub(super) use crate::vector::engine::Near;
use crate::vector::simd;

/// How many neighbours ahead a search prefetches vectors.
const PREFETCH_AHEAD: usize = 3;

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

impl NativeGraph {
    /// Greedy descent on one upper layer.
    pub(super) fn greedy(
        &self,
        q: &[f32],
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
                let dn = self.distance(q, n);
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
        q: &[f32],
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
                simd::prefetch(self.vector(x));
            }
            for (k, &x) in batch.iter().enumerate() {
                if let Some(&next) = batch.get(k + PREFETCH_AHEAD) {
                    simd::prefetch(self.vector(next));
                }
                let d = self.distance(q, x);
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
    /// a beam of `ef` candidates there.
    pub fn walk(&self, query: &[f32], k: usize, ef: usize, keep: Keep<'_>) -> Vec<(u32, f32)> {
        let Some((mut ep, top)) = *self.entry.lock() else {
            return Vec::new();
        };
        let mut s = self.scratch.lock().pop().unwrap_or_default();
        let mut buf = Vec::new();
        let mut d = self.distance(query, ep);
        for layer in (1..=top).rev() {
            (ep, d) = self.greedy(query, ep, d, layer, &mut buf);
        }
        let mut found = self.search_layer(query, &[Near(d, ep)], ef.max(k), 0, &mut s, keep, false);
        self.scratch.lock().push(s);
        found.truncate(k);
        found.into_iter().map(|n| (n.1, n.0)).collect()
    }
}
