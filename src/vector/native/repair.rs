//! Deletes in the native graph: a delete marks a node (callers filter it
//! out of results at once); [`NativeGraph::repair`] reconnects every node
//! that linked to a deleted one — its list is refilled from its live
//! neighbours and the deleted node's live neighbours by the same heuristic
//! as at insert — and empties the deleted nodes' own lists, so walks no
//! longer pass through them. [`NativeGraph::compact`] then gives their
//! rows back: the live rows are renumbered in order, their lists rewritten
//! through the new numbers — no distance is computed, nothing re-linked.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering as Mem};

use parking_lot::Mutex;

use super::NativeGraph;
use super::arena::Arena;
use super::search::{Near, Scratch};
use crate::parallel;

/// How much farther than the base a candidate may be from a kept
/// neighbour and still be kept when a list is refilled (Vamana's α, as
/// Fresh-DiskANN uses for deletes): 1 is the insert heuristic, which over
/// many rounds of deletes drops the long links between regions.
const REPAIR_ALPHA: f32 = 1.2;

impl NativeGraph {
    /// Marks node `i` deleted; returns whether it was live (`false` also
    /// for a node that does not exist). The caller's filter keeps it out of
    /// results; [`repair`](Self::repair) unlinks it.
    pub fn delete(&mut self, i: u32) -> bool {
        let Some(flag) = self.deleted.get(i as usize) else {
            return false;
        };
        let was = flag.swap(true, Mem::Relaxed);
        if !was {
            self.unrepaired += 1;
        }
        !was
    }

    /// Deleted nodes not unlinked yet.
    pub fn unrepaired(&self) -> usize {
        self.unrepaired
    }

