//! Graph algorithms.
//!
//! * Point-to-point shortest paths ([`ReadTxn::shortest_path`](crate::ReadTxn::shortest_path),
//!   [`WriteTxn::shortest_path`](crate::WriteTxn::shortest_path)) run on a
//!   transaction's view straight from the adjacency column families:
//!   bidirectional BFS (unweighted) or bidirectional Dijkstra (weighted).
//! * Whole-graph algorithms run on a [`Projection`]: the graph, or a part
//!   filtered by labels and edge types, in CSR form
//!   ([`Database::projection`](crate::Database::projection) caches it until
//!   the next commit). The six LDBC Graphalytics kernels are here: BFS,
//!   SSSP, WCC, PageRank, CDLP and LCC, plus SCC, k-core decomposition,
//!   personalised PageRank, and Leiden and Louvain communities.
//!
//! The kernels are our own code over the CSR: petgraph's `tarjan_scc` is
//! recursive (a deep graph overflows the stack), its Dijkstra keeps
//! distances in a `HashMap`, and it has no Graphalytics PageRank, CDLP or
//! LCC. `&Projection` implements petgraph's visit traits, so any petgraph
//! algorithm also runs on a projection; the tests use petgraph's Kosaraju
//! and Dijkstra as oracles that way.

mod cache;
mod cdlp;
mod community;
mod components;
mod kcore;
mod lcc;
mod pagerank;
pub(crate) mod path;
mod petgraph_impl;
pub(crate) mod projection;
mod stored;
mod traverse;

pub use cdlp::cdlp;
pub use community::{Communities, LeidenConfig, Objective, leiden, louvain, modularity};
pub use components::{
    Components, strongly_connected_components, weakly_connected_components,
    weakly_connected_components_bfs,
};
pub use kcore::kcore;
pub use lcc::lcc;
pub use pagerank::{pagerank, personalized_pagerank};
pub use path::{Path, PathQuery};
pub use projection::{Projection, ProjectionSpec};
pub use traverse::{bfs_depths, sssp_distances};

pub(crate) use cache::{ProjectionCache, adjacency_loaded};

use crate::Direction;
use projection::Csr;

/// Calls `f(neighbour, weight)` for each edge of dense node `v` followed in
/// `dir` (weight 1 when the projection is unweighted).
#[inline]
pub(crate) fn for_each_arc(p: &Projection, v: u32, dir: Direction, mut f: impl FnMut(u32, f64)) {
    let mut visit = |csr: &Csr| {
        for k in csr.range(v) {
            f(csr.targets[k], csr.weights.get(k).copied().unwrap_or(1.0));
        }
    };
    match dir {
        Direction::Out => visit(&p.out),
        Direction::In => visit(p.inc()),
        Direction::Both => {
            visit(&p.out);
            visit(p.inc());
        }
    }
}
