//! What the graph stores: the records of the `nodes`, `edges` and `meta`
//! column families. Private to the crate: the public views
//! ([`Node`](super::Node), [`Edge`](super::Edge), …) are built from them,
//! so the API can grow without touching the format.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::storage::codec;
use crate::{NodeId, Value};

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

/// The value of property `key` among `props` (sorted by key id).
fn prop_of(props: &[(u32, Value)], key: u32) -> Option<&Value> {
    props
        .binary_search_by_key(&key, |(k, _)| *k)
        .ok()
        .map(|i| &props[i].1)
}

impl NodeRecord {
    pub fn prop(&self, key: u32) -> Option<&Value> {
        prop_of(&self.props, key)
    }

    pub fn has_label(&self, label: u32) -> bool {
        self.labels.binary_search(&label).is_ok()
    }
}

impl EdgeRecord {
    pub fn prop(&self, key: u32) -> Option<&Value> {
        prop_of(&self.props, key)
    }

    /// The numeric properties, as kept in the adjacency entries so that
    /// weighted traversals need no second lookup.
    pub fn numeric_props(&self) -> Vec<(u32, f64)> {
        self.props
            .iter()
            .filter_map(|(k, v)| v.as_f64().map(|f| (*k, f)))
            .collect()
    }
}

/// Declared unique keys and property indexes, as `(label id, key id)` pairs
/// (`meta/schema`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    pub unique: Vec<(u32, u32)>,
    pub indexed: Vec<(u32, u32)>,
}

/// The names given to unique keys and indexes (`meta/schema-names`):
/// `(label, key, name)`; a declared pair without one is named by
/// [`default_index_name`]. An entry whose pair is no longer declared is
/// ignored (a build without names may have dropped it).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaNames {
    pub names: Vec<(u32, u32, String)>,
}

/// The name of a unique key or index that was given none: `index_` or
/// `constraint_` and 8 hex digits of a hash of the label and key (FNV-1a),
/// stable across processes, as Neo4j's generated names look.
pub fn default_index_name(label: &str, key: &str, unique: bool) -> String {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in label.bytes().chain([0]).chain(key.bytes()) {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    let kind = if unique { "constraint" } else { "index" };
    format!("{kind}_{hash:08x}")
}

/// Existence constraints (`meta/required`, format 11 on): properties that
/// every node with a label, or every relationship of a type, must have,
/// checked when a transaction commits.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Required {
    pub rules: Vec<RequiredRule>,
}

/// Range indexes that are declared but not materialised
/// (`meta/declared-indexes`): Cypher's `CREATE INDEX … FOR ()-[r:T]-() ON
/// (r.p)` over relationship properties and `CREATE INDEX … FOR (n:L) ON
/// (n.a, n.b)` over several node properties. Recorded, listed by `SHOW
/// INDEXES` and dropped by `DROP INDEX`; no entries are kept, and a
/// lookup by the properties scans the type's relationships or the
/// label's nodes as it would without one. Absent = none declared.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeclaredIndexes {
    pub indexes: Vec<DeclaredIndex>,
}

/// One declared (not materialised) range index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeclaredIndex {
    pub name: String,
    /// Over a relationship type (`owner`) rather than a label.
    pub relationship: bool,
    pub owner: String,
    pub keys: Vec<String>,
}

/// One existence constraint. The names of its label (or type) and key
/// are kept beside their ids, for the error that names them at commit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequiredRule {
    /// Over relationships (`owner` a type) rather than nodes (a label).
    pub relationship: bool,
    pub owner: u32,
    pub key: u32,
    pub name: String,
    pub owner_name: String,
    pub key_name: String,
}

impl RequiredRule {
    /// Whether a record with properties `props` (sorted by key id) lacks
    /// the property the rule requires.
    pub fn missing(&self, props: &[(u32, Value)]) -> bool {
        prop_of(props, self.key).is_none_or(|v| matches!(v, Value::Null))
    }

    /// The error of `entity` (`node 12`) lacking this rule's property.
    pub fn violated(&self, entity: String) -> crate::error::Error {
        crate::error::Error::MissingRequiredProperty {
            entity,
            owner: if self.relationship {
                format!("[:{}]", self.owner_name)
            } else {
                format!(":{}", self.owner_name)
            },
            key: self.key_name.clone(),
            name: self.name.clone(),
        }
    }
}

/// What is known about the graph as a whole (`meta/graph`, format 4 on):
/// how it was imported. Absent means directed, no weight property.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GraphInfoRecord {
    pub version: u32,
    pub undirected: bool,
    pub weight: Option<String>,
}

pub fn decode_node(bytes: &[u8]) -> Result<NodeRecord> {
    codec::decode(bytes, "node record")
}

pub fn decode_edge(bytes: &[u8]) -> Result<EdgeRecord> {
    codec::decode(bytes, "edge record")
}
