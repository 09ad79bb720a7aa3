//! Read transactions: one consistent snapshot, and the commit generation
//! it shows.

use super::Database;
use crate::error::Result;
use crate::storage::{Cf, Cursor, KvRead, Snapshot, Visit};

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

    /// The commit generation the snapshot shows: 0 for the state at open,
    /// then one more per commit that wrote something.
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }
}

impl Drop for ReadTxn<'_> {
    fn drop(&mut self) {
        self.db.generations().unregister(self.registered);
    }
}

/// A read transaction reads its snapshot.
impl KvRead for ReadTxn<'_> {
    fn get(&self, cf: Cf, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.snapshot.get(cf, key)
    }

    fn scan_range(
        &self,
        cf: Cf,
        start: &[u8],
        end: Option<&[u8]>,
        visit: &mut Visit<'_>,
    ) -> Result<()> {
        self.snapshot.scan_range(cf, start, end, visit)
    }

    fn scan_bulk(
        &self,
        cf: Cf,
        start: &[u8],
        end: Option<&[u8]>,
        visit: &mut Visit<'_>,
    ) -> Result<()> {
        self.snapshot.scan_bulk(cf, start, end, visit)
    }

    fn cursor(&self, cf: Cf) -> Result<Box<dyn Cursor + '_>> {
        self.snapshot.cursor(cf)
    }
}
