//! Values between Python and the database: property values, Cypher
//! parameters and results, and the node, relationship and path objects.

use std::collections::BTreeMap;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use quiverdb::query::{CypherValue, NodeValue, PathValue, RelValue};
use quiverdb::{Props, Value};

use crate::error::invalid_err;

/// What nodes and relationships share: their properties (read like a
/// dict's) and equality and hashing by id.
macro_rules! entity {
    ($t:ty) => {
        #[pymethods]
        impl $t {
            /// Its properties (a new dict each time).
            #[getter]
            fn properties<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
                self.properties.bind(py).copy()
            }

            fn __getitem__<'py>(&self, py: Python<'py>, key: &str) -> PyResult<Bound<'py, PyAny>> {
                self.properties.bind(py).as_any().get_item(key)
            }

            /// A property's value, or `default` when it has none.
            #[pyo3(signature = (key, default = None))]
            fn get<'py>(
                &self,
                py: Python<'py>,
                key: &str,
                default: Option<Bound<'py, PyAny>>,
            ) -> PyResult<Bound<'py, PyAny>> {
                Ok(match self.properties.bind(py).get_item(key)? {
                    Some(v) => v,
                    None => default.unwrap_or_else(|| py.None().into_bound(py)),
                })
            }

            fn __contains__(&self, py: Python<'_>, key: &str) -> PyResult<bool> {
                self.properties.bind(py).contains(key)
            }
        }

        impl PartialEq for $t {
            fn eq(&self, other: &$t) -> bool {
                self.id == other.id
            }
        }

        impl std::hash::Hash for $t {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                self.id.hash(state);
            }
        }
    };
}

/// A node of a result: its id, labels and properties.
#[pyclass(module = "quiverdb", frozen, eq, hash)]
pub(crate) struct Node {
    /// The node's id.
    #[pyo3(get)]
    id: u64,
    labels: Vec<String>,
    properties: Py<PyDict>,
}

#[pymethods]
impl Node {
    /// The node's labels, sorted.
    #[getter]
    fn labels(&self) -> Vec<String> {
        self.labels.clone()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let labels: String = self.labels.iter().map(|l| format!(":{l}")).collect();
        Ok(format!(
            "Node(id={}, labels='{labels}', properties={})",
            self.id,
            self.properties.bind(py).repr()?
        ))
    }
}

/// A relationship of a result: its id, ends, type and properties.
#[pyclass(module = "quiverdb", frozen, eq, hash)]
pub(crate) struct Relationship {
    /// The relationship's id.
    #[pyo3(get)]
    id: u64,
    /// The id of the node it starts at.
    #[pyo3(get)]
    start: u64,
    /// The id of the node it ends at.
    #[pyo3(get)]
    end: u64,
    /// Its type.
    #[pyo3(get)]
    r#type: String,
    properties: Py<PyDict>,
}

#[pymethods]
impl Relationship {
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Relationship(id={}, start={}, end={}, type='{}', properties={})",
            self.id,
            self.start,
            self.end,
            self.r#type,
            self.properties.bind(py).repr()?
        ))
    }
}

entity!(Node);
entity!(Relationship);

/// A path of a result: nodes joined by relationships.
#[pyclass(module = "quiverdb", frozen)]
pub(crate) struct Path {
    /// Its nodes, one more than its relationships.
    #[pyo3(get)]
    nodes: Py<PyTuple>,
    /// Its relationships, in order.
    #[pyo3(get)]
    relationships: Py<PyTuple>,
}

#[pymethods]
impl Path {
    /// The number of relationships.
    fn __len__(&self, py: Python<'_>) -> usize {
        self.relationships.bind(py).len()
    }

    /// The first node.
    #[getter]
    fn start<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.nodes.bind(py).get_item(0)
    }

    /// The last node.
    #[getter]
    fn end<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let nodes = self.nodes.bind(py);
        nodes.get_item(nodes.len().saturating_sub(1))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let ids: Vec<String> = self
            .nodes
            .bind(py)
            .iter()
            .map(|n| n.getattr("id").map(|i| i.to_string()))
            .collect::<PyResult<_>>()?;
        Ok(format!("Path({})", ids.join(" -> ")))
    }
}

fn props_dict<'py>(
    py: Python<'py>,
    props: &BTreeMap<String, CypherValue>,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (k, v) in props {
        dict.set_item(k, cypher_to_py(py, v)?)?;
    }
    Ok(dict)
}

fn node_to_py(py: Python<'_>, n: &NodeValue) -> PyResult<Py<Node>> {
    Py::new(
        py,
        Node {
            id: n.id.0,
            labels: n.labels.clone(),
            properties: props_dict(py, &n.properties)?.unbind(),
        },
    )
}

