//! The writing steps: `CREATE`, `MERGE`, `SET`, `REMOVE`, `DELETE` (and
//! the procedures that write, `write_procs`), on
//! the statement's write transaction.
//!
//! Each step reads what it needs for a row (through the transaction's own
//! view, so it sees the statement's earlier writes), then writes. A
//! `DELETE` gathers the whole step's nodes and relationships first and
//! deletes relationships before nodes, so `MATCH (a)-[r]->(b) DELETE a, r,
//! b` needs no `DETACH`.

use std::collections::BTreeSet;
use std::time::Instant;

use super::Measured;
use super::eval::Env;
use super::graph::{Access, Graph, is_no_graph, to_stored};
use super::matcher::{Matcher, eval_props};
use crate::graph::sealed::Sealed;
use crate::query::error::{ErrorKind, QResult, QueryError, type_error};
use crate::query::plan::clause::{MergePlan, RemoveItem, SetItem};
use crate::query::plan::expr::Expr;
use crate::query::plan::pattern::{Dir, Pattern};
use crate::query::plan::{PropertyWrite, Step};
use crate::query::value::Params;
use crate::query::value::{CypherValue as V, CypherValue, NodeValue, PathValue, RelValue};
use crate::storage::Reads;
use crate::txn::WriteTxn;
use crate::{EdgeId, NodeId, Props};

type Row = Vec<CypherValue>;

/// Runs one writing step over `rows` (row by row when `naive`: no bulk
/// writes).
pub(crate) fn apply(
    step: &Step,
    rows: Vec<Row>,
    params: &Params,
    access: &mut Access<'_, '_>,
    naive: bool,
) -> QResult<Vec<Row>> {
    let w = access.writer()?;
    match step {
        Step::Create(pattern) => {
            let mut out = Vec::with_capacity(rows.len());
            for mut row in rows {
                row.resize(pattern.width, V::Null);
                create(w, pattern, &mut row, params)?;
                out.push(row);
            }
            Ok(out)
        }
        Step::Merge(plan) => {
            let mut out = Vec::new();
            for row in rows {
                merge(w, plan, row, params, &mut out)?;
            }
            Ok(out)
        }
        Step::Set(items) => {
            if naive || !in_bulk(w, step.property_writes(), "SET", &rows, params)? {
                for row in &rows {
                    set(w, items, row, params)?;
                }
            }
            Ok(rows)
        }
        Step::Remove(items) => {
            if naive || !in_bulk(w, step.property_writes(), "REMOVE", &rows, params)? {
                for row in &rows {
                    remove(w, items, row, params)?;
                }
            }
            Ok(rows)
        }
        Step::Delete { exprs, detach } => {
            delete(w, exprs, *detach, &rows, params)?;
            Ok(rows)
        }
        Step::Call(c) => super::write_procs::call(c, rows, params, w),
        _ => Ok(rows),
    }
}

/// `LabelWrite` (see the optimiser): a marked branch, `MATCH (n:L)` and
/// the `SET` / `REMOVE` of `n`'s properties after it, run as one bulk
/// write ([`WriteTxn::set_properties_of_label`]) over the label's members as
/// the transaction sees them, each value evaluated once. Returns what
/// `PROFILE` measures of the two steps; `None` when the branch is not
/// marked.
pub(crate) fn label_write(
    steps: &[Step],
    params: &Params,
    access: &mut Access<'_, '_>,
) -> QResult<Option<[Measured; 2]>> {
    let [
        Step::Match {
            pattern,
            label_write: true,
            ..
        },
        write,
    ] = steps
    else {
        return Ok(None);
    };
    let Some((_, label)) = pattern.one_labelled_node() else {
        return Ok(None);
    };
    let w = access.writer()?;
    let (started, reads) = (Instant::now(), Reads::now());
    // Without members nothing is evaluated, as without rows.
    let any = w.reader().label_prefix(label).map_or(Ok(false), |prefix| {
        w.kv().any(crate::storage::Cf::Labels, &prefix)
    })?;
    let matched = (0, ms(started), Reads::now().since(reads));
    let (started, reads) = (Instant::now(), Reads::now());
    let mut members = 0;
    if any {
        let Some(writes) = write.property_writes() else {
            return Ok(None);
        };
        let mut values = Vec::with_capacity(writes.len());
        for (_, key, value) in writes {
            let value = match value {
                Some(e) => to_stored(&e.eval(&mut Env::new(&[], params, None))?)?,
                None => None,
            };
            values.push((key, value));
        }
        members = w.set_properties_of_label(label, &values)? as u64;
    }
    // The match's rows are the members the write found.
    let matched = (members, matched.1, matched.2);
    let written = (members, ms(started), Reads::now().since(reads));
    Ok(Some([matched, written]))
}

