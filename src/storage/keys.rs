//! Order-preserving big-endian key encodings.
//!
//! Every key is a concatenation of fixed-width big-endian integers and, for
//! property indexes, a self-delimiting *value-key* (see [`push_value`]), so
//! byte order equals logical order and a prefix scan walks, for example, all
//! out-edges of a node grouped by edge type and then by target.

use crate::error::{Error, Result};
use crate::{EdgeId, NodeId, Value};

/// Length of an adjacency key: node · type · other · edge.
pub const ADJ_KEY_LEN: usize = 8 + 4 + 8 + 8;

/// An 8-byte id key.
#[must_use]
pub fn id(v: u64) -> [u8; 8] {
    v.to_be_bytes()
}

/// Reads an 8-byte big-endian integer at `at`.
pub fn read_u64(bytes: &[u8], at: usize) -> Result<u64> {
    bytes
        .get(at..at + 8)
        .and_then(|s| s.try_into().ok())
        .map(u64::from_be_bytes)
        .ok_or_else(|| Error::corruption(format!("key of {} bytes is too short", bytes.len())))
}

/// Reads a 4-byte big-endian integer at `at`.
pub fn read_u32(bytes: &[u8], at: usize) -> Result<u32> {
    bytes
        .get(at..at + 4)
        .and_then(|s| s.try_into().ok())
        .map(u32::from_be_bytes)
        .ok_or_else(|| Error::corruption(format!("key of {} bytes is too short", bytes.len())))
}

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
        edge: EdgeId(read_u64(key, 20)?),
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

/// The smallest key greater than every key starting with `prefix`, or `None`
/// when no such key exists (empty or all-0xFF prefix).
#[must_use]
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

const TAG_NULL: u8 = 1;
const TAG_FALSE: u8 = 2;
const TAG_TRUE: u8 = 3;
const TAG_INT: u8 = 4;
const TAG_FLOAT: u8 = 5;
const TAG_STRING: u8 = 6;
const TAG_BYTES: u8 = 7;
const TAG_LIST: u8 = 8;
const END_LIST: u8 = 0;

/// Appends the *value-key* of `v`: a tag byte, then an encoding whose byte
/// order is the value order within one type, and which is self-delimiting
/// (no value-key is a proper prefix of another).
///
/// * integers: `i ^ i64::MIN` big-endian (so negatives sort first);
/// * floats: IEEE bits, sign-flipped (all bits flipped for negatives); `-0.0`
///   is written as `0.0` so the two find each other;
/// * strings and bytes: `0x00` escaped as `0x00 0xFF`, terminated by
///   `0x00 0x01`;
/// * lists: the elements' value-keys, then `0x00`.
pub fn push_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => out.push(TAG_NULL),
        Value::Bool(false) => out.push(TAG_FALSE),
        Value::Bool(true) => out.push(TAG_TRUE),
        Value::Int(i) => {
            out.push(TAG_INT);
            out.extend_from_slice(&((*i as u64) ^ (1 << 63)).to_be_bytes());
        }
        Value::Float(f) => {
            out.push(TAG_FLOAT);
            let f = if *f == 0.0 { 0.0 } else { *f };
            let bits = f.to_bits();
            let ordered = if bits >> 63 == 1 {
                !bits
            } else {
                bits | (1 << 63)
            };
            out.extend_from_slice(&ordered.to_be_bytes());
        }
        Value::String(s) => {
            out.push(TAG_STRING);
            push_escaped(out, s.as_bytes());
        }
        Value::Bytes(b) => {
            out.push(TAG_BYTES);
            push_escaped(out, b);
        }
        Value::List(items) => {
            out.push(TAG_LIST);
            for item in items {
                push_value(out, item);
            }
            out.push(END_LIST);
        }
    }
}

fn push_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    for &b in bytes {
        out.push(b);
        if b == 0 {
            out.push(0xFF);
        }
    }
    out.extend_from_slice(&[0x00, 0x01]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vk(v: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        push_value(&mut out, v);
        out
    }

    #[test]
    fn value_keys_preserve_order_within_a_type() {
        let ints = [i64::MIN, -7, -1, 0, 1, 42, i64::MAX];
        for w in ints.windows(2) {
            assert!(vk(&Value::Int(w[0])) < vk(&Value::Int(w[1])), "{w:?}");
        }
        let floats = [
            f64::NEG_INFINITY,
            -1e9,
            -0.5,
            0.0,
            1e-300,
            2.5,
            f64::INFINITY,
        ];
        for w in floats.windows(2) {
            assert!(vk(&Value::Float(w[0])) < vk(&Value::Float(w[1])), "{w:?}");
        }
        let strings = ["", "a", "a\0", "a\0b", "ab", "b"];
        for w in strings.windows(2) {
            assert!(vk(&w[0].into()) < vk(&w[1].into()), "{w:?}");
        }
        assert_eq!(vk(&Value::Float(-0.0)), vk(&Value::Float(0.0)));
    }

    #[test]
    fn value_keys_are_self_delimiting() {
        // No value-key may be a prefix of another, or an index scan for one
        // value would return nodes holding the other.
        let values: Vec<Value> = vec![
            "ab".into(),
            "abc".into(),
            "ab\0".into(),
            Value::Bytes(vec![0, 1]),
            Value::Bytes(vec![0]),
            Value::List(vec![]),
            Value::List(vec![Value::Int(1)]),
            Value::List(vec![Value::Int(1), Value::Null]),
            Value::Null,
            Value::Bool(true),
        ];
        for a in &values {
            for b in &values {
                if a != b {
                    assert!(!vk(b).starts_with(&vk(a)), "{a:?} is a prefix of {b:?}");
                }
            }
        }
    }

    #[test]
    fn adjacency_round_trip_and_prefix_end() {
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
        assert_eq!(prefix_end(&[1, 2, 0xFF]), Some(vec![1, 3]));
        assert_eq!(prefix_end(&[0xFF, 0xFF]), None);
        assert_eq!(prefix_end(&[]), None);
    }
}
