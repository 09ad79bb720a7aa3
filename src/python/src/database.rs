//! `quiverdb.Database` and its transactions.
//!
//! A Python object cannot hold a borrow, so a transaction keeps its own
//! reference to the database next to the library's transaction, which
//! borrows it (`self_cell`). Every call that touches storage, the index,
//! Cypher or the embedder runs with the GIL released, after its inputs are
//! converted; the transaction's own lock is taken only while released, so
//! a thread waiting for it never holds the GIL.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use parking_lot::{Mutex, RwLock};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use quiverdb::query::{Params, QueryOptions};
use quiverdb::{Database as Db, Durability, GraphRead, NodeId, ReadTxn, WriteTxn};

use crate::error::{Failure, Res, invalid_err};
use crate::result::QueryResult;
use crate::values::{props, props_to_py};

/// The open database that the `Database` object and its transactions
/// share. It closes when the last of them lets go of it.
pub(crate) struct Shared {
    db: Option<Db>,
    /// The process that opened it: a forked child must not use it, nor
    /// close it (that would write the parent's files from two processes).
    pid: u32,
    /// `Database.close()` was called: every object refuses further calls.
    closed: AtomicBool,
}

impl Shared {
    pub(crate) fn db(&self) -> &Db {
        match &self.db {
            Some(db) => db,
            None => unreachable!("the database is taken only when the last holder drops it"),
        }
    }

    /// Refuses a call on a closed database or in a forked child.
    pub(crate) fn check(&self) -> Res<()> {
        if std::process::id() != self.pid {
            return Err(Failure::Own(
                "ForkedProcessError",
                "this database was opened in a parent process before fork(); open it in this \
                 process instead (multiprocessing: use the 'spawn' start method)"
                    .to_owned(),
            ));
        }
        if self.closed.load(Ordering::Acquire) {
            return Err(closed());
        }
        Ok(())
    }

    pub(crate) fn forked(&self) -> bool {
        std::process::id() != self.pid
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        if self.forked() {
            // The parent owns the files and RocksDB's threads: leave them.
            std::mem::forget(self.db.take());
        }
    }
}

fn closed() -> Failure {
    Failure::Own("DatabaseClosedError", "the database is closed".to_owned())
}

pub(crate) fn options(timeout: Option<f64>) -> PyResult<QueryOptions> {
    match timeout {
        None => Ok(QueryOptions::default()),
        Some(t) if t.is_finite() && t > 0.0 => {
            Ok(QueryOptions::timeout(Duration::from_secs_f64(t)))
        }
        Some(t) => Err(invalid_err(format!(
            "timeout must be a positive number of seconds, not {t}"
        ))),
    }
}

/// An embedded QuiverDB database on one directory.
///
/// `Database(path)` opens it (creating it when the directory is empty or
/// missing); use it as a context manager, or call `close()`. Every object
/// it hands out refuses calls once it is closed; results already returned
/// stay valid (they hold their own values).
#[pyclass(module = "quiverdb", frozen)]
pub(crate) struct Database {
    inner: RwLock<Option<Arc<Shared>>>,
    path: String,
}

impl Database {
    pub(crate) fn shared(&self) -> Res<Arc<Shared>> {
        let shared = self.inner.read().clone().ok_or_else(closed)?;
        shared.check()?;
        Ok(shared)
    }
}

#[pymethods]
impl Database {
    /// Opens the database at `path`.
    ///
    /// `create`: create it when missing (default true). `durability`:
    /// `"immediate"` (each commit is fsynced, the default) or `"buffered"`
    /// (survives a crash of the process, not of the machine).
    /// `cache_mb`: RocksDB's block cache. `import_dir`: the directory
    /// Cypher's `LOAD CSV` reads `file:///` URLs from (none: refused).
    #[new]
    #[pyo3(signature = (path, *, create = true, durability = "immediate", cache_mb = None, import_dir = None))]
    fn new(
        py: Python<'_>,
        path: std::path::PathBuf,
        create: bool,
        durability: &str,
        cache_mb: Option<usize>,
        import_dir: Option<std::path::PathBuf>,
    ) -> PyResult<Database> {
        let durability = match durability {
            "immediate" => Durability::Immediate,
            "buffered" => Durability::Buffered,
            other => {
                return Err(invalid_err(format!(
                    "durability must be 'immediate' or 'buffered', not {other:?}"
                )));
            }
        };
        let mut builder = Db::builder()
            .create_if_missing(create)
            .durability(durability)
            .import_dir(import_dir);
        if let Some(mb) = cache_mb {
            builder = builder.block_cache_bytes(mb << 20);
        }
        let shown = path.display().to_string();
        let db = py.detach(|| builder.open(&path)).map_err(Failure::from)?;
        Ok(Database {
            inner: RwLock::new(Some(Arc::new(Shared {
                db: Some(db),
                pid: std::process::id(),
                closed: AtomicBool::new(false),
            }))),
            path: shown,
        })
    }

