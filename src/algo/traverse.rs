//! Single-source traversals on a projection: BFS depths and SSSP distances
//! to every reachable node.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

use super::{Projection, for_each_arc};
use crate::error::Result;
use crate::{Direction, NodeId};

/// Hop distance from `source` to every node of the projection (by dense
/// index), following edges in `dir` (`Both` treats the graph as
/// undirected); `None` where unreachable. Fails with
/// [`Error::NodeNotFound`](crate::Error::NodeNotFound) when `source` is not
/// in the projection.
///
/// Complexity: O(V + E) time, O(V) memory.
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
/// let depth = algo::bfs_depths(&p, a, Direction::Out)?;
/// assert_eq!(depth, vec![Some(0), Some(1)]);
/// # Ok::<(), quiverdb::Error>(())
/// ```
pub fn bfs_depths(p: &Projection, source: NodeId, dir: Direction) -> Result<Vec<Option<u32>>> {
    let source = p.require(source)?;
    let mut depth = vec![None; p.node_count()];
    depth[source as usize] = Some(0);
    let mut queue = VecDeque::from([source]);
    while let Some(v) = queue.pop_front() {
        let d = depth[v as usize].unwrap_or(0) + 1;
        for_each_arc(p, v, dir, |w, _| {
            if depth[w as usize].is_none() {
                depth[w as usize] = Some(d);
                queue.push_back(w);
            }
        });
    }
    Ok(depth)
}

/// A min-heap entry ordered by distance.
#[derive(Clone, Copy, PartialEq)]
pub(crate) struct Entry(pub f64, pub u32);

impl Eq for Entry {}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        other.0.total_cmp(&self.0).then(other.1.cmp(&self.1))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Weighted distance from `source` to every node of the projection (by
/// dense index), by Dijkstra's algorithm with a binary heap, following
/// edges in `dir`; `f64::INFINITY` where unreachable. An unweighted
/// projection counts each edge as 1. Weights are non-negative by
/// construction of the projection. Fails with
/// [`Error::NodeNotFound`](crate::Error::NodeNotFound) when `source` is not
/// in the projection.
///
/// Complexity: O((V + E) log V) time, O(V) memory.
pub fn sssp_distances(p: &Projection, source: NodeId, dir: Direction) -> Result<Vec<f64>> {
    let source = p.require(source)?;
    let mut dist = vec![f64::INFINITY; p.node_count()];
    dist[source as usize] = 0.0;
    let mut heap = BinaryHeap::from([Entry(0.0, source)]);
    while let Some(Entry(d, v)) = heap.pop() {
        if d > dist[v as usize] {
            continue;
        }
        for_each_arc(p, v, dir, |w, weight| {
            let nd = d + weight;
            if nd < dist[w as usize] {
                dist[w as usize] = nd;
                heap.push(Entry(nd, w));
            }
        });
    }
    Ok(dist)
}
