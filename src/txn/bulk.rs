//! Bulk ingest: sorted files moved into the column families as part of
//! one commit, all or nothing — and the undo of one that did not commit.
//!
//! RocksDB's C API cannot ingest into several column families atomically,
//! so a bulk commit moves its files in one family at a time. Just before
//! the first move it writes, synced, the loader's [`Undo`] plan under
//! `meta/import_pending`: what to delete if the commit never happens. The
//! commit batch deletes the marker together with the loader's other
//! changes. If the process dies in between, the next open finds the marker
//! and carries the plan out before anything reads the data, so the
//! database is as it was before the import.
//!
//! The plan is data, not code: key ranges to delete, and selections of
//! keys by an id they carry. The core carries it out without knowing what
//! the keys mean; the loader that wrote the files knows which ids it
//! allocated and where they sit in each key.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::WriteTxn;
use crate::error::{Error, Result};
use crate::storage::schema::{STATS_COMPLETE, meta};
use crate::storage::{Cf, Changes, KvRead, Store, codec, files, keys};

/// The staging folder inside the database directory, where a bulk load
/// writes its sorted files before they are moved in.
pub(crate) const STAGING_DIR: &str = "import-staging";

/// Deletes are written in batches of this many keys.
const BATCH: usize = 100_000;

/// Where, in a key or a value, an entry carries the id it is selected by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum IdAt {
    /// The big-endian u64 at this offset of the key.
    Key(u32),
    /// The key's last eight bytes.
    KeyEnd,
    /// The big-endian u64 at this offset of the value.
    Value(u32),
}

/// One step of undoing a bulk load that did not commit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Undo {
    /// Delete every key of column family `cf` (by name) in `[start, end)`.
    Range {
        cf: String,
        start: Vec<u8>,
        end: Vec<u8>,
    },
    /// Delete every key of `cf` starting with `prefix` whose id at `at`
    /// lies in `[lo, hi)`.
    Select {
        cf: String,
        prefix: Vec<u8>,
        at: IdAt,
        lo: u64,
        hi: u64,
    },
}

impl Undo {
    /// Deletes the keys of `cf` in `[start, end)`.
    pub fn range(cf: Cf, start: impl Into<Vec<u8>>, end: impl Into<Vec<u8>>) -> Undo {
        Undo::Range {
            cf: cf.spec().name.to_owned(),
            start: start.into(),
            end: end.into(),
        }
    }

    /// Deletes the keys of `cf` under `prefix` whose id at `at` is in
    /// `ids`.
    pub fn select(cf: Cf, prefix: impl Into<Vec<u8>>, at: IdAt, ids: (u64, u64)) -> Undo {
        Undo::Select {
            cf: cf.spec().name.to_owned(),
            prefix: prefix.into(),
            at,
            lo: ids.0,
            hi: ids.1,
        }
    }
}

/// The marker's record: the plan, versioned.
#[derive(Serialize, Deserialize)]
struct Marker {
    version: u32,
    undo: Vec<Undo>,
}

const MARKER_VERSION: u32 = 1;

fn column_family(name: &str) -> Result<Cf> {
    crate::storage::schema::COLUMN_FAMILIES
        .iter()
        .find(|s| s.name == name)
        .map(|s| s.cf)
        .ok_or_else(|| {
            Error::corruption(format!(
                "the import marker names column family {name:?}, which this build does not know"
            ))
        })
}

impl WriteTxn<'_> {
    /// Commits, with `files` (sorted files per column family, in the
    /// staging folder) moved in first, inside the same commit: all or
    /// nothing, and no snapshot is taken in between. If the process dies
    /// before the commit batch, the next open carries out `undo`. The
    /// batch is always synced. Returns the storage sequence number of the
    /// state committed.
    pub(crate) fn commit_ingest(self, files: &[(Cf, PathBuf)], undo: Vec<Undo>) -> Result<u64> {
        let sequence = std::cell::Cell::new(0);
        let marker = codec::encode(&Marker {
            version: MARKER_VERSION,
            undo,
        })?;
        self.commit_with(Some(&|store: &Store, changes: &mut Changes| {
            let mut intent = Changes::default();
            intent.put(Cf::Meta, meta::IMPORT_PENDING, marker.clone());
            store.write(&intent, true)?;
            crate::failpoint::hit("import-marker-written");
            let result = (|| {
                for spec in &crate::storage::schema::COLUMN_FAMILIES {
                    let paths: Vec<PathBuf> = files
                        .iter()
                        .filter(|(c, _)| *c == spec.cf)
                        .map(|(_, p)| p.clone())
                        .collect();
                    store.ingest(spec.cf, &paths)?;
                    if !paths.is_empty() {
                        crate::failpoint::hit(&format!("import-ingested:{}", spec.name));
                    }
                }
                changes.delete(Cf::Meta, meta::IMPORT_PENDING);
                store.write(changes, true)?;
                // The writer is held: no other commit comes in between.
                sequence.set(store.latest_sequence_number());
                crate::failpoint::hit("import-committed");
                Ok(())
            })();
            if result.is_err() {
                // Remove whatever arrived; if even that fails, the marker
                // stays and the next open finishes the job.
                let _ = undo_pending(store, u32::MAX);
            }
            result
        }))?;
        Ok(sequence.get())
    }
}

/// Removes the staging folder a killed import may have left.
pub(crate) fn remove_staging(db_dir: &Path) {
    let _ = files::remove_dir_all(&db_dir.join(STAGING_DIR));
}

