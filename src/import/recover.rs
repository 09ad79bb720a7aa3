//! Undoing a bulk import that did not commit.
//!
//! A bulk import writes its rows into sorted files and moves them into the
//! column families one family at a time (RocksDB has no atomic ingest
//! across families in its C API). Just before the first move it writes,
//! synced, an [`Intent`] under `meta/import_pending`: the node and edge id
//! ranges it allocated and the labels and key pairs it wrote entries for.
//! The commit batch deletes the marker together with writing the counters.
//! If the process dies in between, the next open finds the marker and
//! removes every entry the import could have written, then the marker —
//! so the database is as it was before the import.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::graph::records::EdgeRecord;
use crate::storage::schema::meta;
use crate::storage::{Cf, Changes, KvRead, Store, codec, keys};
use crate::{EdgeId, NodeId};

/// The name of the staging folder inside the database directory.
pub(crate) const STAGING_DIR: &str = "import-staging";

/// Deletes are written in batches of this many keys.
const BATCH: usize = 100_000;

/// What an import in progress may have written.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Intent {
    /// Node ids `[start, end)` it allocated.
    pub nodes: (u64, u64),
    /// Edge ids `[start, end)` it allocated.
    pub edges: (u64, u64),
    /// Labels its nodes carry.
    pub labels: Vec<u32>,
    /// `(label, key)` pairs it wrote unique-key entries for.
    pub unique: Vec<(u32, u32)>,
    /// `(label, key)` pairs it wrote property-index entries for.
    pub indexed: Vec<(u32, u32)>,
}

impl Intent {
    pub(crate) fn record(&self, store: &Store) -> Result<()> {
        let mut c = Changes::default();
        c.put(Cf::Meta, meta::IMPORT_PENDING, codec::encode(self)?);
        store.write(&c, true)
    }
}

/// Removes the staging folder a killed import may have left.
pub(crate) fn remove_staging(db_dir: &Path) {
    let _ = std::fs::remove_dir_all(db_dir.join(STAGING_DIR));
}

/// If an import's marker is present, removes everything it may have
/// written and the marker. Returns whether there was one. Idempotent: a
/// crash during the undo leaves the marker, and the next open redoes it.
pub(crate) fn undo_pending(store: &Store) -> Result<bool> {
    let Some(bytes) = store.get(Cf::Meta, meta::IMPORT_PENDING)? else {
        return Ok(false);
    };
    let intent: Intent = codec::decode(&bytes, "import marker")?;
    let (n0, n1) = intent.nodes;
    let (e0, e1) = intent.edges;
    let in_nodes = |n: u64| (n0..n1).contains(&n);

    let mut pending = Changes::default();
    let mut count = 0usize;
    let flush = |pending: &mut Changes, count: &mut usize, force: bool| -> Result<()> {
        if *count >= BATCH || (force && *count > 0) {
            store.write(&std::mem::take(pending), false)?;
            *count = 0;
        }
        Ok(())
    };

    // Adjacency entries of the import's edges (their sources and targets
    // may be older nodes, so these are point deletes).
    let mut err = None;
    store.scan_bulk(
        Cf::Edges,
        &keys::id(e0),
        Some(&keys::id(e1)),
        &mut |k, v| {
            let edge = EdgeId(keys::read_u64(k, 0)?);
            let rec: EdgeRecord = codec::decode(v, "edge record")?;
            pending.delete(
                Cf::Out,
                keys::adj(rec.src, rec.edge_type, rec.dst, edge).to_vec(),
            );
            pending.delete(
                Cf::In,
                keys::adj(rec.dst, rec.edge_type, rec.src, edge).to_vec(),
            );
            count += 2;
            if let Err(e) = flush(&mut pending, &mut count, false) {
                err = Some(e);
                return Ok(false);
            }
            Ok(true)
        },
    )?;
    if let Some(e) = err {
        return Err(e);
    }
    // Unique-key and index entries pointing at the import's nodes.
    for (pairs, unique) in [(&intent.unique, true), (&intent.indexed, false)] {
        for &(l, k) in pairs {
            let prefix = keys::label_key(l, k);
            let end = keys::prefix_end(&prefix);
            let cf = if unique { Cf::Unique } else { Cf::Index };
            let mut doomed = Vec::new();
            store.scan_bulk(cf, &prefix, end.as_deref(), &mut |key, value| {
                let node = if unique {
                    keys::read_u64(value, 0)?
                } else {
                    keys::read_u64(key, key.len().saturating_sub(8))?
                };
                if in_nodes(node) {
                    doomed.push(key.to_vec());
                }
                Ok(true)
            })?;
            for key in doomed {
                pending.delete(cf, key);
                count += 1;
                flush(&mut pending, &mut count, false)?;
            }
        }
    }
    flush(&mut pending, &mut count, true)?;
    // Last, in one batch: the ranges, and the marker.
    let mut ranges = vec![
        (Cf::Nodes, keys::id(n0).to_vec(), keys::id(n1).to_vec()),
        (Cf::Edges, keys::id(e0).to_vec(), keys::id(e1).to_vec()),
    ];
    for &l in &intent.labels {
        ranges.push((
            Cf::Labels,
            keys::label(l, NodeId(n0)).to_vec(),
            keys::label(l, NodeId(n1)).to_vec(),
        ));
    }
    let mut last = Changes::default();
    last.delete(Cf::Meta, meta::IMPORT_PENDING);
    store.write_with_ranges(&last, &ranges, true)?;
    Ok(true)
}
