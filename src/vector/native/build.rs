//! Building the native graph: level draws, parallel insertion, and the
//! paper's neighbour-selection heuristic for new links and for pruning a
//! full list.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering as Mem};

use parking_lot::Mutex;

use super::search::{Exact, Gauge, Near, Scratch};
use super::{MAX_LEVEL, NativeGraph};
use crate::parallel;
use crate::vector::Metric;

impl NativeGraph {
    fn draw_level(&mut self) -> usize {
        let u = self.rng.open_f64();
        ((-u.ln() * self.level_mult) as usize).min(MAX_LEVEL)
    }

    /// Inserts prepared vectors (right dimension, finite, normalised for
    /// cosine) with their labels, linking on all cores. They become nodes
    /// `len()..len() + items.len()`, in order.
    pub fn insert_all(&mut self, items: &[(u64, &[f32])]) {
        if items.is_empty() {
            return;
        }
        let first = self.len();
        // Allocate everything first: the parallel phase only links.
        let n = items.len();
        self.vectors.reserve(n);
        self.labels.reserve(n);
        self.levels.reserve(n);
        self.upper_at.reserve(n);
        self.links0.reserve(n * (1 + self.m0));
        self.locks.reserve(n);
        self.done.reserve(n);
        self.deleted.reserve(n);
        for &(label, v) in items {
            debug_assert_eq!(v.len(), self.dim);
            let level = self.draw_level();
            self.vectors.push(v);
            self.labels.push(label);
            self.levels.push(level as u8);
            self.upper_at.push(self.upper.len());
            self.upper
                .extend((0..level * (1 + self.m)).map(|_| AtomicU32::new(0)));
            self.links0.extend((0..=self.m0).map(|_| AtomicU32::new(0)));
            self.locks.push(Mutex::new(()));
            self.done.push(AtomicBool::new(false));
            self.deleted.push(AtomicBool::new(false));
        }
        // Link in a random order, as faiss does: inserting a file's rows in
        // their order (often sorted, near duplicates side by side) builds
        // a worse graph — on the Debian set recall@10 at ef 32 counting
        // ties is 0.955-0.960 in file order, 0.969-0.970 shuffled.
        let mut order: Vec<u32> = (first as u32..self.len() as u32).collect();
        for j in (1..order.len()).rev() {
            let r = self.rng.below(j as u64 + 1) as usize;
            order.swap(j, r);
        }
        let this = &*self;
        parallel::for_each(0..order.len(), 64, Scratch::default, |s, k| {
            this.link(order[k], s);
        });
        self.refresh_codes();
    }

    /// Links node `q` (its vector and level are in place; lists it has
    /// are replaced).
    pub(super) fn link(&self, q: u32, s: &mut Scratch) {
        let level = self.levels[q as usize] as usize;
        let (mut ep, top) = {
            let mut entry = self.entry.lock();
            match *entry {
                None => {
                    self.done[q as usize].store(true, Mem::Release);
                    *entry = Some((q, level));
                    return;
                }
                Some(e) => e,
            }
        };
        let v = self.vector(q);
        let gauge = Exact {
            graph: self,
            query: v,
        };
        let mut ep_d = gauge.distance(ep);
        let mut buf = Vec::new();
        for layer in (level + 1..=top).rev() {
            (ep, ep_d) = self.greedy(&gauge, ep, ep_d, layer, &mut buf);
        }
        let mut selected = Vec::new();
        for layer in (0..=level.min(top)).rev() {
            let mut found = self.search_layer(
                &gauge,
                &[Near(ep_d, ep)],
                self.ef_construction,
                layer,
                s,
                None,
                true,
            );
            // `q` itself, when it is in the graph already (linked again).
            found.retain(|n| n.1 != q);
            // Up to the layer's capacity (2M on layer 0, as faiss does;
            // hnswlib keeps M there and leaves half of each list empty).
            let cap = if layer == 0 { self.m0 } else { self.m };
            self.select(&found, cap, &mut selected);
            {
                let _g = self.locks[q as usize].lock();
                let list = self.list(q, layer);
                for (k, n) in selected.iter().enumerate() {
                    list[1 + k].store(n.1, Mem::Relaxed);
                }
                list[0].store(selected.len() as u32, Mem::Release);
            }
            let mut reachable = false;
            for n in &selected {
                reachable |= self.connect(n.1, q, n.0, layer, &mut buf, false);
            }
            // Every neighbour's heuristic pruned `q` (a point far from all
            // others, whose neighbours' lists are full): nothing would lead
            // a walk to it. Its nearest neighbour keeps it instead of its
            // own farthest neighbour.
            if let (false, Some(n)) = (reachable, selected.first()) {
                self.connect(n.1, q, n.0, layer, &mut buf, true);
            }
            if let Some(best) = found.first() {
                (ep, ep_d) = (best.1, best.0);
            }
        }
        self.done[q as usize].store(true, Mem::Release);
        if level > top {
            let mut entry = self.entry.lock();
            if entry.is_none_or(|(_, l)| level > l) {
                *entry = Some((q, level));
            }
        }
    }

