//! The database handle: opening a directory, transactions, closing.

use std::fs::{self, File};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::{Mutex, RwLock};

use std::sync::Arc;

use crate::algo::{Projection, ProjectionSpec};
use crate::error::{Error, Result};
use crate::graph::dict::Dictionary;
use crate::graph::read::{Reader, read_counter};
use crate::graph::sealed::Sealed;
use crate::graph::{GraphRead, WriteTxn};
use crate::storage::schema::{FORMAT_VERSION, meta};
use crate::storage::{Cf, Changes, KvRead, Snapshot, Store, StoreOptions, keys};

/// The file that marks a directory as a QuiverDB database and records its
/// format version. Read before any storage file is touched.
pub(crate) const MARKER_FILE: &str = "QUIVERDB";
/// The file locked while a `Database` has the directory open.
pub(crate) const LOCK_FILE: &str = "quiver.lock";

/// How many projections (of different specs) stay cached at once.
const MAX_CACHED_PROJECTIONS: usize = 4;

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

/// Id allocation and counts, as of the last commit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counters {
    pub next_node: u64,
    pub next_edge: u64,
    pub node_count: u64,
    pub edge_count: u64,
}

/// Options for opening a database. Start from [`Database::builder`].
#[derive(Clone, Debug)]
pub struct Builder {
    create_if_missing: bool,
    durability: Durability,
    block_cache_bytes: usize,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            create_if_missing: true,
            durability: Durability::Immediate,
            block_cache_bytes: 64 << 20,
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

    /// Opens the database in directory `path`, creating it if allowed.
    ///
    /// Refuses, with a typed error and without writing anything: a path
    /// that is not a directory, a non-empty directory that is not a
    /// QuiverDB database ([`Error::NotADatabase`]), a database in a newer
    /// on-disk format ([`Error::UnsupportedFormat`]), and a directory
    /// another handle has open ([`Error::Locked`]).
    pub fn open(self, path: impl AsRef<Path>) -> Result<Database> {
        Database::open_with(path.as_ref(), &self)
    }
}

/// An open database: one directory holding a property graph (and, as the
/// crate grows, vector collections).
///
/// `Database` is `Send + Sync`: share it between threads by reference or in
/// an `Arc`. Any number of [`ReadTxn`]s run concurrently with one
/// [`WriteTxn`].
pub struct Database {
    // Field order is drop order: the store closes before the lock is freed.
    store: Store,
    dict: RwLock<Dictionary>,
    writer: Mutex<Counters>,
    durability: Durability,
    /// Commit generation, as a sequence lock: odd while a commit is being
    /// written, even otherwise; +2 per commit. A snapshot taken between two
    /// equal even readings shows exactly that generation.
    generation: AtomicU64,
    /// Projections built since open, each tagged with the commit generation
    /// it was built at; an entry is used only while no commit followed.
    projections: Mutex<Vec<(u64, ProjectionSpec, Arc<Projection>)>>,
    /// The in-memory vector indexes, derived from the `vectors` CF.
    vectors: crate::vector::Indexes,
    /// Held for writing while a bulk import moves its files in, so that no
    /// snapshot is taken between its first file and its commit.
    ingest_gate: RwLock<()>,
    path: PathBuf,
    closed: bool,
    _lock: File,
}

/// A read transaction: a consistent snapshot of the database as of
/// [`Database::begin_read`]. Later commits do not change what it sees.
/// Reads are through [`GraphRead`].
pub struct ReadTxn<'db> {
    db: &'db Database,
    snapshot: Snapshot<'db>,
    /// The commit generation the snapshot shows, when known exactly.
    generation: Option<u64>,
}

impl Sealed for ReadTxn<'_> {
    fn with_reader<T>(&self, f: impl FnOnce(&Reader<'_>) -> Result<T>) -> Result<T> {
        self.db.reader_with(&self.snapshot, f)
    }

    fn current_projection(
        &self,
        serves: &dyn Fn(&ProjectionSpec) -> bool,
    ) -> Option<Arc<Projection>> {
        let generation = self.generation?;
        let cache = self.db.projections.lock();
        cache
            .iter()
            .find(|(g, s, _)| *g == generation && serves(s))
            .map(|(_, _, p)| Arc::clone(p))
    }
}