fn rel_to_py(py: Python<'_>, r: &RelValue) -> PyResult<Py<Relationship>> {
    Py::new(
        py,
        Relationship {
            id: r.id.0,
            start: r.start.0,
            end: r.end.0,
            r#type: r.rel_type.clone(),
            properties: props_dict(py, &r.properties)?.unbind(),
        },
    )
}

fn path_to_py(py: Python<'_>, p: &PathValue) -> PyResult<Py<Path>> {
    let nodes = p
        .nodes
        .iter()
        .map(|n| node_to_py(py, n))
        .collect::<PyResult<Vec<_>>>()?;
    let rels = p
        .relationships
        .iter()
        .map(|r| rel_to_py(py, r))
        .collect::<PyResult<Vec<_>>>()?;
    Py::new(
        py,
        Path {
            nodes: PyTuple::new(py, nodes)?.unbind(),
            relationships: PyTuple::new(py, rels)?.unbind(),
        },
    )
}

/// A Cypher value as a Python object.
pub(crate) fn cypher_to_py<'py>(py: Python<'py>, v: &CypherValue) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        CypherValue::Null => py.None().into_bound(py),
        CypherValue::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        CypherValue::Int(i) => i.into_pyobject(py)?.into_any(),
        CypherValue::Float(f) => PyFloat::new(py, *f).into_any(),
        CypherValue::String(s) => PyString::new(py, s).into_any(),
        CypherValue::Bytes(b) => PyBytes::new(py, b).into_any(),
        // ISO 8601 text: exact to the nanosecond and for every year, which
        // Python's datetime types are not.
        CypherValue::Temporal(t) => PyString::new(py, &t.to_string()).into_any(),
        CypherValue::List(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(cypher_to_py(py, item)?)?;
            }
            list.into_any()
        }
        CypherValue::Map(map) => props_dict(py, map)?.into_any(),
        CypherValue::Node(n) => node_to_py(py, n)?.into_bound(py).into_any(),
        CypherValue::Relationship(r) => rel_to_py(py, r)?.into_bound(py).into_any(),
        CypherValue::Path(p) => path_to_py(py, p)?.into_bound(py).into_any(),
        // CypherValue is non-exhaustive: a kind this binding does not know
        // yet travels as its text.
        #[allow(unreachable_patterns, reason = "future value kinds")]
        other => PyString::new(py, &format!("{other:?}")).into_any(),
    })
}

/// A stored value as a Python object.
pub(crate) fn value_to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    cypher_to_py(py, &CypherValue::from(v.clone()))
}

/// Stored properties as a Python dict.
pub(crate) fn props_to_py<'py>(py: Python<'py>, props: &Props) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (k, v) in props {
        dict.set_item(k, value_to_py(py, v)?)?;
    }
    Ok(dict)
}

/// A Python object as a Cypher parameter: None, bool, int, float, str,
/// bytes, lists and tuples (and NumPy arrays, as lists), dicts with string
/// keys.
pub(crate) fn py_to_cypher(obj: &Bound<'_, PyAny>) -> PyResult<CypherValue> {
    // Floats first: a vector parameter is hundreds of them.
    if obj.is_exact_instance_of::<PyFloat>() {
        return Ok(CypherValue::Float(obj.extract()?));
    }
    if obj.is_none() {
        return Ok(CypherValue::Null);
    }
    if obj.is_instance_of::<PyBool>() {
        return Ok(CypherValue::Bool(obj.extract()?));
    }
    if obj.is_instance_of::<PyInt>() {
        return obj
            .extract::<i64>()
            .map(CypherValue::Int)
            .map_err(|_| invalid_err(format!("{obj} does not fit a 64-bit integer")));
    }
    if obj.is_instance_of::<PyFloat>() {
        return Ok(CypherValue::Float(obj.extract()?));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(CypherValue::String(s.to_cow()?.into_owned()));
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(CypherValue::Bytes(b.as_bytes().to_vec()));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut map = BTreeMap::new();
        for (k, v) in d.iter() {
            let key: String = k
                .extract()
                .map_err(|_| invalid_err(format!("a map key must be a string, not {k}")))?;
            map.insert(key, py_to_cypher(&v)?);
        }
        return Ok(CypherValue::Map(map));
    }
    if let Ok(list) = obj.cast::<PyList>() {
        return list
            .iter()
            .map(|item| py_to_cypher(&item))
            .collect::<PyResult<Vec<_>>>()
            .map(CypherValue::List);
    }
    // A NumPy vector of floats, without a Python float per value.
    if let Ok(a) = obj.extract::<numpy::PyReadonlyArray1<'_, f32>>() {
        return Ok(CypherValue::List(
            a.as_array()
                .iter()
                .map(|&x| CypherValue::Float(f64::from(x)))
                .collect(),
        ));
    }
    if let Ok(a) = obj.extract::<numpy::PyReadonlyArray1<'_, f64>>() {
        return Ok(CypherValue::List(
            a.as_array()
                .iter()
                .map(|&x| CypherValue::Float(x))
                .collect(),
        ));
    }
    if let Some(t) = py_temporal(obj)? {
        return Ok(CypherValue::Temporal(Box::new(t)));
    }
    if obj.is_instance_of::<PyTuple>() {
        return obj
            .try_iter()?
            .map(|item| py_to_cypher(&item?))
            .collect::<PyResult<Vec<_>>>()
            .map(CypherValue::List);
    }
    // NumPy scalars and arrays: through their Python equivalents.
    if obj.hasattr("tolist")? {
        return py_to_cypher(&obj.call_method0("tolist")?);
    }
    Err(invalid_err(format!(
        "cannot pass a {} as a Cypher value",
        obj.get_type().name()?
    )))
}