/// The stored marker of `undo`, as a bulk commit writes it.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn marker_bytes(undo: Vec<Undo>) -> Result<Vec<u8>> {
    codec::encode(&Marker {
        version: MARKER_VERSION,
        undo,
    })
}

/// The undo plan of a stored import marker; `format` is the stored
/// format version (format 3 wrote the plan in its own shape).
pub(crate) fn undo_plan(bytes: &[u8], format: u32) -> Result<Vec<Undo>> {
    let plan = if format <= 3 {
        legacy::plan(bytes)?
    } else {
        let marker: Marker = codec::decode(bytes, "import marker")?;
        if marker.version != MARKER_VERSION {
            return Err(Error::corruption(format!(
                "the import marker has version {}, this build knows {MARKER_VERSION}",
                marker.version
            )));
        }
        marker.undo
    };
    for step in &plan {
        let (Undo::Range { cf, .. } | Undo::Select { cf, .. }) = step;
        column_family(cf)?;
    }
    Ok(plan)
}

/// If an import's marker is present, carries out its undo plan and removes
/// the marker. `format` is the stored format version (format 3 wrote the
/// plan in its own shape). Returns whether there was a marker. Idempotent:
/// a crash during the undo leaves the marker, and the next open redoes it.
pub(crate) fn undo_pending(store: &Store, format: u32) -> Result<bool> {
    let Some(bytes) = store.get(Cf::Meta, meta::IMPORT_PENDING)? else {
        return Ok(false);
    };
    let plan = undo_plan(&bytes, format)?;
    let mut pending = Changes::default();
    let mut count = 0usize;
    let mut ranges = Vec::new();
    for step in &plan {
        match step {
            Undo::Range { cf, start, end } => {
                ranges.push((column_family(cf)?, start.clone(), end.clone()));
            }
            Undo::Select {
                cf,
                prefix,
                at,
                lo,
                hi,
            } => {
                let cf = column_family(cf)?;
                let end = keys::prefix_end(prefix);
                let mut doomed = Vec::new();
                store.scan_bulk(cf, prefix, end.as_deref(), &mut |key, value| {
                    let id = match *at {
                        IdAt::Key(offset) => keys::read_u64(key, offset as usize)?,
                        IdAt::KeyEnd => keys::read_u64(key, key.len().saturating_sub(8))?,
                        IdAt::Value(offset) => keys::read_u64(value, offset as usize)?,
                    };
                    if (*lo..*hi).contains(&id) {
                        doomed.push(key.to_vec());
                    }
                    Ok(true)
                })?;
                for key in doomed {
                    pending.delete(cf, key);
                    count += 1;
                    if count >= BATCH {
                        store.write(&std::mem::take(&mut pending), false)?;
                        count = 0;
                    }
                }
            }
        }
    }
    if count > 0 {
        store.write(&pending, false)?;
    }
    // Last, in one synced batch: the ranges, and the marker.
    let mut last = Changes::default();
    last.delete(Cf::Meta, meta::IMPORT_PENDING);
    // What the statistics count may have changed under them.
    last.delete(Cf::Stats, STATS_COMPLETE);
    store.write_with_ranges(&last, &ranges, true)?;
    Ok(true)
}

/// The marker as format 3 wrote it, and its plan in today's terms. Format
/// 3's key layouts are frozen history, spelled out here.
mod legacy {
    use serde::Deserialize;

    use super::{IdAt, Undo};
    use crate::error::Result;
    use crate::storage::{Cf, codec};

    /// What a format-3 import in progress may have written.
    #[derive(Deserialize)]
    struct Intent {
        nodes: (u64, u64),
        edges: (u64, u64),
        labels: Vec<u32>,
        unique: Vec<(u32, u32)>,
        indexed: Vec<(u32, u32)>,
    }

    pub(super) fn plan(bytes: &[u8]) -> Result<Vec<Undo>> {
        let intent: Intent = codec::decode(bytes, "import marker (format 3)")?;
        let id = |v: u64| v.to_be_bytes().to_vec();
        let pair = |(l, k): (u32, u32)| [l.to_be_bytes(), k.to_be_bytes()].concat();
        let mut plan = Vec::new();
        // Adjacency keys are `node u64 · type u32 · other u64 · edge u64`.
        for cf in [Cf::Out, Cf::In] {
            plan.push(Undo::select(cf, [], IdAt::Key(20), intent.edges));
        }
        // Unique entries hold their node as the value; index entries end
        // with it.
        for &p in &intent.unique {
            plan.push(Undo::select(
                Cf::Unique,
                pair(p),
                IdAt::Value(0),
                intent.nodes,
            ));
        }
        for &p in &intent.indexed {
            plan.push(Undo::select(Cf::Index, pair(p), IdAt::KeyEnd, intent.nodes));
        }
        plan.push(Undo::range(
            Cf::Nodes,
            id(intent.nodes.0),
            id(intent.nodes.1),
        ));
        plan.push(Undo::range(
            Cf::Edges,
            id(intent.edges.0),
            id(intent.edges.1),
        ));
        // Label entries are `label u32 · node u64`.
        for &l in &intent.labels {
            let at = |n: u64| [l.to_be_bytes().as_slice(), &n.to_be_bytes()].concat();
            plan.push(Undo::range(
                Cf::Labels,
                at(intent.nodes.0),
                at(intent.nodes.1),
            ));
        }
        Ok(plan)
    }
}
