//! The property graph: labelled nodes, typed edges, properties.
//!
//! Reads go through the [`GraphRead`] trait, implemented by both
//! [`ReadTxn`](crate::ReadTxn) (a snapshot) and [`WriteTxn`] (its own
//! uncommitted view), so the two can never disagree on what a read means.

pub(crate) mod dict;
pub(crate) mod read;
pub(crate) mod records;
mod write;

pub use records::{Census, Edge, EdgeRef, IndexInfo, Node};
pub use write::WriteTxn;

use crate::error::Result;
use crate::{Direction, EdgeId, NodeId, Value};
use read::Reader;

pub(crate) mod sealed {
    use super::Reader;
    use crate::error::Result;

    /// Gives the graph reads their key-value view. Not implementable
    /// outside the crate.
    pub trait Sealed {
        fn with_reader<T>(&self, f: impl FnOnce(&Reader<'_>) -> Result<T>) -> Result<T>;

        /// A cached projection that shows exactly this view and that
        /// `serves` accepts, if there is one.
        fn current_projection(
            &self,
            serves: &dyn Fn(&crate::algo::ProjectionSpec) -> bool,
        ) -> Option<std::sync::Arc<crate::algo::Projection>> {
            let _ = serves;
            None
        }
    }
}

/// Graph reads, on a [`ReadTxn`](crate::ReadTxn) or a [`WriteTxn`].
///
/// Every method that takes a node id fails with
/// [`Error::NodeNotFound`](crate::Error::NodeNotFound) when the node does
/// not exist, except the lookups whose answer is an `Option`.
pub trait GraphRead: sealed::Sealed {
    /// The node `id`, or `None` if it does not exist.
    fn node(&self, id: NodeId) -> Result<Option<Node>> {
        self.with_reader(|r| r.node(id))
    }

    /// Whether node `id` exists.
    fn contains_node(&self, id: NodeId) -> Result<bool> {
        self.with_reader(|r| r.contains_node(id))
    }

    /// The edge `id`, or `None` if it does not exist.
    fn edge(&self, id: EdgeId) -> Result<Option<Edge>> {
        self.with_reader(|r| r.edge(id))
    }

    /// The edges incident to `node` in direction `dir`, optionally only of
    /// `edge_type`, ordered by direction (out before in), then edge type id,
    /// then other endpoint, then edge id. With [`Direction::Both`] a
    /// self-loop appears twice. O(degree) key-ordered reads.
    fn edges(&self, node: NodeId, dir: Direction, edge_type: Option<&str>) -> Result<Vec<EdgeRef>> {
        self.with_reader(|r| r.edges(node, dir, edge_type))
    }

    /// The distinct nodes adjacent to `node` in direction `dir`, optionally
    /// through edges of `edge_type` only, sorted by id.
    fn neighbors(
        &self,
        node: NodeId,
        dir: Direction,
        edge_type: Option<&str>,
    ) -> Result<Vec<NodeId>> {
        self.with_reader(|r| r.neighbors(node, dir, edge_type))
    }

    /// The nodes carrying `label`, sorted by id.
    fn nodes_with_label(&self, label: &str) -> Result<Vec<NodeId>> {
        self.with_reader(|r| r.nodes_with_label(label))
    }

    /// Every node id, sorted.
    fn node_ids(&self) -> Result<Vec<NodeId>> {
        #[allow(
            clippy::redundant_closure_for_method_calls,
            reason = "the method path is not general over the reader's lifetime"
        )]
        self.with_reader(|r| r.node_ids())
    }

    /// Every node that has property `key`, with the value, sorted by node
    /// id. One sequential scan of all nodes, O(V): the way to map a whole
    /// projection's nodes back to their external keys.
    fn property_values(&self, key: &str) -> Result<Vec<(NodeId, Value)>> {
        self.with_reader(|r| r.property_values(key))
    }

