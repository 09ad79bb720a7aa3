//! Full-text indexes in Cypher: `CREATE FULLTEXT INDEX` (and Neo4j 4's
//! `db.index.fulltext.createNodeIndex` / `createRelationshipIndex`), the
//! `SHOW INDEXES` rows, and `db.index.fulltext.queryNodes` /
//! `queryRelationships`, answered on the statement's view.

use std::collections::BTreeMap;

use super::graph::{Access, no_graph};
use crate::fulltext::{Analyzer, FulltextConfig, FulltextIndexInfo};
use crate::hybrid::{Fusion, HybridSearch};
use crate::query::error::{ErrorKind, QResult, QueryError, argument_error, type_error};
use crate::query::value::CypherValue as V;
use crate::txn::WriteTxn;

/// The provider `SHOW INDEXES` names, as Neo4j 5 does.
const PROVIDER: &str = "fulltext-1.0";

/// `CREATE FULLTEXT INDEX [name] [IF NOT EXISTS] FOR (n:A|B) ON EACH
/// [n.p, n.q] [OPTIONS {indexConfig: {`fulltext.analyzer`: 'english'}}]`
/// (`args`: name or null, labels, keys, on relationships, `IF NOT
/// EXISTS`, options or null). Unnamed, it gets Neo4j's kind of generated
/// name. A name taken by any index or constraint, or an index over the
/// same labels and keys, is a no-op with `IF NOT EXISTS`, else an error.
pub(crate) fn create(args: &[V], w: &mut WriteTxn<'_>) -> QResult<()> {
    let labels = strings(args.get(1), "labels or relationship types")?;
    let keys = strings(args.get(2), "properties")?;
    let relationships = matches!(args.get(3), Some(V::Bool(true)));
    let if_not_exists = matches!(args.get(4), Some(V::Bool(true)));
    let analyzer = options(args.get(5).unwrap_or(&V::Null))?;
    let name = match args.first() {
        Some(V::String(s)) => s.clone(),
        _ => crate::graph::records::default_index_name(
            &format!("{}\u{0}fulltext", labels.join("|")),
            &keys.join("\u{0}"),
            false,
        ),
    };
    let mut config = if relationships {
        FulltextConfig::relationships(&[], &[])
    } else {
        FulltextConfig::nodes(&[], &[])
    };
    config.labels = labels;
    config.properties = keys;
    config = config.analyzer(analyzer);
    let exists = super::write_procs::already_exists;
    let existing = w.fulltext_indexes()?;
    let taken = super::write_procs::name_taken(w, &name)?;
    if taken {
        if if_not_exists {
            return Ok(());
        }
        return Err(exists(format!(
            "there is already an index, constraint or collection called {name}"
        )));
    }
    if let Some(same) = existing.iter().find(|i| {
        i.config.relationships == config.relationships
            && i.config.labels == config.labels
            && i.config.properties == config.properties
    }) {
        if if_not_exists {
            return Ok(());
        }
        return Err(exists(format!(
            "an equivalent full-text index already exists: {}",
            same.name
        )));
    }
    w.create_fulltext_index(&name, config)?;
    Ok(())
}

/// `db.index.fulltext.createNodeIndex(name, labels, properties [,
/// config])` and `createRelationshipIndex`: Neo4j 4's procedure form,
/// `config` naming the `analyzer`.
pub(crate) fn create_by_procedure(
    relationships: bool,
    args: &[V],
    w: &mut WriteTxn<'_>,
) -> QResult<()> {
    let get = |i: usize| args.get(i).cloned().unwrap_or(V::Null);
    let mut index_config = BTreeMap::new();
    if let V::Map(config) = get(3)
        && let Some(analyzer) = config.get("analyzer")
    {
        index_config.insert("fulltext.analyzer".to_owned(), analyzer.clone());
    }
    let options = V::Map(BTreeMap::from([(
        "indexConfig".to_owned(),
        V::Map(index_config),
    )]));
    let name = match get(0) {
        V::String(s) => V::String(s),
        other => {
            return Err(type_error(format!(
                "a full-text index's name is a string, not {}",
                other.type_name()
            )));
        }
    };
    create(
        &[
            name,
            get(1),
            get(2),
            V::Bool(relationships),
            V::Bool(false),
            options,
        ],
        w,
    )
}

