//! Vector collections: points `(key, vector, payload)` stored in RocksDB,
//! indexed in memory by an HNSW graph (`hnsw_rs`) that is derived from
//! RocksDB and rebuilt from it.
//!
//! Writes go through [`WriteTxn`](crate::WriteTxn)
//! ([`create_collection`](crate::WriteTxn::create_collection),
//! [`upsert_vector`](crate::WriteTxn::upsert_vector),
//! [`delete_vector`](crate::WriteTxn::delete_vector)), in the same atomic
//! batch as graph changes; the index is updated once the batch is durable.
//! Searches ([`Database::search`](crate::Database::search)) read the
//! index, which reflects every commit that has returned.
//!
//! Filters: an explicit key set, a label (node-bound collections), a
//! payload predicate (O(n) payload scan per search), a score threshold.
//!
//! Not built yet: checkpoints of the HNSW graph (the index is rebuilt from
//! RocksDB at every open), a recall target instead of `ef`.

mod config;
mod hnsw;
mod index;
pub(crate) mod read;
pub(crate) mod record;
mod txn;

use std::sync::Arc;

use parking_lot::RwLock;
use rustc_hash::FxHashMap;

pub use config::{
    CollectionConfig, DEFAULT_EF, Hit, MAX_DIM, Metric, PayloadFilter, Rejected, Search,
    SearchResult, UpsertReport,
};
pub use index::REBUILD_DEAD_FRACTION;
pub use read::{CollectionInfo, Point};

use crate::error::Result;
use crate::storage::{Cf, KvRead, codec};
use index::VectorIndex;
use record::{CollectionRecord, decode_point};

/// A change to apply to the in-memory indexes after a commit.
pub(crate) enum VectorOp {
    Create {
        id: u32,
        config: CollectionConfig,
    },
    Drop {
        id: u32,
    },
    Insert {
        id: u32,
        slot: u64,
        key: u64,
        vector: Vec<f32>,
    },
    Remove {
        id: u32,
        slot: u64,
    },
}

/// Points inserted per parallel batch while rebuilding.
const REBUILD_BATCH: usize = 10_000;

/// The in-memory indexes of all collections, by collection id.
#[derive(Default)]
pub(crate) struct Indexes {
    map: RwLock<FxHashMap<u32, Arc<RwLock<VectorIndex>>>>,
}

impl Indexes {
    /// Builds every collection's index from the points in storage.
    pub fn load(kv: &dyn KvRead) -> Result<Indexes> {
        let mut records = Vec::new();
        kv.scan(Cf::Collections, &[], &mut |_, v| {
            records.push(codec::decode::<CollectionRecord>(v, "collection record")?);
            Ok(true)
        })?;
        let indexes = Indexes::default();
        for rec in records {
            let mut index = VectorIndex::new(rec.config.clone(), rec.count as usize);
            let mut batch = Vec::with_capacity(REBUILD_BATCH);
            let dim = rec.config.dim;
            kv.scan(Cf::Vectors, &rec.id.to_be_bytes(), &mut |k, v| {
                let slot = crate::storage::keys::read_u64(k, 4)?;
                let point = decode_point(v, dim)?;
                batch.push((slot, point.key, point.vector));
                if batch.len() == REBUILD_BATCH {
                    index.insert(&batch);
                    batch.clear();
                }
                Ok(true)
            })?;
            index.insert(&batch);
            indexes
                .map
                .write()
                .insert(rec.id, Arc::new(RwLock::new(index)));
        }
        Ok(indexes)
    }

    /// Rebuilds collection `id`'s graph from its live points now.
    pub fn rebuild(&self, id: u32) {
        if let Some(index) = self.get(id) {
            let fresh = index.read().rebuilt();
            *index.write() = fresh;
        }
    }

    pub fn get(&self, id: u32) -> Option<Arc<RwLock<VectorIndex>>> {
        self.map.read().get(&id).cloned()
    }

    /// Applies a committed transaction's changes, in order; rebuilds a
    /// graph whose deleted fraction passed [`REBUILD_DEAD_FRACTION`].
    pub fn apply(&self, ops: Vec<VectorOp>) {
        let mut pending: Vec<(u64, u64, Vec<f32>)> = Vec::new();
        let mut pending_id = None;
        let flush = |id: Option<u32>, pending: &mut Vec<(u64, u64, Vec<f32>)>| {
            if let (Some(id), false) = (id, pending.is_empty()) {
                if let Some(index) = self.get(id) {
                    index.write().insert(pending);
                }
                pending.clear();
            }
        };
        let mut touched = Vec::new();
        for op in ops {
            match op {
                VectorOp::Insert {
                    id,
                    slot,
                    key,
                    vector,
                } => {
                    if pending_id != Some(id) {
                        flush(pending_id, &mut pending);
                        pending_id = Some(id);
                    }
                    pending.push((slot, key, vector));
                }
                other => {
                    flush(pending_id, &mut pending);
                    match other {
                        VectorOp::Create { id, config } => {
                            let index = VectorIndex::new(config, 0);
                            self.map.write().insert(id, Arc::new(RwLock::new(index)));
                        }
                        VectorOp::Drop { id } => {
                            self.map.write().remove(&id);
                        }
                        VectorOp::Remove { id, slot } => {
                            if let Some(index) = self.get(id) {
                                index.write().remove(slot);
                                touched.push(id);
                            }
                        }
                        VectorOp::Insert { .. } => unreachable!("handled above"),
                    }
                }
            }
        }
        flush(pending_id, &mut pending);
        touched.sort_unstable();
        touched.dedup();
        for id in touched {
            if let Some(index) = self.get(id)
                && index.read().needs_rebuild()
            {
                let fresh = index.read().rebuilt();
                *index.write() = fresh;
            }
        }
    }
}
