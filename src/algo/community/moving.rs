//! Moving nodes between communities while the quality rises: the queue
//! of Leiden's fast local moving (Traag, Waltman & van Eck 2019, §3),
//! which Louvain's passes also use.

use std::collections::VecDeque;

use super::network::Network;
use crate::parallel::Padded;
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

/// Fills `order` with a random permutation of `0..n`.
pub(super) fn shuffle(order: &mut Vec<u32>, n: usize, rng: &mut Rng) {
    order.clear();
    order.extend(0..n as u32);
    for i in (1..n).rev() {
        order.swap(i, rng.below(i as u64 + 1) as usize);
    }
}

/// Scratch for summing a node's edge weight per neighbouring community:
/// one f64 per community, 0 for a community not met, so the table (8
/// bytes a community) and the partition fit a core's L2 cache together
/// on graphs of up to about 100,000 nodes.
pub(super) struct Tally {
    sums: Vec<f64>,
    /// The communities met since [`begin`](Tally::begin), each once.
    pub touched: Vec<u32>,
}

impl Tally {
    pub fn new(n: usize) -> Tally {
        Tally {
            sums: vec![0.0; n],
            touched: Vec::new(),
        }
    }

    /// Starts a new node: forgets the last one's sums.
    #[inline]
    pub fn begin(&mut self) {
        for &c in &self.touched {
            self.sums[c as usize] = 0.0;
        }
        self.touched.clear();
    }

    /// Adds an edge of weight `w` to community `c`. An edge of weight 0
    /// adds nothing, and is not counted as reaching `c`: weights are never
    /// negative, so a community's sum is 0 exactly when nothing reached
    /// it.
    #[inline]
    pub fn add(&mut self, c: u32, w: f64) {
        if w > 0.0 {
            let sum = &mut self.sums[c as usize];
            if *sum == 0.0 {
                self.touched.push(c);
            }
            *sum += w;
        }
    }

    /// The sum for community `c` (0 when no edge reached it).
    #[inline]
    pub fn get(&self, c: u32) -> f64 {
        self.sums[c as usize]
    }
}

/// The moving step's scratch, sized for the largest level (the first)
/// and kept across levels and iterations.
pub(super) struct Mover {
    tally: Tally,
    /// The screening threads' tallies and the nodes each found unsettled.
    screens: Vec<Padded<(Tally, Vec<u32>)>>,
    queue: VecDeque<u32>,
    queued: Vec<bool>,
    empty: Vec<u32>,
    order: Vec<u32>,
}

impl Mover {
    /// Scratch for levels of at most `n` nodes.
    pub fn new(n: usize) -> Mover {
        Mover {
            tally: Tally::new(n),
            screens: (0..crate::parallel::threads())
                .map(|_| Padded((Tally::new(n), Vec::new())))
                .collect(),
            queue: VecDeque::with_capacity(n),
            queued: Vec::with_capacity(n),
            empty: Vec::new(),
            order: Vec::with_capacity(n),
        }
    }

    /// Moves nodes to the neighbouring community (or an empty one) that
    /// raises the quality most, until no node can raise it: each node once
    /// in random order, then again each node whose neighbourhood changed.
    /// Quality is `Σ_c A_c − γ·Σ_c W_c² / 2`, `A_c` the edge weight inside
    /// community `c` and `W_c` its node weight (modularity and CPM differ
    /// only in the node weights and γ). Returns whether any node moved.
    ///
    /// When most nodes already share a community (a later iteration, or
    /// an aggregate level, starts from the communities found before), few
    /// of them will move: all nodes are first screened on all cores
    /// against the starting communities, and only those that could gain
    /// by moving are queued. A node that screens as settled is queued
    /// again when a neighbour moves, as in the plain queue, so the result
    /// is as settled; it is deterministic, whatever the number of cores.
    ///
    /// Complexity: O(E) per round of the queue; in practice a few rounds.
    pub fn run<N: Network>(
        &mut self,
        g: &N,
        node_weight: &[f64],
        part: &mut Partition,
        gamma: f64,
        rng: &mut Rng,
    ) -> bool {
        let n = g.len();
        let screen = n >= 4096 && part.count() <= n / 2;
        let Mover {
            tally,
            screens,
            queue,
            queued,
            empty,
            order,
        } = self;
        shuffle(order, n, rng);
        queue.clear();
        queued.clear();
        if screen {
            queued.resize(n, false);
            let chunk = 1024;
            let part = &*part;
            for Padded((_, found)) in screens.iter_mut() {
                found.clear();
            }
            crate::parallel::for_each_in(
                screens,
                0..n.div_ceil(chunk),
                1,
                |Padded((tally, found)), k| {
                    for v in (k * chunk) as u32..(n.min((k + 1) * chunk)) as u32 {
                        if unsettled(g, node_weight, part, gamma, tally, v) {
                            found.push(v);
                        }
                    }
                },
            );
            for Padded((_, found)) in screens.iter() {
                for &v in found {
                    queued[v as usize] = true;
                }
            }
            queue.extend(order.iter().copied().filter(|&v| queued[v as usize]));
        } else {
            queue.extend(order.iter().copied());
            queued.resize(n, true);
        }
        // Communities left empty, to move a node into one of its own.
        empty.clear();
        empty.extend((0..n as u32).filter(|&c| part.members[c as usize] == 0));
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
}

/// Whether node `v` could raise the quality by leaving its community (for
/// a neighbouring one, or one of its own), as [`Mover::run`] would judge
/// it now.
fn unsettled<N: Network>(
    g: &N,
    node_weight: &[f64],
    part: &Partition,
    gamma: f64,
    tally: &mut Tally,
    v: u32,
) -> bool {
    let old = part.of[v as usize];
    let k = node_weight[v as usize];
    tally.begin();
    g.arcs(v, |u, w| tally.add(part.of[u as usize], w));
    let stay = tally.get(old) - gamma * k * (part.weight[old as usize] - k);
    if stay < 0.0 && part.members[old as usize] > 1 {
        return true;
    }
    tally
        .touched
        .iter()
        .any(|&c| tally.get(c) - gamma * k * part.weight[c as usize] > stay && c != old)
}
