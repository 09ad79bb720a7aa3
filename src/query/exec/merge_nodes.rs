//! `apoc.refactor.mergeNodes(nodes, config)`: the nodes of a list merged
//! onto the first, as knowledge-graph builders resolve duplicate
//! entities (neo4j-graphrag's entity resolvers call it after writing).
//!
//! APOC's semantics: the first node stays and gains the others' labels
//! and properties (by the `properties` strategy) and their
//! relationships (recreated on it, same type, direction and properties;
//! one between two merged nodes becomes a self-relationship unless
//! `produceSelfRel: false`); the others are deleted. `mergeRels: true`
//! then folds the first node's relationships of one type and direction
//! to the same other node into one, their properties by the same
//! strategy.

use std::collections::BTreeMap;

use super::procs::map_argument;
use crate::graph::sealed::Sealed;
use crate::query::error::{QResult, argument_error, type_error};
use crate::query::value::{CypherValue as V, CypherValue, NodeValue};
use crate::txn::WriteTxn;
use crate::{Direction, EdgeId, NodeId, Props, Value};

type Row = Vec<CypherValue>;

const NAME: &str = "apoc.refactor.mergeNodes";

/// How the properties of merged nodes (and folded relationships) meet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Strategy {
    /// The first value of a key wins (the kept node's, if it has one).
    Discard,
    /// The last value of a key wins (APOC's default).
    Overwrite,
    /// Different values of a key become a list of them.
    Combine,
}

struct Config {
    properties: Strategy,
    merge_rels: bool,
    produce_self_rel: bool,
}

/// Merges `args[0]` (a list of nodes; `null`s and repeats skipped) onto
/// its first node, with `args[1]`'s configuration; yields that node (no
/// row for an empty list).
pub(super) fn merge_nodes(args: &[CypherValue], w: &mut WriteTxn<'_>) -> QResult<Vec<Row>> {
    let config = config(args.get(1).unwrap_or(&V::Null))?;
    let mut ids: Vec<NodeId> = Vec::new();
    match args.first().unwrap_or(&V::Null) {
        V::List(items) => {
            for item in items {
                match item {
                    V::Node(n) if !ids.contains(&n.id) => ids.push(n.id),
                    V::Node(_) | V::Null => {}
                    other => {
                        return Err(type_error(format!(
                            "{NAME}: expected a list of nodes, not one holding {}",
                            other.type_name()
                        )));
                    }
                }
            }
        }
        V::Null => {}
        other => {
            return Err(type_error(format!(
                "{NAME}: expected a list of nodes, not {}",
                other.type_name()
            )));
        }
    }
    let Some((&kept, merged)) = ids.split_first() else {
        return Ok(Vec::new());
    };
    let mut props = w
        .reader()
        .node(kept)?
        .ok_or(crate::Error::NodeNotFound(kept))?
        .props;
    for &other in merged {
        let node = w
            .reader()
            .node(other)?
            .ok_or(crate::Error::NodeNotFound(other))?;
        for label in &node.labels {
            w.add_label(kept, label)?;
        }
        merge_props(&mut props, node.props, config.properties);
        move_edges(w, other, kept, config.produce_self_rel)?;
        w.delete_node(other)?;
    }
    let current = w.reader().node(kept)?.map(|n| n.props).unwrap_or_default();
    set_props(w, kept, &current, props)?;
    if config.merge_rels {
        fold_edges(w, kept, config.properties)?;
    }
    Ok(vec![vec![V::Node(Box::new(NodeValue::bare(kept)))]])
}

fn config(v: &CypherValue) -> QResult<Config> {
    let mut config = Config {
        properties: Strategy::Overwrite,
        merge_rels: false,
        produce_self_rel: true,
    };
    let Some(map) = map_argument(NAME, "the configuration", v)? else {
        return Ok(config);
    };
    let flag = |key: &str, v: &CypherValue| match v {
        V::Bool(b) => Ok(*b),
        other => Err(type_error(format!(
            "{NAME}: {key} is a boolean, not {}",
            other.type_name()
        ))),
    };
    for (key, value) in map {
        match key.as_str() {
            "properties" => {
                config.properties = match value {
                    V::String(s) => match s.to_ascii_lowercase().as_str() {
                        "discard" => Strategy::Discard,
                        "overwrite" | "override" => Strategy::Overwrite,
                        "combine" => Strategy::Combine,
                        _ => {
                            return Err(argument_error(
                                "InvalidArgumentValue",
                                format!(
                                    "{NAME}: properties is 'discard', 'overwrite' or 'combine', not '{s}'"
                                ),
                            ));
                        }
                    },
                    other => {
                        return Err(type_error(format!(
                            "{NAME}: properties is a string, not {}",
                            other.type_name()
                        )));
                    }
                };
            }
            "mergeRels" => config.merge_rels = flag(key, value)?,
            "produceSelfRel" => config.produce_self_rel = flag(key, value)?,
            // APOC's other keys (which this engine has no use for) are
            // accepted and ignored, as APOC ignores unknown ones.
            _ => {}
        }
    }
    Ok(config)
}

