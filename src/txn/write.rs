//! Write transactions: buffered changes, one atomic commit.

use std::any::{Any, TypeId};

use parking_lot::MutexGuard;

use super::model::TxnPart;
use super::{Database, Durability};
use crate::error::Result;
use crate::storage::{Changes, KvRead, Overlay, Store};

/// A write transaction: changes are buffered, visible to this transaction's
/// own reads, and written atomically by [`commit`](WriteTxn::commit).
/// Dropping the transaction, or [`abort`](WriteTxn::abort), discards them.
///
/// Only one write transaction exists at a time per database; `begin_write`
/// waits for the current one to finish. Read transactions are never
/// blocked. Every operation is all-or-nothing within the transaction: when
/// one returns an error, the transaction is as it was before the call and
/// may still be committed.
///
/// Graph reads and writes are methods of this type (see
/// [`GraphRead`](crate::GraphRead)); vector collections are reached with
/// [`collection`](WriteTxn::collection) and written with
/// [`upsert_vector`](WriteTxn::upsert_vector) and its siblings.
pub struct WriteTxn<'db> {
    db: &'db Database,
    _writer: MutexGuard<'db, ()>,
    /// The buffered changes over the store: what this transaction reads.
    view: Overlay<'db, Store>,
    /// Each model's part, in registration order (`None` while lent out by
    /// [`with_part`](Self::with_part)).
    parts: Vec<(TypeId, Option<Box<dyn TxnPart>>)>,
    durability: Durability,
    finished: bool,
    /// What the transaction did so far, counted.
    updates: UpdateCounts,
}

/// What writes did, counted as Neo4j counts them for a statement's
/// summary: nodes and relationships created and deleted, properties set
/// (each assignment, a removal included), labels added and removed,
/// indexes and constraints added and removed. A statement's counts are
/// [`QueryResult::updates`](crate::query::QueryResult::updates); a
/// transaction's so far, [`WriteTxn::updates`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct UpdateCounts {
    /// Nodes created.
    pub nodes_created: u64,
    /// Nodes deleted.
    pub nodes_deleted: u64,
    /// Relationships created.
    pub relationships_created: u64,
    /// Relationships deleted.
    pub relationships_deleted: u64,
    /// Property assignments and removals.
    pub properties_set: u64,
    /// Labels added to nodes (a new node's included).
    pub labels_added: u64,
    /// Labels removed from nodes.
    pub labels_removed: u64,
    /// Indexes created.
    pub indexes_added: u64,
    /// Indexes dropped.
    pub indexes_removed: u64,
    /// Constraints created.
    pub constraints_added: u64,
    /// Constraints dropped.
    pub constraints_removed: u64,
}

impl UpdateCounts {
    /// Whether nothing was counted.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        *self == UpdateCounts::default()
    }

    /// What was counted after `before`.
    #[must_use]
    pub fn since(&self, before: &UpdateCounts) -> UpdateCounts {
        let (mut out, mut before) = (*self, *before);
        for ((_, a), (_, b)) in out.fields().into_iter().zip(before.fields()) {
            *a = a.saturating_sub(*b);
        }
        out
    }

    /// The counts by Neo4j's names (`nodes-created`, ...), those not zero.
    #[must_use]
    pub fn named(&self) -> Vec<(&'static str, u64)> {
        let mut copy = *self;
        copy.fields()
            .into_iter()
            .filter(|(_, n)| **n > 0)
            .map(|(name, n)| (name, *n))
            .collect()
    }

    /// Sets the count Neo4j names `name`; `false` for a name it does not
    /// know.
    pub fn set_named(&mut self, name: &str, n: u64) -> bool {
        match self.fields().into_iter().find(|(k, _)| *k == name) {
            Some((_, slot)) => {
                *slot = n;
                true
            }
            None => false,
        }
    }

    fn fields(&mut self) -> [(&'static str, &mut u64); 11] {
        [
            ("nodes-created", &mut self.nodes_created),
            ("nodes-deleted", &mut self.nodes_deleted),
            ("relationships-created", &mut self.relationships_created),
            ("relationships-deleted", &mut self.relationships_deleted),
            ("properties-set", &mut self.properties_set),
            ("labels-added", &mut self.labels_added),
            ("labels-removed", &mut self.labels_removed),
            ("indexes-added", &mut self.indexes_added),
            ("indexes-removed", &mut self.indexes_removed),
            ("constraints-added", &mut self.constraints_added),
            ("constraints-removed", &mut self.constraints_removed),
        ]
    }
}

