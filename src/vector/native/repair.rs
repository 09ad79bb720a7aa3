//! Deletes in the native graph: a delete marks a node (callers filter it
//! out of results at once); [`NativeGraph::repair`] reconnects every node
//! that linked to a deleted one — its list is refilled from its live
//! neighbours and the deleted node's live neighbours by the same heuristic
//! as at insert — and empties the deleted nodes' own lists, so walks no
//! longer pass through them. Their arena rows stay until a rebuild.

use std::sync::atomic::Ordering as Mem;

use super::search::Near;
use super::{NativeGraph, parallel};

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
                    this.select(cands, cap, keep);
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
}
