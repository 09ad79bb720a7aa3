//! The database handle: the directory, the store, the single writer, the
//! commit generations, and the data models' state.

use std::any::TypeId;
use std::fs::File;
use std::path::{Path, PathBuf};

use parking_lot::{Mutex, RwLock};

use super::dir::{self, Found};
use super::generations::Generations;
use super::model::{Extension, Links};
use super::{ReadTxn, WriteTxn, bulk};
use crate::error::{Error, Result};
use crate::storage::schema::{FORMAT_VERSION, meta};
use crate::storage::{Cf, Changes, KvRead, Snapshot, Store, StoreOptions, keys};

/// How a commit is made durable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Durability {
    /// The write-ahead log is fsynced before `commit` returns: a committed
    /// transaction survives a power loss. The default.
    #[default]
    Immediate,
    /// The write-ahead log is written but not fsynced: a committed
    /// transaction survives a crash of the process, and reaches the disk at
    /// the next `Immediate` commit, [`Database::sync`] or close. Much faster
    /// for many small transactions.
    Buffered,
}

/// Options for opening a database. Start from [`Database::builder`].
#[derive(Clone, Debug)]
pub struct Builder {
    pub(crate) create_if_missing: bool,
    pub(crate) durability: Durability,
    pub(crate) block_cache_bytes: usize,
    pub(crate) stored_projections: Option<u64>,
    pub(crate) import_dir: Option<PathBuf>,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            create_if_missing: true,
            durability: Durability::Immediate,
            block_cache_bytes: 64 << 20,
            stored_projections: Some(1 << 16),
            import_dir: None,
        }
    }
}

impl Builder {
    /// Whether to create the database when the directory is missing or
    /// empty. Default: `true`.
    #[must_use]
    pub fn create_if_missing(mut self, yes: bool) -> Self {
        self.create_if_missing = yes;
        self
    }

    /// The default durability of commits. Default:
    /// [`Durability::Immediate`].
    #[must_use]
    pub fn durability(mut self, durability: Durability) -> Self {
        self.durability = durability;
        self
    }

    /// Size of the block cache shared by all column families. Default:
    /// 64 MiB.
    #[must_use]
    pub fn block_cache_bytes(mut self, bytes: usize) -> Self {
        self.block_cache_bytes = bytes;
        self
    }

    /// Projections ([`Database::projection`]) of at least `min_edges`
    /// edges are written into the database directory (`projections/`) at
    /// checkpoint, close and drop, and a later process reads one back
    /// instead of scanning the graph while nothing has been committed
    /// since. `None`: never written or read. Default: `Some(65_536)`.
    /// The files are derived data: a stale or damaged one is ignored and
    /// the projection built again.
    #[must_use]
    pub fn stored_projections(mut self, min_edges: Option<u64>) -> Self {
        self.stored_projections = min_edges;
        self
    }

    /// The directory Cypher's `LOAD CSV` reads files from: `file:///x.csv`
    /// is `dir/x.csv`, and a URL that leaves it (`..`, a link out of it)
    /// or names another scheme is refused. Default: none, and `LOAD CSV`
    /// is refused (a statement cannot read the machine's files unless the
    /// application says which).
    #[must_use]
    pub fn import_dir(mut self, dir: Option<PathBuf>) -> Self {
        self.import_dir = dir;
        self
    }
}

/// An open database: one directory holding a property graph and vector
/// collections.
///
/// `Database` is `Send + Sync`: share it between threads by reference or in
/// an `Arc`. Any number of [`ReadTxn`]s run concurrently with one
/// [`WriteTxn`].
pub struct Database {
    // Field order is drop order: the store closes before the lock is freed.
    store: Store,
    writer: Mutex<()>,
    durability: Durability,
    generations: Generations,
    /// Held for writing while a bulk import moves its files in, so that no
    /// snapshot is taken between its first file and its commit.
    ingest_gate: RwLock<()>,
    /// The extensions (data models' and caches' state), in registration
    /// order.
    extensions: Vec<(TypeId, Box<dyn Extension>)>,
    links: Links,
    path: PathBuf,
    /// Where `LOAD CSV` reads files ([`Builder::import_dir`]).
    import_dir: Option<PathBuf>,
    closed: bool,
    lock: File,
}

