//! PageRank, as LDBC Graphalytics defines it.

use super::{Projection, for_each_arc};
use crate::Direction;

/// PageRank after exactly `iterations` iterations (no convergence test),
/// with damping factor `damping`, as LDBC Graphalytics defines it:
///
/// `PR₀(v) = 1/n`, and each iteration
/// `PRᵢ(v) = (1-d)/n + d·Σ_{u→v} PRᵢ₋₁(u)/outdeg(u) + d/n·Σ_{sinks w} PRᵢ₋₁(w)`,
/// where sinks (no out-edges) spread their rank evenly over all nodes.
/// Edges are followed in `dir`: `Out` for a directed graph, `Both` to treat
/// it as undirected (out-degree is then the degree). Parallel edges count
/// with multiplicity.
///
/// Complexity: O(iterations · (V + E)) time, O(V) memory.
///
/// ```
/// # use quiverdb::{Database, Direction, GraphRead, props, algo::{self, ProjectionSpec}};
/// # let dir = tempfile::tempdir().unwrap();
/// # let db = Database::open(dir.path()).unwrap();
/// let mut w = db.begin_write()?;
/// let a = w.add_node(&[], props! {})?;
/// let b = w.add_node(&[], props! {})?;
/// w.add_edge(a, b, "T", props! {})?;
/// w.commit()?;
/// let p = db.projection(&ProjectionSpec::new())?;
/// let pr = algo::pagerank(&p, 0.85, 20, Direction::Out);
/// assert!(pr[1] > pr[0]);
/// assert!((pr.iter().sum::<f64>() - 1.0).abs() < 1e-9);
/// # Ok::<(), quiverdb::Error>(())
/// ```
#[must_use]
pub fn pagerank(p: &Projection, damping: f64, iterations: u32, dir: Direction) -> Vec<f64> {
    let n = p.node_count();
    if n == 0 {
        return Vec::new();
    }
    let nf = n as f64;
    let degree: Vec<usize> = (0..n as u32)
        .map(|v| {
            let mut d = 0;
            for_each_arc(p, v, dir, |_, _| d += 1);
            d
        })
        .collect();
    // Rank flows against the followed direction: v pulls from the nodes
    // that reach it.
    let pull = match dir {
        Direction::Out => Direction::In,
        Direction::In => Direction::Out,
        Direction::Both => Direction::Both,
    };
    let mut rank = vec![1.0 / nf; n];
    let mut share = vec![0.0; n];
    for _ in 0..iterations {
        let mut sink = 0.0;
        for v in 0..n {
            if degree[v] == 0 {
                sink += rank[v];
                share[v] = 0.0;
            } else {
                share[v] = rank[v] / degree[v] as f64;
            }
        }
        let base = (1.0 - damping) / nf + damping * sink / nf;
        for (v, r) in rank.iter_mut().enumerate() {
            let mut sum = 0.0;
            for_each_arc(p, v as u32, pull, |u, _| sum += share[u as usize]);
            *r = base + damping * sum;
        }
    }
    rank
}

/// Personalised PageRank: PageRank whose random walk restarts at the
/// `seeds` (projection indexes, each with its weight; repeated seeds add
/// up) instead of anywhere, solved to convergence:
///
/// `PPR(v) = (1-d)·r(v) + d·Σ_{u→v} PPR(u)·w(u,v)/W(u) + d·r(v)·Σ_{sinks s} PPR(s)`,
///
/// where `r` is the seeds' weights normalised to sum 1, `w(u,v)` the
/// edge's weight in a weighted projection (else 1, parallel edges adding
/// up), `W(u)` the total weight leaving `u`, and a sink (nothing leaving)
/// hands its rank back to the seeds — igraph's `personalized_pagerank`
/// with `reset_vertices`. Edges are followed in `dir` (`Both` for an
/// undirected graph). Iterates until the ranks change by less than
/// `1e-14` in all (L1) or after 10,000 rounds; the ranks sum to 1.
///
/// Returns an empty vector for an empty projection; seeds whose weights
/// are all zero (or no seeds) give the uniform restart of plain PageRank.
///
/// Complexity: O(rounds · (V + E)) time, O(V) memory.
///
/// ```
/// # use quiverdb::{Database, Direction, GraphRead, props, algo::{self, ProjectionSpec}};
/// # let dir = tempfile::tempdir().unwrap();
/// # let db = Database::open(dir.path()).unwrap();
/// let mut w = db.begin_write()?;
/// let n: Vec<_> = (0..3).map(|_| w.add_node(&[], props! {})).collect::<Result<_, _>>()?;
/// w.add_edge(n[0], n[1], "T", props! {})?;
/// w.add_edge(n[1], n[2], "T", props! {})?;
/// w.commit()?;
/// let p = db.projection(&ProjectionSpec::new())?;
/// let seed = p.index_of(n[0]).unwrap();
/// let ppr = algo::personalized_pagerank(&p, &[(seed, 1.0)], 0.85, Direction::Out);
/// assert!(ppr[0] > ppr[1] && ppr[1] > ppr[2]);
/// assert!((ppr.iter().sum::<f64>() - 1.0).abs() < 1e-9);
/// # Ok::<(), quiverdb::Error>(())
/// ```
#[must_use]
pub fn personalized_pagerank(
    p: &Projection,
    seeds: &[(u32, f64)],
    damping: f64,
    dir: Direction,
) -> Vec<f64> {
    let n = p.node_count();
    if n == 0 {
        return Vec::new();
    }
    let mut reset = vec![0.0; n];
    for &(s, w) in seeds {
        if let Some(r) = reset.get_mut(s as usize) {
            *r += w.max(0.0);
        }
    }
    let total: f64 = reset.iter().sum();
    let uniform = 1.0 / n as f64;
    for r in &mut reset {
        *r = if total > 0.0 { *r / total } else { uniform };
    }
    let out_weight: Vec<f64> = (0..n as u32)
        .map(|v| {
            let mut w = 0.0;
            for_each_arc(p, v, dir, |_, x| w += x);
            w
        })
        .collect();
    let pull = match dir {
        Direction::Out => Direction::In,
        Direction::In => Direction::Out,
        Direction::Both => Direction::Both,
    };
    let mut rank = reset.clone();
    let mut share = vec![0.0; n];
    for _ in 0..10_000 {
        let mut sink = 0.0;
        for v in 0..n {
            if out_weight[v] > 0.0 {
                share[v] = rank[v] / out_weight[v];
            } else {
                sink += rank[v];
                share[v] = 0.0;
            }
        }
        let mut change = 0.0;
        for v in 0..n {
            let mut sum = 0.0;
            for_each_arc(p, v as u32, pull, |u, w| sum += share[u as usize] * w);
            let r = (1.0 - damping + damping * sink) * reset[v] + damping * sum;
            change += (r - rank[v]).abs();
            rank[v] = r;
        }
        if change < 1e-14 {
            break;
        }
    }
    rank
}