/// A write transaction's state at one moment (see
/// [`WriteTxn::savepoint`]).
pub(crate) struct Savepoint {
    changes: Changes,
    parts: Vec<Option<Box<dyn Any + Send + Sync>>>,
    updates: UpdateCounts,
}

/// How a commit writes its batch: the plain atomic write, or a bulk
/// ingest around it.
pub(super) type Write<'a> = &'a dyn Fn(&Store, &mut Changes) -> Result<()>;

impl<'db> WriteTxn<'db> {
    pub(super) fn begin(db: &'db Database, writer: MutexGuard<'db, ()>) -> Result<Self> {
        let mut txn = WriteTxn {
            db,
            _writer: writer,
            view: Overlay::new(db.store()),
            parts: Vec::new(),
            durability: db.durability(),
            finished: false,
            updates: UpdateCounts::default(),
        };
        for model in db.extensions() {
            if let Some(part) = model.begin_write(&txn)? {
                let id = part.as_any().type_id();
                txn.parts.push((id, Some(part)));
            }
        }
        Ok(txn)
    }

    /// What the transaction did so far, counted.
    #[must_use]
    pub fn updates(&self) -> UpdateCounts {
        self.updates
    }

    /// Where writes count what they did.
    pub(crate) fn count(&mut self) -> &mut UpdateCounts {
        &mut self.updates
    }

