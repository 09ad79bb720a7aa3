//! The undirected, weighted graph that community detection works on: the
//! projection itself at the first level (each stored edge read as one
//! undirected edge), then graphs aggregated from communities.

use crate::algo::Projection;
use crate::parallel;

/// An undirected weighted graph, as the moving, refinement and aggregation
/// steps read it.
pub(super) trait Network: Sync {
    /// The number of nodes.
    fn len(&self) -> usize;

    /// Calls `f(u, w)` for each edge between `v` and another node `u`
    /// (self-loops excluded; a neighbour may repeat, with multiple edges).
    fn arcs(&self, v: u32, f: impl FnMut(u32, f64));

    /// The weight of `v`'s self-loops as its own adjacency counts it: twice
    /// each loop's weight (a loop adds to a node's degree at both ends).
    fn self_weight(&self, v: u32) -> f64;
}

/// The projection read as an undirected multigraph: `v`'s edges are its
/// out-edges and its in-edges, so an edge stored once appears at both of
/// its ends, and a pair linked both ways counts twice (igraph's
/// `as_undirected(mode="each")`).
///
/// Both directions are copied into one list per node, self-loops left
/// out (they are `loops`): the moving, refinement and aggregation read a
/// node's arcs many times (a hub each time a neighbour moves), and one
/// contiguous list with no test per arc reads faster than the out- and
/// in-lists of the projection (measured on the Debian graph: the first
/// moving pass 45 → 35 ms). It costs 4 bytes per edge end (12 when
/// weighted) and no transpose of the projection.
pub(super) struct Base {
    offsets: Vec<usize>,
    targets: Vec<u32>,
    /// Empty when unweighted (every arc weighs 1).
    weights: Vec<f64>,
    /// Each node's self-loop weight, counted at both ends.
    loops: Vec<f64>,
    /// Each node's weighted degree, self-loops counted twice.
    pub degrees: Vec<f64>,
}

impl Base {
    pub fn new(p: &Projection) -> Base {
        let out = &p.out;
        let n = p.node_count();
        let weighted = !out.weights.is_empty();
        let weight = |k: usize| if weighted { out.weights[k] } else { 1.0 };
        let (mut loops, mut degrees) = (vec![0.0; n], vec![0.0; n]);
        let mut offsets = vec![0usize; n + 1];
        for v in 0..n {
            for k in out.range(v as u32) {
                let u = out.targets[k] as usize;
                let w = weight(k);
                degrees[v] += w;
                degrees[u] += w;
                if u == v {
                    loops[v] += 2.0 * w;
                } else {
                    offsets[v + 1] += 1;
                    offsets[u + 1] += 1;
                }
            }
        }
        for v in 0..n {
            offsets[v + 1] += offsets[v];
        }
        let mut fill = offsets.clone();
        let arcs = offsets[n];
        let mut targets = vec![0u32; arcs];
        let mut weights = vec![0.0; if weighted { arcs } else { 0 }];
        for v in 0..n {
            for k in out.range(v as u32) {
                let u = out.targets[k] as usize;
                if u == v {
                    continue;
                }
                for (at, to) in [(v, u), (u, v)] {
                    targets[fill[at]] = to as u32;
                    if weighted {
                        weights[fill[at]] = out.weights[k];
                    }
                    fill[at] += 1;
                }
            }
        }
        Base {
            offsets,
            targets,
            weights,
            loops,
            degrees,
        }
    }
}

impl Network for Base {
    fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    #[inline]
    fn arcs(&self, v: u32, mut f: impl FnMut(u32, f64)) {
        let range = self.offsets[v as usize]..self.offsets[v as usize + 1];
        if self.weights.is_empty() {
            for &u in &self.targets[range] {
                f(u, 1.0);
            }
        } else {
            for (&u, &w) in self.targets[range.clone()].iter().zip(&self.weights[range]) {
                f(u, w);
            }
        }
    }

    fn self_weight(&self, v: u32) -> f64 {
        self.loops[v as usize]
    }
}

/// A graph whose nodes are the communities of the level below: one edge
/// per pair of adjacent communities, weighted by the edges between them;
/// edges inside a community become its self weight.
pub(super) struct Aggregate {
    offsets: Vec<usize>,
    targets: Vec<u32>,
    weights: Vec<f64>,
    self_weights: Vec<f64>,
}

impl Network for Aggregate {
    fn len(&self) -> usize {
        self.self_weights.len()
    }

    #[inline]
    fn arcs(&self, v: u32, mut f: impl FnMut(u32, f64)) {
        let range = self.offsets[v as usize]..self.offsets[v as usize + 1];
        for (&u, &w) in self.targets[range.clone()].iter().zip(&self.weights[range]) {
            f(u, w);
        }
    }

    fn self_weight(&self, v: u32) -> f64 {
        self.self_weights[v as usize]
    }
}

