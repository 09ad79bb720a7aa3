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
//! Checkpoints: [`Database::checkpoint`](crate::Database::checkpoint) (and
//! close / drop) dumps every changed graph next to the database with a
//! verified envelope; open loads it and replays later points from RocksDB,
//! or rebuilds when the checkpoint is missing or damaged — never fails
//! because of it. See `checkpoint.rs`.
//!
//! Not built yet: a recall target instead of `ef`.

mod arena;
mod checkpoint;
mod config;
mod hnsw;
mod index;
pub(crate) mod native;
pub(crate) mod read;
pub(crate) mod record;
mod simd;
mod txn;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::RwLock;
use rustc_hash::FxHashMap;

pub use config::{
    CollectionConfig, DEFAULT_EF, Hit, IndexEngine, MAX_DIM, Metric, PayloadFilter, Rejected,
    Search, SearchResult, UpsertReport,
};
pub use index::REBUILD_DEAD_FRACTION;
pub(crate) use index::prepare;
pub use read::{CollectionInfo, Point};

use crate::error::{Error, Result};
use crate::storage::keys::{prefix_end, read_u64};
use crate::storage::{Cf, KvRead};
use index::{Engine, Origin, VectorIndex};
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

/// How a collection's index stands: see
/// [`Database::vector_index_info`](crate::Database::vector_index_info).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexInfo {
    /// Live points.
    pub points: usize,
    /// Points in the HNSW graph, tombstones included.
    pub graph_points: usize,
    /// Whether the graph was loaded from a checkpoint at open.
    pub from_checkpoint: bool,
    /// Points replayed from storage on top of the checkpoint.
    pub replayed: usize,
    /// Why the graph was built instead of loaded (`None` if loaded).
    pub built_because: Option<String>,
    /// Whether the graph changed since its last checkpoint.
    pub dirty: bool,
    /// Bytes of memory the index holds (graph, vectors, key tables), or
    /// `None` for the `hnsw_rs` engine, whose graph does not tell.
    pub memory_bytes: Option<u64>,
    /// Bytes of vectors mapped from the checkpoint instead (native engine):
    /// in the page cache, read on demand, not counted above.
    pub mapped_bytes: u64,
}

/// The in-memory indexes of all collections, by collection id.
#[derive(Default)]
pub(crate) struct Indexes {
    map: RwLock<FxHashMap<u32, Arc<RwLock<VectorIndex>>>>,
    /// The database directory (checkpoints live in a folder inside).
    root: PathBuf,
}

/// Scans collection `rec`'s stored points in slots `from_slot..`, in
/// batches.
fn scan_points(
    kv: &dyn KvRead,
    rec: &CollectionRecord,
    from_slot: u64,
    mut each_batch: impl FnMut(&[(u64, u64, Vec<f32>)]),
) -> Result<()> {
    let mut batch = Vec::with_capacity(REBUILD_BATCH);
    let end = prefix_end(&rec.id.to_be_bytes());
    let start = record::point_key(rec.id, from_slot);
    kv.scan_range(Cf::Vectors, &start, end.as_deref(), &mut |k, v| {
        let slot = read_u64(k, 4)?;
        let point = decode_point(v, rec.config.dim)?;
        batch.push((slot, point.key, point.vector));
        if batch.len() == REBUILD_BATCH {
            each_batch(&batch);
            batch.clear();
        }
        Ok(true)
    })?;
    each_batch(&batch);
    Ok(())
}

/// Makes collection `rec`'s index from its checkpoint plus the points
/// written after it; `Err` says why the checkpoint could not be used.
///
/// A native graph holds its vectors, so only the small key table is read
/// for the points it covers, and the vectors of later slots; `hnsw_rs`
/// needs every stored vector again (for exact search).
fn from_checkpoint(
    kv: &dyn KvRead,
    root: &Path,
    rec: &CollectionRecord,
) -> Result<VectorIndex, String> {
    let (graph, envelope) = checkpoint::read(root, rec.id, &rec.config)?;
    if envelope.slot_end > rec.next_slot {
        return Err("the checkpoint covers slots the collection never allocated".into());
    }
    let native = matches!(graph, Engine::Native(_));
    let mut index = VectorIndex::with_engine(
        rec.config.clone(),
        graph,
        Origin::Checkpoint { replayed: 0 },
    );
    index.set_slot_end(envelope.slot_end);
    let mut replay = Vec::new();
    if native {
        let prefix = rec.id.to_be_bytes();
        let end = prefix_end(&prefix);
        let mut covered = Vec::with_capacity(rec.count as usize);
        kv.scan_bulk(Cf::VectorKeys, &prefix, end.as_deref(), &mut |k, v| {
            let slot = read_u64(v, 0)?;
            if slot < envelope.slot_end {
                covered.push((slot, read_u64(k, 4)?));
            }
            Ok(true)
        })
        .map_err(|e| e.to_string())?;
        index.add_linked(&covered)?;
        scan_points(kv, rec, envelope.slot_end, |batch| {
            replay.extend_from_slice(batch);
        })
        .map_err(|e| e.to_string())?;
    } else {
        scan_points(kv, rec, 0, |batch| {
            let (covered, later): (Vec<_>, Vec<_>) =
                batch.iter().cloned().partition(|p| p.0 < envelope.slot_end);
            index.add_stored(&covered);
            replay.extend(later);
        })
        .map_err(|e| e.to_string())?;
    }
    index.insert(&replay);
    index.mark_dead_from_storage();
    index.origin = Origin::Checkpoint {
        replayed: replay.len(),
    };
    // Replayed points, or covered points deleted since, make the graph
    // differ from its checkpoint.
    index.dirty = !replay.is_empty() || index.graph_points() != index.len();
    Ok(index)
}