fn strings(v: Option<&V>, what: &str) -> QResult<Vec<String>> {
    match v {
        Some(V::List(items)) if !items.is_empty() => items
            .iter()
            .map(|i| match i {
                V::String(s) => Ok(s.clone()),
                other => Err(type_error(format!(
                    "a full-text index's {what} are strings, not {}",
                    other.type_name()
                ))),
            })
            .collect(),
        Some(V::String(s)) => Ok(vec![s.clone()]),
        other => Err(type_error(format!(
            "a full-text index's {what} are a non-empty list of strings, not {}",
            other.map_or("nothing", V::type_name)
        ))),
    }
}

/// The analyzer `OPTIONS {indexConfig: {...}}` names (the default when
/// none); `fulltext.eventually_consistent` is accepted and moot (every
/// index is current at its commit).
fn options(options: &V) -> QResult<Analyzer> {
    let config = match options {
        V::Null => return Ok(Analyzer::default()),
        V::Map(m) => match m.get("indexConfig") {
            None | Some(V::Null) => return Ok(Analyzer::default()),
            Some(V::Map(c)) => c,
            Some(other) => {
                return Err(type_error(format!(
                    "indexConfig is a map, not {}",
                    other.type_name()
                )));
            }
        },
        other => {
            return Err(type_error(format!(
                "OPTIONS is a map, not {}",
                other.type_name()
            )));
        }
    };
    let mut analyzer = Analyzer::default();
    for (key, value) in config {
        match (key.as_str(), value) {
            ("fulltext.analyzer", V::String(name)) => {
                analyzer = Analyzer::from_name(name)
                    .map_err(|e| argument_error("InvalidArgumentValue", e.to_string()))?;
            }
            ("fulltext.eventually_consistent", V::Bool(_)) => {}
            (other, _) => {
                return Err(argument_error(
                    "InvalidArgumentValue",
                    format!(
                        "a full-text index takes fulltext.analyzer (a name) and fulltext.eventually_consistent, not {other} = {value}"
                    ),
                ));
            }
        }
    }
    Ok(analyzer)
}

/// Every full-text index in the statement's view.
fn indexes(access: &Access<'_, '_>) -> QResult<Vec<FulltextIndexInfo>> {
    Ok(match access {
        Access::Read(r) => r.fulltext_indexes(),
        Access::Write(w) => w.fulltext_indexes(),
        Access::View(w) => w.fulltext_indexes(),
        Access::Detached => return Err(no_graph()),
    }?)
}

/// `SHOW INDEXES`' rows of the full-text indexes, numbered from
/// `first_id`.
pub(crate) fn show_rows(access: &Access<'_, '_>, first_id: i64) -> QResult<Vec<Vec<V>>> {
    let mut rows = Vec::new();
    for info in indexes(access)? {
        let c = &info.config;
        let list = |items: &[String]| V::List(items.iter().map(|s| V::String(s.clone())).collect());
        let (entity, target, var) = if let Some(collection) = &c.collection {
            // Made from Rust or the importer: no Cypher creates it.
            ("COLLECTION", format!("collection `{collection}`"), "p")
        } else if c.relationships {
            (
                "RELATIONSHIP",
                format!("()-[e:{}]-()", quoted(&c.labels)),
                "e",
            )
        } else {
            ("NODE", format!("(n:{})", quoted(&c.labels)), "n")
        };
        let on: Vec<String> = c
            .properties
            .iter()
            .map(|p| format!("{var}.`{p}`"))
            .collect();
        let statement = if c.collection.is_some() {
            V::Null
        } else {
            V::String(format!(
                "CREATE FULLTEXT INDEX `{}` FOR {target} ON EACH [{}] OPTIONS {{indexConfig: {{`fulltext.analyzer`: '{}', `fulltext.eventually_consistent`: false}}, indexProvider: '{PROVIDER}'}}",
                info.name,
                on.join(", "),
                c.analyzer
            ))
        };
        let labels = c
            .collection
            .as_ref()
            .map_or_else(|| c.labels.clone(), |n| vec![n.clone()]);
        let index_config = BTreeMap::from([
            (
                "fulltext.analyzer".to_owned(),
                V::String(c.analyzer.name().to_owned()),
            ),
            ("fulltext.eventually_consistent".to_owned(), V::Bool(false)),
        ]);
        rows.push(vec![
            V::Int(first_id + rows.len() as i64),
            V::String(info.name.clone()),
            V::String("ONLINE".to_owned()),
            V::Float(100.0),
            V::String("FULLTEXT".to_owned()),
            V::String(entity.to_owned()),
            list(&labels),
            list(&c.properties),
            V::String(PROVIDER.to_owned()),
            V::Null,
            V::Null,
            V::Null,
            V::Null,
            V::Map(BTreeMap::from([
                ("indexProvider".to_owned(), V::String(PROVIDER.to_owned())),
                ("indexConfig".to_owned(), V::Map(index_config)),
            ])),
            V::String(String::new()),
            statement,
        ]);
    }
    Ok(rows)
}

