//! The vector model's state: one index per collection for the life of a
//! database ([`VectorModel`]), and what a write transaction did to the
//! collections ([`VectorTxn`]), applied to the indexes once it commits.

use std::any::Any;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::{Condvar, Mutex, RwLock};
use rustc_hash::{FxHashMap, FxHashSet};

use super::checkpoint::{self, Unusable};
use super::index::{DEFAULT_CALIBRATION_K, Origin, VectorIndex};
use super::record::{CollectionRecord, decode_point, key_id, point_key};
use super::source::{self, Fed};
use super::{CollectionConfig, VectorIndexInfo, VectorSource};
use crate::embed::Embedder;
use crate::error::Result;
use crate::storage::keys::{prefix_end, read_u64};
use crate::storage::{Cf, KvRead};
use crate::txn::{Database, Extension, TxnPart, WriteTxn};

/// Points inserted per parallel batch while building from storage.
const BUILD_BATCH: usize = 10_000;

/// A collection's index, and the generation that dropped the collection
/// (kept until no snapshot can see the collection any more).
struct Entry {
    index: Arc<RwLock<VectorIndex>>,
    dropped: Option<u64>,
}

/// The vector model's state for the life of a database.
pub(crate) struct VectorModel {
    /// The database directory (checkpoints live in a folder inside).
    root: PathBuf,
    indexes: RwLock<FxHashMap<u32, Entry>>,
    /// The newest generation whose changes every index holds; searches
    /// on a newer snapshot wait for it (a commit's index work runs right
    /// after its batch is written).
    applied: Mutex<u64>,
    applied_cond: Condvar,
    /// The embedders attached to collections that know their text, by
    /// collection id (checked against the collection's record at use).
    embedders: RwLock<FxHashMap<u32, Arc<dyn Embedder>>>,
    /// The collections fed by graph properties, as last committed.
    fed: RwLock<Arc<Vec<Fed>>>,
}

/// Scans collection `rec`'s stored points in slots `from_slot..`, in
/// batches of `(slot, key, vector)`.
fn scan_points(
    kv: &dyn KvRead,
    rec: &CollectionRecord,
    from_slot: u64,
    mut each_batch: impl FnMut(&[(u64, u64, Vec<f32>)]),
) -> Result<()> {
    let dim = rec.config().dim;
    let mut batch = Vec::with_capacity(BUILD_BATCH);
    let end = prefix_end(&rec.id.to_be_bytes());
    let start = point_key(rec.id, from_slot);
    kv.scan_bulk(Cf::Vectors, &start, end.as_deref(), &mut |k, v| {
        let point = decode_point(v, dim)?;
        batch.push((key_id(k)?, point.key, point.vector));
        if batch.len() == BUILD_BATCH {
            each_batch(&batch);
            batch.clear();
        }
        Ok(true)
    })?;
    each_batch(&batch);
    Ok(())
}

/// Makes collection `rec`'s index from its checkpoint plus the points
/// written after it, or says why the checkpoint could not be used.
///
/// Only the small `vector_keys` family is read for the points the
/// checkpoint covers (the graph holds their vectors), and the `vectors`
/// of later slots.
fn from_checkpoint(
    kv: &dyn KvRead,
    root: &Path,
    rec: &CollectionRecord,
) -> Result<VectorIndex, Unusable> {
    let (graph, envelope) = checkpoint::read(root, rec.id, &rec.config())?;
    if envelope.slot_end > rec.next_slot {
        return Err(crate::Error::corruption(
            "the checkpoint covers slots the collection never allocated",
        )
        .into());
    }
    let prefix = rec.id.to_be_bytes();
    let end = prefix_end(&prefix);
    let mut live = Vec::with_capacity(rec.count as usize);
    kv.scan_bulk(Cf::VectorKeys, &prefix, end.as_deref(), &mut |k, v| {
        live.push((read_u64(v, 0)?, key_id(k)?));
        Ok(true)
    })?;
    live.sort_unstable();
    let mut index = VectorIndex::reloaded(rec.config(), graph, envelope.slot_end, &live)?;
    let mut replay = Vec::new();
    scan_points(kv, rec, envelope.slot_end, |batch| {
        replay.extend_from_slice(batch);
    })?;
    index.insert(&replay, 0);
    index.adopt_calibrations(
        envelope
            .calibrations
            .iter()
            .map(checkpoint::StoredCalibration::calibration)
            .collect(),
    );
    // Replayed points, or covered points deleted since, make the graph
    // differ from its checkpoint.
    index.dirty = !replay.is_empty() || index.graph_points() != index.len();
    index.origin = Origin::Checkpoint {
        replayed: replay.len(),
    };
    Ok(index)
}

