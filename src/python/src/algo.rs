//! Graph algorithms from Python: paths, and the whole-graph kernels on a
//! projection (cached by the database until the next commit), returned as
//! dicts of NumPy arrays (`pandas.DataFrame(db.pagerank())` is a table).

use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use quiverdb::algo::{self, LeidenConfig, Objective, PathQuery, Projection, ProjectionSpec};
use quiverdb::{Direction, NodeId, Value};

use crate::database::Database;
use crate::error::{Res, invalid_err};

fn direction(name: &str) -> PyResult<Direction> {
    match name {
        "out" => Ok(Direction::Out),
        "in" => Ok(Direction::In),
        "both" => Ok(Direction::Both),
        other => Err(invalid_err(format!(
            "direction must be 'out', 'in' or 'both', not {other:?}"
        ))),
    }
}

fn spec(
    labels: Option<Vec<String>>,
    types: Option<Vec<String>>,
    weight: Option<String>,
    undirected: Option<bool>,
) -> ProjectionSpec {
    let mut s = ProjectionSpec::new();
    if let Some(l) = labels {
        s = s.labels(l);
    }
    if let Some(t) = types {
        s = s.edge_types(t);
    }
    if let Some(w) = weight {
        s = s.weight(w);
    }
    if let Some(u) = undirected {
        s = s.undirected(u);
    }
    s
}

fn community_config(resolution: f64, objective: &str, seed: u64) -> PyResult<LeidenConfig> {
    let objective = match objective {
        "modularity" => Objective::Modularity,
        "cpm" => Objective::Cpm,
        other => {
            return Err(invalid_err(format!(
                "objective must be 'modularity' or 'cpm', not {other:?}"
            )));
        }
    };
    Ok(LeidenConfig::new()
        .objective(objective)
        .resolution(resolution)
        .seed(seed))
}

/// `{"node": ids, name: values}` for per-node results of a projection.
fn per_node<'py, T: numpy::Element>(
    py: Python<'py>,
    p: &Projection,
    name: &str,
    values: Vec<T>,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let ids: Vec<u64> = p.node_ids().iter().map(|n| n.0).collect();
    d.set_item("node", PyArray1::from_vec(py, ids))?;
    d.set_item(name, PyArray1::from_vec(py, values))?;
    Ok(d)
}

impl Database {
    /// Leiden or Louvain, with the result written back as a node property
    /// in one commit when `write_property` names one.
    #[allow(clippy::too_many_arguments, reason = "keyword arguments")]
    fn communities<'py>(
        &self,
        py: Python<'py>,
        leiden: bool,
        config: LeidenConfig,
        weight: Option<String>,
        levels: bool,
        labels: Option<Vec<String>>,
        types: Option<Vec<String>>,
        write_property: Option<String>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let shared = self.shared()?;
        let (p, c) = self.projected(py, &spec(labels, types, weight, None), |p| {
            let c = if leiden {
                algo::leiden(p, &config)?
            } else {
                algo::louvain(p, &config)?
            };
            if let Some(key) = &write_property {
                let mut w = shared.db().begin_write()?;
                w.set_node_properties(p.node_ids().iter().enumerate().map(|(i, id)| {
                    let value = if levels {
                        Value::List(
                            (0..c.levels())
                                .map(|l| Value::Int(i64::from(c.level(l)[i])))
                                .collect(),
                        )
                    } else {
                        Value::Int(i64::from(c.membership()[i]))
                    };
                    (*id, key.as_str(), Some(value))
                }))?;
                w.commit()?;
            }
            Ok(c)
        })?;
        let d = per_node(py, &p, "community", c.membership().to_vec())?;
        if levels {
            for l in 0..c.levels() {
                d.set_item(format!("level_{l}"), PyArray1::from_slice(py, c.level(l)))?;
            }
        }
        Ok(d)
    }

    fn projected<T: Send>(
        &self,
        py: Python<'_>,
        spec: &ProjectionSpec,
        f: impl FnOnce(&Projection) -> Res<T> + Send,
    ) -> PyResult<(std::sync::Arc<Projection>, T)> {
        let shared = self.shared()?;
        Ok(py.detach(|| -> Res<_> {
            let p = shared.db().projection(spec)?;
            let out = f(&p)?;
            Ok((p, out))
        })?)
    }
}

