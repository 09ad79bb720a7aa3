//! `Database.stream`: a read-only statement's rows pulled lazily, a batch
//! at a time, on a snapshot of its own: a consumer that stops after ten
//! rows reads about one batch, and memory holds a batch, not the result.

use parking_lot::Mutex;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use quiverdb::query::{CypherValue, QueryRows};

use crate::database::{Database, Owned, ReadCell, Shared, drop_outside_fork, options};
use crate::error::{Failure, Res, invalid_err};
use crate::values::cypher_to_py;

type RowsDep<'a> = QueryRows<'a>;

self_cell::self_cell!(
    struct StreamCell {
        owner: ReadCell,
        #[not_covariant]
        dependent: RowsDep,
    }
);

/// The rows of a read-only statement, read as they are pulled.
///
/// Iterating yields tuples; `batches(n)` yields lists of at most `n`.
/// `close()` (or the end of a `with` block) ends the snapshot early.
#[pyclass(module = "quiverdb", frozen)]
pub(crate) struct RowStream {
    columns: Vec<String>,
    /// None once exhausted or closed.
    cell: Mutex<Option<StreamCell>>,
}

impl RowStream {
    /// Pulls up to `n` rows with the GIL released.
    fn pull(&self, py: Python<'_>, n: usize) -> PyResult<Vec<Vec<CypherValue>>> {
        Ok(py.detach(|| -> Res<_> {
            let mut slot = self.cell.lock();
            let Some(cell) = slot.as_mut() else {
                return Ok(Vec::new());
            };
            cell.borrow_owner().borrow_owner().check()?;
            let mut out = Vec::with_capacity(n.min(4096));
            let mut failed = None;
            cell.with_dependent_mut(|_, rows| {
                while out.len() < n {
                    match rows.next() {
                        Some(Ok(row)) => out.push(row),
                        Some(Err(e)) => {
                            failed = Some(e);
                            break;
                        }
                        None => break,
                    }
                }
            });
            if out.len() < n {
                // Exhausted or failed: the snapshot goes now.
                *slot = None;
            }
            match failed {
                Some(e) => Err(Failure::from(e)),
                None => Ok(out),
            }
        })?)
    }
}

impl Owned for StreamCell {
    fn owner(&self) -> &Shared {
        self.borrow_owner().borrow_owner()
    }
}

impl Drop for RowStream {
    fn drop(&mut self) {
        drop_outside_fork(self.cell.get_mut().take());
    }
}

fn tuple<'py>(py: Python<'py>, row: &[CypherValue]) -> PyResult<Bound<'py, PyTuple>> {
    let values = row
        .iter()
        .map(|v| cypher_to_py(py, v))
        .collect::<PyResult<Vec<_>>>()?;
    PyTuple::new(py, values)
}

#[pymethods]
impl RowStream {
    /// The column names, in order.
    #[getter]
    fn columns(&self) -> Vec<String> {
        self.columns.clone()
    }

    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        match self.pull(py, 1)?.first() {
            Some(row) => Ok(Some(tuple(py, row)?)),
            None => Ok(None),
        }
    }

    /// The next `size` rows (fewer at the end; an empty list after it).
    #[pyo3(signature = (size = 2048))]
    fn fetch<'py>(&self, py: Python<'py>, size: usize) -> PyResult<Bound<'py, PyList>> {
        if size == 0 {
            return Err(invalid_err("a batch size must be at least 1"));
        }
        let rows = self.pull(py, size)?;
        let list = PyList::empty(py);
        for row in &rows {
            list.append(tuple(py, row)?)?;
        }
        Ok(list)
    }

    /// The rest of the rows in lists of at most `size` tuples.
    #[pyo3(signature = (size = 2048))]
    fn batches(slf: Py<Self>, size: usize) -> PyResult<Batches> {
        if size == 0 {
            return Err(invalid_err("a batch size must be at least 1"));
        }
        Ok(Batches { stream: slf, size })
    }

    /// Ends the stream and its snapshot.
    fn close(&self, py: Python<'_>) {
        let cell = py.detach(|| self.cell.lock().take());
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

/// Batches of a [`RowStream`].
#[pyclass(module = "quiverdb", frozen)]
pub(crate) struct Batches {
    stream: Py<RowStream>,
    size: usize,
}

#[pymethods]
impl Batches {
    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyList>>> {
        let batch = self.stream.get().fetch(py, self.size)?;
        Ok((!batch.is_empty()).then_some(batch))
    }
}

#[pymethods]
impl Database {
    /// Runs a read-only statement on a snapshot of its own and returns its
    /// rows as they are pulled (`for row in db.stream(...)`, or
    /// `.batches(n)`): `MATCH (n) RETURN n` holds a batch of rows at a time,
    /// not the graph. A statement that writes is refused.
    #[pyo3(signature = (cypher, parameters = None, *, timeout = None))]
    fn stream(
        &self,
        py: Python<'_>,
        cypher: &str,
        parameters: Option<&Bound<'_, PyDict>>,
        timeout: Option<f64>,
    ) -> PyResult<RowStream> {
        let params = crate::values::params(parameters)?;
        let opts = options(timeout)?;
        let shared = self.shared()?;
        let cell = py.detach(|| -> Res<StreamCell> {
            let read = ReadCell::try_new(shared, |s| s.db().begin_read().map(Some))?;
            StreamCell::try_new(read, |read| match read.borrow_dependent() {
                Some(txn) => txn.stream(cypher, &params, &opts).map_err(Failure::from),
                None => Err(crate::database::txn_closed()),
            })
        })?;
        let columns = cell.with_dependent(|_, rows| rows.columns().to_vec());
        Ok(RowStream {
            columns,
            cell: Mutex::new(Some(cell)),
        })
    }
}
