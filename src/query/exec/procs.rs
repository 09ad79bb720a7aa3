//! Procedures for `CALL`: vector search over a node-bound collection
//! (Neo4j's name, `db.index.vector.queryNodes`), the graph kernels
//! (`algo.*`), and the schema lists (`db.labels`, ...).

use std::collections::BTreeSet;

use super::graph::{Access, no_graph};
use super::{meta, vector_index};
use crate::algo::{self, Projection, ProjectionSpec};
use crate::graph::dict::Kind;
use crate::query::error::{ErrorKind, QResult, QueryError, argument_error, type_error};
use crate::query::plan::procs::Procedure;
use crate::query::value::{CypherValue as V, CypherValue, NodeValue};
use crate::vector::{Search, VectorSource};
use crate::{Direction, NodeId};

impl Procedure {
    /// Runs the procedure: its output rows.
    #[allow(clippy::too_many_lines, reason = "one arm per procedure")]
    pub fn call(
        self,
        args: &[CypherValue],
        access: &Access<'_, '_>,
    ) -> QResult<Vec<Vec<CypherValue>>> {
        use Procedure as P;
        let node = |id: NodeId| V::Node(Box::new(NodeValue::bare(id)));
        match self {
            P::VectorQueryNodes => vector_query(args, access, false),
            P::VectorQueryRelationships => vector_query(args, access, true),
            P::FulltextQueryNodes => super::fulltext::query(args, access, false),
            P::FulltextQueryRelationships => super::fulltext::query(args, access, true),
            P::FulltextListAnalyzers => Ok(super::fulltext::analyzers()),
            P::HybridQueryNodes => super::fulltext::hybrid(args, access),
            P::AwaitIndexes => Ok(Vec::new()),
            P::LoadCsv => super::load_csv::rows(args, access),
            P::MetaGraph => meta::meta_graph(access),
            P::SchemaVisualization => meta::schema_visualization(access),
            P::DistinctValues => meta::distinct_values(args, access),
            P::MetaSchema => meta::meta_schema(args, access),
            P::MetaData => meta::meta_data(args, access),
            P::NodeTypeProperties => meta::node_type_properties(access),
            P::RelTypeProperties => meta::rel_type_properties(access),
            P::Components => Ok(meta::components()),
            P::SchemaNodes => meta::schema_nodes(access),
            P::SubgraphNodes => super::subgraph::subgraph(args, access, false),
            P::SubgraphAll => super::subgraph::subgraph(args, access, true),
            P::ShowIndexes | P::ShowConstraints => {
                meta::show_schema(self == P::ShowConstraints, args, access)
            }
            // Run by `write_procs` as a writing step; never reached here.
            p if p.writes() => Err(QueryError::runtime(
                ErrorKind::SemanticError,
                "WriteProcedure",
                "a procedure that writes runs as a writing step",
            )),
            P::Labels | P::RelationshipTypes | P::PropertyKeys => {
                let r = access.reader().ok_or_else(no_graph)?;
                let names: BTreeSet<String> = match self {
                    P::Labels => r.census()?.labels.into_iter().map(|(n, _)| n).collect(),
                    P::RelationshipTypes => {
                        r.census()?.edge_types.into_iter().map(|(n, _)| n).collect()
                    }
                    _ => (0..r.names.count(Kind::PropKey))
                        .filter_map(|i| r.names.name(Kind::PropKey, i as u32).ok())
                        .collect(),
                };
                Ok(names.into_iter().map(|n| vec![V::String(n)]).collect())
            }
            _ => {
                let communities = match self {
                    P::Leiden => Some(CommunityArgs::read(args, "algo.leiden")?),
                    P::Louvain => Some(CommunityArgs::read(args, "algo.louvain")?),
                    _ => None,
                };
                let spec = if self == P::Sssp {
                    ProjectionSpec::new().weight(string_arg(args, 1, "algo.sssp")?)
                } else if let Some(weight) = communities.as_ref().and_then(|c| c.weight.clone()) {
                    ProjectionSpec::new().weight(weight)
                } else {
                    ProjectionSpec::new()
                };
                let p = project(access, &spec)?;
                let ids = p.node_ids();
                let rows: Vec<Vec<CypherValue>> = match self {
                    P::Wcc | P::Scc => {
                        let c = if self == P::Wcc {
                            algo::weakly_connected_components(&p)
                        } else {
                            algo::strongly_connected_components(&p)
                        };
                        ids.iter()
                            .enumerate()
                            .map(|(i, id)| {
                                vec![node(*id), V::Int(i64::from(c.component_of(i as u32)))]
                            })
                            .collect()
                    }
                    P::PageRank => {
                        let iterations = count_arg(args, 0, 20)?;
                        let damping = damping_arg(args, 1, "algo.pagerank")?;
                        let ranks = algo::pagerank(&p, damping, iterations, Direction::Out);
                        ids.iter()
                            .zip(ranks)
                            .map(|(id, r)| vec![node(*id), V::Float(r)])
                            .collect()
                    }
                    P::Cdlp => {
                        let labels = algo::cdlp(&p, count_arg(args, 0, 10)?);
                        ids.iter()
                            .zip(labels)
                            .map(|(id, l)| vec![node(*id), V::Int(l.0 as i64)])
                            .collect()
                    }
                    P::Kcore => ids
                        .iter()
                        .zip(algo::kcore(&p))
                        .map(|(id, k)| vec![node(*id), V::Int(i64::from(k))])
                        .collect(),
                    P::PersonalizedPageRank => {
                        let proc = "algo.pagerank.personalized";
                        let seeds = match args.first() {
                            Some(V::List(items)) => items
                                .iter()
                                .enumerate()
                                .map(|(i, v)| match v {
                                    V::Node(n) => Ok(n.id),
                                    other => Err(type_error(format!(
                                        "{proc}: seed {} is a node, not {}",
                                        i + 1,
                                        other.type_name()
                                    ))),
                                })
                                .collect::<QResult<Vec<NodeId>>>()?,
                            _ => vec![node_arg(args, 0, proc)?],
                        };
                        let seeds = seeds
                            .into_iter()
                            .map(|id| Ok((p.require(id)?, 1.0)))
                            .collect::<QResult<Vec<_>>>()?;
                        let damping = damping_arg(args, 1, proc)?;
                        let ranks =
                            algo::personalized_pagerank(&p, &seeds, damping, Direction::Out);
                        ids.iter()
                            .zip(ranks)
                            .map(|(id, r)| vec![node(*id), V::Float(r)])
                            .collect()
                    }
                    P::Leiden | P::Louvain => {
                        let args = communities.unwrap_or_default();
                        let c = if self == P::Leiden {
                            algo::leiden(&p, &args.config)?
                        } else {
                            algo::louvain(&p, &args.config)?
                        };
                        let last = c.levels().saturating_sub(1);
                        let levels = if args.all_levels {
                            0..c.levels()
                        } else {
                            last..c.levels()
                        };
                        levels
                            .flat_map(|l| {
                                ids.iter().zip(c.level(l)).map(move |(id, &k)| {
                                    vec![node(*id), V::Int(i64::from(k)), V::Int(l as i64)]
                                })
                            })
                            .collect()
                    }
                    P::Lcc => {
                        let c = algo::lcc(&p, true);
                        ids.iter()
                            .zip(c)
                            .map(|(id, x)| vec![node(*id), V::Float(x)])
                            .collect()
                    }
                    P::Bfs => {
                        let source = node_arg(args, 0, "algo.bfs")?;
                        let depths = algo::bfs_depths(&p, source, Direction::Out)?;
                        ids.iter()
                            .zip(depths)
                            .filter_map(|(id, d)| d.map(|d| vec![node(*id), V::Int(i64::from(d))]))
                            .collect()
                    }
                    P::Sssp => {
                        let source = node_arg(args, 0, "algo.sssp")?;
                        let dist = algo::sssp_distances(&p, source, Direction::Out)?;
                        ids.iter()
                            .zip(dist)
                            .filter(|(_, d)| d.is_finite())
                            .map(|(id, d)| vec![node(*id), V::Float(d)])
                            .collect()
                    }
                    _ => Vec::new(),
                };
                Ok(rows)
            }
        }
    }
}

