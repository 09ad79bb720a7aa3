//! Vector writes inside a [`WriteTxn`]: collections and points commit in
//! the same atomic batch as graph changes, and reach the in-memory index
//! once that batch is durable.

use super::payload;
use super::record::{
    CollectionRecord, ConfigRecord, SourceRecord, decode_payload, decode_text, encode_point,
    key_entry, point_key,
};
use super::source;
use super::state::VectorTxn;
use super::{CollectionConfig, RejectedPoint, UpsertReport};
use crate::error::{Error, Result};
use crate::storage::schema::meta;
use crate::storage::{Cf, KvRead, Pages, codec, keys};
use crate::txn::{Database, TextWritten, WriteTxn};
use crate::{NodeId, Props};

impl WriteTxn<'_> {
    fn save_collection(&mut self, name: &str, rec: &CollectionRecord) -> Result<()> {
        let bytes = codec::encode(rec)?;
        self.changes().put(Cf::Collections, name.as_bytes(), bytes);
        Ok(())
    }

    /// The vector model's part of this transaction.
    fn vectors<T>(&mut self, f: impl FnOnce(&mut VectorTxn) -> T) -> Result<T> {
        self.with_part(|_, part: &mut VectorTxn| Ok(f(part)))
    }

    /// Creates the vector collection `name`. Its HNSW index exists once the
    /// transaction commits; until then this transaction searches it
    /// exactly. A collection fed by a graph property
    /// ([`CollectionConfig::fed_by`]) is filled here from the nodes or
    /// relationships that already hold the property; a second collection
    /// fed by the same label (or type) and property is refused.
    pub fn create_collection(&mut self, name: &str, config: CollectionConfig) -> Result<()> {
        self.create(name, config, None).map(|_| ())
    }

    /// Creates collection `name`, knowing its text when `text_model`
    /// names the embedder; returns its id.
    pub(super) fn create(
        &mut self,
        name: &str,
        config: CollectionConfig,
        text_model: Option<String>,
    ) -> Result<u32> {
        config.validate()?;
        if name.is_empty() {
            return Err(Error::invalid("a collection name must not be empty"));
        }
        if self.kv().get(Cf::Collections, name.as_bytes())?.is_some() {
            return Err(Error::CollectionExists(name.to_owned()));
        }
        if let Some(source) = &config.source {
            if text_model.is_some() {
                return Err(Error::invalid(
                    "a collection fed by a graph property takes its vectors from the graph, not from texts",
                ));
            }
            let fed = self.vectors(|v| std::sync::Arc::clone(v.fed()))?;
            if let Some(twin) = fed.iter().find(|f| f.source == *source) {
                return Err(Error::invalid(format!(
                    "vector index {:?} already covers property {:?} of {:?}",
                    twin.name,
                    source.property(),
                    source.label()
                )));
            }
        }
        let id = match self.kv().get(Cf::Meta, meta::NEXT_COLLECTION)? {
            Some(b) => keys::read_u32(&b, 0)?,
            None => 0,
        };
        let rec = CollectionRecord {
            id,
            config: ConfigRecord::from(&config),
            next_slot: 0,
            count: 0,
            text_model,
            quantization: config.quantization.into(),
            payload_indexes: Vec::new(),
            source: config.source.as_ref().map(SourceRecord::from),
        };
        self.save_collection(name, &rec)?;
        self.changes()
            .put(Cf::Meta, meta::NEXT_COLLECTION, (id + 1).to_be_bytes());
        let fed = config.source.clone();
        self.vectors(|v| v.create(id, config))?;
        if let Some(source) = fed {
            self.vectors(|v| v.feed(id, name, source.clone()))?;
            source::fill(self, name, &source)?;
        }
        Ok(id)
    }

    /// Drops the collection `name` and all its points. Older snapshots
    /// keep seeing it until they are dropped.
    pub fn drop_collection(&mut self, name: &str) -> Result<()> {
        let rec = CollectionRecord::load(self.kv(), name)?;
        let prefix = rec.id.to_be_bytes();
        // The full-text indexes over its texts lose every document.
        let db = self.db();
        for w in &db.links().text_watchers {
            if (w.watches)(self, name) {
                (w.collection_dropped)(self, name)?;
            }
        }
        let mut doomed = Vec::new();
        for cf in [Cf::Vectors, Cf::VectorKeys, Cf::PayloadIndex] {
            self.kv().scan(cf, &prefix, &mut |k, _| {
                doomed.push((cf, k.to_vec()));
                Ok(true)
            })?;
        }
        let changes = self.changes();
        for (cf, k) in doomed {
            changes.delete(cf, k);
        }
        changes.delete(Cf::Collections, name.as_bytes());
        self.vectors(|v| v.drop_collection(rec.id))
    }

    /// Inserts or replaces the point `key` of collection `name`; returns
    /// whether it was new. The vector must have the collection's dimension
    /// and finite components (and not be zero under cosine). In a
    /// node-bound collection, `key` is a `NodeId` that must exist. A
    /// collection that knows its text takes points through
    /// [`upsert_text`](Self::upsert_text) only.
    pub fn upsert_vector(
        &mut self,
        name: &str,
        key: u64,
        vector: &[f32],
        payload: Props,
    ) -> Result<bool> {
        let rec = CollectionRecord::load(self.kv(), name)?;
        if let Some(model) = &rec.text_model {
            return Err(Error::invalid(format!(
                "collection {name:?} embeds its texts with {model:?}: give it texts (upsert_text), not vectors"
            )));
        }
        refuse_fed(name, &rec)?;
        self.put_point(name, rec, key, vector, payload, None)
    }

    /// Validates and writes one point of collection `name` (whose record
    /// is `rec`), with its text when the collection knows it.
    pub(super) fn put_point(
        &mut self,
        name: &str,
        mut rec: CollectionRecord,
        key: u64,
        vector: &[f32],
        payload: Props,
        text: Option<&str>,
    ) -> Result<bool> {
        let config = rec.config();
        let prepared = config.metric.prepare(config.dim, vector)?;
        for (k, v) in &payload {
            v.validate(k)?;
        }
        if config.bound_to_nodes
            && !(self.db().links().node_exists)(self.db(), self.kv(), NodeId(key))?
        {
            return Err(Error::NodeNotFound(NodeId(key)));
        }
        let watched = text.is_some() && self.text_watched(name);
        let mut old_text = None;
        let existed = self.remove_point(&mut rec, key, watched.then_some(&mut old_text))?;
        let slot = rec.next_slot;
        rec.next_slot += 1;
        rec.count += 1;
        let payload: Vec<_> = payload.into_iter().collect();
        let value = encode_point(key, &prepared, &payload, text)?;
        let changes = self.changes();
        let indexed = payload::entries(
            rec.id,
            &rec.payload_indexes,
            key,
            payload.iter().map(|(f, v)| (f, v)),
        );
        for entry in indexed {
            changes.put(Cf::PayloadIndex, entry, []);
        }
        changes.put(Cf::Vectors, point_key(rec.id, slot), value);
        let (k, v) = key_entry(rec.id, key, slot);
        changes.put(Cf::VectorKeys, k, v);
        self.save_collection(name, &rec)?;
        self.vectors(|v| v.insert(rec.id, slot, key, prepared))?;
        if watched && old_text.as_deref() != text {
            self.text_changed(name, key, old_text.as_deref(), text)?;
        }
        Ok(!existed)
    }

    /// Upserts many points; a point that fails validation (dimension,
    /// non-finite or zero vector, NaN payload, missing node) is rejected
    /// and reported, the others go in. Their index insertions run in
    /// parallel at commit. Storage errors abort the whole call.
    pub fn upsert_vectors<'v>(
        &mut self,
        name: &str,
        points: impl IntoIterator<Item = (u64, &'v [f32], Props)>,
    ) -> Result<UpsertReport> {
        CollectionRecord::load(self.kv(), name)?;
        let mut report = UpsertReport::default();
        for (index, (key, vector, payload)) in points.into_iter().enumerate() {
            match self.upsert_vector(name, key, vector, payload) {
                Ok(true) => report.inserted += 1,
                Ok(false) => report.updated += 1,
                Err(
                    e @ (Error::DimensionMismatch { .. }
                    | Error::InvalidArgument(_)
                    | Error::NodeNotFound(_)),
                ) => report.rejected.push(RejectedPoint {
                    index,
                    key,
                    reason: e.to_string(),
                }),
                Err(e) => return Err(e),
            }
        }
        Ok(report)
    }

    /// Deletes the point `key` of collection `name`; returns whether it
    /// existed.
    pub fn delete_vector(&mut self, name: &str, key: u64) -> Result<bool> {
        refuse_fed(name, &CollectionRecord::load(self.kv(), name)?)?;
        self.delete_point(name, key)
    }

    /// Deletes the point `key` of collection `name`, whoever feeds it.
    pub(super) fn delete_point(&mut self, name: &str, key: u64) -> Result<bool> {
        let mut rec = CollectionRecord::load(self.kv(), name)?;
        let watched = self.text_watched(name);
        let mut old_text = None;
        let existed = self.remove_point(&mut rec, key, watched.then_some(&mut old_text))?;
        if existed {
            self.save_collection(name, &rec)?;
        }
        if let Some(text) = old_text {
            self.text_changed(name, key, Some(&text), None)?;
        }
        Ok(existed)
    }

    /// Declares a payload index on `field` of collection `name`, and
    /// indexes the points already there (in this transaction). Searches
    /// with a [`payload_eq`](super::Search::payload_eq) or
    /// [`payload_range`](super::Search::payload_range) condition on the
    /// field then read the index instead of every point's payload.
    /// Declaring an index that exists does nothing. The field name must
    /// have 1 to 255 bytes.
    pub fn create_payload_index(&mut self, name: &str, field: &str) -> Result<()> {
        let mut rec = CollectionRecord::load(self.kv(), name)?;
        if field.is_empty() || field.len() > payload::MAX_FIELD_LEN {
            return Err(Error::invalid(format!(
                "a payload index needs a field name of 1 to {} bytes, not {}",
                payload::MAX_FIELD_LEN,
                field.len()
            )));
        }
        if rec.payload_indexes.iter().any(|f| f == field) {
            return Ok(());
        }
        let dim = rec.config().dim;
        let fields = [field.to_owned()];
        let mut indexed = Vec::new();
        self.kv()
            .scan(Cf::Vectors, &rec.id.to_be_bytes(), &mut |_, v| {
                let (key, props) = decode_payload(v, dim)?;
                indexed.extend(payload::entries(rec.id, &fields, key, &props));
                Ok(true)
            })?;
        let changes = self.changes();
        for entry in indexed {
            changes.put(Cf::PayloadIndex, entry, []);
        }
        rec.payload_indexes.push(field.to_owned());
        self.save_collection(name, &rec)
    }

    /// Drops the payload index on `field` of collection `name`; returns
    /// whether there was one. Searches on the field read payloads again.
    pub fn drop_payload_index(&mut self, name: &str, field: &str) -> Result<bool> {
        let mut rec = CollectionRecord::load(self.kv(), name)?;
        let before = rec.payload_indexes.len();
        rec.payload_indexes.retain(|f| f != field);
        if rec.payload_indexes.len() == before {
            return Ok(false);
        }
        let mut doomed = Vec::new();
        self.kv().scan(
            Cf::PayloadIndex,
            &payload::field_prefix(rec.id, field),
            &mut |k, _| {
                doomed.push(k.to_vec());
                Ok(true)
            },
        )?;
        let changes = self.changes();
        for k in doomed {
            changes.delete(Cf::PayloadIndex, k);
        }
        self.save_collection(name, &rec)?;
        Ok(true)
    }

    /// Removes `key`'s point from storage (and, at commit, from the index),
    /// its text put in `old_text` when asked.
    fn remove_point(
        &mut self,
        rec: &mut CollectionRecord,
        key: u64,
        old_text: Option<&mut Option<String>>,
    ) -> Result<bool> {
        let k = point_key(rec.id, key);
        let Some(slot) = self.kv().get(Cf::VectorKeys, &k)? else {
            return Ok(false);
        };
        let slot = keys::read_u64(&slot, 0)?;
        let stored = point_key(rec.id, slot);
        let mut indexed = Vec::new();
        if !rec.payload_indexes.is_empty() || old_text.is_some() {
            let value = self.kv().get(Cf::Vectors, &stored)?.ok_or_else(|| {
                Error::corruption(format!("point {key} maps to empty slot {slot}"))
            })?;
            let dim = rec.config().dim;
            if !rec.payload_indexes.is_empty() {
                let (_, old) = decode_payload(&value, dim)?;
                indexed = payload::entries(rec.id, &rec.payload_indexes, key, &old);
            }
            if let Some(out) = old_text {
                *out = decode_text(&value, dim)?.1;
            }
        }
        let changes = self.changes();
        for entry in indexed {
            changes.delete(Cf::PayloadIndex, entry);
        }
        changes.delete(Cf::VectorKeys, k);
        changes.delete(Cf::Vectors, stored);
        rec.count -= 1;
        let id = rec.id;
        self.vectors(|v| v.remove(id, slot))?;
        Ok(true)
    }
}

