//! Vector collections from Python: NumPy arrays in, NumPy arrays out.
//!
//! An upsert of N vectors takes one N×d float32 array (float64 is
//! converted once); a search returns arrays of keys and scores. Searches
//! of many queries run on threads of their own over one snapshot, the GIL
//! released.

use std::collections::HashMap;
use std::ops::Bound as RangeBound;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use numpy::{PyArray1, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use parking_lot::Mutex;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use quiverdb::embed::SentenceBert;
use quiverdb::vector::{
    CollectionConfig, CollectionInfo, Metric, Quantization, Search, SearchResult, UpsertReport,
};
use quiverdb::{Props, ReadTxn, Value};

use crate::database::{Database, ReadTransaction, WriteTransaction};
use crate::error::{Failure, Res, invalid_err};
use crate::values::{props, props_to_py, py_to_value};

/// How one search runs: the keyword arguments of every search call.
pub(crate) struct Knobs {
    search: Search,
    with_payload: bool,
}

#[allow(
    clippy::too_many_arguments,
    reason = "the keyword arguments of a Python call"
)]
fn knobs(
    k: usize,
    ef: Option<usize>,
    recall: Option<f64>,
    exact: bool,
    keys: Option<Vec<u64>>,
    label: Option<String>,
    filter: Option<&Bound<'_, PyDict>>,
    threshold: Option<f32>,
    with_payload: bool,
) -> PyResult<Knobs> {
    if k == 0 {
        return Err(invalid_err("k must be at least 1"));
    }
    let mut s = Search::k(k);
    if let Some(ef) = ef {
        s = s.ef(ef);
    }
    if let Some(r) = recall {
        if !(r > 0.0 && r <= 1.0) {
            return Err(invalid_err(format!("recall must be in (0, 1], not {r}")));
        }
        s = s.recall(r);
    }
    if exact {
        s = s.exact();
    }
    if let Some(keys) = keys {
        s = s.keys(keys);
    }
    if let Some(label) = label {
        s = s.label(label);
    }
    if let Some(t) = threshold {
        s = s.threshold(t);
    }
    if with_payload {
        s = s.with_payload();
    }
    if let Some(filter) = filter {
        for (field, cond) in filter.iter() {
            let field: String = field.extract()?;
            if let Ok(range) = cond.cast::<PyTuple>() {
                if range.len() != 2 {
                    return Err(invalid_err(format!(
                        "the range for {field:?} must be (low, high), either None for open"
                    )));
                }
                let bound = |v: Bound<'_, PyAny>| -> PyResult<RangeBound<Value>> {
                    Ok(if v.is_none() {
                        RangeBound::Unbounded
                    } else {
                        RangeBound::Included(py_to_value(&v)?)
                    })
                };
                s = s.payload_range::<Value>(
                    field,
                    (bound(range.get_item(0)?)?, bound(range.get_item(1)?)?),
                );
            } else {
                s = s.payload_eq(field, py_to_value(&cond)?);
            }
        }
    }
    Ok(Knobs {
        search: s,
        with_payload,
    })
}

/// One query vector: a 1-D float32 (or float64) array or a sequence.
fn vector(obj: &Bound<'_, PyAny>) -> PyResult<Vec<f32>> {
    // The common case without a call into NumPy: a float32 array.
    if let Ok(a) = obj.extract::<PyReadonlyArray1<'_, f32>>()
        && let Ok(slice) = a.as_slice()
    {
        return Ok(slice.to_vec());
    }
    let array = as_f32_array(obj)?;
    if let Ok(a) = array.extract::<PyReadonlyArray1<'_, f32>>() {
        return Ok(a.as_array().iter().copied().collect());
    }
    Err(invalid_err(format!(
        "a query vector must be one-dimensional; got shape {}",
        array.getattr("shape")?
    )))
}