fn project(access: &Access<'_, '_>, spec: &ProjectionSpec) -> QResult<Projection> {
    match access {
        Access::Read(r) => r.project(spec).map_err(QueryError::from),
        Access::Write(w) => w.project(spec).map_err(QueryError::from),
        Access::View(w) => w.project(spec).map_err(QueryError::from),
        Access::Detached => Err(no_graph()),
    }
}

/// The configuration map of `algo.leiden` / `algo.louvain`: `resolution`
/// (float, 1.0), `objective` ('modularity' or 'cpm'), `seed` (integer,
/// 0), `iterations` (integer, 2; 0 until nothing changes), `randomness`
/// (float, 0.01), `weight` (an edge property), `levels` (boolean: a row
/// per level, not only the last).
#[derive(Default)]
struct CommunityArgs {
    config: algo::LeidenConfig,
    weight: Option<String>,
    all_levels: bool,
}

impl CommunityArgs {
    fn read(args: &[CypherValue], proc: &str) -> QResult<CommunityArgs> {
        let mut out = CommunityArgs::default();
        let map = match args.first() {
            None | Some(V::Null) => return Ok(out),
            Some(V::Map(map)) => map,
            Some(other) => {
                return Err(type_error(format!(
                    "{proc}: the argument is a configuration map, not {}",
                    other.type_name()
                )));
            }
        };
        let bad = |key: &str, wanted: &str, got: &CypherValue| {
            argument_error(
                "InvalidArgumentValue",
                format!("{proc}: {key} is {wanted}, not {got}"),
            )
        };
        let mut config = algo::LeidenConfig::new();
        for (key, value) in map {
            let number = || match value {
                V::Float(f) => Some(*f),
                V::Int(i) => Some(*i as f64),
                _ => None,
            };
            match (key.as_str(), value) {
                ("resolution", v) => {
                    let x = number().ok_or_else(|| bad(key, "a number", v))?;
                    config = config.resolution(x);
                }
                ("randomness", v) => {
                    let x = number().ok_or_else(|| bad(key, "a number", v))?;
                    config = config.randomness(x);
                }
                ("objective", V::String(o)) if o.eq_ignore_ascii_case("modularity") => {
                    config = config.objective(algo::Objective::Modularity);
                }
                ("objective", V::String(o)) if o.eq_ignore_ascii_case("cpm") => {
                    config = config.objective(algo::Objective::Cpm);
                }
                ("objective", v) => return Err(bad(key, "'modularity' or 'cpm'", v)),
                ("seed", V::Int(n)) if *n >= 0 => config = config.seed(*n as u64),
                ("iterations", V::Int(n)) if (0..=i64::from(u32::MAX)).contains(n) => {
                    config = config.iterations(*n as u32);
                }
                ("seed" | "iterations", v) => return Err(bad(key, "a non-negative integer", v)),
                ("weight", V::String(w)) => out.weight = Some(w.clone()),
                ("weight", V::Null) => {}
                ("weight", v) => return Err(bad(key, "an edge property name", v)),
                ("levels", V::Bool(b)) => out.all_levels = *b,
                ("levels", v) => return Err(bad(key, "a boolean", v)),
                _ => {
                    return Err(argument_error(
                        "InvalidArgumentValue",
                        format!(
                            "{proc}: unknown setting {key:?} (resolution, objective, seed, \
                             iterations, randomness, weight, levels)"
                        ),
                    ));
                }
            }
        }
        out.config = config;
        Ok(out)
    }
}

