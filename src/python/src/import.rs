//! `Database.import_graph`: the bulk importer, from files or straight from
//! tables (pandas, polars, pyarrow, or a dict of columns).
//!
//! A table is read column by column (NumPy arrays of numbers without a
//! per-value Python call; other columns as Python lists) before the GIL is
//! released, then handed to the importer as rows, as a file's rows are: the
//! same column rules as CSV (the key column, `label`/`labels`, `src`/`dst`
//! or `source`/`target` or `from`/`to`, `type`; every other column a
//! property; a missing value leaves the property unset).

use std::path::PathBuf;

use numpy::PyReadonlyArray1;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use quiverdb::Value;
use quiverdb::import::{
    ColumnRole, EdgeRow, Format, ImportOptions, Importer, Key, NodeRow, Report, RowError,
};

use crate::database::Database;
use crate::error::{Failure, invalid_err};
use crate::values::py_to_value;

/// One column of a table, its values converted (None: missing).
enum Column {
    Ints(Vec<i64>),
    Floats(Vec<f64>),
    Bools(Vec<bool>),
    Values(Vec<Option<Value>>),
}

impl Column {
    fn len(&self) -> usize {
        match self {
            Column::Ints(v) => v.len(),
            Column::Floats(v) => v.len(),
            Column::Bools(v) => v.len(),
            Column::Values(v) => v.len(),
        }
    }

    /// Row `i`'s value, moved out (each row is read once).
    fn take(&mut self, i: usize) -> Option<Value> {
        match self {
            Column::Ints(v) => Some(Value::Int(v[i])),
            Column::Floats(v) => (!v[i].is_nan()).then_some(Value::Float(v[i])),
            Column::Bools(v) => Some(Value::Bool(v[i])),
            Column::Values(v) => v[i].take(),
        }
    }
}

fn column(values: &Bound<'_, PyAny>) -> PyResult<Column> {
    if let Ok(a) = values.extract::<PyReadonlyArray1<'_, i64>>() {
        return Ok(Column::Ints(a.as_array().to_vec()));
    }
    if let Ok(a) = values.extract::<PyReadonlyArray1<'_, f64>>() {
        return Ok(Column::Floats(a.as_array().to_vec()));
    }
    if let Ok(a) = values.extract::<PyReadonlyArray1<'_, bool>>() {
        return Ok(Column::Bools(a.as_array().to_vec()));
    }
    // Other arrays (int32, float32, object, str) and lists: value by value.
    let list = if values.is_instance_of::<PyList>() {
        values.clone()
    } else if values.hasattr("tolist")? {
        values.call_method0("tolist")?
    } else {
        PyList::new(
            values.py(),
            values.try_iter()?.collect::<PyResult<Vec<_>>>()?,
        )?
        .into_any()
    };
    let mut out = Vec::new();
    for v in list.try_iter()? {
        let v = v?;
        let missing = v.is_none()
            || v.is_instance_of::<pyo3::types::PyFloat>() && v.extract::<f64>()?.is_nan();
        out.push(if missing {
            None
        } else {
            Some(py_to_value(&v)?)
        });
    }
    Ok(Column::Values(out))
}

/// A table's columns by name, read through `quiverdb._convert.columns_of`.
fn table(obj: &Bound<'_, PyAny>) -> PyResult<Vec<(String, Column)>> {
    let cols = obj
        .py()
        .import("quiverdb._convert")?
        .getattr("columns_of")?
        .call1((obj,))?;
    let mut out: Vec<(String, Column)> = Vec::new();
    for item in cols.try_iter()? {
        let (name, values): (String, Bound<'_, PyAny>) = item?.extract()?;
        let c = column(&values)?;
        if let Some((first, f)) = out.first()
            && f.len() != c.len()
        {
            return Err(invalid_err(format!(
                "column {name:?} has {} values, column {first:?} {}",
                c.len(),
                f.len()
            )));
        }
        out.push((name, c));
    }
    Ok(out)
}

/// One column of a table: its name, its role (the rules of CSV headers)
/// and its values.
struct Col {
    name: String,
    role: ColumnRole,
    values: Column,
}

/// Where one source's rows come from.
enum Source {
    File(PathBuf, Format),
    Table(String, Vec<Col>),
}

/// The sources of `obj` (one, or a list): paths, or tables whose columns
/// take the roles of a node table (`nodes`, keyed by `key`) or an edge
/// table.
fn sources(obj: Option<&Bound<'_, PyAny>>, nodes: bool, key: &str) -> PyResult<Vec<Source>> {
    let what = if nodes { "nodes" } else { "edges" };
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(Vec::new());
    };
    let one = |item: &Bound<'_, PyAny>, n: usize| -> PyResult<Source> {
        if item.is_instance_of::<PyString>() || item.hasattr("__fspath__")? {
            let path: PathBuf = item.extract()?;
            let format = Format::from_path(&path).ok_or_else(|| {
                invalid_err(format!(
                    "cannot tell the format of {} from its name: use .csv, .jsonl, .v, .e or an edge list (.txt, .el, .edges, .tsv)",
                    path.display()
                ))
            })?;
            return Ok(Source::File(path, format));
        }
        let name = format!("{what} table {n}");
        let columns = table(item)?;
        let names: Vec<&str> = columns.iter().map(|(n, _)| n.as_str()).collect();
        let roles = ColumnRole::of_columns(&names, nodes, key)
            .map_err(|e| invalid_err(format!("{name}: {e}")))?;
        let cols = columns
            .into_iter()
            .zip(roles)
            .map(|((name, values), role)| Col { name, role, values })
            .collect();
        Ok(Source::Table(name, cols))
    };
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<pyo3::types::PyTuple>() {
        obj.try_iter()?
            .enumerate()
            .map(|(n, item)| one(&item?, n + 1))
            .collect()
    } else {
        Ok(vec![one(obj, 1)?])
    }
}

