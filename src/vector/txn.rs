//! Vector writes inside a [`WriteTxn`]: collections and points commit in
//! the same atomic batch as graph changes, and reach the in-memory index
//! only once that batch is durable.

use super::index::prepare;
use super::record::{CollectionRecord, encode_point, point_key};
use super::{CollectionConfig, Rejected, UpsertReport, VectorOp};
use crate::error::{Error, Result};
use crate::graph::WriteTxn;
use crate::storage::schema::meta;
use crate::storage::{Cf, KvRead, Overlay, codec, keys};
use crate::{NodeId, Props};

impl WriteTxn<'_> {
    fn view(&self) -> Overlay<'_, crate::storage::Store> {
        Overlay {
            base: self.db.store(),
            changes: &self.changes,
        }
    }

    pub(crate) fn collection_record(&self, name: &str) -> Result<CollectionRecord> {
        match self.view().get(Cf::Collections, name.as_bytes())? {
            Some(b) => CollectionRecord::decode(&b),
            None => Err(Error::CollectionNotFound(name.to_owned())),
        }
    }

    fn save_collection(&mut self, name: &str, rec: &CollectionRecord) -> Result<()> {
        let bytes = codec::encode(rec)?;
        self.changes.put(Cf::Collections, name.as_bytes(), bytes);
        Ok(())
    }

    /// Creates the vector collection `name`. Its HNSW index exists once the
    /// transaction commits.
    pub fn create_collection(&mut self, name: &str, config: CollectionConfig) -> Result<()> {
        config.validate()?;
        if name.is_empty() {
            return Err(Error::invalid("a collection name must not be empty"));
        }
        if self.view().get(Cf::Collections, name.as_bytes())?.is_some() {
            return Err(Error::CollectionExists(name.to_owned()));
        }
        let id = match self.view().get(Cf::Meta, meta::NEXT_COLLECTION)? {
            Some(b) => keys::read_u32(&b, 0)?,
            None => 0,
        };
        self.changes
            .put(Cf::Meta, meta::NEXT_COLLECTION, (id + 1).to_be_bytes());
        let rec = CollectionRecord {
            id,
            config: config.clone(),
            next_slot: 0,
            count: 0,
        };
        self.save_collection(name, &rec)?;
        self.vector_ops.push(VectorOp::Create { id, config });
        Ok(())
    }

    /// Drops the collection `name` and all its points.
    pub fn drop_collection(&mut self, name: &str) -> Result<()> {
        let rec = self.collection_record(name)?;
        let prefix = rec.id.to_be_bytes();
        let mut doomed = Vec::new();
        for cf in [Cf::Vectors, Cf::VectorKeys] {
            self.view().scan(cf, &prefix, &mut |k, _| {
                doomed.push((cf, k.to_vec()));
                Ok(true)
            })?;
        }
        for (cf, k) in doomed {
            self.changes.delete(cf, k);
        }
        self.changes.delete(Cf::Collections, name.as_bytes());
        self.vector_ops.push(VectorOp::Drop { id: rec.id });
        Ok(())
    }

    /// Inserts or replaces the point `key` of collection `name`; returns
    /// whether it was new. The vector must have the collection's dimension
    /// and finite components (and not be zero under cosine). In a
    /// node-bound collection, `key` is a `NodeId` that must exist.
    pub fn upsert_vector(
        &mut self,
        name: &str,
        key: u64,
        vector: &[f32],
        payload: Props,
    ) -> Result<bool> {
        let mut rec = self.collection_record(name)?;
        let prepared = prepare(&rec.config, vector)?;
        for (k, v) in &payload {
            v.validate(k)?;
        }
        if rec.config.bound_to_nodes {
            self.require_node(NodeId(key))?;
        }
        let existed = self.remove_point(&mut rec, key)?;
        let slot = rec.next_slot;
        rec.next_slot += 1;
        rec.count += 1;
        let payload: Vec<_> = payload.into_iter().collect();
        let value = encode_point(key, &prepared, &payload)?;
        self.changes
            .put(Cf::Vectors, point_key(rec.id, slot), value);
        self.changes
            .put(Cf::VectorKeys, point_key(rec.id, key), slot.to_be_bytes());
        self.save_collection(name, &rec)?;
        self.vector_ops.push(VectorOp::Insert {
            id: rec.id,
            slot,
            key,
            vector: prepared,
        });
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
        self.collection_record(name)?;
        let mut report = UpsertReport::default();
        for (index, (key, vector, payload)) in points.into_iter().enumerate() {
            match self.upsert_vector(name, key, vector, payload) {
                Ok(true) => report.inserted += 1,
                Ok(false) => report.updated += 1,
                Err(
                    e @ (Error::DimensionMismatch { .. }
                    | Error::InvalidArgument(_)
                    | Error::NodeNotFound(_)),
                ) => report.rejected.push(Rejected {
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
        let mut rec = self.collection_record(name)?;
        let existed = self.remove_point(&mut rec, key)?;
        if existed {
            self.save_collection(name, &rec)?;
        }
        Ok(existed)
    }

    /// Removes `key`'s point from storage (and, at commit, from the index).
    fn remove_point(&mut self, rec: &mut CollectionRecord, key: u64) -> Result<bool> {
        let k = point_key(rec.id, key);
        let Some(slot) = self.view().get(Cf::VectorKeys, &k)? else {
            return Ok(false);
        };
        let slot = keys::read_u64(&slot, 0)?;
        self.changes.delete(Cf::VectorKeys, k);
        self.changes.delete(Cf::Vectors, point_key(rec.id, slot));
        rec.count -= 1;
        self.vector_ops.push(VectorOp::Remove { id: rec.id, slot });
        Ok(true)
    }

    /// Deletes node `id`'s points in every node-bound collection.
    pub(crate) fn delete_node_points(&mut self, id: NodeId) -> Result<()> {
        let mut bound = Vec::new();
        self.view().scan(Cf::Collections, &[], &mut |k, v| {
            let rec = CollectionRecord::decode(v)?;
            if rec.config.bound_to_nodes {
                bound.push(String::from_utf8_lossy(k).into_owned());
            }
            Ok(true)
        })?;
        for name in bound {
            self.delete_vector(&name, id.0)?;
        }
        Ok(())
    }
}