#[pymethods]
impl Database {
    /// The shortest path from node `start` to node `end`, or None:
    /// `{"nodes": ids, "edges": ids, "cost": float}`. Unweighted (hops,
    /// bidirectional BFS) unless `weight` names a numeric edge property
    /// (Dijkstra; a negative weight is an error). `direction`: 'out',
    /// 'in' or 'both'; `types`: the edge types to follow; `max_depth`: the
    /// most hops.
    #[pyo3(signature = (start, end, *, direction = "out", types = None, weight = None,
        default_weight = None, max_depth = None))]
    #[allow(clippy::too_many_arguments, reason = "keyword arguments")]
    fn shortest_path<'py>(
        &self,
        py: Python<'py>,
        start: u64,
        end: u64,
        direction: &str,
        types: Option<Vec<String>>,
        weight: Option<String>,
        default_weight: Option<f64>,
        max_depth: Option<u32>,
    ) -> PyResult<Option<Bound<'py, PyDict>>> {
        let mut q = PathQuery::new().direction(self::direction(direction)?);
        if let Some(t) = types {
            q = q.edge_types(t);
        }
        if let Some(w) = weight {
            q = q.weight(w);
        }
        if let Some(d) = default_weight {
            q = q.default_weight(d);
        }
        if let Some(m) = max_depth {
            q = q.max_depth(m);
        }
        let shared = self.shared()?;
        let path = py.detach(|| -> Res<_> {
            Ok(shared
                .db()
                .begin_read()?
                .shortest_path(NodeId(start), NodeId(end), &q)?)
        })?;
        path.map(|p| {
            let d = PyDict::new(py);
            let nodes: Vec<u64> = p.nodes.iter().map(|n| n.0).collect();
            let edges: Vec<u64> = p.edges.iter().map(|e| e.0).collect();
            d.set_item("nodes", PyArray1::from_vec(py, nodes))?;
            d.set_item("edges", PyArray1::from_vec(py, edges))?;
            d.set_item("cost", p.cost)?;
            Ok(d)
        })
        .transpose()
    }

    /// Connected components: `{"node": ids, "component": ids}`, a
    /// component named by its smallest node id. `kind`: 'weak' (edges
    /// either way) or 'strong' (directed cycles).
    #[pyo3(signature = (kind = "weak", *, labels = None, types = None))]
    fn components<'py>(
        &self,
        py: Python<'py>,
        kind: &str,
        labels: Option<Vec<String>>,
        types: Option<Vec<String>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let strong = match kind {
            "weak" => false,
            "strong" => true,
            other => {
                return Err(invalid_err(format!(
                    "kind must be 'weak' or 'strong', not {other:?}"
                )));
            }
        };
        let (p, c) = self.projected(py, &spec(labels, types, None, None), |p| {
            Ok(if strong {
                algo::strongly_connected_components(p)
            } else {
                algo::weakly_connected_components(p)
            })
        })?;
        // Name each component by its smallest node id, as the CLI does.
        let mut smallest = vec![u64::MAX; c.count()];
        for (i, &label) in c.labels().iter().enumerate() {
            let id = p.node_id(i as u32).0;
            let s = &mut smallest[label as usize];
            *s = (*s).min(id);
        }
        let names: Vec<u64> = c.labels().iter().map(|&l| smallest[l as usize]).collect();
        per_node(py, &p, "component", names)
    }

    /// PageRank (Graphalytics' definition): `{"node": ids, "rank": floats}`.
    #[pyo3(signature = (*, damping = 0.85, iterations = 20, labels = None, types = None, direction = "out"))]
    fn pagerank<'py>(
        &self,
        py: Python<'py>,
        damping: f64,
        iterations: u32,
        labels: Option<Vec<String>>,
        types: Option<Vec<String>>,
        direction: &str,
    ) -> PyResult<Bound<'py, PyDict>> {
        if !(0.0..1.0).contains(&damping) {
            return Err(invalid_err(format!(
                "damping must be in [0, 1), not {damping}"
            )));
        }
        let dir = self::direction(direction)?;
        let (p, r) = self.projected(py, &spec(labels, types, None, None), |p| {
            Ok(algo::pagerank(p, damping, iterations, dir))
        })?;
        per_node(py, &p, "rank", r)
    }

    /// Breadth-first depths from node `source`: `{"node": ids, "depth":
    /// ints}`, -1 for a node it does not reach.
    #[pyo3(signature = (source, *, direction = "out", labels = None, types = None))]
    fn bfs<'py>(
        &self,
        py: Python<'py>,
        source: u64,
        direction: &str,
        labels: Option<Vec<String>>,
        types: Option<Vec<String>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let dir = self::direction(direction)?;
        let (p, d) = self.projected(py, &spec(labels, types, None, None), |p| {
            Ok(algo::bfs_depths(p, NodeId(source), dir)?)
        })?;
        let depths: Vec<i64> = d.iter().map(|d| d.map_or(-1, i64::from)).collect();
        per_node(py, &p, "depth", depths)
    }

    /// Weighted distances from node `source` by edge property `weight`
    /// (Dijkstra): `{"node": ids, "distance": floats}`, inf where it does
    /// not reach.
    #[pyo3(signature = (source, weight, *, direction = "out", labels = None, types = None))]
    fn sssp<'py>(
        &self,
        py: Python<'py>,
        source: u64,
        weight: String,
        direction: &str,
        labels: Option<Vec<String>>,
        types: Option<Vec<String>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let dir = self::direction(direction)?;
        let (p, d) = self.projected(py, &spec(labels, types, Some(weight), None), |p| {
            Ok(algo::sssp_distances(p, NodeId(source), dir)?)
        })?;
        per_node(py, &p, "distance", d)
    }

    /// Community detection by label propagation (Graphalytics CDLP):
    /// `{"node": ids, "community": ids}`.
    #[pyo3(signature = (*, iterations = 10, labels = None, types = None))]
    fn cdlp<'py>(
        &self,
        py: Python<'py>,
        iterations: u32,
        labels: Option<Vec<String>>,
        types: Option<Vec<String>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let (p, c) = self.projected(py, &spec(labels, types, None, None), |p| {
            Ok(algo::cdlp(p, iterations))
        })?;
        per_node(py, &p, "community", c.iter().map(|n| n.0).collect())
    }

    /// k-core decomposition: `{"node": ids, "coreness": ints}`, degrees
    /// counted over edges either way with multiplicity (igraph's
    /// `coreness(mode="all")`).
    #[pyo3(signature = (*, labels = None, types = None))]
    fn kcore<'py>(
        &self,
        py: Python<'py>,
        labels: Option<Vec<String>>,
        types: Option<Vec<String>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let (p, c) =
            self.projected(py, &spec(labels, types, None, None), |p| Ok(algo::kcore(p)))?;
        per_node(py, &p, "coreness", c)
    }

    /// Personalised PageRank restarting at `seeds` (node ids, or a dict of
    /// node id to weight): `{"node": ids, "rank": floats}` summing to 1.
    /// `weight` names a numeric edge property to split rank by.
    #[pyo3(signature = (seeds, *, damping = 0.85, weight = None, direction = "out",
        labels = None, types = None))]
    #[allow(clippy::too_many_arguments, reason = "keyword arguments")]
    fn personalized_pagerank<'py>(
        &self,
        py: Python<'py>,
        seeds: &Bound<'py, PyAny>,
        damping: f64,
        weight: Option<String>,
        direction: &str,
        labels: Option<Vec<String>>,
        types: Option<Vec<String>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        if !(0.0..1.0).contains(&damping) {
            return Err(invalid_err(format!(
                "damping must be in [0, 1), not {damping}"
            )));
        }
        let dir = self::direction(direction)?;
        let seeds: Vec<(u64, f64)> = if let Ok(d) = seeds.cast::<PyDict>() {
            d.iter()
                .map(|(k, v)| Ok((k.extract()?, v.extract()?)))
                .collect::<PyResult<_>>()?
        } else {
            seeds
                .try_iter()?
                .map(|k| Ok((k?.extract()?, 1.0)))
                .collect::<PyResult<_>>()?
        };
        if seeds.iter().any(|&(_, w)| !(w >= 0.0 && w.is_finite())) {
            return Err(invalid_err("seed weights must be finite and not negative"));
        }
        let (p, r) = self.projected(py, &spec(labels, types, weight, None), |p| {
            let at = seeds
                .iter()
                .map(|&(id, w)| Ok((p.require(NodeId(id))?, w)))
                .collect::<Res<Vec<_>>>()?;
            Ok(algo::personalized_pagerank(p, &at, damping, dir))
        })?;
        per_node(py, &p, "rank", r)
    }

    /// Leiden communities (modularity or CPM; the projection read as
    /// undirected): `{"node": ids, "community": ints}`, and with
    /// `levels=True` also `"level_0"` (finest) … `"level_<L-1>"` (the
    /// result). Every community is connected; the same seed gives the same
    /// result. `iterations=0` runs until an iteration changes nothing.
    /// `write_property` also stores each node's community (with `levels`,
    /// the list of its communities, finest first) in one commit.
    #[pyo3(signature = (*, resolution = 1.0, objective = "modularity", seed = 0,
        iterations = 3, randomness = 0.01, weight = None, levels = false,
        labels = None, types = None, write_property = None))]
    #[allow(clippy::too_many_arguments, reason = "keyword arguments")]
    fn leiden<'py>(
        &self,
        py: Python<'py>,
        resolution: f64,
        objective: &str,
        seed: u64,
        iterations: u32,
        randomness: f64,
        weight: Option<String>,
        levels: bool,
        labels: Option<Vec<String>>,
        types: Option<Vec<String>>,
        write_property: Option<String>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let config = community_config(resolution, objective, seed)?
            .iterations(iterations)
            .randomness(randomness);
        self.communities(
            py,
            true,
            config,
            weight,
            levels,
            labels,
            types,
            write_property,
        )
    }

    /// Louvain communities: as `leiden` without the refinement (faster; a
    /// community may be disconnected).
    #[pyo3(signature = (*, resolution = 1.0, objective = "modularity", seed = 0,
        iterations = 3, weight = None, levels = false, labels = None, types = None,
        write_property = None))]
    #[allow(clippy::too_many_arguments, reason = "keyword arguments")]
    fn louvain<'py>(
        &self,
        py: Python<'py>,
        resolution: f64,
        objective: &str,
        seed: u64,
        iterations: u32,
        weight: Option<String>,
        levels: bool,
        labels: Option<Vec<String>>,
        types: Option<Vec<String>>,
        write_property: Option<String>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let config = community_config(resolution, objective, seed)?.iterations(iterations);
        self.communities(
            py,
            false,
            config,
            weight,
            levels,
            labels,
            types,
            write_property,
        )
    }

    /// Local clustering coefficients (Graphalytics LCC): `{"node": ids,
    /// "coefficient": floats}`.
    #[pyo3(signature = (*, directed = true, labels = None, types = None))]
    fn lcc<'py>(
        &self,
        py: Python<'py>,
        directed: bool,
        labels: Option<Vec<String>>,
        types: Option<Vec<String>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let (p, c) = self.projected(py, &spec(labels, types, None, None), |p| {
            Ok(algo::lcc(p, directed))
        })?;
        per_node(py, &p, "coefficient", c)
    }
}
