//! `apoc.path.subgraphNodes(start, config)` and
//! `apoc.path.subgraphAll(start, config)`: the nodes reachable from the
//! start nodes (each once, breadth first, up to `maxLevel` hops) through
//! relationships that pass `relationshipFilter` and nodes that pass
//! `labelFilter` — what GraphRAG code (`LightRAG`'s knowledge-graph view)
//! asks APOC for. `subgraphAll` adds every relationship between two of
//! those nodes that passes the filter.
//!
//! The configuration keys read: `maxLevel` (default -1, unlimited),
//! `minLevel` (0 or more: nodes nearer are left out), `limit` (at most this
//! many nodes, nearest first; -1 none), `relationshipFilter` (`TYPE`,
//! `<TYPE` incoming, `TYPE>` outgoing, `>` / `<` any type one way,
//! alternatives joined by `|`; empty or absent: every type both ways),
//! `labelFilter` (`+Label` or `Label` allowed — when any is given a node
//! needs one of them —, `-Label` refused, `*` any; alternatives by `|`),
//! `filterStartNode` (default false), and `bfs` (traversal is always
//! breadth first). APOC's termination and end-node label filters (`/L`,
//! `>L`), `sequence` and node lists (`whitelistNodes`, ...) are refused
//! with an argument error rather than ignored.

use std::collections::{BTreeMap, HashSet, VecDeque};

use super::graph::{Access, no_graph};
use super::procs::map_argument;
use crate::graph::read::Reader;
use crate::query::error::{QResult, argument_error, type_error};
use crate::query::value::{CypherValue as V, CypherValue, NodeValue, RelValue};
use crate::{Direction, EdgeId, NodeId};

type Row = Vec<CypherValue>;

/// One alternative of `relationshipFilter`: a type (any when `None`) and
/// the directions it may be followed in.
struct RelRule {
    rel_type: Option<String>,
    out: bool,
    inc: bool,
}

struct Config {
    max_level: Option<u64>,
    min_level: u64,
    limit: Option<usize>,
    rels: Vec<RelRule>,
    allow: Vec<String>,
    deny: Vec<String>,
    filter_start: bool,
}

/// Runs `apoc.path.subgraphNodes` (`all` false: a row per node) or
/// `apoc.path.subgraphAll` (one row: `nodes`, `relationships`).
pub(crate) fn subgraph(
    args: &[CypherValue],
    access: &Access<'_, '_>,
    all: bool,
) -> QResult<Vec<Row>> {
    let name = if all {
        "apoc.path.subgraphAll"
    } else {
        "apoc.path.subgraphNodes"
    };
    let r = access.reader().ok_or_else(no_graph)?;
    let starts: Vec<NodeId> = match args.first().unwrap_or(&V::Null) {
        V::Null => Vec::new(),
        V::Node(n) => vec![n.id],
        V::List(items) => items
            .iter()
            .filter_map(|x| match x {
                V::Node(n) => Some(Ok(n.id)),
                V::Null => None,
                other => Some(Err(type_error(format!(
                    "{name}: the start is a node or a list of nodes, not one holding {}",
                    other.type_name()
                )))),
            })
            .collect::<QResult<_>>()?,
        other => {
            return Err(type_error(format!(
                "{name}: the start is a node or a list of nodes, not {}",
                other.type_name()
            )));
        }
    };
    let config = config(name, args.get(1).unwrap_or(&V::Null))?;
    let nodes = reach(&r, &starts, &config)?;
    if !all {
        return Ok(nodes
            .into_iter()
            .map(|id| vec![V::Node(Box::new(NodeValue::bare(id)))])
            .collect());
    }
    let inside: HashSet<NodeId> = nodes.iter().copied().collect();
    let mut seen: HashSet<EdgeId> = HashSet::new();
    let mut rels = Vec::new();
    for &id in &nodes {
        for (e, _) in steps(&r, id, &config.rels)? {
            if inside.contains(&e.source) && inside.contains(&e.target) && seen.insert(e.id) {
                rels.push(V::Relationship(Box::new(RelValue {
                    id: e.id,
                    start: e.source,
                    end: e.target,
                    rel_type: e.edge_type,
                    properties: BTreeMap::new(),
                })));
            }
        }
    }
    let nodes = nodes
        .into_iter()
        .map(|id| V::Node(Box::new(NodeValue::bare(id))))
        .collect();
    Ok(vec![vec![V::List(nodes), V::List(rels)]])
}