impl GraphRead for ReadTxn<'_> {}

fn read_marker(path: &Path) -> Result<u32> {
    let file = path.join(MARKER_FILE);
    let text = fs::read_to_string(&file).map_err(|e| Error::io(&file, e))?;
    let version = text
        .lines()
        .find_map(|l| l.strip_prefix("format "))
        .and_then(|v| v.trim().parse().ok());
    version.ok_or_else(|| Error::NotADatabase {
        path: path.to_owned(),
        reason: format!("{MARKER_FILE} does not name a format version"),
    })
}

fn write_marker(path: &Path) -> Result<()> {
    let tmp = path.join(format!("{MARKER_FILE}.tmp"));
    let dst = path.join(MARKER_FILE);
    let mut f = File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
    writeln!(f, "QuiverDB database\nformat {FORMAT_VERSION}")
        .and_then(|()| f.sync_all())
        .map_err(|e| Error::io(&tmp, e))?;
    fs::rename(&tmp, &dst).map_err(|e| Error::io(&dst, e))?;
    File::open(path)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(path, e))
}

fn lock(path: &Path) -> Result<File> {
    let file = path.join(LOCK_FILE);
    let f = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&file)
        .map_err(|e| Error::io(&file, e))?;
    match f.try_lock() {
        Ok(()) => Ok(f),
        Err(fs::TryLockError::WouldBlock) => Err(Error::Locked {
            path: path.to_owned(),
        }),
        Err(fs::TryLockError::Error(e)) => Err(Error::io(&file, e)),
    }
}

/// What the directory holds before anything is opened.
enum Found {
    /// Nothing (or only our own marker/lock files, from an interrupted
    /// creation): create a database.
    Empty { has_marker: bool },
    /// A marked QuiverDB directory with storage files.
    Database,
}

fn inspect(path: &Path, create: bool) -> Result<Found> {
    match fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if !create {
                return Err(Error::DatabaseNotFound {
                    path: path.to_owned(),
                });
            }
            fs::create_dir_all(path).map_err(|e| Error::io(path, e))?;
            return Ok(Found::Empty { has_marker: false });
        }
        Err(e) => return Err(Error::io(path, e)),
        Ok(m) if !m.is_dir() => {
            return Err(Error::NotADatabase {
                path: path.to_owned(),
                reason: "it is not a directory".into(),
            });
        }
        Ok(_) => {}
    }
    let mut has_marker = false;
    let mut has_current = false;
    let mut foreign = None;
    for entry in fs::read_dir(path).map_err(|e| Error::io(path, e))? {
        let name = entry.map_err(|e| Error::io(path, e))?.file_name();
        match name.to_str() {
            Some(MARKER_FILE) => has_marker = true,
            Some(LOCK_FILE) => {}
            Some("CURRENT") => has_current = true,
            _ => foreign = Some(name),
        }
    }
    if has_marker {
        let version = read_marker(path)?;
        if version > FORMAT_VERSION {
            return Err(Error::UnsupportedFormat {
                path: path.to_owned(),
                found: version,
                supported: FORMAT_VERSION,
            });
        }
        if has_current {
            return Ok(Found::Database);
        }
    } else if has_current || foreign.is_some() {
        let what = foreign.map_or_else(|| "CURRENT".into(), |n| n.to_string_lossy().into_owned());
        return Err(Error::NotADatabase {
            path: path.to_owned(),
            reason: format!("it holds files (such as {what:?}) but no {MARKER_FILE} marker"),
        });
    }
    if !has_marker && !create {
        return Err(Error::DatabaseNotFound {
            path: path.to_owned(),
        });
    }
    Ok(Found::Empty { has_marker })
}

impl Database {
    /// Options for opening a database.
    #[must_use]
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// Opens the database in `path` with default options, creating it if
    /// the directory is missing or empty. See [`Builder::open`].
    pub fn open(path: impl AsRef<Path>) -> Result<Database> {
        Builder::default().open(path)
    }

