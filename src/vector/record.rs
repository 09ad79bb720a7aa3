//! What the vector column families store. Private to the crate: the
//! public [`CollectionConfig`] converts to and from [`ConfigRecord`], so
//! the API can grow without touching the format.

use serde::{Deserialize, Serialize};

use super::{CollectionConfig, IndexEngine, Metric, Quantization, VectorSource};
use crate::error::{Error, Result};
use crate::storage::{Cf, KvRead, codec, keys};
use crate::{Props, Value};

/// [`Metric`] as stored (the variant order is the format).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum MetricRecord {
    Cosine,
    L2,
    Dot,
}

/// [`IndexEngine`] as stored (the variant order is the format).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum EngineRecord {
    HnswRs,
    Native,
}

/// [`Quantization`] as stored (the variant order is the format).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum QuantRecord {
    None,
    Int8,
    /// Format 7 on.
    Binary,
}

impl From<Quantization> for QuantRecord {
    fn from(q: Quantization) -> Self {
        match q {
            Quantization::None => QuantRecord::None,
            Quantization::Int8 => QuantRecord::Int8,
            Quantization::Binary => QuantRecord::Binary,
        }
    }
}

impl From<QuantRecord> for Quantization {
    fn from(q: QuantRecord) -> Self {
        match q {
            QuantRecord::None => Quantization::None,
            QuantRecord::Int8 => Quantization::Int8,
            QuantRecord::Binary => Quantization::Binary,
        }
    }
}

/// A collection's configuration as stored in `collections` and in
/// checkpoint envelopes (format 3 on).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigRecord {
    dim: usize,
    metric: MetricRecord,
    m: usize,
    ef_construction: usize,
    bound_to_nodes: bool,
    engine: EngineRecord,
}

impl From<&CollectionConfig> for ConfigRecord {
    fn from(c: &CollectionConfig) -> Self {
        ConfigRecord {
            dim: c.dim,
            metric: match c.metric {
                Metric::Cosine => MetricRecord::Cosine,
                Metric::L2 => MetricRecord::L2,
                Metric::Dot => MetricRecord::Dot,
            },
            m: c.m,
            ef_construction: c.ef_construction,
            bound_to_nodes: c.bound_to_nodes,
            engine: match c.engine {
                IndexEngine::HnswRs => EngineRecord::HnswRs,
                IndexEngine::Native => EngineRecord::Native,
            },
        }
    }
}

impl ConfigRecord {
    /// The public configuration.
    pub fn config(&self) -> CollectionConfig {
        let metric = match self.metric {
            MetricRecord::Cosine => Metric::Cosine,
            MetricRecord::L2 => Metric::L2,
            MetricRecord::Dot => Metric::Dot,
        };
        let mut c = CollectionConfig::new(self.dim, metric)
            .hnsw(self.m, self.ef_construction)
            .engine(match self.engine {
                EngineRecord::HnswRs => IndexEngine::HnswRs,
                EngineRecord::Native => IndexEngine::Native,
            });
        c.bound_to_nodes = self.bound_to_nodes;
        c
    }
}

/// [`ConfigRecord`] as format 2 stored it (no engine).
#[derive(Deserialize)]
pub struct ConfigV2 {
    dim: usize,
    metric: MetricRecord,
    m: usize,
    ef_construction: usize,
    bound_to_nodes: bool,
}

/// Format 2's configuration is today's without the engine, which was
/// always `hnsw_rs`.
impl From<ConfigV2> for ConfigRecord {
    fn from(c: ConfigV2) -> Self {
        ConfigRecord {
            dim: c.dim,
            metric: c.metric,
            m: c.m,
            ef_construction: c.ef_construction,
            bound_to_nodes: c.bound_to_nodes,
            engine: EngineRecord::HnswRs,
        }
    }
}

/// A collection as stored in `collections` (key: its name).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CollectionRecord {
    pub id: u32,
    pub config: ConfigRecord,
    /// The next point slot to allocate; slots are never reused.
    pub next_slot: u64,
    /// Live points.
    pub count: u64,
    /// The embedder's name ([`Embedder::name`](crate::embed::Embedder::name))
    /// for a collection that knows its text (format 5 on).
    pub text_model: Option<String>,
    /// What the walk reads (format 6 on; not part of [`ConfigRecord`], so
    /// checkpoint envelopes keep their layout).
    pub quantization: QuantRecord,
    /// The payload fields with an index, in the order they were declared
    /// (format 7 on).
    pub payload_indexes: Vec<String>,
    /// The graph property that feeds the collection (format 10 on).
    pub source: Option<SourceRecord>,
}

/// A [`VectorSource`] as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRecord {
    /// Relationships (not nodes) feed it.
    pub edges: bool,
    /// The label or relationship type.
    pub label: String,
    /// The property key.
    pub property: String,
}

