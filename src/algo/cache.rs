//! Projections kept between queries: each tagged with the commit
//! generation it shows and used only by snapshots of that generation.

use std::any::Any;
use std::sync::Arc;

use parking_lot::Mutex;

use super::{Path, PathQuery, Projection, ProjectionSpec};
use crate::NodeId;
use crate::error::Result;
use crate::graph::read::Reader;
use crate::graph::sealed::Sealed;
use crate::txn::{Database, Extension, ReadTxn, WriteTxn};

/// How many projections (of different specs) stay cached at once.
const MAX_CACHED: usize = 4;

/// The projection cache: a model with no stored data and no transaction
/// part, registered by the assembly.
#[derive(Default)]
pub(crate) struct ProjectionCache {
    /// `(generation, spec, projection)`, oldest first.
    entries: Mutex<Vec<(u64, ProjectionSpec, Arc<Projection>)>>,
}

impl Extension for ProjectionCache {
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl ProjectionCache {
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
            .find(|(g, s, _)| *g == generation && serves(s))
            .map(|(_, _, p)| Arc::clone(p))
    }

    fn keep(&self, generation: u64, spec: &ProjectionSpec, p: &Arc<Projection>) {
        let mut entries = self.entries.lock();
        entries.retain(|(g, _, _)| *g == generation);
        if entries.len() >= MAX_CACHED {
            entries.remove(0);
        }
        entries.push((generation, spec.clone(), Arc::clone(p)));
    }
}

impl Database {
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
        let r = self.begin_read()?;
        let cache = self.extension::<ProjectionCache>();
        if let Some(p) = cache.find(r.generation(), &|s| s == spec) {
            return Ok((p, true));
        }
        let p = Arc::new(Projection::build(&r.reader(), spec)?);
        cache.keep(r.generation(), spec, &p);
        Ok((p, false))
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
    /// one built now and cached (until the next commit makes it stale).
    pub(crate) fn projection_of_snapshot(&self, spec: &ProjectionSpec) -> Result<Arc<Projection>> {
        let cache = self.db().extension::<ProjectionCache>();
        if let Some(p) = cache.find(self.generation(), &|s| s == spec) {
            return Ok(p);
        }
        let p = Arc::new(Projection::build(&self.reader(), spec)?);
        cache.keep(self.generation(), spec, &p);
        Ok(p)
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