fn quoted(labels: &[String]) -> String {
    labels
        .iter()
        .map(|l| format!("`{l}`"))
        .collect::<Vec<_>>()
        .join("|")
}

/// `db.index.fulltext.queryNodes(name, query [, {skip, limit}])` and
/// `queryRelationships`: the index's hits, best first, with their scores.
pub(crate) fn query(
    args: &[V],
    access: &Access<'_, '_>,
    relationships: bool,
) -> QResult<Vec<Vec<V>>> {
    let proc = if relationships {
        "db.index.fulltext.queryRelationships"
    } else {
        "db.index.fulltext.queryNodes"
    };
    let text = |i: usize| super::procs::string_arg(args, i, proc);
    let (name, query) = (text(0)?, text(1)?);
    let (mut skip, mut limit) = (0usize, usize::MAX);
    match args.get(2) {
        None | Some(V::Null) => {}
        Some(V::Map(options)) => {
            for (key, value) in options {
                let n = match value {
                    V::Int(n) if *n >= 0 => *n as usize,
                    V::Null => continue,
                    other => {
                        return Err(argument_error(
                            "InvalidArgumentValue",
                            format!("{proc}: {key} is a non-negative integer, not {other}"),
                        ));
                    }
                };
                match key.as_str() {
                    "skip" => skip = n,
                    "limit" => limit = n,
                    other => {
                        return Err(argument_error(
                            "InvalidArgumentValue",
                            format!("{proc}: the options are skip and limit, not {other}"),
                        ));
                    }
                }
            }
        }
        Some(other) => {
            return Err(type_error(format!(
                "{proc}: the options are a map, not {}",
                other.type_name()
            )));
        }
    }
    let index = match access {
        Access::Read(r) => r.fulltext(&name),
        Access::Write(w) => w.fulltext(&name),
        Access::View(w) => w.fulltext(&name),
        Access::Detached => return Err(no_graph()),
    }?;
    if let Some(collection) = index.collection() {
        return Err(QueryError::runtime(
            ErrorKind::ArgumentError,
            "IndexKindMismatch",
            format!(
                "{name} indexes the texts of collection {collection:?}, not the graph: search it from Rust or with quiver search --fulltext"
            ),
        ));
    }
    let on_relationships = index.info()?.config.relationships;
    if on_relationships != relationships {
        let other = if relationships {
            "queryNodes"
        } else {
            "queryRelationships"
        };
        return Err(QueryError::runtime(
            ErrorKind::ArgumentError,
            "IndexKindMismatch",
            format!(
                "{name} indexes {}: use db.index.fulltext.{other}",
                if on_relationships {
                    "relationships"
                } else {
                    "nodes"
                }
            ),
        ));
    }
    let hits = index.search_page(&query, skip, limit)?;
    hits.into_iter()
        .map(|h| {
            let entity = if relationships {
                super::vector_index::relationship(access, h.id)?
            } else {
                super::vector_index::node(h.id)
            };
            Ok(vec![entity, V::Float(f64::from(h.score))])
        })
        .collect()
}

/// `db.index.fulltext.listAvailableAnalyzers()`.
pub(crate) fn analyzers() -> Vec<Vec<V>> {
    Analyzer::ALL
        .iter()
        .map(|a| {
            let (description, stop) = match a {
                Analyzer::StandardNoStopWords => (
                    "Unicode word segmentation (UAX #29), lowercased; the default",
                    false,
                ),
                Analyzer::Standard => ("standard-no-stop-words, English stop words dropped", true),
                Analyzer::English => (
                    "standard, possessives removed, Snowball English stems",
                    true,
                ),
                Analyzer::Simple => ("runs of letters, lowercased", false),
                Analyzer::Alphanumeric => (
                    "runs of letters and digits, lowercased, words of 40 bytes or more dropped (tantivy's default)",
                    false,
                ),
                Analyzer::Whitespace => ("split at white space, case kept", false),
                Analyzer::Cjk => (
                    "Unicode words, full-width ASCII folded, lowercased; runs of Chinese, Japanese or Korean characters as overlapping bigrams; English stop words dropped",
                    true,
                ),
                _ => ("the whole value is one term", false),
            };
            let stopwords = if stop {
                crate::fulltext::stop_words()
                    .iter()
                    .map(|w| V::String((*w).to_owned()))
                    .collect()
            } else {
                Vec::new()
            };
            vec![
                V::String(a.name().to_owned()),
                V::String(description.to_owned()),
                V::List(stopwords),
            ]
        })
        .collect()
}

