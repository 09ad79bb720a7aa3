//! The graph's key layouts: adjacency, label, unique-key and index keys,
//! and the numeric edge properties kept in adjacency values.
//!
//! Keys are fixed-width big-endian integers and value-keys
//! ([`push_value`]), so byte order is logical order and a prefix scan
//! walks, for example, all out-edges of a node grouped by edge type and
//! then by target. `docs/FORMAT.md` spells the layouts out.

use crate::error::{Error, Result};
use crate::storage::keys::{push_value, read_u32, read_u64};
use crate::{EdgeId, NodeId, Value};

/// Length of an adjacency key: node · type · other · edge.
pub const ADJ_KEY_LEN: usize = 8 + 4 + 8 + 8;

/// Offset of the edge id in an adjacency key.
pub const ADJ_EDGE_AT: usize = 20;

/// An adjacency key (`out` or `in`): `node · edge_type · other · edge`.
#[must_use]
pub fn adj(node: NodeId, edge_type: u32, other: NodeId, edge: EdgeId) -> [u8; ADJ_KEY_LEN] {
    let mut k = [0u8; ADJ_KEY_LEN];
    k[0..8].copy_from_slice(&node.0.to_be_bytes());
    k[8..12].copy_from_slice(&edge_type.to_be_bytes());
    k[12..20].copy_from_slice(&other.0.to_be_bytes());
    k[20..28].copy_from_slice(&edge.0.to_be_bytes());
    k
}

/// The prefix of all adjacency keys of `node`, optionally of one edge type.
#[must_use]
pub fn adj_prefix(node: NodeId, edge_type: Option<u32>) -> Vec<u8> {
    let mut k = Vec::with_capacity(12);
    k.extend_from_slice(&node.0.to_be_bytes());
    if let Some(t) = edge_type {
        k.extend_from_slice(&t.to_be_bytes());
    }
    k
}

/// A decoded adjacency key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdjKey {
    pub node: NodeId,
    pub edge_type: u32,
    pub other: NodeId,
    pub edge: EdgeId,
}

/// Decodes an adjacency key.
pub fn decode_adj(key: &[u8]) -> Result<AdjKey> {
    if key.len() != ADJ_KEY_LEN {
        return Err(Error::corruption(format!(
            "adjacency key has {} bytes, expected {ADJ_KEY_LEN}",
            key.len()
        )));
    }
    Ok(AdjKey {
        node: NodeId(read_u64(key, 0)?),
        edge_type: read_u32(key, 8)?,
        other: NodeId(read_u64(key, 12)?),
        edge: EdgeId(read_u64(key, ADJ_EDGE_AT)?),
    })
}

/// Encodes the value of an adjacency entry: the edge's numeric properties
/// as `(key u32 BE · f64 bits BE)` pairs, sorted by key. Fixed-width, so a
/// traversal reads one weight without decoding or allocating.
#[must_use]
pub fn numeric_props(props: &[(u32, f64)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(props.len() * 12);
    for (k, v) in props {
        out.extend_from_slice(&k.to_be_bytes());
        out.extend_from_slice(&v.to_bits().to_be_bytes());
    }
    out
}

/// Finds property `key` in an adjacency value written by [`numeric_props`].
pub fn find_numeric(value: &[u8], key: u32) -> Result<Option<f64>> {
    if !value.len().is_multiple_of(12) {
        return Err(Error::corruption(format!(
            "adjacency value of {} bytes is not a list of 12-byte pairs",
            value.len()
        )));
    }
    for pair in value.chunks_exact(12) {
        if read_u32(pair, 0)? == key {
            return Ok(Some(f64::from_bits(read_u64(pair, 4)?)));
        }
    }
    Ok(None)
}

/// A label-index key: `label · node`.
#[must_use]
pub fn label(label: u32, node: NodeId) -> [u8; 12] {
    let mut k = [0u8; 12];
    k[0..4].copy_from_slice(&label.to_be_bytes());
    k[4..12].copy_from_slice(&node.0.to_be_bytes());
    k
}

/// The node of a label-index key.
pub fn label_node(key: &[u8]) -> Result<NodeId> {
    read_u64(key, 4).map(NodeId)
}

/// `label · key` — the prefix of a property index, or of a unique key.
#[must_use]
pub fn label_key(label: u32, key: u32) -> Vec<u8> {
    let mut k = Vec::with_capacity(24);
    k.extend_from_slice(&label.to_be_bytes());
    k.extend_from_slice(&key.to_be_bytes());
    k
}

/// `label · key · value-key`: a unique-key entry, or the prefix of the
/// property-index entries holding `value`.
#[must_use]
pub fn label_key_value(label: u32, key: u32, value: &Value) -> Vec<u8> {
    let mut k = label_key(label, key);
    push_value(&mut k, value);
    k
}

/// `label · key · value-key · node`: a property-index entry.
#[must_use]
pub fn index_entry(label: u32, key: u32, value: &Value, node: NodeId) -> Vec<u8> {
    let mut k = label_key_value(label, key, value);
    k.extend_from_slice(&node.0.to_be_bytes());
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adjacency_round_trip_and_numeric_values() {
        let k = adj(NodeId(3), 7, NodeId(u64::MAX), EdgeId(9));
        let d = decode_adj(&k).unwrap();
        assert_eq!(
            (d.node, d.edge_type, d.other, d.edge),
            (NodeId(3), 7, NodeId(u64::MAX), EdgeId(9))
        );
        assert!(decode_adj(&k[1..]).is_err());
        let v = numeric_props(&[(1, 2.5), (7, -1.0)]);
        assert_eq!(find_numeric(&v, 7).unwrap(), Some(-1.0));
        assert_eq!(find_numeric(&v, 3).unwrap(), None);
        assert!(find_numeric(&v[1..], 7).is_err());
        assert_eq!(label_node(&label(5, NodeId(77))).unwrap(), NodeId(77));
    }
}
