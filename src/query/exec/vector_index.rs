//! Neo4j's vector indexes over a property: `CREATE VECTOR INDEX` (and the
//! older `db.index.vector.createNodeIndex`) make a vector collection that
//! the property feeds ([`VectorSource`]); `SHOW INDEXES` lists them;
//! `db.index.vector.queryNodes` / `queryRelationships` search them with
//! Neo4j's scores.

use std::collections::BTreeMap;

use super::graph::{Access, Graph, no_graph};
use crate::query::error::{ErrorKind, QResult, QueryError, argument_error};
use crate::query::value::CypherValue as V;
use crate::txn::WriteTxn;
use crate::vector::{CollectionConfig, CollectionInfo, MAX_DIM, Metric, VectorSource};
use crate::{EdgeId, NodeId};

/// The provider name `SHOW INDEXES` reports (Neo4j 5's).
const PROVIDER: &str = "vector-2.0";

/// `CREATE VECTOR INDEX` (`args`: name or null, label or type, key, on
/// relationships, `IF NOT EXISTS`, the `OPTIONS` map or null). An index
/// with the name, or one over the same label (type) and property, is a
/// no-op with `IF NOT EXISTS`, else an error, as in Neo4j.
pub(crate) fn create(args: &[V], w: &mut WriteTxn<'_>) -> QResult<()> {
    let text = |i: usize| match args.get(i) {
        Some(V::String(s)) => Ok(s.clone()),
        other => Err(argument_error(
            "InvalidArgumentValue",
            format!(
                "a vector index's name, label and property are strings, not {}",
                other.map_or("nothing", V::type_name)
            ),
        )),
    };
    let (label, key) = (text(1)?, text(2)?);
    let name = match args.first() {
        Some(V::Null) | None => crate::graph::records::default_index_name(&label, &key, false),
        Some(_) => text(0)?,
    };
    let edges = matches!(args.get(3), Some(V::Bool(true)));
    let if_not_exists = matches!(args.get(4), Some(V::Bool(true)));
    let config = options(args.get(5).unwrap_or(&V::Null))?;
    let source = if edges {
        VectorSource::edge_property(&label, &key)
    } else {
        VectorSource::node_property(&label, &key)
    };
    let exists = super::write_procs::already_exists;
    let collections = w.collections()?;
    if super::write_procs::name_taken(w, &name)? {
        if if_not_exists {
            return Ok(());
        }
        return Err(exists(format!(
            "there is already an index, constraint or collection called {name}"
        )));
    }
    if let Some(same) = collections
        .iter()
        .find(|c| c.config.source.as_ref() == Some(&source))
    {
        if if_not_exists {
            return Ok(());
        }
        return Err(exists(format!(
            "an equivalent vector index already exists on {key} of {label}: {}",
            same.name
        )));
    }
    w.create_collection(&name, config.fed_by(source))?;
    w.count().indexes_added += 1;
    Ok(())
}

/// `db.index.vector.createNodeIndex(name, label, property, dimensions,
/// similarity)`: Neo4j 5.11's procedure form of the same.
pub(crate) fn create_node_index(args: &[V], w: &mut WriteTxn<'_>) -> QResult<()> {
    let get = |i: usize| args.get(i).cloned().unwrap_or(V::Null);
    let config = BTreeMap::from([
        ("vector.dimensions".to_owned(), get(3)),
        ("vector.similarity_function".to_owned(), get(4)),
    ]);
    let options = V::Map(BTreeMap::from([("indexConfig".to_owned(), V::Map(config))]));
    create(
        &[
            get(0),
            get(1),
            get(2),
            V::Bool(false),
            V::Bool(false),
            options,
        ],
        w,
    )
}

/// The collection configuration `OPTIONS {indexConfig: {…}}` asks for:
/// `vector.dimensions` (required), `vector.similarity_function`
/// (`cosine`, the default, or `euclidean`), `vector.hnsw.m`,
/// `vector.hnsw.ef_construction`; `vector.quantization.enabled` and
/// `indexProvider` are accepted (the walk reads f32 vectors either way).
fn options(options: &V) -> QResult<CollectionConfig> {
    let bad = |message: String| argument_error("InvalidArgumentValue", message);
    let empty = BTreeMap::new();
    let top = match options {
        V::Null => &empty,
        V::Map(m) => m,
        other => return Err(bad(format!("OPTIONS is a map, not {}", other.type_name()))),
    };
    let mut config = &empty;
    for (key, value) in top {
        match (key.as_str(), value) {
            ("indexConfig", V::Map(m)) => config = m,
            ("indexProvider", V::String(_)) => {}
            _ => {
                return Err(bad(format!(
                    "OPTIONS has no setting {key} for a vector index"
                )));
            }
        }
    }
    let integer = |key: &str, v: &V, range: std::ops::RangeInclusive<i64>| match v {
        V::Int(n) if range.contains(n) => Ok(usize::try_from(*n).unwrap_or(0)),
        other => Err(bad(format!(
            "{key} is an integer in {}..={}, not {other}",
            range.start(),
            range.end()
        ))),
    };
    let mut dim = None;
    let mut metric = Metric::Cosine;
    let (mut m, mut ef) = (16, 200);
    for (key, value) in config {
        match key.as_str() {
            "vector.dimensions" => {
                dim = Some(integer(key, value, 1..=MAX_DIM as i64)?);
            }
            "vector.similarity_function" => {
                metric = match value {
                    V::String(s) if s.eq_ignore_ascii_case("cosine") => Metric::Cosine,
                    V::String(s) if s.eq_ignore_ascii_case("euclidean") => Metric::L2,
                    other => {
                        return Err(bad(format!(
                            "vector.similarity_function is 'cosine' or 'euclidean', not {other}"
                        )));
                    }
                };
            }
            "vector.hnsw.m" => m = integer(key, value, 2..=256)?,
            "vector.hnsw.ef_construction" => ef = integer(key, value, 1..=10_000)?,
            "vector.quantization.enabled" if matches!(value, V::Bool(_)) => {}
            _ => {
                return Err(bad(format!(
                    "indexConfig has no setting {key} (QuiverDB reads vector.dimensions, vector.similarity_function, vector.hnsw.m, vector.hnsw.ef_construction)"
                )));
            }
        }
    }
    let dim = dim.ok_or_else(|| {
        bad("a vector index needs OPTIONS {indexConfig: {`vector.dimensions`: n}}".to_owned())
    })?;
    Ok(CollectionConfig::new(dim, metric).hnsw(m, ef))
}

