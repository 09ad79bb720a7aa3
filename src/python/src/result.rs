//! `quiverdb.QueryResult`: a statement's columns and rows.
//!
//! The rows stay as the library returned them; Python objects are made
//! when a row is read, so a result read in batches holds one batch of
//! Python objects at a time. Conversions to pandas, polars, Arrow and
//! networkx live in `quiverdb/_convert.py` and import their library only
//! when called.

use std::sync::atomic::{AtomicUsize, Ordering};

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use quiverdb::query::{CypherValue, PlanStep};

use crate::values::cypher_to_py;

/// The columns and rows of a Cypher statement.
///
/// Iterating yields rows as tuples; `dicts()` gives them as dicts;
/// `iter_batches(n)` yields lists of at most `n` tuples; `to_pandas()`,
/// `to_polars()`, `to_arrow()` and `to_networkx()` convert the whole result.
#[pyclass(module = "quiverdb", frozen, sequence)]
pub(crate) struct QueryResult {
    columns: Vec<String>,
    rows: Vec<Vec<CypherValue>>,
    plan: Option<Vec<PlanStep>>,
}

impl QueryResult {
    pub(crate) fn new(result: quiverdb::query::QueryResult) -> QueryResult {
        let columns = result.columns().to_vec();
        let plan = result.plan().map(<[PlanStep]>::to_vec);
        QueryResult {
            columns,
            rows: result.into_rows(),
            plan,
        }
    }

    fn row<'py>(&self, py: Python<'py>, i: usize) -> PyResult<Bound<'py, PyTuple>> {
        let values = self.rows[i]
            .iter()
            .map(|v| cypher_to_py(py, v))
            .collect::<PyResult<Vec<_>>>()?;
        PyTuple::new(py, values)
    }
}

#[pymethods]
impl QueryResult {
    /// The column names, in order.
    #[getter]
    fn columns(&self) -> Vec<String> {
        self.columns.clone()
    }

    fn __len__(&self) -> usize {
        self.rows.len()
    }