impl Indexes {
    /// Makes every collection's index: from its checkpoint plus the points
    /// written after it, or (no usable checkpoint) by inserting every
    /// stored point. Never fails because of a checkpoint.
    pub fn load(kv: &dyn KvRead, root: &Path) -> Result<Indexes> {
        let mut records = Vec::new();
        kv.scan(Cf::Collections, &[], &mut |_, v| {
            records.push(CollectionRecord::decode(v)?);
            Ok(true)
        })?;
        let indexes = Indexes {
            map: RwLock::default(),
            root: root.to_owned(),
        };
        for rec in records {
            let index = match from_checkpoint(kv, root, &rec) {
                Ok(index) => index,
                Err(reason) => {
                    let mut index = VectorIndex::built(
                        rec.config.clone(),
                        rec.count as usize,
                        Origin::Built(reason),
                    );
                    scan_points(kv, &rec, 0, |batch| index.insert(batch))?;
                    index
                }
            };
            indexes
                .map
                .write()
                .insert(rec.id, Arc::new(RwLock::new(index)));
        }
        Ok(indexes)
    }

    /// Writes a checkpoint of every index that changed since its last one.
    pub fn checkpoint(&self) -> Result<()> {
        let all: Vec<(u32, Arc<RwLock<VectorIndex>>)> = self
            .map
            .read()
            .iter()
            .map(|(id, i)| (*id, Arc::clone(i)))
            .collect();
        for (id, index) in all {
            let mut index = index.write();
            if !index.dirty {
                continue;
            }
            checkpoint::write(
                &self.root,
                id,
                index.config(),
                index.engine(),
                index.slot_end(),
            )
            .map_err(|e| Error::Storage(format!("checkpoint of vector collection {id}: {e}")))?;
            index.dirty = false;
        }
        Ok(())
    }

    pub fn info(&self, id: u32) -> Option<IndexInfo> {
        let index = self.get(id)?;
        let index = index.read();
        let (from_checkpoint, replayed, built_because) = match &index.origin {
            Origin::Checkpoint { replayed } => (true, *replayed, None),
            Origin::Built(why) => (false, 0, Some(why.clone())),
        };
        let (memory, mapped) = index.memory();
        Some(IndexInfo {
            memory_bytes: memory.map(|b| b as u64),
            mapped_bytes: mapped as u64,
            points: index.len(),
            graph_points: index.graph_points(),
            from_checkpoint,
            replayed,
            built_because,
            dirty: index.dirty,
        })
    }

    /// Rebuilds collection `id`'s graph from its live points now.
    pub fn rebuild(&self, id: u32) {
        if let Some(index) = self.get(id) {
            let fresh = index.read().rebuilt();
            *index.write() = fresh;
        }
    }

    /// Compacts collection `id`'s graph: repairs the links around deleted
    /// points in place (native engine), else rebuilds it from its live
    /// points.
    pub fn compact(&self, id: u32) {
        if let Some(index) = self.get(id)
            && !index.write().repair()
        {
            self.rebuild(id);
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
                VectorOp::Create { id, config } => {
                    flush(pending_id, &mut pending);
                    let index = VectorIndex::new(config, 0);
                    self.map.write().insert(id, Arc::new(RwLock::new(index)));
                }
                VectorOp::Drop { id } => {
                    flush(pending_id, &mut pending);
                    self.map.write().remove(&id);
                    checkpoint::remove(&self.root, id);
                }
                VectorOp::Remove { id, slot } => {
                    flush(pending_id, &mut pending);
                    if let Some(index) = self.get(id) {
                        index.write().remove(slot);
                        touched.push(id);
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