    fn open_with(path: &Path, opts: &Builder) -> Result<Database> {
        let found = inspect(path, opts.create_if_missing)?;
        let lock = lock(path)?;
        let store_opts = StoreOptions {
            block_cache_bytes: opts.block_cache_bytes,
        };
        let store = match found {
            Found::Empty { has_marker } => {
                if !has_marker {
                    write_marker(path)?;
                }
                let store = Store::open(path, true, &store_opts)?;
                let mut init = Changes::default();
                init.put(Cf::Meta, meta::FORMAT_VERSION, FORMAT_VERSION.to_be_bytes());
                for key in [
                    meta::NEXT_NODE,
                    meta::NEXT_EDGE,
                    meta::NODE_COUNT,
                    meta::EDGE_COUNT,
                ] {
                    init.put(Cf::Meta, key, 0u64.to_be_bytes());
                }
                store.write(&init, true)?;
                store
            }
            Found::Database => {
                let store = Store::open(path, false, &store_opts)?;
                if check_stored_version(&store, path)? < FORMAT_VERSION {
                    // Upgrade in place: Store::open created the new column
                    // families; record the new version (storage, then marker).
                    let mut up = Changes::default();
                    up.put(Cf::Meta, meta::FORMAT_VERSION, FORMAT_VERSION.to_be_bytes());
                    store.write(&up, true)?;
                    write_marker(path)?;
                }
                store
            }
        };
        // A bulk import that did not commit is removed before anything
        // reads the graph.
        crate::import::recover::undo_pending(&store)?;
        crate::import::recover::remove_staging(path);
        let counters = Counters {
            next_node: read_counter(&store, meta::NEXT_NODE)?,
            next_edge: read_counter(&store, meta::NEXT_EDGE)?,
            node_count: read_counter(&store, meta::NODE_COUNT)?,
            edge_count: read_counter(&store, meta::EDGE_COUNT)?,
        };
        let dict = Dictionary::load(&store)?;
        let vectors = crate::vector::Indexes::load(&store, path)?;
        Ok(Database {
            store,
            dict: RwLock::new(dict),
            writer: Mutex::new(counters),
            durability: opts.durability,
            generation: AtomicU64::new(0),
            projections: Mutex::new(Vec::new()),
            vectors,
            ingest_gate: RwLock::new(()),
            path: path.to_owned(),
            closed: false,
            _lock: lock,
        })
    }