/// The members of each of `groups` communities, by counting sort: the
/// members of community `c` are `members[start[c]..start[c + 1]]`, in
/// node order.
pub(super) fn group(of: &[u32], groups: usize) -> (Vec<usize>, Vec<u32>) {
    let mut start = vec![0usize; groups + 1];
    for &c in of {
        start[c as usize + 1] += 1;
    }
    for c in 0..groups {
        start[c + 1] += start[c];
    }
    let mut members = vec![0u32; of.len()];
    let mut fill = start.clone();
    for (v, &c) in of.iter().enumerate() {
        members[fill[c as usize]] = v as u32;
        fill[c as usize] += 1;
    }
    (start, members)
}

/// The rows of a run of consecutive communities of an aggregate graph.
struct Run {
    /// The run's first community.
    first: usize,
    /// Each row's end in `targets`.
    ends: Vec<usize>,
    targets: Vec<u32>,
    weights: Vec<f64>,
    self_weights: Vec<f64>,
}

/// The graph of `groups` communities over `g`, where `of[v] < groups` is
/// node `v`'s community. O(V + E), the communities spread over the cores
/// in runs of about equal membership.
pub(super) fn aggregate<N: Network>(g: &N, of: &[u32], groups: usize) -> Aggregate {
    let (start, members) = group(of, groups);
    // Runs of communities with about 4096 members each (a bigger
    // community is a run of its own).
    let mut cuts = vec![0usize];
    for c in 0..groups {
        if start[c + 1] - start[*cuts.last().unwrap_or(&0)] >= 4096 {
            cuts.push(c + 1);
        }
    }
    if *cuts.last().unwrap_or(&0) != groups {
        cuts.push(groups);
    }
    let states = parallel::for_each(
        0..cuts.len() - 1,
        1,
        || {
            (
                Vec::<Run>::new(),
                vec![0.0f64; groups],
                vec![u32::MAX; groups],
            )
        },
        |(done, acc, seen), run| {
            let (first, end) = (cuts[run], cuts[run + 1]);
            let (mut lens, mut targets, mut weights) = (Vec::new(), Vec::new(), Vec::new());
            let mut inside_all = Vec::with_capacity(end - first);
            let mut touched: Vec<u32> = Vec::new();
            for c in first..end {
                let mut inside = 0.0;
                for &v in &members[start[c]..start[c + 1]] {
                    inside += g.self_weight(v);
                    g.arcs(v, |u, w| {
                        let d = of[u as usize];
                        if d as usize == c {
                            inside += w;
                        } else {
                            if seen[d as usize] != c as u32 {
                                seen[d as usize] = c as u32;
                                touched.push(d);
                            }
                            acc[d as usize] += w;
                        }
                    });
                }
                inside_all.push(inside);
                for &d in &touched {
                    targets.push(d);
                    weights.push(std::mem::take(&mut acc[d as usize]));
                }
                touched.clear();
                lens.push(targets.len());
            }
            done.push(Run {
                first,
                ends: lens,
                targets,
                weights,
                self_weights: inside_all,
            });
        },
    );
    let mut runs: Vec<Run> = states.into_iter().flat_map(|(done, ..)| done).collect();
    runs.sort_unstable_by_key(|r| r.first);
    let mut offsets = Vec::with_capacity(groups + 1);
    offsets.push(0);
    let (mut targets, mut weights) = (Vec::new(), Vec::new());
    let mut self_weights = Vec::with_capacity(groups);
    for run in runs {
        let base = targets.len();
        offsets.extend(run.ends.iter().map(|e| base + e));
        targets.extend_from_slice(&run.targets);
        weights.extend_from_slice(&run.weights);
        self_weights.extend_from_slice(&run.self_weights);
    }
    Aggregate {
        offsets,
        targets,
        weights,
        self_weights,
    }
}

/// Sums `values` by community: `out[of[v]] += values[v]`.
pub(super) fn sum_by(of: &[u32], values: &[f64], groups: usize) -> Vec<f64> {
    let mut out = vec![0.0; groups];
    for (&c, &x) in of.iter().zip(values) {
        out[c as usize] += x;
    }
    out
}

/// Renumbers `raw` labels densely in order of first appearance: returns
/// the new labels and how many there are.
pub(super) fn renumber(raw: &[u32]) -> (Vec<u32>, usize) {
    let top = raw.iter().copied().max().map_or(0, |m| m as usize + 1);
    let mut number = vec![u32::MAX; top];
    let mut next = 0u32;
    let out = raw
        .iter()
        .map(|&r| {
            let slot = &mut number[r as usize];
            if *slot == u32::MAX {
                *slot = next;
                next += 1;
            }
            *slot
        })
        .collect();
    (out, next as usize)
}

/// The common refinement of two partitions of the same nodes: `v` and `u`
/// share a community when they share one in both. Numbered by first
/// appearance; returns the labels and their count.
pub(super) fn meet(a: &[u32], b: &[u32]) -> (Vec<u32>, usize) {
    let mut number: std::collections::HashMap<(u32, u32), u32> = std::collections::HashMap::new();
    let of = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| {
            let next = number.len() as u32;
            *number.entry((x, y)).or_insert(next)
        })
        .collect();
    (of, number.len())
}