/// The collections the statement's transaction sees.
pub(crate) fn collections(access: &Access<'_, '_>) -> QResult<Vec<CollectionInfo>> {
    Ok(match access {
        Access::Read(r) => r.collections()?,
        Access::Write(w) => w.collections()?,
        Access::View(w) => w.collections()?,
        Access::Detached => return Err(no_graph()),
    })
}

/// Neo4j's score for a hit of a collection a property feeds: in [0, 1],
/// higher is better — `(1 + cosine) / 2`, or `1 / (1 + d²)` for the
/// Euclidean distance `d`. Other collections keep their own scores.
pub(crate) fn score(config: &CollectionConfig, score: f32) -> f64 {
    let s = f64::from(score);
    match (&config.source, config.metric) {
        (Some(_), Metric::Cosine) => f64::midpoint(1.0, s),
        (Some(_), Metric::L2) => 1.0 / (1.0 + s * s),
        _ => s,
    }
}

/// The rows `SHOW INDEXES` lists for the vector indexes (every column of
/// `SHOW_INDEXES`), numbered from `first_id`.
pub(crate) fn show_rows(access: &Access<'_, '_>, first_id: i64) -> QResult<Vec<Vec<V>>> {
    let mut rows = Vec::new();
    for c in collections(access)? {
        let Some(source) = &c.config.source else {
            continue;
        };
        let similarity = match c.config.metric {
            Metric::L2 => "EUCLIDEAN",
            _ => "COSINE",
        };
        let index_config = BTreeMap::from([
            ("vector.dimensions".to_owned(), V::Int(c.config.dim as i64)),
            (
                "vector.similarity_function".to_owned(),
                V::String(similarity.to_owned()),
            ),
            ("vector.hnsw.m".to_owned(), V::Int(c.config.m as i64)),
            (
                "vector.hnsw.ef_construction".to_owned(),
                V::Int(c.config.ef_construction as i64),
            ),
            ("vector.quantization.enabled".to_owned(), V::Bool(false)),
        ]);
        let options = V::Map(BTreeMap::from([
            ("indexProvider".to_owned(), V::String(PROVIDER.to_owned())),
            ("indexConfig".to_owned(), V::Map(index_config)),
        ]));
        let (label, key) = (source.label(), source.property());
        let target = if source.on_edges() {
            format!("()-[e:`{label}`]-()")
        } else {
            format!("(n:`{label}`)")
        };
        let var = if source.on_edges() { "e" } else { "n" };
        let statement = format!(
            "CREATE VECTOR INDEX `{}` FOR {target} ON ({var}.`{key}`) OPTIONS {{indexConfig: {{`vector.dimensions`: {}, `vector.similarity_function`: '{similarity}'}}, indexProvider: '{PROVIDER}'}}",
            c.name, c.config.dim
        );
        let one = |s: &str| V::List(vec![V::String(s.to_owned())]);
        rows.push(vec![
            V::Int(first_id + rows.len() as i64),
            V::String(c.name.clone()),
            V::String("ONLINE".to_owned()),
            V::Float(100.0),
            V::String("VECTOR".to_owned()),
            V::String(
                if source.on_edges() {
                    "RELATIONSHIP"
                } else {
                    "NODE"
                }
                .to_owned(),
            ),
            one(label),
            one(key),
            V::String(PROVIDER.to_owned()),
            V::Null,
            V::Null,
            V::Null,
            V::Null,
            options,
            V::String(String::new()),
            V::String(statement),
        ]);
    }
    Ok(rows)
}

/// A hit's entity as a statement's value: a node, or a relationship read
/// from the transaction (one deleted meanwhile cannot be a hit).
pub(crate) fn relationship(access: &Access<'_, '_>, id: u64) -> QResult<V> {
    let reader = access.reader().ok_or_else(no_graph)?;
    Graph::new(reader)
        .relationship(EdgeId(id))?
        .map(|r| V::Relationship(Box::new(r)))
        .ok_or_else(|| {
            QueryError::runtime(
                ErrorKind::EntityNotFound,
                "EntityNotFound",
                format!("relationship {id} of a vector index is not in the graph"),
            )
        })
}

/// A node hit as a statement's value.
pub(crate) fn node(id: u64) -> V {
    V::Node(Box::new(crate::query::value::NodeValue::bare(NodeId(id))))
}
