//! The entries a record implies, derived in one place: the label,
//! unique-key and property-index entries of a node, and the two adjacency
//! entries of an edge. The writer diffs them, the bulk loader writes them,
//! the checker compares them with what is stored.

use super::keys;
use super::records::{EdgeRecord, NodeRecord, Schema};
use crate::storage::Cf;
use crate::{EdgeId, NodeId, Value};

/// One entry a node implies.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum NodeEntry<'a> {
    /// `labels`: the node carries `label`.
    Label(u32),
    /// `unique`: the node holds `value` under the unique key
    /// `(label, key)`; the entry's value is the node id.
    Unique {
        label: u32,
        key: u32,
        value: &'a Value,
    },
    /// `index`: the node holds `value` under the index `(label, key)`.
    Index {
        label: u32,
        key: u32,
        value: &'a Value,
    },
}

impl NodeEntry<'_> {
    /// The column family the entry lives in.
    pub fn cf(&self) -> Cf {
        match self {
            NodeEntry::Label(_) => Cf::Labels,
            NodeEntry::Unique { .. } => Cf::Unique,
            NodeEntry::Index { .. } => Cf::Index,
        }
    }

    /// The entry's key for node `id`.
    pub fn key(&self, id: NodeId) -> Vec<u8> {
        match *self {
            NodeEntry::Label(l) => keys::label(l, id).to_vec(),
            NodeEntry::Unique { label, key, value } => keys::label_key_value(label, key, value),
            NodeEntry::Index { label, key, value } => keys::index_entry(label, key, value, id),
        }
    }

    /// The entry's value for node `id`: the node id for a unique key,
    /// nothing otherwise.
    pub fn value(&self, id: NodeId) -> Vec<u8> {
        match self {
            NodeEntry::Unique { .. } => id.0.to_be_bytes().to_vec(),
            _ => Vec::new(),
        }
    }
}

/// Every entry `rec` implies under `schema`: its labels, then its unique
/// keys, then its indexed properties (a property counts when the node has
/// the pair's label and holds the property).
pub fn node_entries<'a>(
    schema: &'a Schema,
    rec: &'a NodeRecord,
) -> impl Iterator<Item = NodeEntry<'a>> + 'a {
    let held = move |&(label, key): &(u32, u32)| {
        rec.has_label(label)
            .then(|| rec.prop(key))
            .flatten()
            .map(|value| (label, key, value))
    };
    let labels = rec.labels.iter().map(|&l| NodeEntry::Label(l));
    let unique = schema
        .unique
        .iter()
        .filter_map(held)
        .map(|(label, key, value)| NodeEntry::Unique { label, key, value });
    let index = schema
        .indexed
        .iter()
        .filter_map(held)
        .map(|(label, key, value)| NodeEntry::Index { label, key, value });
    labels.chain(unique).chain(index)
}

/// The two adjacency entries edge `id` implies: `(out key, in key, value)`,
/// the value being the edge's numeric properties.
pub fn edge_entries(
    id: EdgeId,
    rec: &EdgeRecord,
) -> ([u8; keys::ADJ_KEY_LEN], [u8; keys::ADJ_KEY_LEN], Vec<u8>) {
    (
        keys::adj(rec.src, rec.edge_type, rec.dst, id),
        keys::adj(rec.dst, rec.edge_type, rec.src, id),
        keys::numeric_props(&rec.numeric_props()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_implies_its_labels_then_unique_keys_then_indexes() {
        let schema = Schema {
            unique: vec![(1, 10), (2, 10)],
            indexed: vec![(1, 11), (1, 12)],
        };
        let rec = NodeRecord {
            labels: vec![1, 3],
            props: vec![(10, Value::Int(5)), (11, Value::from("x"))],
        };
        let found: Vec<NodeEntry<'_>> = node_entries(&schema, &rec).collect();
        assert_eq!(
            found,
            [
                NodeEntry::Label(1),
                NodeEntry::Label(3),
                NodeEntry::Unique {
                    label: 1,
                    key: 10,
                    value: &Value::Int(5)
                },
                NodeEntry::Index {
                    label: 1,
                    key: 11,
                    value: &Value::from("x")
                },
            ]
        );
        let id = NodeId(9);
        assert_eq!(found[2].value(id), 9u64.to_be_bytes());
        assert_eq!(found[0].key(id), keys::label(1, id));
        assert_eq!(found[3].cf(), Cf::Index);
    }
}