    /// Adds `q` to `n`'s list at `layer`, pruning by the heuristic when
    /// full; with `force`, `q` stays even if the heuristic would prune it
    /// (in place of the farthest kept). Returns whether `q` is in the list.
    fn connect(
        &self,
        n: u32,
        q: u32,
        d: f32,
        layer: usize,
        buf: &mut Vec<u32>,
        force: bool,
    ) -> bool {
        let cap = if layer == 0 { self.m0 } else { self.m };
        let _g = self.locks[n as usize].lock();
        let list = self.list(n, layer);
        let count = list[0].load(Mem::Relaxed) as usize;
        if count < cap {
            list[1 + count].store(q, Mem::Relaxed);
            list[0].store(count as u32 + 1, Mem::Release);
            return true;
        }
        self.neighbours(n, layer, buf);
        let base = self.vector(n);
        let mut cands: Vec<Near> = buf
            .iter()
            .map(|&x| Near(self.distance(base, x), x))
            .collect();
        cands.push(Near(d, q));
        cands.sort_unstable();
        let mut keep = Vec::with_capacity(cap);
        self.select(&cands, cap, &mut keep);
        let mut kept = keep.iter().any(|x| x.1 == q);
        if force && !kept {
            if keep.len() == cap {
                keep.pop();
            }
            keep.push(Near(d, q));
            kept = true;
        }
        for (k, x) in keep.iter().enumerate() {
            list[1 + k].store(x.1, Mem::Relaxed);
        }
        list[0].store(keep.len() as u32, Mem::Release);
        kept
    }

    /// The heuristic relaxed by `alpha` ≥ 1: a candidate is dropped only
    /// if some kept one is `alpha` times nearer to it than the base is (in
    /// Euclidean terms: for cosine on the chord, `‖a − b‖² = 2(1 + d)`;
    /// for inner product, whose distances have no such scale, `alpha` is
    /// not applied).
    pub(super) fn select_relaxed(
        &self,
        sorted: &[Near],
        m: usize,
        alpha: f32,
        out: &mut Vec<Near>,
    ) {
        let (scale, offset) = match self.metric {
            _ if alpha <= 1.0 => (1.0, 0.0),
            Metric::L2 => (alpha * alpha, 0.0),
            Metric::Cosine => (alpha * alpha, 1.0),
            Metric::Dot => (1.0, 0.0),
        };
        out.clear();
        for &c in sorted {
            if out.len() >= m {
                break;
            }
            let cv = self.vector(c.1);
            if !out.iter().any(|k| {
                let d = scale * (self.distance(cv, k.1) + offset);
                d < c.0 + offset || (d <= c.0 + offset && cv == self.vector(k.1))
            }) {
                out.push(c);
            }
        }
    }

    /// The paper's heuristic over `sorted` candidates (nearest first):
    /// keep one unless some kept one is strictly nearer to it than the
    /// base is, or is at the same distance and its exact duplicate. Ties
    /// are kept, as in hnswlib and faiss — dropping them, a point with an
    /// exact duplicate kept the duplicate alone, and groups of duplicates
    /// became islands walks never left — but not duplicates of a kept
    /// one: keeping those filled the lists of the Debian set's duplicate
    /// groups (up to 84 identical vectors) with copies (recall@10 at ef 32
    /// fell from 0.946 to 0.931).
    pub(super) fn select(&self, sorted: &[Near], m: usize, out: &mut Vec<Near>) {
        self.select_relaxed(sorted, m, 1.0, out);
    }
}
