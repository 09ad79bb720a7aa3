//! The transaction core: one database directory, consistent snapshots, the
//! single writer and its atomic commit, bulk ingest and its recovery.
//!
//! The core knows nothing of nodes or vectors. The data models (`graph`,
//! `vector`, and the projection cache of `algo`) keep their in-memory state
//! as [`Extension`]s and their per-transaction state as [`TxnPart`]s; the
//! assembly (`open.rs`) registers them when a database opens. A commit
//! asks every part for its last changes, writes one atomic batch, then
//! tells every part the commit generation it became.
//!
//! Generations ([`generations`]): every commit that writes gets the next
//! number, and every snapshot knows exactly which commits it contains —
//! from the storage sequence number, without waiting for a writer. Open
//! snapshots are registered, so a model can tell which old state no
//! snapshot can see any more.

mod bulk;
mod database;
mod dir;
mod generations;
mod model;
mod read;
mod write;

pub use database::{Builder, Database, Durability};

/// Fuzz entry points over the core's own stored bytes (`crate::fuzz`
/// drives them): the import marker and the format marker.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) mod fuzz {
    use std::path::Path;

    use super::bulk::{self, IdAt, Undo};
    use crate::storage::Cf;

    /// A stored import marker of `format` (format 3's layout, or today's):
    /// decoded into a plan naming only known column families, or refused.
    pub(crate) fn import_marker(bytes: &[u8], format: u32) {
        let _ = bulk::undo_plan(bytes, format);
    }

    /// The format marker file in `dir`: a version, or `NotADatabase`.
    pub(crate) fn format_marker(dir: &Path) {
        let _ = super::dir::read_marker(dir);
    }

    /// A marker as an import writes one.
    pub(crate) fn marker_seed() -> Vec<u8> {
        bulk::marker_bytes(vec![
            Undo::range(Cf::Nodes, 5u64.to_be_bytes(), 9u64.to_be_bytes()),
            Undo::select(Cf::Out, [], IdAt::Key(20), (3, 8)),
            Undo::select(Cf::Unique, [0, 0, 0, 1], IdAt::Value(0), (3, 8)),
            Undo::select(Cf::Index, [], IdAt::KeyEnd, (3, 8)),
        ])
        .unwrap_or_default()
    }
}
pub use read::ReadTxn;
pub use write::{UpdateCounts, WriteTxn};

pub(crate) use bulk::{IdAt, STAGING_DIR, Undo};
#[cfg(test)]
pub(crate) use dir::read_marker;
pub(crate) use model::{
    EntityView, Extension, Links, LoadedAdjacency, TextWatcher, TextWritten, TxnPart, Watcher,
    Written, watched,
};