/// `obj` as a C-contiguous float32 NumPy array: float32 as it is, float64
/// converted; every other dtype refused.
fn as_f32_array<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let np = obj.py().import("numpy")?;
    let kw = PyDict::new(obj.py());
    kw.set_item("dtype", np.getattr("float32")?)?;
    if !obj.is_instance(&np.getattr("ndarray")?)? {
        // A list or tuple of numbers.
        return np
            .call_method("ascontiguousarray", (obj,), Some(&kw))
            .map_err(|e| invalid_err(format!("vectors must be numbers: {e}")));
    }
    let array = obj.clone();
    let kind: String = array.getattr("dtype")?.getattr("kind")?.extract()?;
    let size: usize = array.getattr("itemsize")?.extract()?;
    if kind != "f" || !(size == 4 || size == 8) {
        return Err(invalid_err(format!(
            "vectors must be float32 (or float64) numbers; got dtype {}",
            array.getattr("dtype")?
        )));
    }
    np.call_method("ascontiguousarray", (array,), Some(&kw))
}

/// Keys: a sequence or array of non-negative integers.
fn keys(obj: &Bound<'_, PyAny>) -> PyResult<Vec<u64>> {
    if let Ok(a) = obj.extract::<PyReadonlyArray1<'_, u64>>() {
        return Ok(a.as_array().to_vec());
    }
    if let Ok(a) = obj.extract::<PyReadonlyArray1<'_, i64>>() {
        return a
            .as_array()
            .iter()
            .map(|&k| u64::try_from(k).map_err(|_| invalid_err(format!("key {k} is negative"))))
            .collect();
    }
    obj.try_iter()?
        .map(|k| {
            k?.extract::<u64>()
                .map_err(|_| invalid_err("keys must be non-negative integers"))
        })
        .collect()
}

fn payloads(obj: Option<&Bound<'_, PyAny>>, n: usize) -> PyResult<Vec<Props>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(vec![Props::new(); n]);
    };
    let list: Vec<Bound<'_, PyAny>> = obj.try_iter()?.collect::<PyResult<_>>()?;
    if list.len() != n {
        return Err(invalid_err(format!(
            "{} payloads for {n} points: give one dict (or None) per point",
            list.len()
        )));
    }
    list.iter().map(|p| props(Some(p))).collect()
}

fn report<'py>(py: Python<'py>, r: &UpsertReport) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("inserted", r.inserted)?;
    d.set_item("updated", r.updated)?;
    let rejected = PyList::empty(py);
    for p in &r.rejected {
        rejected.append((p.index, p.key, &p.reason))?;
    }
    d.set_item("rejected", rejected)?;
    Ok(d)
}

fn hits<'py>(
    py: Python<'py>,
    r: SearchResult,
    with_payload: bool,
) -> PyResult<Bound<'py, PyTuple>> {
    let keys: Vec<u64> = r.hits.iter().map(|h| h.key).collect();
    let scores: Vec<f32> = r.hits.iter().map(|h| h.score).collect();
    let keys = PyArray1::from_vec(py, keys).into_any();
    let scores = PyArray1::from_vec(py, scores).into_any();
    if !with_payload {
        return PyTuple::new(py, [keys, scores]);
    }
    let payloads = PyList::empty(py);
    for h in &r.hits {
        match &h.payload {
            Some(p) => payloads.append(props_to_py(py, p)?)?,
            None => payloads.append(PyDict::new(py))?,
        }
    }
    PyTuple::new(py, [keys, scores, payloads.into_any()])
}

