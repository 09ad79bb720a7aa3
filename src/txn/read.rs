//! Read transactions: one consistent snapshot, and the commit generation
//! it shows.

use super::Database;
use crate::storage::{KvRead, Snapshot};

/// A read transaction: a consistent snapshot of the database as of
/// [`Database::begin_read`]. Later commits do not change what it sees —
/// graph reads ([`GraphRead`](crate::GraphRead)) and vector searches
/// ([`collection`](ReadTxn::collection)) alike.
///
/// Open read transactions hold back the reclaiming of what later commits
/// deleted (a deleted vector stays findable for them); drop them when done.
pub struct ReadTxn<'db> {
    db: &'db Database,
    snapshot: Snapshot<'db>,
    /// The commit generation the snapshot shows.
    generation: u64,
    /// The generation this reader is registered at (see `Generations`).
    registered: u64,
}

impl<'db> ReadTxn<'db> {
    pub(super) fn begin(db: &'db Database) -> ReadTxn<'db> {
        let registered = db.generations().register();
        let (snapshot, generation) = db.snapshot_at();
        ReadTxn {
            db,
            snapshot,
            generation,
            registered,
        }
    }

    /// The database this transaction reads.
    pub(crate) fn db(&self) -> &'db Database {
        self.db
    }

    /// What this transaction reads: its snapshot.
    pub(crate) fn kv(&self) -> &dyn KvRead {
        &self.snapshot
    }

    /// The commit generation the snapshot shows: 0 for the state at open,
    /// then one more per commit that wrote something.
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    /// The storage sequence number of the snapshot: equal for two
    /// snapshots (of any process) exactly when they show the same state.
    pub(crate) fn sequence(&self) -> u64 {
        self.snapshot.sequence_number()
    }
}

impl Drop for ReadTxn<'_> {
    fn drop(&mut self) {
        self.db.generations().unregister(self.registered);
    }
}
