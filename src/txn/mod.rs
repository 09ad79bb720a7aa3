//! The transaction core: one database directory, consistent snapshots, the
//! single writer and its atomic commit, bulk ingest and its recovery.
//!
//! The core knows nothing of nodes or vectors. The data models (`graph`,
//! `vector`, and the projection cache of `algo`) keep their in-memory state
//! as [`Model`]s and their per-transaction state as [`TxnPart`]s; the
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
pub use read::ReadTxn;
pub use write::WriteTxn;

pub(crate) use bulk::{IdAt, STAGING_DIR, Undo};
#[cfg(test)]
pub(crate) use dir::read_marker;
pub(crate) use model::{Links, Model, TxnPart};