impl WriteTxn<'_> {
    /// Whether a model follows collection `name`'s texts.
    fn text_watched(&self, name: &str) -> bool {
        self.db()
            .links()
            .text_watchers
            .iter()
            .any(|w| (w.watches)(self, name))
    }

    /// Tells the models that follow collection `name`'s texts that point
    /// `key`'s text went from `before` to `after`.
    fn text_changed(
        &mut self,
        name: &str,
        key: u64,
        before: Option<&str>,
        after: Option<&str>,
    ) -> Result<()> {
        let written = TextWritten {
            collection: name,
            key,
            before,
            after,
        };
        let db = self.db();
        for w in &db.links().text_watchers {
            if (w.watches)(self, name) {
                (w.text_written)(self, &written)?;
            }
        }
        Ok(())
    }
}

/// [`Links::collection_texts`](crate::txn::Links): `(key, text)` of every
/// point of text collection `name` in a view.
pub(crate) fn collection_texts(
    _db: &Database,
    kv: &dyn KvRead,
    name: &str,
    visit: &mut dyn FnMut(u64, &str) -> Result<()>,
) -> Result<()> {
    let rec = CollectionRecord::load(kv, name)?;
    if rec.text_model.is_none() {
        return Err(Error::invalid(format!(
            "collection {name:?} was created without an embedder: it holds vectors, not texts"
        )));
    }
    let dim = rec.config().dim;
    let mut pages = Pages::prefix(kv, Cf::Vectors, &rec.id.to_be_bytes());
    while let Some(entry) = pages.next_entry() {
        if let (key, Some(text)) = decode_text(entry?.1, dim)? {
            visit(key, &text)?;
        }
    }
    Ok(())
}

/// [`Links::node_deleted`](crate::txn::Links): deletes node `id`'s points
/// in every node-bound collection, in the deleting transaction.
pub(crate) fn node_deleted(txn: &mut WriteTxn<'_>, id: NodeId) -> Result<()> {
    let bound: Vec<String> = CollectionRecord::all(txn.kv())?
        .into_iter()
        .filter(|(_, rec)| rec.config().bound_to_nodes)
        .map(|(name, _)| name)
        .collect();
    for name in bound {
        txn.delete_point(&name, id.0)?;
    }
    Ok(())
}

/// Refuses a point written or deleted by hand in a collection the graph
/// feeds.
fn refuse_fed(name: &str, rec: &CollectionRecord) -> Result<()> {
    match &rec.source {
        Some(s) => Err(Error::invalid(format!(
            "collection {name:?} is fed by property {:?} of {:?}: write that property instead of its points",
            s.property, s.label
        ))),
        None => Ok(()),
    }
}