    /// The directory this database lives in.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Starts a read transaction on a snapshot of the current state. Never
    /// waits for writers.
    pub fn begin_read(&self) -> Result<ReadTxn<'_>> {
        let (snapshot, generation) = self.snapshot_at();
        Ok(ReadTxn {
            db: self,
            snapshot,
            generation,
        })
    }

    /// A snapshot, with the commit generation it shows when that is known
    /// exactly (no commit was being written meanwhile).
    fn snapshot_at(&self) -> (Snapshot<'_>, Option<u64>) {
        let _gate = self.ingest_gate.read();
        let before = self.generation.load(Ordering::Acquire);
        let snapshot = self.store.snapshot();
        let after = self.generation.load(Ordering::Acquire);
        (
            snapshot,
            (before == after && before.is_multiple_of(2)).then_some(before),
        )
    }

    /// Starts the write transaction, waiting while another one is open.
    /// Do not call it twice on one thread without finishing the first
    /// transaction: that waits forever.
    pub fn begin_write(&self) -> Result<WriteTxn<'_>> {
        WriteTxn::begin(self, self.writer.lock())
    }

    /// A projection of the graph as of now, built on a fresh snapshot in
    /// O(V + E) — or the cached one, if it was built for the same `spec`
    /// and nothing was committed since. The second element says whether it
    /// came from the cache.
    ///
    /// ```
    /// # use quiverdb::{Database, props, algo::ProjectionSpec};
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let db = Database::open(dir.path()).unwrap();
    /// let spec = ProjectionSpec::new().edge_types(["KNOWS"]);
    /// let (p, cached) = db.projection_cached(&spec)?;
    /// assert!(!cached);
    /// assert!(db.projection_cached(&spec)?.1); // nothing committed since
    /// # Ok::<(), quiverdb::Error>(())
    /// ```
    pub fn projection_cached(&self, spec: &ProjectionSpec) -> Result<(Arc<Projection>, bool)> {
        let (snapshot, generation) = self.snapshot_at();
        if let Some(g) = generation {
            let cache = self.projections.lock();
            if let Some((_, _, p)) = cache.iter().find(|(cg, s, _)| *cg == g && s == spec) {
                return Ok((Arc::clone(p), true));
            }
        }
        let p = Arc::new(self.reader_with(&snapshot, |r| Projection::build(r, spec))?);
        // Cache it only when it is known to show one exact generation.
        if let Some(g) = generation {
            let mut cache = self.projections.lock();
            cache.retain(|(cg, _, _)| *cg == g);
            if cache.len() >= MAX_CACHED_PROJECTIONS {
                cache.remove(0);
            }
            cache.push((g, spec.clone(), Arc::clone(&p)));
        }
        Ok((p, false))
    }

    /// [`projection_cached`](Self::projection_cached) without the flag.
    pub fn projection(&self, spec: &ProjectionSpec) -> Result<Arc<Projection>> {
        Ok(self.projection_cached(spec)?.0)
    }

    /// Searches the vector collection `name` for the points nearest to
    /// `query`. The index reflects every commit that has returned.
    ///
    /// ```
    /// # use quiverdb::{Database, props, vector::{CollectionConfig, Metric, Search}};
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let db = Database::open(dir.path()).unwrap();
    /// let mut w = db.begin_write()?;
    /// w.create_collection("docs", CollectionConfig::new(3, Metric::Cosine))?;
    /// w.upsert_vector("docs", 1, &[1.0, 0.0, 0.0], props! {"title" => "x"})?;
    /// w.upsert_vector("docs", 2, &[0.0, 1.0, 0.0], props! {})?;
    /// w.commit()?;
    /// let found = db.search("docs", &[0.9, 0.1, 0.0], &Search::k(1))?;
    /// assert_eq!(found.hits[0].key, 1);
    /// assert!(found.exact); // a small collection is searched exactly
    /// # Ok::<(), quiverdb::Error>(())
    /// ```
    pub fn search(
        &self,
        name: &str,
        query: &[f32],
        params: &crate::vector::Search,
    ) -> Result<crate::vector::SearchResult> {
        let rec = self.collection_record(name)?;
        let index = self
            .vectors
            .get(rec.id)
            .ok_or_else(|| Error::CollectionNotFound(name.to_owned()))?;
        let mut params = params.clone();
        if params.label.is_some() || params.payload.is_some() {
            let admitted = self.admitted_keys(name, &rec, &params)?;
            params.keys = Some(match params.keys.take() {
                Some(keys) => keys
                    .into_iter()
                    .filter(|k| admitted.binary_search(k).is_ok())
                    .collect(),
                None => admitted,
            });
        }
        let index = index.read();
        index.search(query, &params)
    }

    /// The keys a label and/or payload filter admits, sorted.
    fn admitted_keys(
        &self,
        name: &str,
        rec: &crate::vector::record::CollectionRecord,
        params: &crate::vector::Search,
    ) -> Result<Vec<u64>> {
        let snapshot = self.store.snapshot();
        let mut keys: Option<Vec<u64>> = None;
        if let Some(label) = &params.label {
            if !rec.config.bound_to_nodes {
                return Err(Error::invalid(format!(
                    "collection {name:?} is not bound to nodes: it cannot be filtered by label"
                )));
            }
            let nodes = self.reader_with(&snapshot, |r| r.nodes_with_label(label))?;
            keys = Some(nodes.into_iter().map(|n| n.0).collect());
        }
        if let Some(filter) = &params.payload {
            let mut admitted = Vec::new();
            snapshot.scan(Cf::Vectors, &rec.id.to_be_bytes(), &mut |_, v| {
                let p = crate::vector::record::decode_point(v, rec.config.dim)?;
                if (filter.0)(&p.payload) {
                    admitted.push(p.key);
                }
                Ok(true)
            })?;
            admitted.sort_unstable();
            keys = Some(match keys {
                Some(k) => k
                    .into_iter()
                    .filter(|x| admitted.binary_search(x).is_ok())
                    .collect(),
                None => admitted,
            });
        }
        let mut keys = keys.unwrap_or_default();
        keys.sort_unstable();
        Ok(keys)
    }

    /// Compacts the HNSW graph of collection `name`: for the native engine,
    /// reconnects the neighbours of deleted and updated points in place so
    /// no walk passes through them; for `hnsw_rs`, rebuilds the graph from
    /// the live points. A full rebuild also happens by itself once a
    /// quarter of the graph's points are deleted (both engines).
    pub fn compact_collection(&self, name: &str) -> Result<()> {
        let rec = self.collection_record(name)?;
        self.vectors.compact(rec.id);
        Ok(())
    }

    /// [`search`](Self::search), always by brute force (exact).
    pub fn search_exact(
        &self,
        name: &str,
        query: &[f32],
        params: &crate::vector::Search,
    ) -> Result<crate::vector::SearchResult> {
        self.search(name, query, &params.clone().exact())
    }

    fn collection_record(&self, name: &str) -> Result<crate::vector::record::CollectionRecord> {
        match self.store.get(Cf::Collections, name.as_bytes())? {
            Some(b) => crate::vector::record::CollectionRecord::decode(&b),
            None => Err(Error::CollectionNotFound(name.to_owned())),
        }
    }

    /// Live points in collection `id`'s in-memory index.
    pub(crate) fn indexed_points(&self, id: u32) -> Option<usize> {
        self.vectors.get(id).map(|index| index.read().len())
    }

    pub(crate) fn apply_vector_ops(&self, ops: Vec<crate::vector::VectorOp>) {
        if !ops.is_empty() {
            self.vectors.apply(ops);
        }
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

    /// Total size of the database files on disk, in bytes.
    pub fn disk_usage(&self) -> Result<u64> {
        self.store.disk_usage()
    }

    /// Flushes everything to disk and closes the database, reporting any
    /// error (dropping the handle closes it too, but silently).
    pub fn close(mut self) -> Result<()> {
        self.closed = true;
        self.vectors.checkpoint()?;
        self.store.flush()
    }

    /// Writes a checkpoint of every vector index that changed since its
    /// last one, so the next open loads it instead of rebuilding (points
    /// written after a checkpoint are replayed from storage at open). Close
    /// and drop do this too.
    pub fn checkpoint(&self) -> Result<()> {
        self.vectors.checkpoint()
    }

    /// How the index of vector collection `name` stands: sizes, whether it
    /// was loaded from a checkpoint (or why it was rebuilt), and whether it
    /// changed since its last checkpoint.
    pub fn vector_index_info(&self, name: &str) -> Result<crate::vector::IndexInfo> {
        let rec = self.collection_record(name)?;
        self.vectors
            .info(rec.id)
            .ok_or_else(|| Error::CollectionNotFound(name.to_owned()))
    }

    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    pub(crate) fn ingest_gate(&self) -> &RwLock<()> {
        &self.ingest_gate
    }

    pub(crate) fn dict(&self) -> &RwLock<Dictionary> {
        &self.dict
    }

    pub(crate) fn durability(&self) -> Durability {
        self.durability
    }

    /// Runs a commit's storage write inside the generation sequence lock,
    /// so no snapshot taken meanwhile is tagged with a generation it does
    /// not show.
    pub(crate) fn write_commit(&self, write: impl FnOnce() -> Result<()>) -> Result<()> {
        self.generation.fetch_add(1, Ordering::AcqRel);
        let result = write();
        self.generation.fetch_add(1, Ordering::AcqRel);
        result
    }

    pub(crate) fn reader_with<T>(
        &self,
        kv: &dyn KvRead,
        f: impl FnOnce(&Reader<'_>) -> Result<T>,
    ) -> Result<T> {
        f(&Reader {
            kv,
            names: &self.dict,
        })
    }
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
            let _ = self.vectors.checkpoint();
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
        fs::write(
            path.join(MARKER_FILE),
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
            read_marker(path).unwrap(),
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