/// `from`'s values into `into`, by `strategy`.
fn merge_props(into: &mut Props, from: Props, strategy: Strategy) {
    for (key, value) in from {
        match into.get_mut(&key) {
            None => {
                into.insert(key, value);
            }
            Some(old) => match strategy {
                Strategy::Discard => {}
                Strategy::Overwrite => *old = value,
                Strategy::Combine => combine(old, value),
            },
        }
    }
}

/// APOC's `combine`: equal values stay one; different ones make a list
/// of the distinct values, in the order met.
fn combine(old: &mut Value, new: Value) {
    if *old == new {
        return;
    }
    let mut items = match std::mem::replace(old, Value::Null) {
        Value::List(items) => items,
        single => vec![single],
    };
    let new = match new {
        Value::List(items) => items,
        single => vec![single],
    };
    for item in new {
        if !items.contains(&item) {
            items.push(item);
        }
    }
    *old = Value::List(items);
}

/// Writes `props` over node `id`'s `current` ones (keys only in
/// `current` stay: merging removes no property).
fn set_props(w: &mut WriteTxn<'_>, id: NodeId, current: &Props, props: Props) -> QResult<()> {
    for (key, value) in props {
        if current.get(&key) != Some(&value) {
            w.set_node_property(id, &key, value)?;
        }
    }
    Ok(())
}

/// Recreates every relationship of `from` on `to` (an end at `from`
/// becomes `to`; one that would join `to` to itself is dropped unless
/// `self_rels`) and deletes the originals.
fn move_edges(w: &mut WriteTxn<'_>, from: NodeId, to: NodeId, self_rels: bool) -> QResult<()> {
    let mut seen: Vec<EdgeId> = Vec::new();
    let mut edges = w.reader().edges(from, Direction::Out, None)?;
    edges.extend(w.reader().edges(from, Direction::In, None)?);
    for e in edges {
        if seen.contains(&e.id) {
            continue; // a self-relationship, met both ways
        }
        seen.push(e.id);
        let Some(edge) = w.reader().edge(e.id)? else {
            continue;
        };
        let end = |n: NodeId| if n == from { to } else { n };
        let (source, target) = (end(edge.source), end(edge.target));
        w.delete_edge(e.id)?;
        if source == target && edge.source != edge.target && !self_rels {
            continue;
        }
        w.add_edge(source, target, &edge.edge_type, edge.props)?;
    }
    Ok(())
}

/// Folds `node`'s relationships of one type, direction and other end
/// into the first of them, their properties by `strategy`.
fn fold_edges(w: &mut WriteTxn<'_>, node: NodeId, strategy: Strategy) -> QResult<()> {
    for dir in [Direction::Out, Direction::In] {
        let mut kept: BTreeMap<(String, NodeId), (EdgeId, Props)> = BTreeMap::new();
        let mut folded: Vec<(EdgeId, EdgeId)> = Vec::new();
        for e in w.reader().edges(node, dir, None)? {
            if dir == Direction::In && e.source == e.target {
                continue; // a self-relationship: folded with the outgoing ones
            }
            let other = if dir == Direction::Out {
                e.target
            } else {
                e.source
            };
            let Some(edge) = w.reader().edge(e.id)? else {
                continue;
            };
            match kept.get_mut(&(e.edge_type.clone(), other)) {
                Some((first, props)) => {
                    merge_props(props, edge.props, strategy);
                    folded.push((e.id, *first));
                }
                None => {
                    kept.insert((e.edge_type, other), (e.id, edge.props));
                }
            }
        }
        if folded.is_empty() {
            continue;
        }
        for (id, _) in &folded {
            w.delete_edge(*id)?;
        }
        for (first, props) in kept.into_values() {
            if !folded.iter().any(|(_, into)| *into == first) {
                continue;
            }
            let current = w.reader().edge(first)?.map(|e| e.props).unwrap_or_default();
            for (key, value) in props {
                if current.get(&key) != Some(&value) {
                    w.set_edge_property(first, &key, value)?;
                }
            }
        }
    }
    Ok(())
}