/// Searches `queries` (n×d) on one snapshot with `threads` threads; rows
/// with fewer than k hits are padded with key 2**64-1 and score NaN.
fn search_rows(
    txn: &ReadTxn<'_>,
    name: &str,
    queries: &[f32],
    dim: usize,
    search: &Search,
    k: usize,
    threads: usize,
) -> Res<(Vec<u64>, Vec<f32>)> {
    let n = queries.len() / dim.max(1);
    let mut keys = vec![u64::MAX; n * k];
    let mut scores = vec![f32::NAN; n * k];
    let collection = txn.collection(name)?;
    let chunk = n.div_ceil(threads.max(1)).max(1);
    let failure: Mutex<Option<Failure>> = Mutex::new(None);
    std::thread::scope(|s| {
        for ((qs, ks), ss) in queries
            .chunks(chunk * dim)
            .zip(keys.chunks_mut(chunk * k))
            .zip(scores.chunks_mut(chunk * k))
        {
            let collection = &collection;
            let failure = &failure;
            s.spawn(move || {
                for ((q, ks), ss) in qs.chunks(dim).zip(ks.chunks_mut(k)).zip(ss.chunks_mut(k)) {
                    match collection.search(q, search) {
                        Ok(r) => {
                            for (i, h) in r.hits.iter().take(k).enumerate() {
                                ks[i] = h.key;
                                ss[i] = h.score;
                            }
                        }
                        Err(e) => {
                            failure.lock().get_or_insert(Failure::Db(e));
                            return;
                        }
                    }
                }
            });
        }
    });
    match failure.into_inner() {
        Some(f) => Err(f),
        None => Ok((keys, scores)),
    }
}

/// The model folder: `model`, else `$QUIVER_MODEL`; each folder is loaded
/// once per process.
fn model(model: Option<PathBuf>) -> Res<Arc<SentenceBert>> {
    static MODELS: OnceLock<Mutex<HashMap<PathBuf, Arc<SentenceBert>>>> = OnceLock::new();
    let dir = model
        .or_else(|| std::env::var_os("QUIVER_MODEL").map(PathBuf::from))
        .ok_or_else(|| {
            Failure::Own(
                "EmbedderError",
                "no model folder: pass model=DIR or set QUIVER_MODEL \
                 (data/models/fetch-minilm.sh fetches all-MiniLM-L6-v2)"
                    .to_owned(),
            )
        })?;
    let models = MODELS.get_or_init(Mutex::default);
    if let Some(m) = models.lock().get(&dir) {
        return Ok(Arc::clone(m));
    }
    let loaded = Arc::new(SentenceBert::load(&dir)?);
    models.lock().insert(dir, Arc::clone(&loaded));
    Ok(loaded)
}

fn collection_dict<'py>(py: Python<'py>, c: &CollectionInfo) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("name", &c.name)?;
    d.set_item("dim", c.config.dim)?;
    d.set_item("metric", c.config.metric.name())?;
    d.set_item("m", c.config.m)?;
    d.set_item("ef_construction", c.config.ef_construction)?;
    d.set_item("quantization", c.config.quantization.name())?;
    d.set_item("bound_to_nodes", c.config.bound_to_nodes)?;
    d.set_item("count", c.count)?;
    d.set_item("text_model", c.text_model.as_deref())?;
    d.set_item("payload_indexes", c.payload_indexes.clone())?;
    Ok(d)
}

/// `obj` as a C-contiguous n×d float32 array; `what` names its rows
/// (plural).
fn matrix<'py>(obj: &Bound<'py, PyAny>, what: &str) -> PyResult<PyReadonlyArray2<'py, f32>> {
    let array = as_f32_array(obj)?;
    array.extract::<PyReadonlyArray2<'py, f32>>().map_err(|_| {
        invalid_err(format!(
            "{what} must be a two-dimensional array, one per row; got shape {}",
            array
                .getattr("shape")
                .map_or_else(|_| "?".to_owned(), |s| s.to_string())
        ))
    })
}

fn queries_2d(obj: &Bound<'_, PyAny>) -> PyResult<(Vec<f32>, usize)> {
    let a = matrix(obj, "queries")?;
    let dim = a.shape()[1];
    Ok((a.as_array().iter().copied().collect(), dim))
}

fn threads_default(threads: Option<usize>) -> usize {
    threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
        .max(1)
}

fn pad_arrays<'py>(
    py: Python<'py>,
    keys: Vec<u64>,
    scores: Vec<f32>,
    n: usize,
    k: usize,
) -> PyResult<Bound<'py, PyTuple>> {
    let keys = PyArray1::from_vec(py, keys).reshape([n, k])?;
    let scores = PyArray1::from_vec(py, scores).reshape([n, k])?;
    PyTuple::new(py, [keys.into_any(), scores.into_any()])
}