impl VectorModel {
    /// Makes every collection's index: from its checkpoint plus the points
    /// written after it, or (no usable checkpoint) by inserting every
    /// stored point. Never fails because of a checkpoint.
    pub fn load(db: &Database) -> Result<VectorModel> {
        let kv = db.store();
        let root = db.path();
        let mut indexes = FxHashMap::default();
        let records = CollectionRecord::all(kv)?;
        let fed = source::all(&records);
        for (_, rec) in records {
            let index = match from_checkpoint(kv, root, &rec) {
                Ok(index) => index,
                Err(reason) => {
                    let mut index = VectorIndex::new(
                        rec.config(),
                        rec.count as usize,
                        Origin::Built(reason.to_string()),
                    );
                    scan_points(kv, &rec, 0, |batch| index.insert(batch, 0))?;
                    index
                }
            };
            indexes.insert(
                rec.id,
                Entry {
                    index: Arc::new(RwLock::new(index)),
                    dropped: None,
                },
            );
        }
        Ok(VectorModel {
            root: root.to_owned(),
            indexes: RwLock::new(indexes),
            applied: Mutex::new(0),
            applied_cond: Condvar::new(),
            embedders: RwLock::new(FxHashMap::default()),
            fed: RwLock::new(fed),
        })
    }

    /// Attaches `embedder` to collection `id`.
    pub fn attach(&self, id: u32, embedder: Arc<dyn Embedder>) {
        self.embedders.write().insert(id, embedder);
    }

    /// The embedder attached to collection `id`.
    pub fn embedder(&self, id: u32) -> Option<Arc<dyn Embedder>> {
        self.embedders.read().get(&id).cloned()
    }

    /// Collection `id`'s index.
    pub fn get(&self, id: u32) -> Option<Arc<RwLock<VectorIndex>>> {
        self.indexes.read().get(&id).map(|e| Arc::clone(&e.index))
    }

    /// The indexes of the collections that exist (not dropped).
    fn live(&self) -> Vec<(u32, Arc<RwLock<VectorIndex>>)> {
        self.indexes
            .read()
            .iter()
            .filter(|(_, e)| e.dropped.is_none())
            .map(|(id, e)| (*id, Arc::clone(&e.index)))
            .collect()
    }

    /// Waits until the indexes hold every commit up to `generation`.
    pub fn wait_applied(&self, generation: u64) {
        let mut applied = self.applied.lock();
        while *applied < generation {
            self.applied_cond.wait(&mut applied);
        }
    }

    fn set_applied(&self, generation: u64) {
        let mut applied = self.applied.lock();
        *applied = (*applied).max(generation);
        self.applied_cond.notify_all();
    }

    /// Writes a checkpoint of every index that changed since its last one,
    /// with the calibration its default `ef` is chosen by measured again
    /// if a tenth of its points changed since the last (searches go on
    /// meanwhile).
    fn checkpoint(&self) -> Result<()> {
        for (id, index) in self.live() {
            if !index.read().dirty {
                continue;
            }
            index.read().calibrate_default();
            let mut index = index.write();
            let config = super::record::ConfigRecord::from(index.config());
            checkpoint::write(
                &self.root,
                id,
                &config,
                index.engine(),
                index.slot_end(),
                &index.calibrations(),
            )?;
            index.dirty = false;
        }
        Ok(())
    }

