//! The public views of the graph: what reads return.

use crate::{EdgeId, NodeId, Props};

/// How many nodes carry each label and how many edges have each type
/// (from [`GraphRead::census`](crate::GraphRead::census)).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Census {
    /// `(label, nodes)`, in the order the labels were first used.
    pub labels: Vec<(String, u64)>,
    /// `(edge type, edges)`, likewise.
    pub edge_types: Vec<(String, u64)>,
    /// `(source label, edge type, target label, edges)`: edges of the type
    /// from a node with the first label to one with the second (`""`: a
    /// node without labels; a node with two labels counts under each).
    pub patterns: Vec<(String, String, String, u64)>,
    /// `(label, key, values)`: distinct values of each declared unique key
    /// and property index.
    pub distinct: Vec<(String, String, u64)>,
}

/// A node with its labels and properties.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Node {
    /// Its id.
    pub id: NodeId,
    /// Its labels, sorted by name.
    pub labels: Vec<String>,
    /// Its properties.
    pub props: Props,
}

/// An edge with its endpoints, type and properties.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Edge {
    /// Its id.
    pub id: EdgeId,
    /// The node it leaves.
    pub source: NodeId,
    /// The node it enters.
    pub target: NodeId,
    /// Its type.
    pub edge_type: String,
    /// Its properties.
    pub props: Props,
}

/// An edge incident to a node, as read from the adjacency (no properties).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub struct EdgeRef {
    /// The edge.
    pub id: EdgeId,
    /// The node it leaves.
    pub source: NodeId,
    /// The node it enters.
    pub target: NodeId,
    /// Its type.
    pub edge_type: String,
}

/// A declared existence constraint (Cypher's `REQUIRE n.p IS NOT NULL`):
/// every node with a label, or relationship of a type, has the property.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ExistenceConstraint {
    /// Its name.
    pub name: String,
    /// The label (or, for relationships, the type) it covers.
    pub owner: String,
    /// The property every one of them must have.
    pub key: String,
    /// Whether it covers relationships of a type rather than nodes.
    pub relationship: bool,
}

/// A declared unique key or property index.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct PropertyIndex {
    /// The label whose nodes it covers.
    pub label: String,
    /// The property key.
    pub key: String,
    /// Whether it is a unique key (at most one node per value).
    pub unique: bool,
    /// Its name: the one given by [`WriteTxn::name_index`]
    /// (Cypher's `CREATE INDEX name ...`), else `index_…` /
    /// `constraint_…` with a hash of the label and key.
    ///
    /// [`WriteTxn::name_index`]: crate::WriteTxn::name_index
    pub name: String,
}

/// What is recorded about the graph as a whole: whether its edges are to
/// be read as undirected, and which edge property holds its weights. The
/// importer records both (from a Graphalytics `.properties` file, or its
/// options); graph algorithms and `quiver algo` use them by default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct GraphInfo {
    /// Whether edges are meant in both directions (an undirected graph
    /// stored one edge per pair). Default `false`.
    pub undirected: bool,
    /// The numeric edge property holding weights, if the graph has one.
    pub weight: Option<String>,
}

impl GraphInfo {
    /// A directed graph without a weight property (the default).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Edges meant in both directions, or not.
    #[must_use]
    pub fn undirected(mut self, yes: bool) -> Self {
        self.undirected = yes;
        self
    }

    /// The numeric edge property holding weights.
    #[must_use]
    pub fn weight(mut self, key: Option<String>) -> Self {
        self.weight = key;
        self
    }
}
