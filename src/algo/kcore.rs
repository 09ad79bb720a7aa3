//! k-core decomposition: the coreness of every node.

use super::Projection;

/// The coreness of every node (by projection index): the largest k such
/// that the node belongs to a subgraph where every node has degree at
/// least k. Degrees count edges either way and with multiplicity (a
/// self-loop counts twice), as igraph's `coreness(mode="all")` does, so a
/// directed graph is read as undirected.
///
/// Batagelj and Zaversnik's peeling with bucket-sorted degrees.
///
/// Complexity: O(V + E) time, O(V) memory besides the projection.
///
/// ```
/// # use quiverdb::{Database, GraphRead, props, algo::{self, ProjectionSpec}};
/// # let dir = tempfile::tempdir().unwrap();
/// # let db = Database::open(dir.path()).unwrap();
/// let mut w = db.begin_write()?;
/// let n: Vec<_> = (0..4).map(|_| w.add_node(&[], props! {})).collect::<Result<_, _>>()?;
/// for (a, b) in [(0, 1), (1, 2), (2, 0), (2, 3)] {
///     w.add_edge(n[a], n[b], "T", props! {})?; // a triangle and a tail
/// }
/// w.commit()?;
/// let p = db.projection(&ProjectionSpec::new())?;
/// assert_eq!(algo::kcore(&p), vec![2, 2, 2, 1]);
/// # Ok::<(), quiverdb::Error>(())
/// ```
#[must_use]
pub fn kcore(p: &Projection) -> Vec<u32> {
    let n = p.node_count();
    let (out, inc) = (&p.out, p.inc());
    // Both directions' targets, without the weights `for_each_arc` reads.
    let arcs = |v: u32| {
        out.targets[out.range(v)]
            .iter()
            .chain(&inc.targets[inc.range(v)])
            .copied()
    };
    let mut degree: Vec<u32> = (0..n as u32)
        .map(|v| (out.range(v).len() + inc.range(v).len()) as u32)
        .collect();
    let max = degree.iter().copied().max().unwrap_or(0) as usize;
    // bin[d]: where the nodes of degree d start in `order`.
    let mut bin = vec![0usize; max + 2];
    for &d in &degree {
        bin[d as usize + 1] += 1;
    }
    for d in 1..bin.len() {
        bin[d] += bin[d - 1];
    }
    let mut position = vec![0usize; n];
    let mut order = vec![0u32; n];
    {
        let mut next = bin.clone();
        for (v, &d) in degree.iter().enumerate() {
            position[v] = next[d as usize];
            order[position[v]] = v as u32;
            next[d as usize] += 1;
        }
    }
    for i in 0..n {
        let v = order[i];
        let dv = degree[v as usize];
        for u in arcs(v) {
            let du = degree[u as usize];
            if du > dv {
                // Move u to the front of its bucket, then shrink the bucket.
                let first = bin[du as usize];
                let w = order[first];
                if w != u {
                    let pu = position[u as usize];
                    order.swap(pu, first);
                    position[w as usize] = pu;
                    position[u as usize] = first;
                }
                bin[du as usize] += 1;
                degree[u as usize] = du - 1;
            }
        }
    }
    degree
}