    fn __getitem__<'py>(&self, py: Python<'py>, index: isize) -> PyResult<Bound<'py, PyTuple>> {
        let n = self.rows.len() as isize;
        let i = if index < 0 { index + n } else { index };
        if i < 0 || i >= n {
            return Err(pyo3::exceptions::PyIndexError::new_err(format!(
                "row {index} of a result with {n} rows"
            )));
        }
        self.row(py, i as usize)
    }

    fn __iter__(slf: Py<Self>) -> Rows {
        Rows {
            result: slf,
            next: AtomicUsize::new(0),
            batch: None,
        }
    }

    /// Every row as a tuple.
    fn rows<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let rows = (0..self.rows.len())
            .map(|i| self.row(py, i))
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, rows)
    }

    /// Every row as a dict from column name to value.
    fn dicts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for row in &self.rows {
            let dict = PyDict::new(py);
            for (name, v) in self.columns.iter().zip(row) {
                dict.set_item(name, cypher_to_py(py, v)?)?;
            }
            list.append(dict)?;
        }
        Ok(list)
    }

    /// One column's values, by name or position.
    fn column<'py>(
        &self,
        py: Python<'py>,
        column: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        let i = if let Ok(i) = column.extract::<usize>() {
            (i < self.columns.len()).then_some(i)
        } else {
            let name: String = column.extract()?;
            self.columns.iter().position(|c| *c == name)
        };
        let Some(i) = i else {
            return Err(pyo3::exceptions::PyKeyError::new_err(format!(
                "no column {column} (columns: {:?})",
                self.columns
            )));
        };
        let values = self
            .rows
            .iter()
            .map(|row| cypher_to_py(py, &row[i]))
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, values)
    }

    /// The only value of a one-row, one-column result (None when there
    /// are no rows).
    fn scalar<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self.rows.as_slice() {
            [] => Ok(py.None().into_bound(py)),
            [row] if row.len() == 1 => cypher_to_py(py, &row[0]),
            _ => Err(crate::error::invalid_err(format!(
                "scalar() needs one row of one column; this result has {} rows of {} columns",
                self.rows.len(),
                self.columns.len()
            ))),
        }
    }

    /// The rows in lists of at most `size` tuples, made as they are read.
    #[pyo3(signature = (size = 2048))]
    fn iter_batches(slf: Py<Self>, size: usize) -> PyResult<Rows> {
        if size == 0 {
            return Err(crate::error::invalid_err("a batch size must be at least 1"));
        }
        Ok(Rows {
            result: slf,
            next: AtomicUsize::new(0),
            batch: Some(size),
        })
    }

    /// The plan of an `EXPLAIN` or `PROFILE` statement as a list of dicts
    /// (branch, depth inside CALL subqueries, operator, details, and for
    /// PROFILE rows, milliseconds and storage reads), or None.
    #[getter]
    fn plan<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyList>>> {
        let Some(plan) = &self.plan else {
            return Ok(None);
        };
        let list = PyList::empty(py);
        for step in plan {
            let d = PyDict::new(py);
            d.set_item("branch", step.branch)?;
            d.set_item("depth", step.depth)?;
            d.set_item("operator", &step.operator)?;
            d.set_item("details", &step.details)?;
            d.set_item("rows", step.rows)?;
            d.set_item("elapsed_ms", step.elapsed_ms)?;
            if let Some(reads) = &step.reads {
                let r = PyDict::new(py);
                r.set_item("lookups", reads.lookups)?;
                r.set_item("seeks", reads.seeks)?;
                r.set_item("entries", reads.entries)?;
                d.set_item("reads", r)?;
            }
            list.append(d)?;
        }
        Ok(Some(list))
    }

    /// The result as a pandas DataFrame (nodes and relationships as their
    /// objects).
    fn to_pandas<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        convert(slf, "to_pandas")
    }

    /// The result as a polars DataFrame, through the Arrow stream (nodes
    /// and relationships as structs of their id, labels or type, and
    /// properties).
    fn to_polars<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        convert(slf, "to_polars")
    }

    /// The result as a pyarrow Table, through the Arrow stream (nodes and
    /// relationships as structs).
    fn to_arrow<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        convert(slf, "to_arrow")
    }

    /// The result as an Arrow C stream (the PyCapsule interface): what
    /// `pyarrow.table(result)`, `polars.DataFrame(result)` and DuckDB
    /// read, with no pyarrow needed here. `requested_schema` is not
    /// applied: the stream has the types of `docs/PYTHON.md`.
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, pyo3::types::PyCapsule>> {
        let _ = requested_schema;
        crate::arrow::stream_capsule(py, &self.columns, &self.rows)
    }

    /// The nodes, relationships and paths of the result as a networkx
    /// MultiDiGraph (node attributes: labels and properties; edge key: the
    /// relationship's id).
    fn to_networkx<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        convert(slf, "to_networkx")
    }

    fn __repr__(&self) -> String {
        format!(
            "QueryResult(columns={:?}, rows={})",
            self.columns,
            self.rows.len()
        )
    }
}

fn convert<'py>(slf: &Bound<'py, QueryResult>, function: &str) -> PyResult<Bound<'py, PyAny>> {
    slf.py()
        .import("quiverdb._convert")?
        .getattr(function)?
        .call1((slf,))
}

/// An iterator over a result's rows (or batches of rows).
#[pyclass(module = "quiverdb", frozen)]
pub(crate) struct Rows {
    result: Py<QueryResult>,
    next: AtomicUsize,
    batch: Option<usize>,
}

#[pymethods]
impl Rows {
    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let result = self.result.get();
        let n = result.rows.len();
        let step = self.batch.unwrap_or(1);
        let start = self.next.fetch_add(step, Ordering::Relaxed);
        if start >= n {
            self.next.store(n, Ordering::Relaxed);
            return Ok(None);
        }
        Ok(Some(match self.batch {
            None => result.row(py, start)?.into_any(),
            Some(size) => {
                let rows = (start..(start + size).min(n))
                    .map(|i| result.row(py, i))
                    .collect::<PyResult<Vec<_>>>()?;
                PyList::new(py, rows)?.into_any()
            }
        }))
    }
}
