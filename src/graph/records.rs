//! What the `nodes`, `edges` and `meta` column families store, and the public
//! views built from them.

use serde::{Deserialize, Serialize};

use crate::{EdgeId, NodeId, Props, Value};

/// A node as stored: interned label ids (sorted, unique) and properties by
/// interned key id (sorted by key id).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeRecord {
    pub labels: Vec<u32>,
    pub props: Vec<(u32, Value)>,
}

/// An edge as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EdgeRecord {
    pub src: NodeId,
    pub dst: NodeId,
    pub edge_type: u32,
    pub props: Vec<(u32, Value)>,
}

impl NodeRecord {
    pub fn prop(&self, key: u32) -> Option<&Value> {
        self.props
            .binary_search_by_key(&key, |(k, _)| *k)
            .ok()
            .map(|i| &self.props[i].1)
    }

    pub fn has_label(&self, label: u32) -> bool {
        self.labels.binary_search(&label).is_ok()
    }
}

impl EdgeRecord {
    /// The numeric properties, as kept in the adjacency entries so that
    /// weighted traversals need no second lookup.
    pub fn numeric_props(&self) -> Vec<(u32, f64)> {
        self.props
            .iter()
            .filter_map(|(k, v)| v.as_f64().map(|f| (*k, f)))
            .collect()
    }
}

/// Declared unique keys and property indexes, as `(label id, key id)` pairs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    pub unique: Vec<(u32, u32)>,
    pub indexed: Vec<(u32, u32)>,
}

/// How many nodes carry each label and how many edges have each type
/// (from [`GraphRead::census`](crate::GraphRead::census)).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Census {
    /// `(label, nodes)`, in the order the labels were first used.
    pub labels: Vec<(String, u64)>,
    /// `(edge type, edges)`, likewise.
    pub edge_types: Vec<(String, u64)>,
}

/// A node with its labels and properties.
#[derive(Clone, Debug, PartialEq)]
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

/// A declared unique key or property index.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IndexInfo {
    /// The label whose nodes it covers.
    pub label: String,
    /// The property key.
    pub key: String,
    /// Whether it is a unique key (at most one node per value).
    pub unique: bool,
}
