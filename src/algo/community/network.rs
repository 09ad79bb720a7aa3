//! The undirected, weighted graph that community detection works on: the
//! projection itself at the first level (each stored edge read as one
//! undirected edge), then graphs aggregated from communities.

use crate::algo::Projection;
use crate::parallel::{self, Padded};

/// An undirected weighted graph, as the moving, refinement and aggregation
/// steps read it.
pub(super) trait Network: Sync {
    /// The number of nodes.
    fn len(&self) -> usize;

    /// The number of `v`'s arcs (what [`arcs`](Network::arcs) visits):
    /// the work of reading its neighbourhood.
    fn degree(&self, v: u32) -> usize;

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

    fn degree(&self, v: u32) -> usize {
        self.offsets[v as usize + 1] - self.offsets[v as usize]
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

    fn degree(&self, v: u32) -> usize {
        self.offsets[v as usize + 1] - self.offsets[v as usize]
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

/// A run of consecutive communities of an aggregate graph, as one
/// thread built it into its [`Gather`]'s buffers.
struct Run {
    /// The run's first community.
    first: usize,
    /// Its rows in the gather's `ends` and `self_weights`.
    rows: std::ops::Range<usize>,
}

/// One thread's scratch for [`aggregate`], sized for the largest level and
/// kept across levels, and the rows it built in the last call. Kept so
/// that a call allocates nothing on the threads: fresh memory on a fresh
/// thread is faulted in and zeroed by the kernel, which cost more than
/// the aggregation itself.
pub(super) struct Gather {
    /// Edge weight to each community from the one being built (all 0
    /// between communities).
    acc: Vec<f64>,
    /// The community being built when each community was last met.
    seen: Vec<u32>,
    touched: Vec<u32>,
    runs: Vec<Run>,
    /// Each row's end in `targets`.
    ends: Vec<usize>,
    targets: Vec<u32>,
    weights: Vec<f64>,
    self_weights: Vec<f64>,
}

impl Gather {
    /// Scratch for levels of at most `n` nodes.
    pub fn new(n: usize) -> Gather {
        Gather {
            acc: vec![0.0; n],
            seen: vec![u32::MAX; n],
            touched: Vec::new(),
            runs: Vec::new(),
            ends: Vec::new(),
            targets: Vec::new(),
            weights: Vec::new(),
            self_weights: Vec::new(),
        }
    }

    /// Builds the rows of communities `run` (whose members are
    /// `members[start[c]..start[c + 1]]`) of the graph aggregated from
    /// `g` by `of`, after the rows already built.
    fn build<N: Network>(
        &mut self,
        g: &N,
        of: &[u32],
        start: &[usize],
        members: &[u32],
        run: std::ops::Range<usize>,
    ) {
        let rows = self.ends.len();
        for c in run.clone() {
            let mut inside = 0.0;
            for &v in &members[start[c]..start[c + 1]] {
                inside += g.self_weight(v);
                g.arcs(v, |u, w| {
                    let d = of[u as usize];
                    if d as usize == c {
                        inside += w;
                    } else {
                        if self.seen[d as usize] != c as u32 {
                            self.seen[d as usize] = c as u32;
                            self.touched.push(d);
                        }
                        self.acc[d as usize] += w;
                    }
                });
            }
            self.self_weights.push(inside);
            for &d in &self.touched {
                self.targets.push(d);
                self.weights.push(std::mem::take(&mut self.acc[d as usize]));
            }
            self.touched.clear();
            self.ends.push(self.targets.len());
        }
        self.runs.push(Run {
            first: run.start,
            rows: rows..self.ends.len(),
        });
    }
}

/// The graph of `groups` communities over `g`, where `of[v] < groups` is
/// node `v`'s community. O(V + E), the communities spread over the cores
/// in runs of about equal membership; `gathers` is the threads' scratch
/// (one per thread, each for at least `groups` communities).
pub(super) fn aggregate<N: Network>(
    g: &N,
    of: &[u32],
    groups: usize,
    gathers: &mut [Padded<Gather>],
) -> Aggregate {
    let (start, members) = group(of, groups);
    // Runs of consecutive communities with about equal work (their
    // members' arcs, and one per member), eight per thread so that a run
    // holding a hub does not leave the other threads idle; a community
    // bigger than that is a run of its own.
    let work = |v: &u32| g.degree(*v) + 1;
    let total: usize = members.iter().map(work).sum();
    let share = (total / (8 * gathers.len().max(1))).max(4096);
    let mut cuts = vec![0usize];
    let mut done = 0;
    for c in 0..groups {
        done += members[start[c]..start[c + 1]]
            .iter()
            .map(work)
            .sum::<usize>();
        if done >= share {
            cuts.push(c + 1);
            done = 0;
        }
    }
    if *cuts.last().unwrap_or(&0) != groups {
        cuts.push(groups);
    }
    for gather in gathers.iter_mut() {
        gather.seen[..groups].fill(u32::MAX);
        gather.runs.clear();
        gather.ends.clear();
        gather.targets.clear();
        gather.weights.clear();
        gather.self_weights.clear();
    }
    parallel::for_each_in(gathers, 0..cuts.len() - 1, 1, |Padded(gather), run| {
        gather.build(g, of, &start, &members, cuts[run]..cuts[run + 1]);
    });
    let mut runs: Vec<(usize, usize, std::ops::Range<usize>)> = gathers
        .iter()
        .enumerate()
        .flat_map(|(k, gather)| {
            gather
                .runs
                .iter()
                .map(move |r| (r.first, k, r.rows.clone()))
        })
        .collect();
    runs.sort_unstable_by_key(|r| r.0);
    let arcs = gathers.iter().map(|g| g.targets.len()).sum();
    let mut offsets = Vec::with_capacity(groups + 1);
    offsets.push(0);
    let (mut targets, mut weights) = (Vec::with_capacity(arcs), Vec::with_capacity(arcs));
    let mut self_weights = Vec::with_capacity(groups);
    for (_, k, rows) in runs {
        let gather = &gathers[k];
        let from = if rows.start == 0 {
            0
        } else {
            gather.ends[rows.start - 1]
        };
        let to = if rows.is_empty() {
            from
        } else {
            gather.ends[rows.end - 1]
        };
        let base = targets.len();
        offsets.extend(gather.ends[rows.clone()].iter().map(|e| base + e - from));
        targets.extend_from_slice(&gather.targets[from..to]);
        weights.extend_from_slice(&gather.weights[from..to]);
        self_weights.extend_from_slice(&gather.self_weights[rows]);
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
