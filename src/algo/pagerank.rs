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