/// The search methods shared by `Database` (a fresh snapshot per call)
/// and `ReadTransaction` (its snapshot).
macro_rules! search_methods {
    ($class:ty, $with:ident) => {
        #[pymethods]
        impl $class {
            /// Searches collection `name` for the `k` points nearest
            /// `query` (a 1-D float32 array). Returns `(keys, scores)` as
            /// NumPy arrays, best first, and the payloads as a list of
            /// dicts third when `with_payload`. `ef` or `recall` set the
            /// walk's breadth; `exact` searches every point; `keys`,
            /// `label` and `filter` (`{field: value}` or `{field: (low,
            /// high)}`) restrict the points; `threshold` drops worse scores.
            #[pyo3(signature = (name, query, k = 10, *, ef = None, recall = None, exact = false,
                keys = None, label = None, filter = None, threshold = None, with_payload = false))]
            #[allow(clippy::too_many_arguments, reason = "keyword arguments")]
            fn search<'py>(
                &self,
                py: Python<'py>,
                name: &str,
                query: &Bound<'py, PyAny>,
                k: usize,
                ef: Option<usize>,
                recall: Option<f64>,
                exact: bool,
                keys: Option<Vec<u64>>,
                label: Option<String>,
                filter: Option<&Bound<'py, PyDict>>,
                threshold: Option<f32>,
                with_payload: bool,
            ) -> PyResult<Bound<'py, PyTuple>> {
                let q = vector(query)?;
                let kn = knobs(k, ef, recall, exact, keys, label, filter, threshold, with_payload)?;
                let r = $with(self, py, |txn| Ok(txn.collection(name)?.search(&q, &kn.search)?))?;
                hits(py, r, kn.with_payload)
            }

            /// Searches many queries at once (an n×d array) on `threads`
            /// threads (default: every core), the GIL released. Returns
            /// `(keys, scores)`, each n×k; a query with fewer than `k` hits
            /// has its row padded with key `2**64 - 1` and score NaN.
            #[pyo3(signature = (name, queries, k = 10, *, ef = None, recall = None, exact = false,
                label = None, filter = None, threads = None))]
            #[allow(clippy::too_many_arguments, reason = "keyword arguments")]
            fn search_many<'py>(
                &self,
                py: Python<'py>,
                name: &str,
                queries: &Bound<'py, PyAny>,
                k: usize,
                ef: Option<usize>,
                recall: Option<f64>,
                exact: bool,
                label: Option<String>,
                filter: Option<&Bound<'py, PyDict>>,
                threads: Option<usize>,
            ) -> PyResult<Bound<'py, PyTuple>> {
                let (qs, dim) = queries_2d(queries)?;
                let n = if dim == 0 { 0 } else { qs.len() / dim };
                let kn = knobs(k, ef, recall, exact, None, label, filter, None, false)?;
                let threads = threads_default(threads);
                let (keys, scores) =
                    $with(self, py, |txn| search_rows(txn, name, &qs, dim, &kn.search, k, threads))?;
                pad_arrays(py, keys, scores, n, k)
            }

            /// Searches a text collection by a sentence (embedded with the
            /// collection's model). Returns `(keys, scores, texts)`.
            #[pyo3(signature = (name, text, k = 10, *, ef = None, recall = None, exact = false,
                label = None, filter = None))]
            #[allow(clippy::too_many_arguments, reason = "keyword arguments")]
            fn search_text<'py>(
                &self,
                py: Python<'py>,
                name: &str,
                text: &str,
                k: usize,
                ef: Option<usize>,
                recall: Option<f64>,
                exact: bool,
                label: Option<String>,
                filter: Option<&Bound<'py, PyDict>>,
            ) -> PyResult<Bound<'py, PyTuple>> {
                // The texts travel with the payloads.
                let kn = knobs(k, ef, recall, exact, None, label, filter, None, true)?;
                let r = $with(self, py, |txn| {
                    Ok(txn.collection(name)?.search_text(text, &kn.search)?)
                })?;
                let texts: Vec<Option<String>> = r.hits.iter().map(|h| h.text.clone()).collect();
                let t = hits(py, r, false)?;
                PyTuple::new(py, [t.get_item(0)?, t.get_item(1)?, texts.into_pyobject(py)?.into_any()])
            }

            /// The vector collections, as dicts (name, dim, metric, count, ...).
            fn collections<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
                let all = $with(self, py, |txn| Ok(txn.collections()?))?;
                let list = PyList::empty(py);
                for c in &all {
                    list.append(collection_dict(py, c)?)?;
                }
                Ok(list)
            }

            /// A point's vector (float32 array) and payload, or None.
            fn get_vector<'py>(
                &self,
                py: Python<'py>,
                name: &str,
                key: u64,
            ) -> PyResult<Option<(Bound<'py, PyArray1<f32>>, Bound<'py, PyDict>)>> {
                let p = $with(self, py, |txn| Ok(txn.collection(name)?.get(key)?))?;
                p.map(|p| Ok((PyArray1::from_vec(py, p.vector), props_to_py(py, &p.payload)?)))
                    .transpose()
            }
        }
    };
}