    /// The database this transaction writes to.
    pub(crate) fn db(&self) -> &'db Database {
        self.db
    }

    /// The buffered changes.
    pub(crate) fn changes(&mut self) -> &mut Changes {
        self.view.changes_mut()
    }

    /// What this transaction reads: the database with its changes laid
    /// over it.
    pub(crate) fn kv(&self) -> &dyn KvRead {
        &self.view
    }

    /// Sets how this transaction's commit is made durable (the database's
    /// default otherwise).
    pub fn set_durability(&mut self, durability: Durability) {
        self.durability = durability;
    }

    /// The part of model type `P`'s state in this transaction.
    pub(crate) fn part<P: TxnPart>(&self) -> Option<&P> {
        self.parts
            .iter()
            .find(|(id, _)| *id == TypeId::of::<P>())
            .and_then(|(_, p)| p.as_deref())
            .and_then(|p| p.as_any().downcast_ref())
    }

    /// Runs `f` with this transaction and its part `P` (lent out of the
    /// transaction meanwhile, so `f` may use both freely).
    pub(crate) fn with_part<P: TxnPart, T>(
        &mut self,
        f: impl FnOnce(&mut Self, &mut P) -> Result<T>,
    ) -> Result<T> {
        let at = self
            .parts
            .iter()
            .position(|(id, p)| *id == TypeId::of::<P>() && p.is_some())
            .ok_or_else(|| {
                crate::Error::invalid(format!(
                    "{} has no part in this transaction",
                    std::any::type_name::<P>()
                ))
            })?;
        let mut boxed = self.parts[at].1.take().ok_or_else(|| {
            crate::Error::invalid("a transaction part is already in use (nested call)")
        })?;
        let result = match boxed.as_any_mut().downcast_mut::<P>() {
            Some(part) => f(self, part),
            None => Err(crate::Error::invalid(
                "a transaction part has the wrong type",
            )),
        };
        self.parts[at].1 = Some(boxed);
        result
    }

    /// The transaction's state now: [`rollback_to`](Self::rollback_to)
    /// undoes everything done after it. It copies the buffered changes,
    /// so it costs in proportion to what the transaction wrote so far.
    pub(crate) fn savepoint(&mut self) -> Savepoint {
        let db = self.db;
        Savepoint {
            changes: self.view.changes_mut().clone(),
            parts: self
                .parts
                .iter()
                .map(|(_, p)| p.as_ref().map(|p| p.save(db)))
                .collect(),
            updates: self.updates,
        }
    }

    /// Undoes everything done since `savepoint` was taken.
    pub(crate) fn rollback_to(&mut self, savepoint: Savepoint) {
        let db = self.db;
        *self.view.changes_mut() = savepoint.changes;
        self.updates = savepoint.updates;
        for ((_, part), saved) in self.parts.iter_mut().zip(savepoint.parts) {
            if let (Some(part), Some(saved)) = (part.as_mut(), saved) {
                part.restore(saved, db);
            }
        }
    }

    /// Writes every change atomically. After an error nothing was written.
    /// A transaction that changed nothing writes nothing.
    pub fn commit(self) -> Result<()> {
        self.commit_with(None)
    }

    /// Discards every change (the same as dropping the transaction).
    pub fn abort(self) {}

    /// Commits every change so far, then goes on as a new transaction
    /// under the same writer lock (no other writer can come between): what
    /// `CALL { ... } IN TRANSACTIONS` does after each batch. After an
    /// error nothing of this commit was written and the transaction can
    /// only be dropped.
    pub(crate) fn commit_and_continue(&mut self) -> Result<()> {
        self.commit_in_place(None)?;
        let db = self.db;
        self.view = Overlay::new(db.store());
        self.parts = Vec::new();
        self.finished = false;
        for model in db.extensions() {
            if let Some(part) = model.begin_write(self)? {
                let id = part.as_any().type_id();
                self.parts.push((id, Some(part)));
            }
        }
        Ok(())
    }

    /// The commit sequence: the parts' last changes, the batch (through
    /// `write`, for a bulk ingest), then the parts learn the generation.
    pub(super) fn commit_with(mut self, write: Option<Write<'_>>) -> Result<()> {
        self.commit_in_place(write)
    }

    /// [`commit_with`](Self::commit_with) on the transaction in place: it
    /// is finished after (its parts told), whether or not it succeeded.
    fn commit_in_place(&mut self, write: Option<Write<'_>>) -> Result<()> {
        let store = self.db.store();
        for (_, part) in &mut self.parts {
            if let Some(part) = part {
                part.finish(store, self.view.changes_mut())?;
            }
        }
        let db = self.db;
        if self.view.changes().is_empty() && write.is_none() {
            self.finished = true;
            for part in self.parts.drain(..).filter_map(|(_, p)| p) {
                part.committed(db, None);
            }
            return Ok(());
        }
        let store = db.store();
        let generation = db
            .generations()
            .begin_commit(store.latest_sequence_number() + 1);
        let sync = self.durability == Durability::Immediate;
        let written = match write {
            None => store.write(self.view.changes(), sync),
            Some(write) => {
                // No snapshot between the first file moved in and the commit.
                let _gate = db.ingest_gate().write();
                write(store, self.view.changes_mut())
            }
        };
        if let Err(e) = written {
            db.generations().abandon(generation);
            return Err(e); // Drop tells the parts they were aborted.
        }
        db.generations().publish(generation);
        self.finished = true;
        for part in self.parts.drain(..).filter_map(|(_, p)| p) {
            part.committed(db, Some(generation));
        }
        Ok(())
    }
}

impl Drop for WriteTxn<'_> {
    fn drop(&mut self) {
        if !self.finished {
            for part in self.parts.drain(..).filter_map(|(_, p)| p) {
                part.aborted(self.db);
            }
        }
    }
}