/// A damping factor in [0, 1] (0.85 when absent or null).
fn damping_arg(args: &[CypherValue], i: usize, proc: &str) -> QResult<f64> {
    match args.get(i) {
        None | Some(V::Null) => Ok(0.85),
        Some(V::Float(f)) if (0.0..=1.0).contains(f) => Ok(*f),
        Some(other) => Err(argument_error(
            "InvalidArgumentValue",
            format!("{proc}: damping is a float in [0, 1], not {other}"),
        )),
    }
}

/// A vector argument: a list of numbers.
pub(super) fn vector_arg(value: Option<&CypherValue>, proc: &str) -> QResult<Vec<f32>> {
    match value {
        Some(V::List(items)) => items
            .iter()
            .map(|x| match x {
                V::Float(f) => Ok(*f as f32),
                V::Int(i) => Ok(*i as f32),
                other => Err(type_error(format!(
                    "{proc}: the vector holds numbers, not {}",
                    other.type_name()
                ))),
            })
            .collect(),
        other => Err(type_error(format!(
            "{proc}: the vector is a list of numbers, not {}",
            other.map_or("nothing", CypherValue::type_name)
        ))),
    }
}

pub(super) fn string_arg(args: &[CypherValue], i: usize, proc: &str) -> QResult<String> {
    match args.get(i) {
        Some(V::String(s)) => Ok(s.clone()),
        other => Err(type_error(format!(
            "{proc}: argument {} is a string, not {}",
            i + 1,
            other.map_or("nothing", CypherValue::type_name)
        ))),
    }
}