    /// How collection `id`'s index stands.
    pub fn info(&self, id: u32) -> Option<VectorIndexInfo> {
        let index = self.get(id)?;
        let index = index.read();
        let (from_checkpoint, replayed, built_because) = match &index.origin {
            Origin::Checkpoint { replayed } => (true, *replayed, None),
            Origin::Built(why) => (false, 0, Some(why.clone())),
        };
        let (memory, mapped) = index.memory();
        Some(VectorIndexInfo {
            memory_bytes: memory.map(|b| b as u64),
            mapped_bytes: mapped as u64,
            walk_bytes: index.walk_bytes().map(|b| b as u64),
            points: index.len(),
            graph_points: index.graph_points(),
            from_checkpoint,
            replayed,
            built_because,
            dirty: index.dirty,
            default_ef: index.default_ef(DEFAULT_CALIBRATION_K),
            calibrated: index.is_calibrated(DEFAULT_CALIBRATION_K),
        })
    }

    /// Reclaims, in every index, what no snapshot can see any more (at or
    /// before `horizon`); `repair` also unlinks it from the graph and gives
    /// its rows back now (else that happens once a quarter of the graph is
    /// reclaimed: a compaction in place, or a rebuild for `hnsw_rs`).
    /// Forgets dropped collections no snapshot can see.
    pub fn maintain(&self, horizon: u64, repair: Option<u32>) {
        for (id, index) in self.live() {
            if repair == Some(id) {
                // Compaction: searches wait while the graph is repaired.
                let mut ix = index.write();
                ix.reclaim(horizon);
                if !ix.compact() {
                    let fresh = ix.rebuilt();
                    *ix = fresh;
                }
                continue;
            }
            if index.read().has_reclaimable(horizon) {
                index.write().reclaim(horizon);
            }
            if index.read().needs_rebuild() {
                // Native: in place, searches waiting (a repair and a copy
                // of the live rows). hnsw_rs: built beside, searches
                // continuing on the old graph meanwhile.
                if !index.write().compact() {
                    let fresh = index.read().rebuilt();
                    *index.write() = fresh;
                }
            }
        }
        let mut map = self.indexes.write();
        let gone: Vec<u32> = map
            .iter()
            .filter(|(_, e)| e.dropped.is_some_and(|d| d <= horizon))
            .map(|(id, _)| *id)
            .collect();
        for id in gone {
            map.remove(&id);
        }
    }

    /// Applies one committed transaction's changes at `generation`.
    fn apply(&self, deltas: Vec<(u32, Delta)>, generation: u64) {
        for (id, delta) in deltas {
            if delta.dropped {
                if let Some(e) = self.indexes.write().get_mut(&id) {
                    e.dropped = Some(generation);
                }
                checkpoint::remove(&self.root, id);
                continue;
            }
            if let Some(config) = delta.created {
                let index = VectorIndex::new(config, 0, Origin::Built("new".into()));
                self.indexes.write().insert(
                    id,
                    Entry {
                        index: Arc::new(RwLock::new(index)),
                        dropped: None,
                    },
                );
            }
            if let Some(index) = self.get(id) {
                let mut index = index.write();
                for slot in delta.removed {
                    index.remove(slot, generation);
                }
                index.insert(&delta.inserts, generation);
            }
        }
    }
}

impl Extension for VectorModel {
    fn begin_write(&self, _: &WriteTxn<'_>) -> Result<Option<Box<dyn TxnPart>>> {
        Ok(Some(Box::new(VectorTxn {
            deltas: Vec::new(),
            fed: Arc::clone(&self.fed.read()),
            fed_changed: false,
        })))
    }