fn key_of(v: Option<Value>, column: &str) -> Result<Key, RowError> {
    match v {
        Some(Value::Int(i)) => Ok(Key::Int(i)),
        Some(Value::String(s)) => Ok(Key::Str(s)),
        Some(Value::Float(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(Key::Int(f as i64)),
        None => Err(RowError::new(format!("no key in column {column:?}"))),
        Some(other) => Err(RowError::new(format!(
            "a key must be an integer or text, not {other:?} (column {column:?})"
        ))),
    }
}

fn labels_of(v: Option<Value>) -> Result<Vec<String>, RowError> {
    match v {
        None => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(s
            .split(';')
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()),
        Some(Value::List(items)) => items
            .into_iter()
            .map(|l| match l {
                Value::String(s) => Ok(s),
                other => Err(RowError::new(format!(
                    "a label must be text, not {other:?}"
                ))),
            })
            .collect(),
        Some(other) => Err(RowError::new(format!(
            "labels must be text (separated by ';') or a list of texts, not {other:?}"
        ))),
    }
}

fn node_rows(cols: &mut [Col]) -> impl Iterator<Item = Result<NodeRow, RowError>> + '_ {
    let n = cols.first().map_or(0, |c| c.values.len());
    (0..n).map(move |i| {
        let mut row = NodeRow {
            key: Key::Int(0),
            labels: Vec::new(),
            props: quiverdb::Props::new(),
        };
        for col in cols.iter_mut() {
            let value = col.values.take(i);
            match col.role {
                ColumnRole::Key => row.key = key_of(value, &col.name)?,
                ColumnRole::Labels => row.labels = labels_of(value)?,
                _ => {
                    if let Some(v) = value {
                        row.props.insert(col.name.clone(), v);
                    }
                }
            }
        }
        Ok(row)
    })
}

fn edge_rows(cols: &mut [Col]) -> impl Iterator<Item = Result<EdgeRow, RowError>> + '_ {
    let n = cols.first().map_or(0, |c| c.values.len());
    (0..n).map(move |i| {
        let mut row = EdgeRow {
            src: Key::Int(0),
            dst: Key::Int(0),
            edge_type: None,
            weight: None,
            props: quiverdb::Props::new(),
        };
        for col in cols.iter_mut() {
            let value = col.values.take(i);
            match col.role {
                ColumnRole::Src => row.src = key_of(value, &col.name)?,
                ColumnRole::Dst => row.dst = key_of(value, &col.name)?,
                ColumnRole::Type => {
                    row.edge_type = match value {
                        None => None,
                        Some(Value::String(s)) => Some(s),
                        Some(other) => {
                            return Err(RowError::new(format!(
                                "a type must be text, not {other:?}"
                            )));
                        }
                    }
                }
                _ => {
                    if let Some(v) = value {
                        row.props.insert(col.name.clone(), v);
                    }
                }
            }
        }
        Ok(row)
    })
}