    /// Reconnects every node that links to a deleted node, then empties the
    /// deleted nodes' lists and moves the entry point off them. O(V · M²)
    /// distance computations at worst; on all cores.
    pub fn repair(&mut self) {
        if self.unrepaired == 0 {
            return;
        }
        let dead = |i: u32| self.deleted[i as usize].load(Mem::Relaxed);
        let n = self.len();
        let this = &*self;
        let init = || (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        parallel::for_each(0..n, 4096, init, |(own, theirs, cands, keep), i| {
            let i = i as u32;
            if dead(i) {
                return;
            }
            {
                for layer in 0..=usize::from(this.levels[i as usize]) {
                    this.neighbours(i, layer, own);
                    if !own.iter().any(|&x| dead(x)) {
                        continue;
                    }
                    cands.clear();
                    let base = this.vector(i);
                    let add = |x: u32, cands: &mut Vec<Near>| {
                        if x != i && !dead(x) && !cands.iter().any(|c: &Near| c.1 == x) {
                            cands.push(Near(this.distance(base, x), x));
                        }
                    };
                    for &x in own.iter() {
                        if dead(x) {
                            this.neighbours(x, layer, theirs);
                            for &y in theirs.iter() {
                                add(y, cands);
                            }
                        } else {
                            add(x, cands);
                        }
                    }
                    cands.sort_unstable();
                    let cap = if layer == 0 { this.m0 } else { this.m };
                    this.select_relaxed(cands, cap, REPAIR_ALPHA, keep);
                    let _g = this.locks[i as usize].lock();
                    let list = this.list(i, layer);
                    for (k, x) in keep.iter().enumerate() {
                        list[1 + k].store(x.1, Mem::Relaxed);
                    }
                    list[0].store(keep.len() as u32, Mem::Release);
                }
            }
        });
        // The deleted nodes' own lists: nothing leads through them now.
        for i in 0..n as u32 {
            if dead(i) {
                for layer in 0..=usize::from(self.levels[i as usize]) {
                    self.list(i, layer)[0].store(0, Mem::Release);
                }
            }
        }
        // A deleted entry point: the live node of highest level takes over.
        let entry = *self.entry.lock();
        if entry.is_some_and(|(e, _)| dead(e)) {
            let best = (0..n as u32)
                .filter(|&i| !dead(i))
                .max_by_key(|&i| self.levels[i as usize]);
            *self.entry.lock() = best.map(|i| (i, usize::from(self.levels[i as usize])));
        }
        self.unrepaired = 0;
    }

    /// The live nodes a walk on layer 0 cannot reach from the entry point.
    pub(super) fn unreachable(&self) -> Vec<u32> {
        let Some((entry, _)) = *self.entry.lock() else {
            return Vec::new();
        };
        let mut seen = vec![false; self.len()];
        seen[entry as usize] = true;
        let mut stack = vec![entry];
        let mut buf = Vec::new();
        while let Some(x) = stack.pop() {
            self.neighbours(x, 0, &mut buf);
            for &y in &buf {
                if !seen[y as usize] {
                    seen[y as usize] = true;
                    stack.push(y);
                }
            }
        }
        (0..self.len() as u32)
            .filter(|&i| !seen[i as usize] && !self.deleted[i as usize].load(Mem::Relaxed))
            .collect()
    }

    /// Drops every deleted node (repairing first): the live nodes become
    /// `0..` in their order, with their vectors, labels, levels and lists
    /// (neighbour ids renumbered); the codes are learned again from them.
    /// Returns the old id of each node kept. O(V · M) word copies plus the
    /// vectors; memory mapped from a checkpoint is copied and released.
    pub fn compact(&mut self) -> Vec<u32> {
        self.repair();
        let n = self.len();
        let kept: Vec<u32> = (0..n as u32)
            .filter(|&i| !self.deleted[i as usize].load(Mem::Relaxed))
            .collect();
        if kept.len() == n {
            return kept;
        }
        let mut new_id = vec![u32::MAX; n];
        for (k, &i) in kept.iter().enumerate() {
            new_id[i as usize] = k as u32;
        }
        let k = kept.len();
        let mut vectors = Arena::new(self.dim);
        vectors.reserve(k);
        let mut labels = Vec::with_capacity(k);
        let mut levels = Vec::with_capacity(k);
        let mut upper_at = Vec::with_capacity(k);
        let mut links0 = Vec::with_capacity(k * (1 + self.m0));
        let mut upper = Vec::new();
        let mut buf = Vec::new();
        for &i in &kept {
            let level = usize::from(self.levels[i as usize]);
            vectors.push(self.vector(i));
            labels.push(self.labels[i as usize]);
            levels.push(self.levels[i as usize]);
            upper_at.push(upper.len());
            for layer in 0..=level {
                self.neighbours(i, layer, &mut buf);
                // Repaired: no live node links to a deleted one.
                buf.retain(|&x| new_id[x as usize] != u32::MAX);
                let (out, cap) = if layer == 0 {
                    (&mut links0, self.m0)
                } else {
                    (&mut upper, self.m)
                };
                out.push(AtomicU32::new(buf.len() as u32));
                out.extend(buf.iter().map(|&x| AtomicU32::new(new_id[x as usize])));
                out.extend((buf.len()..cap).map(|_| AtomicU32::new(0)));
            }
        }
        let entry = self
            .entry
            .lock()
            .and_then(|(e, l)| (new_id[e as usize] != u32::MAX).then(|| (new_id[e as usize], l)));
        self.vectors = vectors;
        self.labels = labels;
        self.levels = levels;
        self.upper_at = upper_at;
        self.links0 = links0;
        self.upper = upper;
        self.locks = (0..k).map(|_| Mutex::new(())).collect();
        self.done = (0..k).map(|_| AtomicBool::new(true)).collect();
        self.deleted = (0..k).map(|_| AtomicBool::new(false)).collect();
        *self.entry.lock() = entry;
        // Nodes a walk on layer 0 can no longer reach from the entry point
        // are linked again, as if new. Repairs refill a list from the
        // deleted node's neighbours, all near it: over many rounds of
        // deletes the long links between regions go, and layer 0 falls
        // apart (on 12 clusters, 3,000 points, 10 % replaced per round:
        // a third of the points unreachable after 60 rounds).
        let orphans = self.unreachable();
        let this = &*self;
        parallel::for_each(0..orphans.len(), 16, Scratch::default, |s, j| {
            this.link(orphans[j], s);
        });
        self.codes = None;
        self.refresh_codes();
        kept
    }
}