impl From<&VectorSource> for SourceRecord {
    fn from(s: &VectorSource) -> Self {
        SourceRecord {
            edges: s.on_edges(),
            label: s.label().to_owned(),
            property: s.property().to_owned(),
        }
    }
}

impl SourceRecord {
    /// The public form.
    pub fn source(&self) -> VectorSource {
        if self.edges {
            VectorSource::edge_property(&self.label, &self.property)
        } else {
            VectorSource::node_property(&self.label, &self.property)
        }
    }
}

/// [`CollectionRecord`] as formats 7 to 9 stored it (no source).
#[derive(Deserialize)]
struct RecordV9 {
    id: u32,
    config: ConfigRecord,
    next_slot: u64,
    count: u64,
    text_model: Option<String>,
    quantization: QuantRecord,
    payload_indexes: Vec<String>,
}

/// [`CollectionRecord`] as format 6 stored it (no payload indexes).
#[derive(Deserialize)]
struct RecordV6 {
    id: u32,
    config: ConfigRecord,
    next_slot: u64,
    count: u64,
    text_model: Option<String>,
    quantization: QuantRecord,
}

/// [`CollectionRecord`] as format 5 stored it (no quantization).
#[derive(Deserialize)]
struct RecordV5 {
    id: u32,
    config: ConfigRecord,
    next_slot: u64,
    count: u64,
    text_model: Option<String>,
}

/// [`CollectionRecord`] as formats 3 and 4 stored it (no text model).
#[derive(Deserialize)]
struct RecordV4 {
    id: u32,
    config: ConfigRecord,
    next_slot: u64,
    count: u64,
}

/// [`CollectionRecord`] as format 2 stored it.
#[derive(Deserialize)]
struct RecordV2 {
    id: u32,
    config: ConfigV2,
    next_slot: u64,
    count: u64,
}

impl CollectionRecord {
    /// Decodes a stored record, of this format, of formats 7-9 (no
    /// source), of format 6 (no payload indexes either), of format 5 (no quantization either), of formats 3-4 (no
    /// text model either) or of format 2 (whose configuration has no
    /// engine either: `hnsw_rs`). Each layout differs from the next by one trailing
    /// field, so at most one of them decodes a given value exactly.
    /// Its configuration must be one `create_collection` accepts: a
    /// record that is not (M of 0, a dimension of 2^40) is corruption,
    /// refused before an engine is built from it.
    pub fn decode(bytes: &[u8]) -> Result<CollectionRecord> {
        let record = Self::decode_layout(bytes)?;
        record
            .config()
            .validate()
            .map_err(|e| Error::corruption(format!("collection record: {e}")))?;
        if record.text_model.as_ref().is_some_and(String::is_empty) {
            return Err(Error::corruption("collection record: an empty text model"));
        }
        if let Some(bad) = record
            .payload_indexes
            .iter()
            .find(|f| f.is_empty() || f.len() > super::payload::MAX_FIELD_LEN)
        {
            return Err(Error::corruption(format!(
                "collection record: payload index on a field of {} bytes",
                bad.len()
            )));
        }
        Ok(record)
    }

    fn decode_layout(bytes: &[u8]) -> Result<CollectionRecord> {
        const WHAT: &str = "collection record";
        let older = |id, config, next_slot, count, text_model| CollectionRecord {
            id,
            config,
            next_slot,
            count,
            text_model,
            quantization: QuantRecord::None,
            payload_indexes: Vec::new(),
            source: None,
        };
        codec::decode::<CollectionRecord>(bytes, WHAT).or_else(|e| {
            codec::decode::<RecordV9>(bytes, WHAT)
                .map(|r| CollectionRecord {
                    quantization: r.quantization,
                    payload_indexes: r.payload_indexes,
                    ..older(r.id, r.config, r.next_slot, r.count, r.text_model)
                })
                .or_else(|_| {
                    codec::decode::<RecordV6>(bytes, WHAT).map(|r| CollectionRecord {
                        quantization: r.quantization,
                        ..older(r.id, r.config, r.next_slot, r.count, r.text_model)
                    })
                })
                .or_else(|_| {
                    codec::decode::<RecordV5>(bytes, WHAT)
                        .map(|r| older(r.id, r.config, r.next_slot, r.count, r.text_model))
                })
                .or_else(|_| {
                    codec::decode::<RecordV4>(bytes, WHAT)
                        .map(|r| older(r.id, r.config, r.next_slot, r.count, None))
                })
                .or_else(|_| {
                    codec::decode::<RecordV2>(bytes, WHAT)
                        .map(|r| older(r.id, r.config.into(), r.next_slot, r.count, None))
                })
                .map_err(|_| e)
        })
    }

    /// The public configuration: the stored one with the quantization
    /// and the source.
    pub fn config(&self) -> CollectionConfig {
        let mut config = self.config.config().quantization(self.quantization.into());
        config.source = self.source.as_ref().map(SourceRecord::source);
        config
    }

