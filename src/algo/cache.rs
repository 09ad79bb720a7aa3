//! Projections kept between queries: each tagged with the commit
//! generation it shows and used only by snapshots of that generation.

use std::any::Any;
use std::sync::Arc;

use parking_lot::Mutex;

use super::projection::Csr;
use super::{Path, PathQuery, Projection, ProjectionSpec, stored};
use crate::NodeId;
use crate::error::Result;
use crate::graph::read::Reader;
use crate::graph::sealed::Sealed;
use crate::txn::{Database, Extension, LoadedAdjacency, ReadTxn, WriteTxn};

/// How many projections (of different specs) stay cached at once.
const MAX_CACHED: usize = 4;

/// The projection cache: a model with no stored data and no transaction
/// part, registered by the assembly. Its checkpoint writes the current
/// projections to disk (`stored.rs`) for the next process.
pub(crate) struct ProjectionCache {
    entries: Mutex<Vec<Entry>>,
    /// Projections of at least this many edges are written at checkpoint;
    /// `None`: none are written or read.
    stored_min_edges: Option<u64>,
}

/// One cached projection.
struct Entry {
    /// The commit generation and the storage sequence number it shows.
    generation: u64,
    sequence: u64,
    spec: ProjectionSpec,
    projection: Arc<Projection>,
    /// Already on disk (read from there, or written).
    on_disk: bool,
}

impl Extension for ProjectionCache {
    fn flush(&self, db: &Database) -> Result<()> {
        self.store(db);
        Ok(())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl ProjectionCache {
    pub(crate) fn new(stored_min_edges: Option<u64>) -> ProjectionCache {
        ProjectionCache {
            entries: Mutex::new(Vec::new()),
            stored_min_edges,
        }
    }

    /// A cached projection of generation `generation` that `serves`
    /// accepts.
    fn find(
        &self,
        generation: u64,
        serves: &dyn Fn(&ProjectionSpec) -> bool,
    ) -> Option<Arc<Projection>> {
        self.entries
            .lock()
            .iter()
            .find(|e| e.generation == generation && serves(&e.spec))
            .map(|e| Arc::clone(&e.projection))
    }

    /// The projection of `r`'s snapshot under `spec`: cached, else read
    /// from its stored file, else built (and cached either way). The flag
    /// says whether it was cached.
    fn get(&self, r: &ReadTxn<'_>, spec: &ProjectionSpec) -> Result<(Arc<Projection>, bool)> {
        if let Some(p) = self.find(r.generation(), &|s| s == spec) {
            return Ok((p, true));
        }
        let stored = self
            .stored_min_edges
            .and_then(|_| stored::load(r.db().path(), spec, r.sequence()));
        let on_disk = stored.is_some();
        let p = Arc::new(match stored {
            Some(p) => p,
            None => Projection::build(&r.reader(), spec)?,
        });
        self.keep(r, spec.clone(), Arc::clone(&p), on_disk);
        Ok((p, false))
    }

    /// Keeps `p`, of `spec` and showing the snapshot of `r` (`on_disk`:
    /// already stored), in place of entries of older generations or of the
    /// same spec, the oldest going when the cache is full.
    fn keep(&self, r: &ReadTxn<'_>, spec: ProjectionSpec, p: Arc<Projection>, on_disk: bool) {
        let mut entries = self.entries.lock();
        entries.retain(|e| e.generation == r.generation() && e.spec != spec);
        if entries.len() >= MAX_CACHED {
            entries.remove(0);
        }
        entries.push(Entry {
            generation: r.generation(),
            sequence: r.sequence(),
            spec,
            projection: p,
            on_disk,
        });
    }

    /// Writes the cached projections of the current state that are large
    /// enough and not yet on disk. Best effort: a projection that cannot
    /// be written (a full disk) is built again by the next process.
    fn store(&self, db: &Database) {
        let Some(min_edges) = self.stored_min_edges else {
            return;
        };
        let Ok(now) = db.begin_read() else {
            return;
        };
        let sequence = now.sequence();
        drop(now);
        let pending: Vec<(ProjectionSpec, Arc<Projection>)> = self
            .entries
            .lock()
            .iter()
            .filter(|e| {
                !e.on_disk
                    && e.sequence == sequence
                    && e.projection.edge_count() as u64 >= min_edges
            })
            .map(|e| (e.spec.clone(), Arc::clone(&e.projection)))
            .collect();
        // The state the files are stamped with must survive a crash, or
        // its sequence number could come back naming other data.
        if pending.is_empty() || db.store().sync_wal().is_err() {
            return;
        }
        for (spec, p) in pending {
            if stored::write(db.path(), &spec, sequence, &p).is_ok() {
                for e in self.entries.lock().iter_mut() {
                    if e.sequence == sequence && e.spec == spec {
                        e.on_disk = true;
                    }
                }
            }
        }
    }
}

/// Takes the adjacency a bulk load wrote into an empty graph as the
/// default projection ([`ProjectionSpec::new`]) of the state it committed,
/// if no other commit came since: the first whole-graph kernel after an
/// import then scans nothing, and the next checkpoint or close stores it
/// for later processes.
pub(crate) fn adjacency_loaded(db: &Database, loaded: LoadedAdjacency) {
    let Ok(r) = db.begin_read() else {
        return;
    };
    let nodes = loaded.offsets.len().saturating_sub(1) as u64;
    if r.sequence() != loaded.sequence || loaded.first_id.checked_add(nodes).is_none() {
        return;
    }
    let ids = (loaded.first_id..loaded.first_id + nodes)
        .map(NodeId)
        .collect();
    let out = Csr {
        offsets: loaded.offsets,
        targets: loaded.targets,
        weights: Vec::new(),
    };
    let p = Projection::from_parts(ids, out, false, loaded.undirected, false);
    db.extension::<ProjectionCache>()
        .keep(&r, ProjectionSpec::new(), Arc::new(p), false);
}

impl Database {
    /// A projection of the graph as of now, built on a fresh snapshot in
    /// O(V + E) — or the cached one, if it was built for the same `spec`
    /// and nothing was committed since. The second element says whether it
    /// came from the cache.
    ///
    /// Large projections (at least 65,536 edges unless
    /// [`Builder::stored_projections`](crate::Builder::stored_projections)
    /// says otherwise) are also written to the database directory at
    /// [`checkpoint`](Database::checkpoint), close and drop; the next
    /// process that asks for the same projection before anything is
    /// committed reads that file instead of scanning the graph
    /// ([`Projection::from_file`]).
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
        self.extension::<ProjectionCache>()
            .get(&self.begin_read()?, spec)
    }

    /// [`projection_cached`](Self::projection_cached) without the flag.
    pub fn projection(&self, spec: &ProjectionSpec) -> Result<Arc<Projection>> {
        Ok(self.projection_cached(spec)?.0)
    }
}

/// Shortest paths and projections on a transaction's view: see
/// [`ReadTxn::shortest_path`].
fn shortest_path(
    r: &Reader<'_>,
    memory: Option<&Projection>,
    from: NodeId,
    to: NodeId,
    query: &PathQuery,
) -> Result<Option<Path>> {
    super::path::shortest_path(r, from, to, query, memory)
}

impl ReadTxn<'_> {
    /// The projection of this snapshot under `spec`: the cached one, or
    /// one read from disk or built now, and cached (until the next commit
    /// makes it stale).
    pub(crate) fn projection_of_snapshot(&self, spec: &ProjectionSpec) -> Result<Arc<Projection>> {
        Ok(self.db().extension::<ProjectionCache>().get(self, spec)?.0)
    }

