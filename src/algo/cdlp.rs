//! Community detection by label propagation, as LDBC Graphalytics defines it.

use super::Projection;
use crate::NodeId;

/// Community detection by label propagation (CDLP), deterministic as in LDBC
/// Graphalytics: every node starts with its own id as label; in each of
/// exactly `iterations` synchronous rounds, each node takes the most
/// frequent label among its in- and out-neighbours (a neighbour linked both
/// ways counts twice; on a graph stored with each undirected edge once,
/// each neighbour counts once), ties going to the **smallest** label; a node
/// without neighbours keeps its label. Labels are `NodeId`s.
///
/// Complexity: O(iterations · (V + E log Δ)) time, O(V + Δ) memory (Δ the
/// largest degree).
///
/// ```
/// # use quiverdb::{Database, GraphRead, props, algo::{self, ProjectionSpec}};
/// # let dir = tempfile::tempdir().unwrap();
/// # let db = Database::open(dir.path()).unwrap();
/// let mut w = db.begin_write()?;
/// let a = w.add_node(&[], props! {})?;
/// let b = w.add_node(&[], props! {})?;
/// w.add_edge(a, b, "T", props! {})?;
/// w.commit()?;
/// let p = db.projection(&ProjectionSpec::new())?;
/// // Each takes the other's label in the first round.
/// assert_eq!(algo::cdlp(&p, 1), vec![b, a]);
/// # Ok::<(), quiverdb::Error>(())
/// ```
#[must_use]
pub fn cdlp(p: &Projection, iterations: u32) -> Vec<NodeId> {
    let n = p.node_count();
    // Dense indices are in NodeId order, so "smallest label" can be decided
    // on dense indices.
    let mut label: Vec<u32> = (0..n as u32).collect();
    let mut next = label.clone();
    let mut buf: Vec<u32> = Vec::new();
    for _ in 0..iterations {
        for v in 0..n as u32 {
            buf.clear();
            buf.extend(p.out_neighbors(v).iter().map(|&u| label[u as usize]));
            buf.extend(p.in_neighbors(v).iter().map(|&u| label[u as usize]));
            if buf.is_empty() {
                next[v as usize] = label[v as usize];
                continue;
            }
            buf.sort_unstable();
            let (mut best, mut best_count) = (buf[0], 0usize);
            let mut i = 0;
            while i < buf.len() {
                let mut j = i;
                while j < buf.len() && buf[j] == buf[i] {
                    j += 1;
                }
                if j - i > best_count {
                    best = buf[i];
                    best_count = j - i;
                }
                i = j;
            }
            next[v as usize] = best;
        }
        std::mem::swap(&mut label, &mut next);
    }
    label.into_iter().map(|l| p.node_id(l)).collect()
}