/// The nodes reached from `starts`, breadth first, each once.
fn reach(r: &Reader<'_>, starts: &[NodeId], config: &Config) -> QResult<Vec<NodeId>> {
    let mut seen: HashSet<NodeId> = HashSet::new();
    // Nodes the label filter refused: each is read once, however often
    // the walk meets it.
    let mut refused: HashSet<NodeId> = HashSet::new();
    let mut queue: VecDeque<(NodeId, u64)> = VecDeque::new();
    for &s in starts {
        if r.node(s)?.is_none() || (config.filter_start && !passes(r, s, config)?) {
            continue;
        }
        if seen.insert(s) {
            queue.push_back((s, 0));
        }
    }
    let mut out = Vec::new();
    while let Some((id, level)) = queue.pop_front() {
        if level >= config.min_level {
            if config.limit.is_some_and(|l| out.len() >= l) {
                break;
            }
            out.push(id);
        }
        if config.max_level.is_some_and(|m| level >= m) {
            continue;
        }
        for (_, other) in steps(r, id, &config.rels)? {
            if seen.contains(&other) || refused.contains(&other) {
                continue;
            }
            if passes(r, other, config)? {
                seen.insert(other);
                queue.push_back((other, level + 1));
            } else {
                refused.insert(other);
            }
        }
    }
    Ok(out)
}

/// The relationships of `id` that `rules` let a walk follow, with the
/// node at their other end.
fn steps(r: &Reader<'_>, id: NodeId, rules: &[RelRule]) -> QResult<Vec<(crate::EdgeRef, NodeId)>> {
    let mut out = Vec::new();
    for (dir, outgoing) in [(Direction::Out, true), (Direction::In, false)] {
        for e in r.edges(id, dir, None)? {
            let followed = rules.is_empty()
                || rules.iter().any(|rule| {
                    (if outgoing { rule.out } else { rule.inc })
                        && rule.rel_type.as_ref().is_none_or(|t| *t == e.edge_type)
                });
            if !followed || (!outgoing && e.source == e.target) {
                continue; // a self-loop is met once, outgoing
            }
            let other = if outgoing { e.target } else { e.source };
            out.push((e, other));
        }
    }
    Ok(out)
}

/// Whether node `id` passes the label filter.
fn passes(r: &Reader<'_>, id: NodeId, config: &Config) -> QResult<bool> {
    if config.allow.is_empty() && config.deny.is_empty() {
        return Ok(true);
    }
    let Some(node) = r.node(id)? else {
        return Ok(false);
    };
    if node.labels.iter().any(|l| config.deny.contains(l)) {
        return Ok(false);
    }
    Ok(config.allow.is_empty() || node.labels.iter().any(|l| config.allow.contains(l)))
}

fn config(name: &str, v: &CypherValue) -> QResult<Config> {
    let mut config = Config {
        max_level: None,
        min_level: 0,
        limit: None,
        rels: Vec::new(),
        allow: Vec::new(),
        deny: Vec::new(),
        filter_start: false,
    };
    let Some(map) = map_argument(name, "the configuration", v)? else {
        return Ok(config);
    };
    let int = |key: &str, v: &CypherValue| match v {
        V::Int(i) => Ok(Some(*i)),
        V::Null => Ok(None),
        other => Err(type_error(format!(
            "{name}: {key} is an integer, not {}",
            other.type_name()
        ))),
    };
    let text = |key: &str, v: &CypherValue| match v {
        V::String(s) => Ok(s.clone()),
        V::Null => Ok(String::new()),
        other => Err(type_error(format!(
            "{name}: {key} is a string, not {}",
            other.type_name()
        ))),
    };
    let unsupported = |what: &str| {
        argument_error(
            "InvalidArgumentValue",
            format!("{name}: {what} is not supported (see docs/QUERY.md)"),
        )
    };
    for (key, value) in map {
        match key.as_str() {
            "maxLevel" => {
                config.max_level = int(key, value)?.and_then(|m| u64::try_from(m).ok());
            }
            "minLevel" => {
                config.min_level = int(key, value)?.map_or(0, |m| u64::try_from(m).unwrap_or(0));
            }
            "limit" => config.limit = int(key, value)?.and_then(|l| usize::try_from(l).ok()),
            "relationshipFilter" => {
                for part in text(key, value)?.split(['|', ',']) {
                    let part = part.trim();
                    if part.is_empty() {
                        continue;
                    }
                    let inc = part.starts_with('<');
                    let out = part.ends_with('>');
                    let t = part.trim_start_matches('<').trim_end_matches('>');
                    config.rels.push(RelRule {
                        rel_type: (!t.is_empty()).then(|| t.to_owned()),
                        out: out || !inc,
                        inc: inc || !out,
                    });
                }
            }
            "labelFilter" => {
                for part in text(key, value)?.split(['|', ',']) {
                    let part = part.trim();
                    match part.chars().next() {
                        None | Some('*') => {}
                        Some('-') => config.deny.push(part[1..].to_owned()),
                        Some('+') => config.allow.push(part[1..].to_owned()),
                        Some('/' | '>') => {
                            return Err(unsupported("a termination or end-node label filter"));
                        }
                        Some(_) => config.allow.push(part.to_owned()),
                    }
                }
            }
            "filterStartNode" => config.filter_start = matches!(value, V::Bool(true)),
            "sequence" | "whitelistNodes" | "allowlistNodes" | "blacklistNodes"
            | "denylistNodes" | "endNodes" | "terminatorNodes" => {
                return Err(unsupported(&format!("the {key} option")));
            }
            // `bfs` (always breadth first), `uniqueness` (always each node
            // once) and keys APOC would ignore.
            _ => {}
        }
    }
    Ok(config)
}
