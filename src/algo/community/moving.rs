//! Moving nodes between communities while the quality rises: the queue
//! of Leiden's fast local moving (Traag, Waltman & van Eck 2019, §3),
//! which Louvain's passes also use.

use std::collections::VecDeque;

use super::network::Network;
use crate::rng::Rng;

/// A partition of one level's nodes, with each community's total node
/// weight and member count.
pub(super) struct Partition {
    pub of: Vec<u32>,
    pub weight: Vec<f64>,
    pub members: Vec<u32>,
}

impl Partition {
    /// The partition `of` (labels below `of.len()`) of nodes weighing
    /// `node_weight`.
    pub fn new(of: Vec<u32>, node_weight: &[f64]) -> Partition {
        let n = of.len();
        let (mut weight, mut members) = (vec![0.0; n], vec![0u32; n]);
        for (&c, &w) in of.iter().zip(node_weight) {
            weight[c as usize] += w;
            members[c as usize] += 1;
        }
        Partition {
            of,
            weight,
            members,
        }
    }

    /// The number of non-empty communities.
    pub fn count(&self) -> usize {
        self.members.iter().filter(|&&m| m > 0).count()
    }
}

/// A random permutation of `0..n`.
pub(super) fn shuffled(n: usize, rng: &mut Rng) -> Vec<u32> {
    let mut order: Vec<u32> = (0..n as u32).collect();
    for i in (1..n).rev() {
        order.swap(i, rng.below(i as u64 + 1) as usize);
    }
    order
}

/// Scratch for summing a node's edge weight per neighbouring community.
/// A community's stamp and sum sit side by side: one cache miss, not two,
/// for a community met for the first time.
pub(super) struct Tally {
    slots: Vec<Slot>,
    now: u32,
    pub touched: Vec<u32>,
}

#[derive(Clone, Copy, Default)]
struct Slot {
    stamp: u32,
    weight: f64,
}

impl Tally {
    pub fn new(n: usize) -> Tally {
        Tally {
            slots: vec![Slot::default(); n],
            now: 0,
            touched: Vec::new(),
        }
    }

    /// Starts a new node: forgets the last one's sums.
    #[inline]
    pub fn begin(&mut self) {
        self.touched.clear();
        self.now = self.now.wrapping_add(1);
        if self.now == 0 {
            self.slots.fill(Slot::default());
            self.now = 1;
        }
    }

    #[inline]
    pub fn add(&mut self, c: u32, w: f64) {
        let slot = &mut self.slots[c as usize];
        if slot.stamp == self.now {
            slot.weight += w;
        } else {
            *slot = Slot {
                stamp: self.now,
                weight: w,
            };
            self.touched.push(c);
        }
    }

    /// The sum for community `c` (0 when no edge reached it).
    #[inline]
    pub fn get(&self, c: u32) -> f64 {
        let slot = self.slots[c as usize];
        if slot.stamp == self.now {
            slot.weight
        } else {
            0.0
        }
    }
}

/// Moves nodes to the neighbouring community (or an empty one) that
/// raises the quality most, until no node can raise it: each node once in
/// random order, then again each node whose neighbourhood changed. Quality
/// is `Σ_c A_c − γ·Σ_c W_c² / 2`, `A_c` the edge weight inside community
/// `c` and `W_c` its node weight (modularity and CPM differ only in the
/// node weights and γ). Returns whether any node moved.
///
/// Complexity: O(E) per round of the queue; in practice a few rounds.
pub(super) fn move_nodes<N: Network>(
    g: &N,
    node_weight: &[f64],
    part: &mut Partition,
    gamma: f64,
    rng: &mut Rng,
) -> bool {
    let n = g.len();
    let mut queue: VecDeque<u32> = shuffled(n, rng).into();
    let mut queued = vec![true; n];
    let mut tally = Tally::new(n);
    // Communities left empty, to move a node into one of its own.
    let mut empty: Vec<u32> = (0..n as u32)
        .filter(|&c| part.members[c as usize] == 0)
        .collect();
    let mut moved = false;
    while let Some(v) = queue.pop_front() {
        queued[v as usize] = false;
        let old = part.of[v as usize];
        let k = node_weight[v as usize];
        tally.begin();
        g.arcs(v, |u, w| tally.add(part.of[u as usize], w));
        part.weight[old as usize] -= k;
        part.members[old as usize] -= 1;
        let (mut best, mut best_gain) =
            (old, tally.get(old) - gamma * k * part.weight[old as usize]);
        for &c in &tally.touched {
            let gain = tally.get(c) - gamma * k * part.weight[c as usize];
            if gain > best_gain {
                (best, best_gain) = (c, gain);
            }
        }
        if best_gain < 0.0 && part.members[old as usize] > 0 {
            // Alone is better than anywhere: a community of its own.
            while let Some(c) = empty.pop() {
                if part.members[c as usize] == 0 {
                    best = c;
                    break;
                }
            }
        }
        part.weight[best as usize] += k;
        part.members[best as usize] += 1;
        part.of[v as usize] = best;
        if part.members[old as usize] == 0 {
            empty.push(old);
        }
        if best != old {
            moved = true;
            g.arcs(v, |u, _| {
                if !queued[u as usize] && part.of[u as usize] != best {
                    queued[u as usize] = true;
                    queue.push_back(u);
                }
            });
        }
    }
    moved
}