/// Milliseconds since `started`.
fn ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1e3
}

/// Runs a step whose items all write one property (`items` is `None`
/// otherwise) over every row at once, when no target or value reads the
/// graph: then the rows' writes cannot change what a later row writes,
/// and applying them together ends in the same state as applying them
/// row by row. Nodes are written in bulk ([`WriteTxn::set_node_properties`]:
/// each record read once, in id order). Returns `false`, having written
/// nothing, when a target or value needs the graph (`n.x = m.y`), so the
/// caller runs the step row by row.
fn in_bulk(
    w: &mut WriteTxn<'_>,
    items: Option<Vec<PropertyWrite<'_>>>,
    what: &str,
    rows: &[Row],
    params: &Params,
) -> QResult<bool> {
    let Some(items) = items else {
        return Ok(false);
    };
    let mut nodes = Vec::with_capacity(rows.len() * items.len());
    let mut edges = Vec::new();
    for row in rows {
        for &(target, key, value) in &items {
            // Without a graph, any read of one fails with `NoGraph`.
            let eval = |e: &Expr| e.eval(&mut Env::new(row, params, None));
            let target = match eval(target) {
                Err(e) if is_no_graph(&e) => return Ok(false),
                other => other?,
            };
            let value = match value.map(eval).transpose() {
                Err(e) if is_no_graph(&e) => return Ok(false),
                other => other?.unwrap_or(V::Null),
            };
            let Some(entity) = entity(&target, what)? else {
                continue;
            };
            let stored = to_stored(&value)?;
            match entity {
                Entity::Node(id) => nodes.push((id, key, stored)),
                Entity::Edge(id) => edges.push((id, key, stored)),
            }
        }
    }
    w.set_node_properties(nodes)?;
    for (id, key, value) in edges {
        match value {
            Some(v) => w.set_edge_property(id, key, v).map(drop),
            None => w.remove_edge_property(id, key).map(drop),
        }?;
    }
    Ok(true)
}

/// Evaluates `e` over `row` on `w`'s view.
pub(super) fn eval(
    w: &WriteTxn<'_>,
    e: &Expr,
    row: &[CypherValue],
    params: &Params,
) -> QResult<CypherValue> {
    let g = Graph::new(w.reader()).with_txn(Some(w));
    e.eval(&mut Env::new(row, params, Some(&g)))
}

pub(super) fn create(
    w: &mut WriteTxn<'_>,
    pattern: &Pattern,
    row: &mut Row,
    params: &Params,
) -> QResult<()> {
    for chain in &pattern.chains {
        for np in &chain.nodes {
            match &row[np.slot] {
                V::Node(_) => continue,
                V::Null if !np.earlier => {}
                other => {
                    return Err(QueryError::runtime(
                        ErrorKind::SemanticError,
                        "CreateOnNull",
                        format!("cannot create a relationship to {}", other.type_name()),
                    ));
                }
            }
            let props: Props = {
                let g = Graph::new(w.reader());
                let mut env = Env::new(row, params, Some(&g));
                eval_props(&np.props, np.map.as_ref(), &mut env)?
                    .into_iter()
                    .collect()
            };
            let labels: Vec<&str> = np.labels.iter().map(String::as_str).collect();
            let id = w.add_node(&labels, props)?;
            row[np.slot] = V::Node(Box::new(NodeValue::bare(id)));
        }
        for (i, rp) in chain.rels.iter().enumerate() {
            let node = |slot: usize| match &row[slot] {
                V::Node(n) => Ok(n.id),
                other => Err(QueryError::runtime(
                    ErrorKind::SemanticError,
                    "CreateOnNull",
                    format!("cannot create a relationship to {}", other.type_name()),
                )),
            };
            let a = node(chain.nodes[i].slot)?;
            let b = node(chain.nodes[i + 1].slot)?;
            let (start, end) = if rp.dir == Dir::Left { (b, a) } else { (a, b) };
            let props: Props = {
                let g = Graph::new(w.reader());
                let mut env = Env::new(row, params, Some(&g));
                eval_props(&rp.props, rp.map.as_ref(), &mut env)?
                    .into_iter()
                    .collect()
            };
            let rel_type = rp.types.first().cloned().unwrap_or_default();
            let id = w.add_edge(start, end, &rel_type, props)?;
            row[rp.slot] = V::Relationship(Box::new(RelValue {
                id,
                start,
                end,
                rel_type,
                properties: std::collections::BTreeMap::new(),
            }));
        }
        if let Some(slot) = chain.path {
            let first = match &row[chain.nodes[0].slot] {
                V::Node(n) => n.id,
                _ => continue,
            };
            let mut nodes = vec![NodeValue::bare(first)];
            let mut relationships = Vec::new();
            let mut at = first;
            for rp in &chain.rels {
                if let V::Relationship(r) = &row[rp.slot] {
                    at = if r.start == at { r.end } else { r.start };
                    nodes.push(NodeValue::bare(at));
                    relationships.push((**r).clone());
                }
            }
            row[slot] = V::Path(Box::new(PathValue {
                nodes,
                relationships,
            }));
        }
    }
    Ok(())
}