    /// The directory.
    #[getter]
    fn path(&self) -> &str {
        &self.path
    }

    /// Whether `close()` has been called.
    #[getter]
    fn closed(&self) -> bool {
        self.inner.read().is_none()
    }

    /// Closes the database: checkpoints the vector indexes and releases the
    /// directory. Calls on it, and on transactions still open, raise
    /// `DatabaseClosedError` from now on; a transaction object still alive
    /// keeps the directory until it is released. Closing twice is allowed.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let Some(shared) = self.inner.write().take() else {
            return Ok(());
        };
        shared.closed.store(true, Ordering::Release);
        if shared.forked() {
            return Ok(());
        }
        if let Ok(mut only) = Arc::try_unwrap(shared)
            && let Some(db) = only.db.take()
        {
            py.detach(|| db.close()).map_err(Failure::from)?;
        }
        Ok(())
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, PyTuple>) -> PyResult<bool> {
        self.close(py)?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        let state = if self.closed() { "closed" } else { "open" };
        format!("Database({:?}, {state})", self.path)
    }

    /// Runs one Cypher statement in a transaction of its own (committed when
    /// it writes and succeeds) and returns its rows.
    #[pyo3(signature = (cypher, parameters = None, *, timeout = None))]
    fn execute(
        &self,
        py: Python<'_>,
        cypher: &str,
        parameters: Option<&Bound<'_, PyDict>>,
        timeout: Option<f64>,
    ) -> PyResult<QueryResult> {
        let params = crate::values::params(parameters)?;
        let opts = options(timeout)?;
        let shared = self.shared()?;
        let result = py
            .detach(|| shared.db().execute_with(cypher, &params, &opts))
            .map_err(Failure::from)?;
        Ok(QueryResult::new(result))
    }

    /// A read transaction: a snapshot of the database as of now. Use it as
    /// a context manager (`with db.read() as snap:`) or call `close()`.
    fn read(&self, py: Python<'_>) -> PyResult<ReadTransaction> {
        let shared = self.shared()?;
        let cell = py
            .detach(|| ReadCell::try_new(shared, |s| s.db().begin_read().map(Some)))
            .map_err(Failure::from)?;
        Ok(ReadTransaction {
            cell: RwLock::new(Some(cell)),
        })
    }

    /// A write transaction (one at a time: this waits for the one open).
    /// As a context manager it commits when the block ends normally and
    /// rolls back when it raises.
    fn write(&self, py: Python<'_>) -> PyResult<WriteTransaction> {
        let shared = self.shared()?;
        let cell = py
            .detach(|| WriteCell::try_new(shared, |s| s.db().begin_write().map(Some)))
            .map_err(Failure::from)?;
        Ok(WriteTransaction {
            cell: Mutex::new(Some(cell)),
        })
    }

    /// Flushes buffered commits to disk (`durability="buffered"`).
    fn sync(&self, py: Python<'_>) -> PyResult<()> {
        let shared = self.shared()?;
        Ok(py.detach(|| shared.db().sync()).map_err(Failure::from)?)
    }

    /// Writes the vector indexes' checkpoints now (close does it too).
    fn checkpoint(&self, py: Python<'_>) -> PyResult<()> {
        let shared = self.shared()?;
        Ok(py
            .detach(|| shared.db().checkpoint())
            .map_err(Failure::from)?)
    }

    /// Verifies every on-disk invariant (graph records, indexes, adjacency,
    /// vector points): `{"ok", "nodes", "edges", "points", "problems"}`.
    fn check<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let shared = self.shared()?;
        let report = py.detach(|| shared.db().check()).map_err(Failure::from)?;
        let d = PyDict::new(py);
        d.set_item("ok", report.is_ok())?;
        d.set_item("nodes", report.nodes)?;
        d.set_item("edges", report.edges)?;
        d.set_item("points", report.points)?;
        d.set_item("problems", report.problems.clone())?;
        Ok(d)
    }

    /// Bytes the database takes on disk.
    fn disk_usage(&self, py: Python<'_>) -> PyResult<u64> {
        let shared = self.shared()?;
        Ok(py
            .detach(|| shared.db().disk_usage())
            .map_err(Failure::from)?)
    }
}

