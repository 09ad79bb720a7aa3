//! The property graph: labelled nodes, typed edges, properties, unique
//! keys and indexes — one of the two data models over the transaction core.
//!
//! * Records and key layouts: `records.rs`, `keys.rs`; the entries a record
//!   implies (labels, unique keys, index entries, adjacency), derived in
//!   one place: `entries.rs`.
//! * Reads go through the [`GraphRead`] trait, implemented by both
//!   [`ReadTxn`] (a snapshot) and [`WriteTxn`] (its own uncommitted view)
//!   over one [`Reader`](read::Reader), so the two can never disagree on
//!   what a read means. Multi-row reads have streaming forms (`iter_*`).
//! * Writes are methods of [`WriteTxn`] (`write.rs`).
//! * The dictionary and the id counters are the graph's state in the
//!   database (`state.rs`).

pub(crate) mod dict;
pub(crate) mod entries;
mod iter;
pub(crate) mod keys;
mod patch;
pub(crate) mod read;
pub(crate) mod records;
pub(crate) mod state;
pub(crate) mod stats;
mod views;
pub(crate) mod watch;
mod write;

pub use iter::{EdgeIds, Edges, NodeIds, PropertyValues};
pub use views::{Census, Edge, EdgeRef, ExistenceConstraint, GraphInfo, Node, PropertyIndex};

use crate::error::{Error, Result};
use crate::txn::{ReadTxn, WriteTxn};
use crate::{Direction, EdgeId, NodeId, Value};
use dict::Kind;
use read::Reader;

pub(crate) mod sealed {
    use super::Reader;

    /// Gives the graph reads their view. Not implementable outside the
    /// crate.
    pub trait Sealed {
        /// The reader over this transaction's view.
        fn reader(&self) -> Reader<'_>;

        /// `(nodes, edges)` counted by a write transaction so far (they
        /// reach storage at its commit); `None` for a snapshot.
        fn pending_counts(&self) -> Option<(u64, u64)> {
            None
        }
    }
}

/// Graph reads, on a [`ReadTxn`] or a [`WriteTxn`].
///
/// Every method that takes a node id fails with
/// [`Error::NodeNotFound`] when the node does not exist, except the
/// lookups whose answer is an `Option`. Reads that can return many rows
/// come in two forms: one that collects a `Vec`, and an `iter_*` form that
/// reads storage lazily, a page at a time.
pub trait GraphRead: sealed::Sealed {
    /// The node `id`, or `None` if it does not exist.
    fn node(&self, id: NodeId) -> Result<Option<Node>> {
        self.reader().node(id)
    }

    /// Whether node `id` exists.
    fn contains_node(&self, id: NodeId) -> Result<bool> {
        self.reader().contains_node(id)
    }

    /// The edge `id`, or `None` if it does not exist.
    fn edge(&self, id: EdgeId) -> Result<Option<Edge>> {
        self.reader().edge(id)
    }

    /// The edges incident to `node` in direction `dir`, optionally only of
    /// `edge_type`, ordered by direction (out before in), then edge type id,
    /// then other endpoint, then edge id. With [`Direction::Both`] a
    /// self-loop appears twice. O(degree) key-ordered reads.
    fn edges(&self, node: NodeId, dir: Direction, edge_type: Option<&str>) -> Result<Vec<EdgeRef>> {
        self.reader().edges(node, dir, edge_type)
    }