/// `db.index.hybrid.queryNodes(fulltextIndex, vectorIndex, text, vector
/// [, {limit, fusion, k, weights, candidates, label, filter}])`:
/// `crate::hybrid` on the
/// statement's view — the full-text hits of `text` and the vector hits
/// of `vector` (`null`: `text` embedded by the collection's embedder),
/// each `candidates` deep (default the larger of `limit` and 100), fused by
/// `fusion: 'rrf'` (the default, constant `k`, default 60) or
/// `'weighted'` (min-max normalised scores, `weights` `[text, vector]`,
/// default `[0.5, 0.5]`), best `limit` (default 10) first. `label` and
/// `filter` (a map of payload values each point must have) narrow both
/// lists inside their top-k.
pub(crate) fn hybrid(args: &[V], access: &Access<'_, '_>) -> QResult<Vec<Vec<V>>> {
    const PROC: &str = "db.index.hybrid.queryNodes";
    let text = |i: usize| super::procs::string_arg(args, i, PROC);
    let (fulltext, vectors, query) = (text(0)?, text(1)?, text(2)?);
    let vector = match args.get(3) {
        None | Some(V::Null) => None,
        given => Some(super::procs::vector_arg(given, PROC)?),
    };
    let mut params = HybridSearch::new(10);
    let mut search = crate::vector::Search::k(0);
    let (mut k, mut weights, mut rrf) = (60.0f32, (0.5f32, 0.5f32), true);
    match args.get(4) {
        None | Some(V::Null) => {}
        Some(V::Map(options)) => {
            for (key, value) in options {
                let bad = || {
                    argument_error(
                        "InvalidArgumentValue",
                        format!("{PROC}: option {key} cannot be {value}"),
                    )
                };
                let number = |v: &V| match v {
                    V::Float(x) if x.is_finite() && *x >= 0.0 => Ok(*x as f32),
                    V::Int(n) if *n >= 0 => Ok(*n as f32),
                    _ => Err(bad()),
                };
                match (key.as_str(), value) {
                    (_, V::Null) => {}
                    ("limit", V::Int(n)) if *n >= 0 => params.limit = *n as usize,
                    ("candidates", V::Int(n)) if *n > 0 => params.candidates = Some(*n as usize),
                    ("k", v) => k = number(v)?,
                    ("fusion", V::String(f)) => match f.to_ascii_lowercase().as_str() {
                        "rrf" => rrf = true,
                        "weighted" => rrf = false,
                        _ => return Err(bad()),
                    },
                    ("weights", V::List(items)) if items.len() == 2 => {
                        weights = (number(&items[0])?, number(&items[1])?);
                    }
                    ("label", V::String(l)) => search = search.label(l.clone()),
                    ("filter", V::Map(fields)) => {
                        for (field, v) in fields {
                            let v = super::graph::to_stored(v)?.ok_or_else(bad)?;
                            search = search.payload_eq(field.clone(), v);
                        }
                    }
                    _ => return Err(bad()),
                }
            }
        }
        Some(other) => {
            return Err(type_error(format!(
                "{PROC}: the options are a map, not {}",
                other.type_name()
            )));
        }
    }
    params = params.vector_search(search).fusion(if rrf {
        Fusion::ReciprocalRank { k }
    } else {
        Fusion::Weighted {
            text: weights.0,
            vector: weights.1,
        }
    });
    let v = vector.as_deref();
    let hits = match access {
        Access::Read(r) => r.hybrid_search(&fulltext, &vectors, &query, v, &params),
        Access::Write(w) => w.hybrid_search(&fulltext, &vectors, &query, v, &params),
        Access::View(w) => w.hybrid_search(&fulltext, &vectors, &query, v, &params),
        Access::Detached => return Err(no_graph()),
    }?;
    Ok(hits
        .into_iter()
        .map(|h| {
            vec![
                super::vector_index::node(h.id),
                V::Float(f64::from(h.score)),
            ]
        })
        .collect())
}