type ReadDep<'a> = Option<ReadTxn<'a>>;
type WriteDep<'a> = Option<WriteTxn<'a>>;

self_cell::self_cell!(
    pub(crate) struct ReadCell {
        owner: Arc<Shared>,
        #[covariant]
        dependent: ReadDep,
    }
);

self_cell::self_cell!(
    pub(crate) struct WriteCell {
        owner: Arc<Shared>,
        #[covariant]
        dependent: WriteDep,
    }
);

/// A snapshot of the database: every read through it sees the database as
/// it was when the transaction began. Safe to share between threads.
#[pyclass(module = "quiverdb", frozen)]
pub(crate) struct ReadTransaction {
    /// None once closed: the snapshot and the database reference go then.
    cell: RwLock<Option<ReadCell>>,
}

impl ReadTransaction {
    /// Runs `f` on the snapshot with the GIL released.
    pub(crate) fn with<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&ReadTxn<'_>) -> Res<T> + Send,
    ) -> PyResult<T> {
        Ok(py.detach(|| {
            let cell = self.cell.read();
            let cell = cell.as_ref().ok_or_else(txn_closed)?;
            cell.borrow_owner().check()?;
            match cell.borrow_dependent() {
                Some(txn) => f(txn),
                None => Err(txn_closed()),
            }
        })?)
    }
}

impl Drop for ReadTransaction {
    fn drop(&mut self) {
        drop_outside_fork(self.cell.get_mut().take());
    }
}

/// Drops an ended transaction's cell, except in a forked child, where the
/// parent's snapshot or lock must not be touched.
pub(crate) fn drop_outside_fork<C>(cell: Option<C>)
where
    C: Owned,
{
    if let Some(c) = cell
        && c.owner().forked()
    {
        std::mem::forget(c);
    }
}

/// A transaction cell's database.
pub(crate) trait Owned {
    fn owner(&self) -> &Shared;
}

impl Owned for ReadCell {
    fn owner(&self) -> &Shared {
        self.borrow_owner()
    }
}

impl Owned for WriteCell {
    fn owner(&self) -> &Shared {
        self.borrow_owner()
    }
}

pub(crate) fn txn_closed() -> Failure {
    Failure::Own(
        "TransactionClosedError",
        "the transaction has ended (committed, rolled back or closed)".to_owned(),
    )
}

#[pymethods]
impl ReadTransaction {
    /// Runs a read-only Cypher statement on the snapshot.
    #[pyo3(signature = (cypher, parameters = None, *, timeout = None))]
    fn execute(
        &self,
        py: Python<'_>,
        cypher: &str,
        parameters: Option<&Bound<'_, PyDict>>,
        timeout: Option<f64>,
    ) -> PyResult<QueryResult> {
        let params: Params = crate::values::params(parameters)?;
        let opts = options(timeout)?;
        let result = self.with(py, |txn| Ok(txn.query_with(cypher, &params, &opts)?))?;
        Ok(QueryResult::new(result))
    }

    /// A node's labels and properties as `(labels, properties)`, or None.
    fn node<'py>(
        &self,
        py: Python<'py>,
        id: u64,
    ) -> PyResult<Option<(Vec<String>, Bound<'py, PyDict>)>> {
        let node = self.with(py, |txn| Ok(txn.node(NodeId(id))?))?;
        node.map(|n| Ok((n.labels, props_to_py(py, &n.props)?)))
            .transpose()
    }

    /// Ends the snapshot (a context manager's exit does it).
    fn close(&self, py: Python<'_>) {
        let cell = py.detach(|| self.cell.write().take());
        drop_outside_fork(cell);
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, PyTuple>) -> bool {
        self.close(py);
        false
    }
}