fn node_arg(args: &[CypherValue], i: usize, proc: &str) -> QResult<NodeId> {
    match args.get(i) {
        Some(V::Node(n)) => Ok(n.id),
        other => Err(type_error(format!(
            "{proc}: argument {} is a node, not {}",
            i + 1,
            other.map_or("nothing", CypherValue::type_name)
        ))),
    }
}

fn count_arg(args: &[CypherValue], i: usize, default: u32) -> QResult<u32> {
    match args.get(i) {
        None | Some(V::Null) => Ok(default),
        Some(V::Int(n)) if (0..=i64::from(u32::MAX)).contains(n) => Ok(*n as u32),
        Some(other) => Err(argument_error(
            "InvalidArgumentValue",
            format!("a count of iterations is a non-negative integer, not {other}"),
        )),
    }
}

/// `db.index.vector.queryNodes(index, k, vector [, candidates])`: the `k`
/// nodes of a node-bound collection nearest to `vector`, with a score — a
/// vector index's (`CREATE VECTOR INDEX`) as Neo4j gives it, in [0, 1],
/// another collection's its own (cosine similarity, inner product or L2
/// distance); `candidates`, a list of nodes, restricts the search to them
/// (the in-walk filter). `db.index.vector.queryRelationships(index, k,
/// vector)` (`relationships`): the same over a relationship property's
/// index, yielding relationships.
fn vector_query(
    args: &[CypherValue],
    access: &Access<'_, '_>,
    relationships: bool,
) -> QResult<Vec<Vec<CypherValue>>> {
    let proc = if relationships {
        "db.index.vector.queryRelationships"
    } else {
        "db.index.vector.queryNodes"
    };
    let name = string_arg(args, 0, proc)?;
    let k = match args.get(1) {
        Some(V::Int(k)) if *k >= 0 => *k as usize,
        other => {
            return Err(argument_error(
                "InvalidArgumentValue",
                format!(
                    "{proc}: k is a non-negative integer, not {}",
                    other.map_or_else(|| "nothing".to_owned(), ToString::to_string)
                ),
            ));
        }
    };
    let vector = vector_arg(args.get(2), proc)?;
    let mut search = Search::k(k);
    match args.get(3) {
        None | Some(V::Null) => {}
        Some(V::List(items)) => {
            let mut keys = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    V::Node(n) => keys.push(n.id.0),
                    V::Null => {}
                    other => {
                        return Err(type_error(format!(
                            "{proc}: candidates are nodes, not {}",
                            other.type_name()
                        )));
                    }
                }
            }
            search = search.keys(keys);
        }
        Some(other) => {
            return Err(type_error(format!(
                "{proc}: candidates are a list of nodes, not {}",
                other.type_name()
            )));
        }
    }
    let collection = match access {
        Access::Read(r) => r.collection(&name),
        Access::Write(w) => w.collection(&name),
        Access::View(w) => w.collection(&name),
        Access::Detached => return Err(no_graph()),
    }?;
    let config = collection.config().clone();
    let on_edges = config.source.as_ref().is_some_and(VectorSource::on_edges);
    if relationships != on_edges || (!relationships && !config.bound_to_nodes) {
        let what = if relationships {
            "a relationship property's vector index (FOR ()-[r:T]-() ON r.p); use db.index.vector.queryNodes"
        } else if on_edges {
            "bound to nodes: it indexes relationships; use db.index.vector.queryRelationships"
        } else {
            "bound to nodes; its keys are not node ids"
        };
        return Err(QueryError::runtime(
            ErrorKind::ArgumentError,
            "IndexKindMismatch",
            format!("{name} is not {what}"),
        ));
    }
    let hits = collection.search(&vector, &search)?;
    hits.hits
        .into_iter()
        .map(|h| {
            let entity = if relationships {
                vector_index::relationship(access, h.key)?
            } else {
                vector_index::node(h.key)
            };
            Ok(vec![
                entity,
                V::Float(vector_index::score(&config, h.score)),
            ])
        })
        .collect()
}

/// A procedure's map argument: `None` for `null`; anything else than a
/// map is a type error naming `name` and `what` the map is.
pub(super) fn map_argument<'v>(
    name: &str,
    what: &str,
    v: &'v CypherValue,
) -> QResult<Option<&'v std::collections::BTreeMap<String, CypherValue>>> {
    match v {
        V::Null => Ok(None),
        V::Map(m) => Ok(Some(m)),
        other => Err(type_error(format!(
            "{name}: {what} is a map, not {}",
            other.type_name()
        ))),
    }
}