impl Database {
    /// Options for opening a database.
    #[must_use]
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// Opens (or creates) the directory's storage, without any data model:
    /// checks the directory, takes its lock, upgrades an older format in
    /// place and undoes a bulk import that did not commit. At creation,
    /// `init` adds the models' first records to the creation batch.
    ///
    /// Refuses, with a typed error and without writing anything: a path
    /// that is not a directory, a non-empty directory that is not a
    /// QuiverDB database ([`Error::NotADatabase`]), a database in a newer
    /// on-disk format ([`Error::UnsupportedFormat`]), and a directory
    /// another handle has open ([`Error::Locked`]).
    pub(crate) fn open_core(
        path: &Path,
        opts: &Builder,
        links: Links,
        init: impl FnOnce(&mut Changes),
    ) -> Result<Database> {
        let found = dir::inspect(path, opts.create_if_missing)?;
        let lock = dir::lock(path)?;
        let store_opts = StoreOptions {
            block_cache_bytes: opts.block_cache_bytes,
        };
        // Creation: the marker first (durably), then storage, then one
        // synced batch with the format version and the models' first
        // records. A crash before that batch leaves storage without any
        // key, which the next open recognises and creates again.
        let create = |store: Store| -> Result<(Store, u32)> {
            let mut first = Changes::default();
            first.put(Cf::Meta, meta::FORMAT_VERSION, FORMAT_VERSION.to_be_bytes());
            init(&mut first);
            store.write(&first, true)?;
            Ok((store, FORMAT_VERSION))
        };
        let (store, stored_version) = match found {
            Found::Empty { has_marker } => {
                if !has_marker {
                    dir::write_marker(path)?;
                }
                create(Store::open(path, true, &store_opts)?)?
            }
            Found::Database { marker } => {
                let store = Store::open(path, false, &store_opts)?;
                match check_stored_version(&store, path) {
                    Err(Error::NotADatabase { .. }) if is_empty(&store)? => create(store)?,
                    Err(e) => return Err(e),
                    Ok(version) => {
                        // A crash during an upgrade can leave the marker
                        // behind storage; it is brought level below.
                        if marker < version.min(FORMAT_VERSION) {
                            dir::write_marker(path)?;
                        }
                        (store, version)
                    }
                }
            }
        };
        // A bulk import that did not commit is removed before anything
        // reads the data (in the shape its format wrote the marker).
        bulk::undo_pending(&store, stored_version)?;
        bulk::remove_staging(path);
        if stored_version < FORMAT_VERSION {
            // Upgrade in place: Store::open created the new column
            // families; record the new version — the marker first, so that
            // from the first step on an older build refuses the directory
            // before touching storage; a crash in between is finished by
            // the next open.
            dir::write_marker(path)?;
            let mut up = Changes::default();
            up.put(Cf::Meta, meta::FORMAT_VERSION, FORMAT_VERSION.to_be_bytes());
            store.write(&up, true)?;
        }
        Ok(Database {
            store,
            writer: Mutex::new(()),
            durability: opts.durability,
            generations: Generations::new(),
            ingest_gate: RwLock::new(()),
            extensions: Vec::new(),
            links,
            path: path.to_owned(),
            import_dir: opts.import_dir.clone(),
            closed: false,
            lock,
        })
    }

    /// Adds a data model's state (done once per model, at open).
    pub(crate) fn register<M: Extension>(&mut self, model: M) {
        self.extensions.push((TypeId::of::<M>(), Box::new(model)));
    }

    /// The state of model type `M`.
    ///
    /// # Panics
    ///
    /// If the database was assembled without `M` — a defect of the crate,
    /// not something input can cause: `open.rs` registers every model.
    pub(crate) fn extension<M: Extension>(&self) -> &M {
        self.extensions
            .iter()
            .find(|(id, _)| *id == TypeId::of::<M>())
            .and_then(|(_, m)| m.as_any().downcast_ref())
            .unwrap_or_else(|| {
                panic!(
                    "model {} is not registered: open.rs assembles every model",
                    std::any::type_name::<M>()
                )
            })
    }

    /// Every model, in registration order.
    pub(crate) fn extensions(&self) -> impl Iterator<Item = &dyn Extension> {
        self.extensions.iter().map(|(_, m)| m.as_ref())
    }

    /// How sibling models reach each other.
    pub(crate) fn links(&self) -> &Links {
        &self.links
    }

    /// The directory `LOAD CSV` reads files from, if one was given
    /// ([`Builder::import_dir`]).
    #[must_use]
    pub fn import_dir(&self) -> Option<&Path> {
        self.import_dir.as_deref()
    }