/// A write transaction: its writes are seen by its own reads and become
/// visible to others, atomically, at `commit()`. One is open at a time.
#[pyclass(module = "quiverdb", frozen)]
pub(crate) struct WriteTransaction {
    /// None once ended: the writer lock and the database reference go then.
    cell: Mutex<Option<WriteCell>>,
}

impl WriteTransaction {
    /// Runs `f` on the transaction with the GIL released.
    pub(crate) fn with<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut WriteTxn<'_>) -> Res<T> + Send,
    ) -> PyResult<T> {
        Ok(py.detach(|| {
            let mut cell = self.cell.lock();
            let cell = cell.as_mut().ok_or_else(txn_closed)?;
            cell.borrow_owner().check()?;
            cell.with_dependent_mut(|_, txn| match txn {
                Some(txn) => f(txn),
                None => Err(txn_closed()),
            })
        })?)
    }
}

impl Drop for WriteTransaction {
    fn drop(&mut self) {
        drop_outside_fork(self.cell.get_mut().take());
    }
}

#[pymethods]
impl WriteTransaction {
    /// Runs a Cypher statement in this transaction. A statement that fails
    /// leaves the transaction as it was before it.
    #[pyo3(signature = (cypher, parameters = None, *, timeout = None))]
    fn execute(
        &self,
        py: Python<'_>,
        cypher: &str,
        parameters: Option<&Bound<'_, PyDict>>,
        timeout: Option<f64>,
    ) -> PyResult<QueryResult> {
        let params = crate::values::params(parameters)?;
        let opts = options(timeout)?;
        let result = self.with(py, |txn| Ok(txn.query_with(cypher, &params, &opts)?))?;
        Ok(QueryResult::new(result))
    }

