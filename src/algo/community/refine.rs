//! Leiden's refinement (Traag, Waltman & van Eck 2019, §3 and Algorithm
//! A.2): inside each community of the moved partition, nodes start alone
//! and merge only into well-connected parts they are linked to, so every
//! refined community is connected; the aggregate graph is built from
//! these.
//!
//! Communities are refined independently of each other, so they are
//! spread over the cores; each draws from its own generator, seeded from
//! the run's seed and the community, so the result does not depend on
//! which thread took which community.

use super::moving::{Partition, Tally, shuffle};
use super::network::{Network, group};
use crate::parallel::{self, Padded};
use crate::rng::Rng;

/// The refined partition of `part` (labels are node indices): each node
/// starts in a community of its own; in random order, a node still alone
/// and well connected to the rest of its community joins a well-connected
/// refined community of the same community it has edges to, chosen at
/// random with probability ∝ exp(gain / θ) among those whose gain is not
/// negative (its own included, gain 0). `refiners` is the threads'
/// scratch (one per thread, each for levels of at least `g.len()` nodes).
pub(super) fn refine<N: Network>(
    g: &N,
    node_weight: &[f64],
    part: &Partition,
    gamma: f64,
    theta: f64,
    seed: u64,
    refiners: &mut [Padded<Refiner>],
) -> Vec<u32> {
    let n = g.len();
    let (start, members) = group(&part.of, n);
    // Each node's place among its community's members.
    let mut local = vec![0u32; n];
    for c in 0..n {
        for (i, &v) in members[start[c]..start[c + 1]].iter().enumerate() {
            local[v as usize] = i as u32;
        }
    }
    // The communities to refine, the most work (their members' arcs)
    // first, so that a thread that takes the biggest takes it at once and
    // the others share the rest: which thread refines which community
    // does not change the result.
    let mut split: Vec<(usize, u32)> = (0..n as u32)
        .filter(|&c| start[c as usize + 1] - start[c as usize] > 1)
        .map(|c| {
            let nodes = &members[start[c as usize]..start[c as usize + 1]];
            (nodes.iter().map(|&v| g.degree(v) + 1).sum(), c)
        })
        .collect();
    split.sort_unstable_by(|a, b| b.cmp(a));
    for r in refiners.iter_mut() {
        r.found.clear();
        r.labels.clear();
    }
    parallel::for_each_in(refiners, 0..split.len(), 64, |r, k| {
        let c = split[k].1;
        let nodes = &members[start[c as usize]..start[c as usize + 1]];
        let mut rng = Rng::spread(seed ^ u64::from(c).wrapping_mul(0x2545_f491_4f6c_dd1d));
        r.community(g, node_weight, part, &local, nodes, gamma, theta, &mut rng);
        r.found.push(c);
    });
    let mut of: Vec<u32> = (0..n as u32).collect();
    for state in refiners.iter() {
        let mut labels = state.labels.iter();
        for &c in &state.found {
            let nodes = &members[start[c as usize]..start[c as usize + 1]];
            for (&v, &l) in nodes.iter().zip(labels.by_ref()) {
                of[v as usize] = nodes[l as usize];
            }
        }
    }
    of
}

/// One thread's scratch and what it refined in the last call: the
/// communities, in order, and for each of their members its refined part
/// as the index of a member (all in one list).
pub(super) struct Refiner {
    tally: Tally,
    found: Vec<u32>,
    labels: Vec<u32>,
    scratch: Scratch,
}

/// Per-community arrays, kept between communities.
#[derive(Default)]
struct Scratch {
    weight: Vec<f64>,
    size: Vec<u32>,
    external: Vec<f64>,
    chances: Vec<(u32, f64, f64)>,
    order: Vec<u32>,
}

impl Refiner {
    /// Scratch for levels of at most `n` nodes.
    pub fn new(n: usize) -> Refiner {
        Refiner {
            tally: Tally::new(n),
            found: Vec::new(),
            labels: Vec::new(),
            scratch: Scratch::default(),
        }
    }

    /// Refines community `c` of `part`, whose members are `nodes`
    /// (`local[v]` is v's index there): appends each member's part to
    /// `labels`.
    #[allow(clippy::too_many_arguments, reason = "the refinement's inputs")]
    fn community<N: Network>(
        &mut self,
        g: &N,
        node_weight: &[f64],
        part: &Partition,
        local: &[u32],
        nodes: &[u32],
        gamma: f64,
        theta: f64,
        rng: &mut Rng,
    ) {
        let k = nodes.len();
        let c = part.of[nodes[0] as usize];
        let total = part.weight[c as usize];
        let first = self.labels.len();
        self.labels.extend(0..k as u32);
        let of = &mut self.labels[first..];
        let Scratch {
            weight,
            size,
            external,
            chances,
            order,
        } = &mut self.scratch;
        weight.clear();
        weight.extend(nodes.iter().map(|&v| node_weight[v as usize]));
        size.clear();
        size.resize(k, 1);
        // external[s]: the edge weight from part s to the rest of c.
        external.clear();
        external.extend(nodes.iter().map(|&v| {
            let mut x = 0.0;
            g.arcs(v, |u, w| {
                if part.of[u as usize] == c {
                    x += w;
                }
            });
            x
        }));
        let tally = &mut self.tally;
        shuffle(order, k, rng);
        for &i in order.iter() {
            let iu = i as usize;
            if size[of[iu] as usize] > 1 {
                continue; // others joined it: no longer alone
            }
            let kv = node_weight[nodes[iu] as usize];
            if external[iu] < gamma * kv * (total - kv) {
                continue; // not well connected to its community
            }
            tally.begin();
            g.arcs(nodes[iu], |u, w| {
                if part.of[u as usize] == c {
                    tally.add(of[local[u as usize] as usize], w);
                }
            });
            chances.clear();
            let mut best = 0.0f64;
            for &s in &tally.touched {
                let si = s as usize;
                if s == of[iu] || external[si] < gamma * weight[si] * (total - weight[si]) {
                    continue;
                }
                let gain = tally.get(s) - gamma * kv * weight[si];
                if gain >= 0.0 {
                    best = best.max(gain);
                    chances.push((s, gain, 0.0));
                }
            }
            if chances.is_empty() {
                continue;
            }
            // Staying alone (gain 0) is one of the choices.
            let odds = |gain: f64| ((gain - best) / theta).exp();
            let stay = odds(0.0);
            let mut all = stay;
            for chance in chances.iter_mut() {
                chance.2 = odds(chance.1);
                all += chance.2;
            }
            let mut pick = rng.f64() * all - stay;
            if pick < 0.0 {
                continue;
            }
            let mut target = chances[chances.len() - 1].0;
            for &(s, _, odds) in chances.iter() {
                pick -= odds;
                if pick < 0.0 {
                    target = s;
                    break;
                }
            }
            let ti = target as usize;
            external[ti] += external[iu] - 2.0 * tally.get(target);
            weight[ti] += kv;
            size[ti] += 1;
            size[iu] = 0;
            of[iu] = target;
        }
    }
}