    /// The directory this database lives in.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Starts a read transaction on a snapshot of the current state. Never
    /// waits for writers.
    pub fn begin_read(&self) -> Result<ReadTxn<'_>> {
        Ok(ReadTxn::begin(self))
    }

    /// A snapshot and the commit generation it shows.
    pub(super) fn snapshot_at(&self) -> (Snapshot<'_>, u64) {
        let _gate = self.ingest_gate.read();
        loop {
            let snapshot = self.store.snapshot();
            if let Some(g) = self.generations.generation_of(snapshot.sequence_number()) {
                return (snapshot, g);
            }
        }
    }

    /// Starts the write transaction, waiting while another one is open.
    /// Do not call it twice on one thread without finishing the first
    /// transaction: that waits forever.
    pub fn begin_write(&self) -> Result<WriteTxn<'_>> {
        WriteTxn::begin(self, self.writer.lock())
    }

    /// Starts the write transaction, waiting at most `wait` while another
    /// one is open.
    ///
    /// # Errors
    /// [`Error::WriterBusy`] when another write transaction stayed open
    /// for all of `wait` (a transient condition: retry).
    pub fn begin_write_within(&self, wait: std::time::Duration) -> Result<WriteTxn<'_>> {
        match self.writer.try_lock_for(wait) {
            Some(guard) => WriteTxn::begin(self, guard),
            None => Err(crate::Error::WriterBusy { waited: wait }),
        }
    }

    /// Sets what a process that finds this directory locked is told of
    /// its holder (by default `process <pid>`): a server puts its address
    /// there, so a second process learns where to connect instead.
    ///
    /// # Errors
    /// [`Error::Io`] when the lock file cannot be written.
    pub fn set_lock_note(&self, note: &str) -> Result<()> {
        dir::note(&self.lock, &self.path.join(dir::LOCK_FILE), note)
    }

    /// Makes every committed transaction durable, including those committed
    /// with [`Durability::Buffered`].
    pub fn sync(&self) -> Result<()> {
        self.store.flush()
    }

    /// Compacts the storage: every column family is rewritten as one sorted
    /// run and deleted entries are dropped. Worth calling after a bulk load
    /// or a mass delete — whole-graph scans (projections) then read
    /// sequentially. Blocks until done; concurrent reads and writes go on.
    pub fn compact(&self) -> Result<()> {
        self.store.compact()
    }

    /// Total size of the database's files on disk, in bytes: storage, and
    /// the derived files beside it (vector index checkpoints, stored
    /// projections).
    pub fn disk_usage(&self) -> Result<u64> {
        self.store.disk_usage()
    }

    /// Writes what the models derive in memory to disk, so the next open
    /// loads it instead of rebuilding it: a checkpoint of every vector
    /// index that changed since its last one (points written after a
    /// checkpoint are replayed from storage at open). Close and drop do
    /// this too.
    pub fn checkpoint(&self) -> Result<()> {
        for model in self.extensions() {
            model.flush(self)?;
        }
        Ok(())
    }

    /// Flushes everything to disk and closes the database, reporting any
    /// error (dropping the handle closes it too, but silently).
    pub fn close(mut self) -> Result<()> {
        self.closed = true;
        self.checkpoint()?;
        self.store.flush()
    }

    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    pub(crate) fn generations(&self) -> &Generations {
        &self.generations
    }

    pub(crate) fn ingest_gate(&self) -> &RwLock<()> {
        &self.ingest_gate
    }

    pub(crate) fn durability(&self) -> Durability {
        self.durability
    }
}

/// Whether storage holds no key at all (a creation cut short).
fn is_empty(store: &Store) -> Result<bool> {
    for spec in &crate::storage::schema::COLUMN_FAMILIES {
        if store.any(spec.cf, &[])? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Refuses a newer stored version; returns the stored one.
fn check_stored_version(store: &Store, path: &Path) -> Result<u32> {
    let stored = store
        .get(Cf::Meta, meta::FORMAT_VERSION)?
        .ok_or_else(|| Error::NotADatabase {
            path: path.to_owned(),
            reason: "its storage has no format version (was its creation interrupted?)".into(),
        })?;
    let version = keys::read_u32(&stored, 0)?;
    if version > FORMAT_VERSION {
        return Err(Error::UnsupportedFormat {
            path: path.to_owned(),
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    Ok(version)
}

impl Drop for Database {
    fn drop(&mut self) {
        if !self.closed {
            // Best effort: a Buffered commit should not be lost on a clean
            // drop. `close` reports errors; drop cannot.
            let _ = self.checkpoint();
            let _ = self.store.flush();
        }
    }
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set_stored_version(path: &Path, meta_version: u32, marker_version: u32) {
        let db = Database::open(path).unwrap();
        let mut c = Changes::default();
        c.put(Cf::Meta, meta::FORMAT_VERSION, meta_version.to_be_bytes());
        db.store.write(&c, true).unwrap();
        db.close().unwrap();
        std::fs::write(
            path.join(dir::MARKER_FILE),
            format!("QuiverDB database\nformat {marker_version}\n"),
        )
        .unwrap();
    }

    fn stored_versions(path: &Path) -> (u32, u32) {
        let db = Database::open(path).unwrap();
        let stored = db
            .store
            .get(Cf::Meta, meta::FORMAT_VERSION)
            .unwrap()
            .unwrap();
        drop(db);
        (
            keys::read_u32(&stored, 0).unwrap(),
            dir::read_marker(path).unwrap(),
        )
    }

    #[test]
    fn an_older_format_is_upgraded_in_place() {
        let dir = tempfile::tempdir().unwrap();
        set_stored_version(dir.path(), 1, 1);
        assert_eq!(
            stored_versions(dir.path()),
            (FORMAT_VERSION, FORMAT_VERSION)
        );
    }

    #[test]
    fn a_newer_stored_version_is_refused_even_behind_an_older_marker() {
        let dir = tempfile::tempdir().unwrap();
        set_stored_version(dir.path(), FORMAT_VERSION + 1, FORMAT_VERSION);
        let err = Database::open(dir.path()).unwrap_err();
        assert!(
            matches!(err, Error::UnsupportedFormat { found, .. } if found == FORMAT_VERSION + 1),
            "{err}"
        );
    }
}