    /// Adds a node; returns its id.
    #[pyo3(signature = (labels, properties = None))]
    fn add_node(
        &self,
        py: Python<'_>,
        labels: Vec<String>,
        properties: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<u64> {
        let props = props(properties)?;
        self.with(py, |txn| {
            let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
            Ok(txn.add_node(&labels, props)?.0)
        })
    }

    /// Adds a relationship `start -[type]-> end`; returns its id.
    #[pyo3(signature = (start, end, r#type, properties = None))]
    fn add_edge(
        &self,
        py: Python<'_>,
        start: u64,
        end: u64,
        r#type: &str,
        properties: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<u64> {
        let props = props(properties)?;
        self.with(py, |txn| {
            Ok(txn.add_edge(NodeId(start), NodeId(end), r#type, props)?.0)
        })
    }

    /// Adds one node per entry of `properties` (dicts, or None), each with
    /// `labels`; returns their ids as a NumPy array.
    #[pyo3(signature = (labels, properties))]
    fn add_nodes<'py>(
        &self,
        py: Python<'py>,
        labels: Vec<String>,
        properties: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, numpy::PyArray1<u64>>> {
        let all = properties
            .try_iter()?
            .map(|p| props(Some(&p?)))
            .collect::<PyResult<Vec<_>>>()?;
        let ids = self.with(py, |txn| {
            let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
            all.into_iter()
                .map(|p| Ok(txn.add_node(&labels, p)?.0))
                .collect::<Res<Vec<u64>>>()
        })?;
        Ok(numpy::PyArray1::from_vec(py, ids))
    }

    /// Adds relationships `starts[i] -[type]-> ends[i]` (node ids; NumPy
    /// arrays or lists) with `properties[i]` (dicts, or None for none);
    /// returns their ids. An unknown node fails the call before it adds
    /// any.
    #[pyo3(signature = (starts, ends, r#type, properties = None))]
    fn add_edges<'py>(
        &self,
        py: Python<'py>,
        starts: Vec<u64>,
        ends: Vec<u64>,
        r#type: &str,
        properties: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, numpy::PyArray1<u64>>> {
        if starts.len() != ends.len() {
            return Err(invalid_err(format!(
                "{} starts for {} ends",
                starts.len(),
                ends.len()
            )));
        }
        let all = match properties.filter(|p| !p.is_none()) {
            None => vec![quiverdb::Props::new(); starts.len()],
            Some(ps) => ps
                .try_iter()?
                .map(|p| props(Some(&p?)))
                .collect::<PyResult<Vec<_>>>()?,
        };
        if all.len() != starts.len() {
            return Err(invalid_err(format!(
                "{} property dicts for {} relationships",
                all.len(),
                starts.len()
            )));
        }
        let ids = self.with(py, |txn| {
            // Every end checked first, so an unknown node adds nothing.
            let mut ends_seen: Vec<u64> = starts.iter().chain(&ends).copied().collect();
            ends_seen.sort_unstable();
            ends_seen.dedup();
            for &n in &ends_seen {
                if !txn.contains_node(NodeId(n))? {
                    return Err(quiverdb::Error::NodeNotFound(NodeId(n)).into());
                }
            }
            starts
                .iter()
                .zip(&ends)
                .zip(all)
                .map(|((&a, &b), p)| Ok(txn.add_edge(NodeId(a), NodeId(b), r#type, p)?.0))
                .collect::<Res<Vec<u64>>>()
        })?;
        Ok(numpy::PyArray1::from_vec(py, ids))
    }

    /// A node's labels and properties as `(labels, properties)`, or None
    /// (this transaction's writes included).
    fn node<'py>(
        &self,
        py: Python<'py>,
        id: u64,
    ) -> PyResult<Option<(Vec<String>, Bound<'py, PyDict>)>> {
        let node = self.with(py, |txn| Ok(txn.node(NodeId(id))?))?;
        node.map(|n| Ok((n.labels, props_to_py(py, &n.props)?)))
            .transpose()
    }

    /// Sets one property of a node.
    fn set_node_property(
        &self,
        py: Python<'_>,
        id: u64,
        key: &str,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let value = crate::values::py_to_value(value)?;
        self.with(py, |txn| {
            txn.set_node_property(NodeId(id), key, value)?;
            Ok(())
        })
    }

    /// Deletes a node; with `detach`, its relationships too (else a node
    /// with relationships is a `ConstraintError`).
    #[pyo3(signature = (id, *, detach = false))]
    fn delete_node(&self, py: Python<'_>, id: u64, detach: bool) -> PyResult<()> {
        self.with(py, |txn| {
            if detach {
                txn.detach_delete_node(NodeId(id))?;
            } else {
                txn.delete_node(NodeId(id))?;
            }
            Ok(())
        })
    }

    /// Declares an index on `(label, key)` (kept by every write after).
    #[pyo3(signature = (label, key, *, unique = false))]
    fn create_index(&self, py: Python<'_>, label: &str, key: &str, unique: bool) -> PyResult<()> {
        self.with(py, |txn| {
            if unique {
                txn.create_unique_key(label, key)?;
            } else {
                txn.create_index(label, key)?;
            }
            Ok(())
        })
    }

    /// Makes the transaction's writes durable and visible, all at once.
    fn commit(&self, py: Python<'_>) -> PyResult<()> {
        Ok(py.detach(|| {
            let mut slot = self.cell.lock();
            let cell = slot.as_mut().ok_or_else(txn_closed)?;
            cell.borrow_owner().check()?;
            let result = match cell.with_dependent_mut(|_, txn| txn.take()) {
                Some(txn) => txn.commit().map_err(Failure::from),
                None => Err(txn_closed()),
            };
            *slot = None;
            result
        })?)
    }

    /// Discards the transaction's writes. Rolling back an ended
    /// transaction does nothing.
    fn rollback(&self, py: Python<'_>) {
        let cell = py.detach(|| self.cell.lock().take());
        drop_outside_fork(cell);
    }

    /// Whether the transaction still accepts calls.
    #[getter]
    fn active(&self, py: Python<'_>) -> bool {
        py.detach(|| self.cell.lock().is_some())
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Commits when the block ended normally (and the transaction is still
    /// open), rolls back when it raised.
    #[pyo3(signature = (exc_type, _exc_value, _traceback))]
    fn __exit__(
        &self,
        py: Python<'_>,
        exc_type: Option<&Bound<'_, PyAny>>,
        _exc_value: Option<&Bound<'_, PyAny>>,
        _traceback: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        if exc_type.is_some() || !self.active(py) {
            self.rollback(py);
        } else {
            self.commit(py)?;
        }
        Ok(false)
    }
}