fn report_dict<'py>(py: Python<'py>, r: &Report) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("nodes", r.nodes)?;
    d.set_item("edges", r.edges)?;
    d.set_item("rejected_total", r.rejected_total)?;
    let rejected = PyList::empty(py);
    for row in &r.rejected {
        rejected.append((row.path.display().to_string(), row.line, &row.reason))?;
    }
    d.set_item("rejected", rejected)?;
    let sources = PyList::empty(py);
    for s in &r.sources {
        let sd = PyDict::new(py);
        sd.set_item("source", s.path.display().to_string())?;
        sd.set_item("kind", s.kind)?;
        sd.set_item("read", s.read)?;
        sd.set_item("loaded", s.loaded)?;
        sd.set_item("rejected", s.rejected)?;
        sd.set_item("seconds", s.elapsed.as_secs_f64())?;
        sources.append(sd)?;
    }
    d.set_item("sources", sources)?;
    d.set_item("seconds", r.elapsed.as_secs_f64())?;
    Ok(d)
}

#[pymethods]
impl Database {
    /// Loads a graph in bulk, in one commit: `nodes` then `edges`, each a
    /// source or a list of sources — a file path (CSV, JSON Lines,
    /// Graphalytics `.v` / `.e`, an edge list; the format from its
    /// extension) or a table (pandas or polars DataFrame, pyarrow Table, a
    /// dict of columns). Every node carries `key_label` and is known by
    /// its `key` column; edges name their ends by key (`src`/`dst`) and
    /// take `edge_type` when they have no `type` column. `skip_bad` skips
    /// and counts bad rows instead of failing (nothing is written when the
    /// import fails). `progress`: a callable given a dict (`source`,
    /// `stage`, `done`, `total`, `rows`) as the import advances (an
    /// exception it raises is raised when the import has ended), or True
    /// for tqdm bars. Returns the report as a dict.
    #[pyo3(signature = (nodes = None, edges = None, *, key_label = "Node", key = "id",
        edge_type = "EDGE", skip_bad = false, create_missing_nodes = false,
        undirected = false, progress = None))]
    #[allow(clippy::too_many_arguments, reason = "keyword arguments")]
    fn import_graph<'py>(
        &self,
        py: Python<'py>,
        nodes: Option<&Bound<'py, PyAny>>,
        edges: Option<&Bound<'py, PyAny>>,
        key_label: &str,
        key: &str,
        edge_type: &str,
        skip_bad: bool,
        create_missing_nodes: bool,
        undirected: bool,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        // progress=True: a tqdm bar per source and stage.
        let progress = match progress {
            Some(p) if p.bind(py).is_instance_of::<pyo3::types::PyBool>() => {
                if p.bind(py).is_truthy()? {
                    Some(
                        py.import("quiverdb._convert")?
                            .getattr("progress_bars")?
                            .call0()?
                            .unbind(),
                    )
                } else {
                    None
                }
            }
            other => other,
        };
        let node_sources = sources(nodes, true, key)?;
        let edge_sources = sources(edges, false, key)?;
        let opts = ImportOptions::default()
            .key_label(key_label)
            .key_property(key)
            .edge_type(edge_type)
            .skip_bad(skip_bad)
            .create_missing_nodes(create_missing_nodes)
            .undirected(undirected);
        let shared = self.shared()?;
        let callback_error: parking_lot::Mutex<Option<PyErr>> = parking_lot::Mutex::new(None);
        let report = py.detach(|| -> Result<Report, Failure> {
            let mut imp = Importer::new(shared.db(), opts)?;
            if let Some(cb) = &progress {
                let callback_error = &callback_error;
                imp.on_progress(move |p| {
                    Python::attach(|py| {
                        let d = PyDict::new(py);
                        let call = || -> PyResult<()> {
                            d.set_item("source", p.file.display().to_string())?;
                            d.set_item("stage", p.stage)?;
                            d.set_item("done", p.done)?;
                            d.set_item("total", p.total)?;
                            d.set_item("rows", p.rows)?;
                            cb.call1(py, (d,))?;
                            Ok(())
                        };
                        if let Err(e) = call() {
                            callback_error.lock().get_or_insert(e);
                        }
                    });
                });
            }
            for s in node_sources {
                match s {
                    Source::File(path, format) => imp.nodes(&path, format)?,
                    Source::Table(name, mut cols) => imp.node_rows(&name, node_rows(&mut cols))?,
                }
            }
            for s in edge_sources {
                match s {
                    Source::File(path, format) => imp.edges(&path, format)?,
                    Source::Table(name, mut cols) => imp.edge_rows(&name, edge_rows(&mut cols))?,
                }
            }
            Ok(imp.finish()?)
        })?;
        if let Some(e) = callback_error.into_inner() {
            return Err(e);
        }
        report_dict(py, &report)
    }
}