    /// Node counts per label and edge counts per type, by name, sorted by
    /// name's id. O(V + E): for `quiver stats`, not for hot paths.
    fn census(&self) -> Result<Census> {
        #[allow(
            clippy::redundant_closure_for_method_calls,
            reason = "the method path is not general over the reader's lifetime"
        )]
        self.with_reader(|r| r.census())
    }

    /// Every edge id, sorted.
    fn edge_ids(&self) -> Result<Vec<EdgeId>> {
        #[allow(
            clippy::redundant_closure_for_method_calls,
            reason = "the method path is not general over the reader's lifetime"
        )]
        self.with_reader(|r| r.edge_ids())
    }

    /// The node whose unique key `(label, key)` equals `value`. Fails with
    /// [`Error::NotIndexed`](crate::Error::NotIndexed) unless the unique key
    /// was declared with [`WriteTxn::create_unique_key`].
    fn node_by_key(&self, label: &str, key: &str, value: &Value) -> Result<Option<NodeId>> {
        self.with_reader(|r| r.node_by_key(label, key, value))
    }

    /// The nodes with `label` whose property `key` equals `value`, sorted by
    /// id. Needs an index ([`WriteTxn::create_index`]) or unique key on
    /// `(label, key)`, else fails with
    /// [`Error::NotIndexed`](crate::Error::NotIndexed).
    fn nodes_by_property(&self, label: &str, key: &str, value: &Value) -> Result<Vec<NodeId>> {
        self.with_reader(|r| r.nodes_by_property(label, key, value))
    }

    /// The declared unique keys and indexes.
    fn indexes(&self) -> Result<Vec<IndexInfo>> {
        #[allow(
            clippy::redundant_closure_for_method_calls,
            reason = "the method path is not general over the reader's lifetime"
        )]
        self.with_reader(|r| r.indexes())
    }

    /// A shortest path from `from` to `to` under `query`, or `None` when
    /// `to` is unreachable (or farther than the query's `max_depth`).
    ///
    /// Runs on this transaction's view. When a read transaction's database
    /// holds a cached [`Projection`](crate::algo::Projection) that shows
    /// exactly this snapshot and matches the query (all nodes, the same edge
    /// types, and for a weighted query the same weight), the search runs on
    /// it in memory and only the path's edges are read from storage;
    /// otherwise it reads the adjacency column families directly — no
    /// projection is ever built for it. Unweighted: bidirectional BFS,
    /// O(b^(d/2)) adjacency scans for branching factor b and distance d.
    /// Weighted: bidirectional Dijkstra, O((V' + E') log V') over the V'
    /// nodes and E' edges it settles. Fails with `NodeNotFound` for an
    /// unknown endpoint and `InvalidArgument` for a negative or missing
    /// weight met on the way.
    ///
    /// ```
    /// # use quiverdb::{Database, GraphRead, props, algo::PathQuery};
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let db = Database::open(dir.path()).unwrap();
    /// let mut w = db.begin_write()?;
    /// let n: Vec<_> = (0..3).map(|_| w.add_node(&[], props! {})).collect::<Result<_, _>>()?;
    /// w.add_edge(n[0], n[1], "ROAD", props! {"km" => 5.0})?;
    /// w.add_edge(n[1], n[2], "ROAD", props! {"km" => 5.0})?;
    /// let direct = w.add_edge(n[0], n[2], "ROAD", props! {"km" => 20.0})?;
    /// w.commit()?;
    /// let r = db.begin_read()?;
    /// let hops = r.shortest_path(n[0], n[2], &PathQuery::new())?.unwrap();
    /// assert_eq!(hops.edges, vec![direct]);
    /// let km = r.shortest_path(n[0], n[2], &PathQuery::new().weight("km"))?.unwrap();
    /// assert_eq!((km.nodes, km.cost), (n.clone(), 10.0));
    /// # Ok::<(), quiverdb::Error>(())
    /// ```
    fn shortest_path(
        &self,
        from: NodeId,
        to: NodeId,
        query: &crate::algo::PathQuery,
    ) -> Result<Option<crate::algo::Path>> {
        let memory = self.current_projection(&|spec| query.served_by(spec));
        self.with_reader(|r| {
            crate::algo::path::shortest_path(r, from, to, query, memory.as_deref())
        })
    }

    /// Builds a [`Projection`](crate::algo::Projection) of this view, in
    /// O(V + E). [`Database::projection`](crate::Database::projection) does
    /// the same on a fresh snapshot and caches the result.
    fn project(&self, spec: &crate::algo::ProjectionSpec) -> Result<crate::algo::Projection> {
        self.with_reader(|r| crate::algo::Projection::build(r, spec))
    }

    /// The vector collections.
    fn collections(&self) -> Result<Vec<crate::vector::CollectionInfo>> {
        self.with_reader(crate::vector::read::collections)
    }

    /// The point `key` of collection `name`, or `None`; fails with
    /// [`Error::CollectionNotFound`](crate::Error::CollectionNotFound).
    fn vector(&self, name: &str, key: u64) -> Result<Option<crate::vector::Point>> {
        self.with_reader(|r| crate::vector::read::point(r, name, key))
    }

    /// The number of points in collection `name`.
    fn vector_count(&self, name: &str) -> Result<u64> {
        self.with_reader(|r| crate::vector::read::count(r, name))
    }

    /// The number of nodes.
    fn node_count(&self) -> Result<u64> {
        self.with_reader(|r| read::read_counter(r.kv, crate::storage::schema::meta::NODE_COUNT))
    }

    /// The number of edges.
    fn edge_count(&self) -> Result<u64> {
        self.with_reader(|r| read::read_counter(r.kv, crate::storage::schema::meta::EDGE_COUNT))
    }
}

impl sealed::Sealed for WriteTxn<'_> {
    fn with_reader<T>(&self, f: impl FnOnce(&Reader<'_>) -> Result<T>) -> Result<T> {
        self.with_view(f)
    }
}

impl GraphRead for WriteTxn<'_> {}