/// Python keyword-style parameters as the statement's parameters.
pub(crate) fn params(dict: Option<&Bound<'_, PyDict>>) -> PyResult<quiverdb::query::Params> {
    let mut out = quiverdb::query::Params::new();
    if let Some(d) = dict {
        for (k, v) in d.iter() {
            let key: String = k
                .extract()
                .map_err(|_| invalid_err(format!("a parameter name must be a string, not {k}")))?;
            out.insert(key, py_to_cypher(&v)?);
        }
    }
    Ok(out)
}

/// A Python object as a stored value (no maps: properties hold none).
pub(crate) fn py_to_value(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    Ok(match py_to_cypher(obj)? {
        CypherValue::Map(_) => {
            return Err(invalid_err(
                "a property value cannot be a map (store its entries as properties)",
            ));
        }
        other => to_value(other)?,
    })
}

/// A `datetime.date`, `datetime`, `time` or `timedelta` as a temporal
/// value (read through `isoformat()` and the timedelta's fields, which the
/// limited API allows); `None` for other objects.
fn py_temporal(obj: &Bound<'_, PyAny>) -> PyResult<Option<quiverdb::temporal::Temporal>> {
    use quiverdb::temporal::Temporal;
    let ty = obj.get_type();
    if ty.module()?.to_cow()? != "datetime" {
        return Ok(None);
    }
    let name = ty.name()?;
    let iso = || -> PyResult<String> { obj.call_method0("isoformat")?.extract() };
    let aware = || -> PyResult<bool> { Ok(!obj.getattr("utcoffset")?.call0()?.is_none()) };
    let kind = match name.to_cow()?.as_ref() {
        "date" => "date",
        "datetime" if aware()? => "datetime",
        "datetime" => "localdatetime",
        "time" if aware()? => "time",
        "time" => "localtime",
        "timedelta" => {
            let days: i64 = obj.getattr("days")?.extract()?;
            let seconds: i64 = obj.getattr("seconds")?.extract()?;
            let micros: i64 = obj.getattr("microseconds")?.extract()?;
            return quiverdb::temporal::Duration::new(0, days, seconds, micros * 1_000)
                .map(|d| Some(Temporal::Duration(d)))
                .map_err(|e| invalid_err(e.to_string()));
        }
        _ => return Ok(None),
    };
    Temporal::parse(kind, &iso()?)
        .map(Some)
        .map_err(|e| invalid_err(e.to_string()))
}

fn to_value(v: CypherValue) -> PyResult<Value> {
    Ok(match v {
        CypherValue::Null => Value::Null,
        CypherValue::Bool(b) => Value::Bool(b),
        CypherValue::Int(i) => Value::Int(i),
        CypherValue::Float(f) if f.is_nan() => {
            return Err(invalid_err("a property value cannot be NaN"));
        }
        CypherValue::Float(f) => Value::Float(f),
        CypherValue::String(s) => Value::String(s),
        CypherValue::Bytes(b) => Value::Bytes(b),
        CypherValue::Temporal(t) => Value::Temporal(*t),
        CypherValue::List(items) => {
            Value::List(items.into_iter().map(to_value).collect::<PyResult<_>>()?)
        }
        _ => return Err(invalid_err("a property value must be a plain value")),
    })
}

/// A Python dict (or None) as stored properties.
pub(crate) fn props(dict: Option<&Bound<'_, PyAny>>) -> PyResult<Props> {
    let mut out = Props::new();
    let Some(obj) = dict else { return Ok(out) };
    if obj.is_none() {
        return Ok(out);
    }
    let Ok(d) = obj.cast::<PyDict>() else {
        return Err(invalid_err(format!(
            "properties must be a dict, not {}",
            obj.get_type().name()?
        )));
    };
    for (k, v) in d.iter() {
        let key: String = k
            .extract()
            .map_err(|_| invalid_err(format!("a property name must be a string, not {k}")))?;
        out.insert(key, py_to_value(&v)?);
    }
    Ok(out)
}