    fn flush(&self, _: &Database) -> Result<()> {
        self.checkpoint()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// What one write transaction did to one collection.
#[derive(Clone, Default)]
pub(crate) struct Delta {
    /// Created by this transaction, with this configuration.
    pub created: Option<CollectionConfig>,
    /// Dropped by this transaction (it existed before).
    pub dropped: bool,
    /// Points written, `(slot, key, prepared vector)`, in slot order.
    pub inserts: Vec<(u64, u64, Vec<f32>)>,
    /// Slots of committed points deleted or replaced.
    pub removed: FxHashSet<u64>,
}

/// The vector model's part of a write transaction: per collection it
/// touched, what it did. Searches inside the transaction see it; the
/// indexes get it once the commit is durable.
#[derive(Clone)]
pub(crate) struct VectorTxn {
    deltas: Vec<(u32, Delta)>,
    /// The collections fed by graph properties, as this transaction sees
    /// them.
    fed: Arc<Vec<Fed>>,
    /// Whether this transaction created or dropped one.
    fed_changed: bool,
}

impl VectorTxn {
    /// The collections fed by graph properties.
    pub fn fed(&self) -> &Arc<Vec<Fed>> {
        &self.fed
    }

    /// Collection `id` (`name`) is fed by `source` from now on.
    pub fn feed(&mut self, id: u32, name: &str, source: VectorSource) {
        let mut fed = (*self.fed).clone();
        fed.push(Fed {
            id,
            name: name.to_owned(),
            source,
        });
        self.fed = Arc::new(fed);
        self.fed_changed = true;
    }

    /// The delta of collection `id`, if this transaction touched it.
    pub fn delta(&self, id: u32) -> Option<&Delta> {
        self.deltas.iter().find(|(c, _)| *c == id).map(|(_, d)| d)
    }

    fn delta_mut(&mut self, id: u32) -> &mut Delta {
        let at = if let Some(at) = self.deltas.iter().position(|(c, _)| *c == id) {
            at
        } else {
            self.deltas.push((id, Delta::default()));
            self.deltas.len() - 1
        };
        &mut self.deltas[at].1
    }

    pub fn create(&mut self, id: u32, config: CollectionConfig) {
        self.delta_mut(id).created = Some(config);
    }

    pub fn drop_collection(&mut self, id: u32) {
        if self.fed.iter().any(|f| f.id == id) {
            self.fed = Arc::new(self.fed.iter().filter(|f| f.id != id).cloned().collect());
            self.fed_changed = true;
        }
        let delta = self.delta_mut(id);
        if delta.created.is_some() {
            self.deltas.retain(|(c, _)| *c != id);
        } else {
            *delta = Delta {
                dropped: true,
                ..Delta::default()
            };
        }
    }

    pub fn insert(&mut self, id: u32, slot: u64, key: u64, vector: Vec<f32>) {
        self.delta_mut(id).inserts.push((slot, key, vector));
    }

    /// The point in `slot` is deleted: a point written by this transaction
    /// is forgotten, a committed one hidden.
    pub fn remove(&mut self, id: u32, slot: u64) {
        let delta = self.delta_mut(id);
        match delta.inserts.binary_search_by_key(&slot, |p| p.0) {
            Ok(at) => {
                delta.inserts.remove(at);
            }
            Err(_) => {
                delta.removed.insert(slot);
            }
        }
    }
}

impl TxnPart for VectorTxn {
    fn save(&self, _: &Database) -> Box<dyn Any + Send + Sync> {
        Box::new(self.clone())
    }

    fn restore(&mut self, saved: Box<dyn Any + Send + Sync>, _: &Database) {
        if let Ok(saved) = saved.downcast::<VectorTxn>() {
            *self = *saved;
        }
    }

    fn committed(self: Box<Self>, db: &Database, generation: Option<u64>) {
        let Some(generation) = generation else {
            return;
        };
        let model = db.extension::<VectorModel>();
        if self.fed_changed {
            *model.fed.write() = Arc::clone(&self.fed);
        }
        let touched = !self.deltas.is_empty();
        model.apply(self.deltas, generation);
        model.set_applied(generation);
        if touched {
            model.maintain(db.generations().horizon(), None);
        }
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
