//! What the vector column families store.

use serde::{Deserialize, Serialize};

use super::CollectionConfig;
use crate::error::{Error, Result};
use crate::storage::{codec, keys};
use crate::{Props, Value};

/// A collection as stored in `collections` (key: its name).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CollectionRecord {
    pub id: u32,
    pub config: CollectionConfig,
    /// The next point slot to allocate; slots are never reused.
    pub next_slot: u64,
    /// Live points.
    pub count: u64,
}

/// [`CollectionRecord`] as format 2 stored it.
#[derive(Deserialize)]
struct RecordV2 {
    id: u32,
    config: super::config::ConfigV2,
    next_slot: u64,
    count: u64,
}

impl CollectionRecord {
    /// Decodes a stored record, of this format or of format 2 (whose
    /// configuration has no engine: `hnsw_rs`). The two layouts differ by
    /// one field, so at most one of them decodes a given value exactly.
    pub fn decode(bytes: &[u8]) -> Result<CollectionRecord> {
        codec::decode::<CollectionRecord>(bytes, "collection record").or_else(|e| {
            codec::decode::<RecordV2>(bytes, "collection record")
                .map(|r| CollectionRecord {
                    id: r.id,
                    config: r.config.into(),
                    next_slot: r.next_slot,
                    count: r.count,
                })
                .map_err(|_| e)
        })
    }
}

/// `collection · u64` — a `vectors` key (slot) or a `vector_keys` key
/// (point key).
pub fn point_key(collection: u32, n: u64) -> [u8; 12] {
    let mut k = [0u8; 12];
    k[..4].copy_from_slice(&collection.to_be_bytes());
    k[4..].copy_from_slice(&n.to_be_bytes());
    k
}

/// Encodes a `vectors` value: point key, the components, the payload.
pub fn encode_point(key: u64, vector: &[f32], payload: &[(String, Value)]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(8 + vector.len() * 4 + 16);
    out.extend_from_slice(&key.to_be_bytes());
    for x in vector {
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.extend_from_slice(&codec::encode(payload)?);
    Ok(out)
}

/// A decoded `vectors` value.
pub struct StoredPoint {
    pub key: u64,
    pub vector: Vec<f32>,
    pub payload: Props,
}

pub fn decode_point(bytes: &[u8], dim: usize) -> Result<StoredPoint> {
    let end = 8 + dim * 4;
    if bytes.len() < end {
        return Err(Error::corruption(format!(
            "stored point of {} bytes is shorter than a {dim}-d vector",
            bytes.len()
        )));
    }
    let vector = bytes[8..end]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let payload: Vec<(String, Value)> = codec::decode(&bytes[end..], "point payload")?;
    Ok(StoredPoint {
        key: keys::read_u64(bytes, 0)?,
        vector,
        payload: payload.into_iter().collect(),
    })
}
