//! The property graph: labelled nodes, typed edges, properties.
//!
//! Reads go through the [`GraphRead`] trait, implemented by both
//! [`ReadTxn`](crate::ReadTxn) (a snapshot) and [`WriteTxn`] (its own
//! uncommitted view), so the two can never disagree on what a read means.

pub(crate) mod dict;
pub(crate) mod read;
pub(crate) mod records;
mod write;

pub use records::{Edge, EdgeRef, IndexInfo, Node};
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