fn on_snapshot<T: Send>(
    snap: &ReadTransaction,
    py: Python<'_>,
    f: impl FnOnce(&ReadTxn<'_>) -> Res<T> + Send,
) -> PyResult<T> {
    snap.with(py, f)
}

fn on_fresh<T: Send>(
    db: &Database,
    py: Python<'_>,
    f: impl FnOnce(&ReadTxn<'_>) -> Res<T> + Send,
) -> PyResult<T> {
    let shared = db.shared()?;
    Ok(py.detach(|| f(&shared.db().begin_read()?))?)
}

search_methods!(ReadTransaction, on_snapshot);
search_methods!(Database, on_fresh);

fn metric(name: &str) -> PyResult<Metric> {
    Metric::from_name(name).ok_or_else(|| {
        invalid_err(format!(
            "unknown metric {name:?}: use 'cosine', 'l2' or 'dot'"
        ))
    })
}

#[pymethods]
impl WriteTransaction {
    /// Creates a vector collection of `dim`-dimensional vectors.
    /// `metric`: 'cosine' (default), 'l2' or 'dot'; `m`, `ef_construction`:
    /// the HNSW graph's degree and build breadth; `quantization`: 'none',
    /// 'int8' or 'binary' codes walked during search (re-ranked exactly);
    /// `bound_to_nodes`: keys are node ids and a hit is a node.
    #[pyo3(signature = (name, dim, *, metric = "cosine", m = 16, ef_construction = 200,
        quantization = None, bound_to_nodes = false))]
    #[allow(clippy::too_many_arguments, reason = "keyword arguments")]
    fn create_collection(
        &self,
        py: Python<'_>,
        name: &str,
        dim: usize,
        metric: &str,
        m: usize,
        ef_construction: usize,
        quantization: Option<&str>,
        bound_to_nodes: bool,
    ) -> PyResult<()> {
        let mut config = CollectionConfig::new(dim, self::metric(metric)?).hnsw(m, ef_construction);
        if let Some(q) = quantization {
            config = config.quantization(Quantization::from_name(q).ok_or_else(|| {
                invalid_err(format!(
                    "unknown quantization {q:?}: use 'none', 'int8' or 'binary'"
                ))
            })?);
        }
        if bound_to_nodes {
            config = config.bound_to_nodes();
        }
        self.with(py, |txn| Ok(txn.create_collection(name, config)?))
    }

    /// Creates a collection whose points are texts embedded by the model in
    /// folder `model` (default: `$QUIVER_MODEL`), e.g. all-MiniLM-L6-v2.
    #[pyo3(signature = (name, *, model = None, metric = "cosine"))]
    fn create_text_collection(
        &self,
        py: Python<'_>,
        name: &str,
        model: Option<PathBuf>,
        metric: &str,
    ) -> PyResult<()> {
        let metric = self::metric(metric)?;
        self.with(py, |txn| {
            let m = self::model(model)?;
            let config = CollectionConfig::new(quiverdb::embed::Embedder::dim(&*m), metric);
            Ok(txn.create_text_collection(name, config, m)?)
        })
    }

    /// Drops a collection and its points.
    fn drop_collection(&self, py: Python<'_>, name: &str) -> PyResult<()> {
        self.with(py, |txn| Ok(txn.drop_collection(name)?))
    }

    /// Inserts or replaces points: `keys` (N integers), `vectors` (an N×d
    /// float32 array), `payloads` (N dicts, or None). A point that fails
    /// validation (NaN, zero vector under cosine, unknown node) is
    /// reported in `rejected` as `(index, key, reason)`; the others go in.
    /// Returns `{'inserted', 'updated', 'rejected'}`.
    #[pyo3(signature = (name, keys, vectors, payloads = None))]
    fn upsert_vectors<'py>(
        &self,
        py: Python<'py>,
        name: &str,
        keys: &Bound<'py, PyAny>,
        vectors: &Bound<'py, PyAny>,
        payloads: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let keys = self::keys(keys)?;
        let a = matrix(vectors, "vectors")?;
        let n = a.shape()[0];
        if keys.len() != n {
            return Err(invalid_err(format!("{} keys for {n} vectors", keys.len())));
        }
        let payloads = self::payloads(payloads, n)?;
        let data = a
            .as_slice()
            .map_err(|_| invalid_err("vectors must be contiguous"))?;
        let dim = a.shape()[1];
        let r = self.with(py, |txn| {
            let points = keys
                .iter()
                .zip(payloads)
                .enumerate()
                .map(|(i, (&k, p))| (k, &data[i * dim..(i + 1) * dim], p));
            Ok(txn.upsert_vectors(name, points)?)
        })?;
        report(py, &r)
    }

    /// Inserts or replaces text points (embedded with the collection's
    /// model). Returns `{'inserted', 'updated', 'rejected'}`.
    #[pyo3(signature = (name, keys, texts, payloads = None))]
    fn upsert_texts<'py>(
        &self,
        py: Python<'py>,
        name: &str,
        keys: &Bound<'py, PyAny>,
        texts: Vec<String>,
        payloads: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let keys = self::keys(keys)?;
        if keys.len() != texts.len() {
            return Err(invalid_err(format!(
                "{} keys for {} texts",
                keys.len(),
                texts.len()
            )));
        }
        let payloads = self::payloads(payloads, keys.len())?;
        let r = self.with(py, |txn| {
            let points = keys
                .iter()
                .zip(&texts)
                .zip(payloads)
                .map(|((&k, t), p)| (k, t.as_str(), p));
            Ok(txn.upsert_texts(name, points)?)
        })?;
        report(py, &r)
    }

    /// Deletes a point; returns whether it existed.
    fn delete_vector(&self, py: Python<'_>, name: &str, key: u64) -> PyResult<bool> {
        self.with(py, |txn| Ok(txn.delete_vector(name, key)?))
    }

    /// Indexes a payload field, so filters on it read the index.
    fn create_payload_index(&self, py: Python<'_>, name: &str, field: &str) -> PyResult<()> {
        self.with(py, |txn| Ok(txn.create_payload_index(name, field)?))
    }
}

#[pymethods]
impl Database {
    /// Attaches the model in folder `model` (default: `$QUIVER_MODEL`) to
    /// the text collection `name`, after opening the database: a text
    /// collection searches and takes texts only with its model attached.
    #[pyo3(signature = (name, model = None))]
    fn attach_model(&self, py: Python<'_>, name: &str, model: Option<PathBuf>) -> PyResult<()> {
        let shared = self.shared()?;
        Ok(py.detach(|| -> Res<()> {
            let m = self::model(model)?;
            Ok(shared.db().attach_embedder(name, m)?)
        })?)
    }
}