    /// The collection `name` in `kv`, or [`Error::CollectionNotFound`].
    pub fn load(kv: &dyn KvRead, name: &str) -> Result<CollectionRecord> {
        match kv.get(Cf::Collections, name.as_bytes())? {
            Some(b) => CollectionRecord::decode(&b),
            None => Err(Error::CollectionNotFound(name.to_owned())),
        }
    }

    /// Every collection in `kv`, by name.
    pub fn all(kv: &dyn KvRead) -> Result<Vec<(String, CollectionRecord)>> {
        let mut out = Vec::new();
        kv.scan(Cf::Collections, &[], &mut |k, v| {
            out.push((
                String::from_utf8_lossy(k).into_owned(),
                CollectionRecord::decode(v)?,
            ));
            Ok(true)
        })?;
        Ok(out)
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

/// The `vector_keys` entry (key, value) that the point `key` stored in
/// `slot` implies — written with the point, and what the check expects.
pub fn key_entry(collection: u32, key: u64, slot: u64) -> ([u8; 12], [u8; 8]) {
    (point_key(collection, key), slot.to_be_bytes())
}

/// The slot of a `vectors` key, or the point key of a `vector_keys` key.
pub fn key_id(key: &[u8]) -> Result<u64> {
    keys::read_u64(key, 4)
}

/// Encodes a `vectors` value: point key, the components, the payload,
/// then (format 5 on, collections that know their text) the text.
pub fn encode_point(
    key: u64,
    vector: &[f32],
    payload: &[(String, Value)],
    text: Option<&str>,
) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(8 + vector.len() * 4 + 16 + text.map_or(0, str::len));
    out.extend_from_slice(&key.to_be_bytes());
    for x in vector {
        out.extend_from_slice(&x.to_le_bytes());
    }
    codec::encode_append(payload, &mut out)?;
    if let Some(text) = text {
        codec::encode_append(text, &mut out)?;
    }
    Ok(out)
}

/// A decoded `vectors` value.
pub struct StoredPoint {
    pub key: u64,
    pub vector: Vec<f32>,
    pub payload: Props,
    pub text: Option<String>,
}

pub fn decode_point(bytes: &[u8], dim: usize) -> Result<StoredPoint> {
    let (payload, end) = payload_at(bytes, dim)?;
    let vector = bytes[8..8 + dim * 4]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let text = text_at(bytes, end)?;
    Ok(StoredPoint {
        key: keys::read_u64(bytes, 0)?,
        vector,
        payload,
        text,
    })
}

/// The text a `vectors` value ends with from `end`, if any.
fn text_at(bytes: &[u8], end: usize) -> Result<Option<String>> {
    let rest = &bytes[end..];
    if rest.is_empty() {
        return Ok(None);
    }
    Ok(Some(codec::decode::<String>(rest, "point text")?))
}

/// The point key and text of a `vectors` value, its vector not read.
pub fn decode_text(bytes: &[u8], dim: usize) -> Result<(u64, Option<String>)> {
    let end = payload_at(bytes, dim)?.1;
    Ok((keys::read_u64(bytes, 0)?, text_at(bytes, end)?))
}

/// The point key and payload of a `vectors` value, its vector not read.
pub fn decode_payload(bytes: &[u8], dim: usize) -> Result<(u64, Props)> {
    Ok((keys::read_u64(bytes, 0)?, payload_at(bytes, dim)?.0))
}

/// The payload of a `vectors` value and where it ends.
fn payload_at(bytes: &[u8], dim: usize) -> Result<(Props, usize)> {
    let end = 8 + dim * 4;
    if bytes.len() < end {
        return Err(Error::corruption(format!(
            "stored point of {} bytes is shorter than a {dim}-d vector",
            bytes.len()
        )));
    }
    let (payload, read): (Vec<(String, Value)>, _) =
        codec::decode_head(&bytes[end..], "point payload")?;
    Ok((payload.into_iter().collect(), end + read))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_config_round_trips_through_its_record() {
        for config in [
            CollectionConfig::new(3, Metric::Cosine),
            CollectionConfig::new(7, Metric::L2)
                .hnsw(8, 50)
                .engine(IndexEngine::HnswRs)
                .bound_to_nodes(),
            CollectionConfig::new(1, Metric::Dot),
        ] {
            assert_eq!(ConfigRecord::from(&config).config(), config);
        }
        // The record's bytes are format 3's: fields in order, variants by
        // index (Cosine 0 / L2 1 / Dot 2; HnswRs 0 / Native 1).
        let bytes =
            codec::encode(&ConfigRecord::from(&CollectionConfig::new(3, Metric::L2))).unwrap();
        assert_eq!(bytes, [3, 1, 16, 200, 0, 1]);
    }
}