    /// A shortest path from `from` to `to` under path query `q`, or `None`
    /// when `to` is unreachable (or farther than the query's `max_depth`).
    ///
    /// Runs on this snapshot. When the database holds a cached
    /// [`Projection`] that shows exactly this snapshot and matches the
    /// query (all nodes, the same edge types, and for a weighted query the
    /// same weight), the search runs on it in memory and only the path's
    /// edges are read from storage; otherwise it reads the adjacency
    /// column families directly — no projection is ever built for it.
    /// Unweighted: bidirectional BFS, O(b^(d/2)) adjacency scans for
    /// branching factor b and distance d. Weighted: bidirectional Dijkstra,
    /// O((V' + E') log V') over the V' nodes and E' edges it settles. Fails
    /// with `NodeNotFound` for an unknown endpoint and `InvalidArgument`
    /// for a negative or missing weight met on the way.
    ///
    /// ```
    /// # use quiverdb::{Database, GraphRead, props, algo::PathQuery};
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let db = Database::open(dir.path()).unwrap();
    /// let mut w = db.begin_write()?;
    /// let n: Vec<_> = (0..3).map(|_| w.add_node(&[], props! {})).collect::<Result<_, _>>()?;
    /// w.add_edge(n[0], n[1], "ROAD", props! {"km" => 5.0})?;
    /// w.add_edge(n[1], n[2], "ROAD", props! {"km" => 5.0})?;
    /// let direct = w.add_edge(n[0], n[2], "ROAD", props! {"km" => 20.0})?;
    /// w.commit()?;
    /// let r = db.begin_read()?;
    /// let hops = r.shortest_path(n[0], n[2], &PathQuery::new())?.unwrap();
    /// assert_eq!(hops.edges, vec![direct]);
    /// let km = r.shortest_path(n[0], n[2], &PathQuery::new().weight("km"))?.unwrap();
    /// assert_eq!((km.nodes, km.cost), (n.clone(), 10.0));
    /// # Ok::<(), quiverdb::Error>(())
    /// ```
    pub fn shortest_path(&self, from: NodeId, to: NodeId, q: &PathQuery) -> Result<Option<Path>> {
        let memory = self
            .db()
            .extension::<ProjectionCache>()
            .find(self.generation(), &|spec| q.served_by(spec));
        shortest_path(&self.reader(), memory.as_deref(), from, to, q)
    }

    /// Builds a [`Projection`] of this snapshot, in O(V + E).
    /// [`Database::projection`] does the same on a fresh snapshot and
    /// caches the result.
    pub fn project(&self, spec: &ProjectionSpec) -> Result<Projection> {
        Projection::build(&self.reader(), spec)
    }
}

impl WriteTxn<'_> {
    /// [`ReadTxn::shortest_path`] on this transaction's view (its own
    /// changes included); always reads storage.
    pub fn shortest_path(&self, from: NodeId, to: NodeId, q: &PathQuery) -> Result<Option<Path>> {
        shortest_path(&self.reader(), None, from, to, q)
    }

    /// Builds a [`Projection`] of this transaction's view, in O(V + E).
    pub fn project(&self, spec: &ProjectionSpec) -> Result<Projection> {
        Projection::build(&self.reader(), spec)
    }
}