    /// [`edges`](Self::edges), read lazily.
    fn iter_edges(
        &self,
        node: NodeId,
        dir: Direction,
        edge_type: Option<&str>,
    ) -> Result<Edges<'_>> {
        let r = self.reader();
        if !r.contains_node(node)? {
            return Err(Error::NodeNotFound(node));
        }
        Ok(Edges::of(r, node, dir, r.type_filter(edge_type)))
    }

    /// The distinct nodes adjacent to `node` in direction `dir`, optionally
    /// through edges of `edge_type` only, sorted by id.
    fn neighbors(
        &self,
        node: NodeId,
        dir: Direction,
        edge_type: Option<&str>,
    ) -> Result<Vec<NodeId>> {
        self.reader().neighbors(node, dir, edge_type)
    }

    /// The nodes carrying `label`, sorted by id.
    fn nodes_with_label(&self, label: &str) -> Result<Vec<NodeId>> {
        self.reader().nodes_with_label(label)
    }

    /// [`nodes_with_label`](Self::nodes_with_label), read lazily.
    ///
    /// ```
    /// # use quiverdb::{Database, GraphRead, props};
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let db = Database::open(dir.path()).unwrap();
    /// let mut w = db.begin_write()?;
    /// for i in 0..1_000 {
    ///     w.add_node(&["Item"], props! {"i" => i})?;
    /// }
    /// w.commit()?;
    /// let r = db.begin_read()?;
    /// // Reads one small page of the label index, not a thousand entries.
    /// let first: Vec<_> = r.iter_nodes_with_label("Item")?.take(3).collect::<Result<_, _>>()?;
    /// assert_eq!(first.len(), 3);
    /// # Ok::<(), quiverdb::Error>(())
    /// ```
    fn iter_nodes_with_label(&self, label: &str) -> Result<NodeIds<'_>> {
        Ok(NodeIds::with_label(self.reader(), label))
    }

    /// Every node id, sorted.
    fn node_ids(&self) -> Result<Vec<NodeId>> {
        self.reader().node_ids()
    }

    /// [`node_ids`](Self::node_ids), read lazily.
    fn iter_node_ids(&self) -> Result<NodeIds<'_>> {
        Ok(NodeIds::all(self.reader()))
    }

    /// Every edge id, sorted.
    fn edge_ids(&self) -> Result<Vec<EdgeId>> {
        self.reader().edge_ids()
    }

    /// [`edge_ids`](Self::edge_ids), read lazily.
    fn iter_edge_ids(&self) -> Result<EdgeIds<'_>> {
        Ok(EdgeIds::all(self.reader()))
    }

    /// Every node that has property `key`, with the value, sorted by node
    /// id. One sequential scan of all nodes, O(V): the way to map a whole
    /// projection's nodes back to their external keys.
    fn property_values(&self, key: &str) -> Result<Vec<(NodeId, Value)>> {
        self.iter_property_values(key)?.collect()
    }

    /// [`property_values`](Self::property_values), read lazily.
    fn iter_property_values(&self, key: &str) -> Result<PropertyValues<'_>> {
        let r = self.reader();
        Ok(PropertyValues::of(r, r.names.id(Kind::PropKey, key)))
    }

    /// Node counts per label and edge counts per type, by name, sorted by
    /// name's id. O(V + E): for `quiver stats`, not for hot paths.
    fn census(&self) -> Result<Census> {
        self.reader().census()
    }

    /// The node whose unique key `(label, key)` equals `value`. Fails with
    /// [`Error::NotIndexed`] unless the unique key was declared with
    /// [`WriteTxn::create_unique_key`].
    fn node_by_key(&self, label: &str, key: &str, value: &Value) -> Result<Option<NodeId>> {
        self.reader().node_by_key(label, key, value)
    }

    /// The nodes with `label` whose property `key` equals `value`, sorted by
    /// id. Needs an index ([`WriteTxn::create_index`]) or unique key on
    /// `(label, key)`, else fails with [`Error::NotIndexed`].
    fn nodes_by_property(&self, label: &str, key: &str, value: &Value) -> Result<Vec<NodeId>> {
        self.reader().nodes_by_property(label, key, value)
    }

    /// The declared unique keys and indexes.
    fn indexes(&self) -> Result<Vec<PropertyIndex>> {
        self.reader().indexes()
    }

    /// The declared existence constraints
    /// ([`WriteTxn::create_existence_constraint`]).
    fn existence_constraints(&self) -> Result<Vec<ExistenceConstraint>> {
        Ok(self
            .reader()
            .required()?
            .rules
            .into_iter()
            .map(|r| ExistenceConstraint {
                name: r.name,
                owner: r.owner_name,
                key: r.key_name,
                relationship: r.relationship,
            })
            .collect())
    }

    /// What is recorded about the graph as a whole: whether it is meant as
    /// undirected and which edge property holds its weights (see
    /// [`WriteTxn::set_graph_info`]).
    fn graph_info(&self) -> Result<GraphInfo> {
        self.reader().graph_info()
    }

    /// The number of nodes.
    fn node_count(&self) -> Result<u64> {
        match self.pending_counts() {
            Some((nodes, _)) => Ok(nodes),
            None => read::read_counter(self.reader().kv, crate::storage::schema::meta::NODE_COUNT),
        }
    }

    /// The number of edges.
    fn edge_count(&self) -> Result<u64> {
        match self.pending_counts() {
            Some((_, edges)) => Ok(edges),
            None => read::read_counter(self.reader().kv, crate::storage::schema::meta::EDGE_COUNT),
        }
    }
}

impl sealed::Sealed for ReadTxn<'_> {
    fn reader(&self) -> Reader<'_> {
        state::reader(self)
    }
}

impl GraphRead for ReadTxn<'_> {}

impl sealed::Sealed for WriteTxn<'_> {
    fn reader(&self) -> Reader<'_> {
        state::write_reader(self)
    }

    fn pending_counts(&self) -> Option<(u64, u64)> {
        self.part::<state::GraphTxn>()
            .map(|g| (g.counters.node_count, g.counters.edge_count))
    }
}

impl GraphRead for WriteTxn<'_> {}