pub(super) fn merge(
    w: &mut WriteTxn<'_>,
    plan: &MergePlan,
    row: Row,
    params: &Params,
    out: &mut Vec<Row>,
) -> QResult<()> {
    // A bound node that is null cannot be merged on.
    for chain in &plan.pattern.chains {
        for np in &chain.nodes {
            if np.earlier && row[np.slot].is_null() {
                return Err(QueryError::runtime(
                    ErrorKind::SemanticError,
                    "MergeReadOwnWrites",
                    "MERGE cannot use a node that is null",
                ));
            }
        }
    }
    let mut found: Vec<Row> = Vec::new();
    {
        let g = Graph::new(w.reader());
        let mut m = Matcher::new(&g, params);
        m.run(&plan.pattern, &row, &mut |x, _| {
            found.push(x.clone());
            Ok(true)
        })?;
    }
    if found.is_empty() {
        let mut row = row;
        row.resize(plan.pattern.width, V::Null);
        // Check the property values before creating: null is refused.
        for chain in &plan.pattern.chains {
            for (_, e) in chain
                .nodes
                .iter()
                .flat_map(|n| &n.props)
                .chain(chain.rels.iter().flat_map(|r| &r.props))
            {
                if eval(w, e, &row, params)?.is_null() {
                    return Err(QueryError::runtime(
                        ErrorKind::SemanticError,
                        "MergeReadOwnWrites",
                        "MERGE cannot create a property whose value is null",
                    ));
                }
            }
        }
        create(w, &plan.pattern, &mut row, params)?;
        set(w, &plan.on_create, &row, params)?;
        out.push(row);
    } else {
        for row in found {
            set(w, &plan.on_match, &row, params)?;
            out.push(row);
        }
    }
    Ok(())
}

/// A node or relationship a write targets.
enum Entity {
    Node(NodeId),
    Edge(EdgeId),
}

fn entity(v: &CypherValue, what: &str) -> QResult<Option<Entity>> {
    match v {
        V::Null => Ok(None),
        V::Node(n) => Ok(Some(Entity::Node(n.id))),
        V::Relationship(r) => Ok(Some(Entity::Edge(r.id))),
        other => Err(type_error(format!(
            "{what} needs a node or relationship, not {}",
            other.type_name()
        ))),
    }
}

fn set_property(
    w: &mut WriteTxn<'_>,
    target: &Entity,
    key: &str,
    value: &CypherValue,
) -> QResult<()> {
    let stored = to_stored(value)?;
    match (target, stored) {
        (Entity::Node(id), Some(v)) => w.set_node_property(*id, key, v).map(drop),
        (Entity::Node(id), None) => w.remove_node_property(*id, key).map(drop),
        (Entity::Edge(id), Some(v)) => w.set_edge_property(*id, key, v).map(drop),
        (Entity::Edge(id), None) => w.remove_edge_property(*id, key).map(drop),
    }
    .map_err(QueryError::from)
}

fn set(w: &mut WriteTxn<'_>, items: &[SetItem], row: &Row, params: &Params) -> QResult<()> {
    for item in items {
        match item {
            SetItem::Property { target, key, value } => {
                let entity_value = eval(w, target, row, params)?;
                let new_value = eval(w, value, row, params)?;
                if let Some(target_entity) = entity(&entity_value, "SET")? {
                    set_property(w, &target_entity, key, &new_value)?;
                }
            }
            SetItem::Properties {
                target,
                value,
                merge,
            } => {
                let entity_value = eval(w, target, row, params)?;
                let Some(target_entity) = entity(&entity_value, "SET")? else {
                    continue;
                };
                let new_value = eval(w, value, row, params)?;
                let reader = Graph::new(w.reader());
                let new = match new_value {
                    V::Map(m) => m,
                    V::Node(n) => reader.node_properties(n.id)?,
                    V::Relationship(rel) => reader.edge_properties(rel.id)?,
                    V::Null => std::collections::BTreeMap::default(),
                    other => {
                        return Err(type_error(format!(
                            "SET = needs a map, not {}",
                            other.type_name()
                        )));
                    }
                };
                let old = match &target_entity {
                    Entity::Node(id) => reader.node_properties(*id)?,
                    Entity::Edge(id) => reader.edge_properties(*id)?,
                };
                if !merge {
                    for key in old.keys().filter(|k| !new.contains_key(*k)) {
                        set_property(w, &target_entity, key, &V::Null)?;
                    }
                }
                for (key, value) in &new {
                    set_property(w, &target_entity, key, value)?;
                }
            }
            SetItem::Labels {
                target,
                labels,
                dynamic,
            } => match eval(w, target, row, params)? {
                V::Null => {}
                V::Node(n) => {
                    for label in labels {
                        w.add_label(n.id, label)?;
                    }
                    for label in computed_labels(w, dynamic, row, params)? {
                        w.add_label(n.id, &label)?;
                    }
                }
                other => {
                    return Err(type_error(format!(
                        "labels are set on a node, not {}",
                        other.type_name()
                    )));
                }
            },
        }
    }
    Ok(())
}

/// The labels `$(expr)` items give for a row: each a string or a list of
/// strings, none empty.
fn computed_labels(
    w: &WriteTxn<'_>,
    dynamic: &[Expr],
    row: &Row,
    params: &Params,
) -> QResult<Vec<String>> {
    let mut out = Vec::new();
    for e in dynamic {
        let value = eval(w, e, row, params)?;
        let items = match value {
            V::List(items) => items,
            single => vec![single],
        };
        for item in items {
            match item {
                V::String(s) if !s.is_empty() => out.push(s),
                other => {
                    return Err(QueryError::runtime(
                        ErrorKind::TypeError,
                        "InvalidLabel",
                        format!("a dynamic label is a non-empty string, not {other}"),
                    ));
                }
            }
        }
    }
    Ok(out)
}

fn remove(w: &mut WriteTxn<'_>, items: &[RemoveItem], row: &Row, params: &Params) -> QResult<()> {
    for item in items {
        match item {
            RemoveItem::Property { target, key } => {
                let t = eval(w, target, row, params)?;
                if let Some(t) = entity(&t, "REMOVE")? {
                    set_property(w, &t, key, &V::Null)?;
                }
            }
            RemoveItem::Labels {
                target,
                labels,
                dynamic,
            } => match eval(w, target, row, params)? {
                V::Null => {}
                V::Node(n) => {
                    for label in labels {
                        w.remove_label(n.id, label)?;
                    }
                    for label in computed_labels(w, dynamic, row, params)? {
                        w.remove_label(n.id, &label)?;
                    }
                }
                other => {
                    return Err(type_error(format!(
                        "labels are removed from a node, not {}",
                        other.type_name()
                    )));
                }
            },
        }
    }
    Ok(())
}

fn delete(
    w: &mut WriteTxn<'_>,
    exprs: &[Expr],
    detach: bool,
    rows: &[Row],
    params: &Params,
) -> QResult<()> {
    let mut nodes = BTreeSet::new();
    let mut edges = BTreeSet::new();
    for row in rows {
        for e in exprs {
            gather(&eval(w, e, row, params)?, &mut nodes, &mut edges)?;
        }
    }
    for id in edges {
        if w.reader().edge_record(id)?.is_some() {
            w.delete_edge(id)?;
        }
    }
    for id in nodes {
        if !w.reader().contains_node(id)? {
            continue;
        }
        if detach {
            w.detach_delete_node(id)?;
        } else {
            w.delete_node(id).map_err(|e| match e {
                crate::Error::NodeHasEdges { .. } => QueryError::runtime(
                    ErrorKind::ConstraintVerificationFailed,
                    "DeleteConnectedNode",
                    format!("{e}; use DETACH DELETE to delete them with it"),
                ),
                other => QueryError::from(other),
            })?;
        }
    }
    Ok(())
}

fn gather(
    v: &CypherValue,
    nodes: &mut BTreeSet<NodeId>,
    edges: &mut BTreeSet<EdgeId>,
) -> QResult<()> {
    match v {
        V::Null => {}
        V::Node(n) => {
            nodes.insert(n.id);
        }
        V::Relationship(r) => {
            edges.insert(r.id);
        }
        V::Path(p) => {
            nodes.extend(p.nodes.iter().map(|n| n.id));
            edges.extend(p.relationships.iter().map(|r| r.id));
        }
        V::List(items) => {
            for item in items {
                gather(item, nodes, edges)?;
            }
        }
        other => {
            return Err(type_error(format!(
                "DELETE takes nodes, relationships or paths, not {}",
                other.type_name()
            )));
        }
    }
    Ok(())
}
