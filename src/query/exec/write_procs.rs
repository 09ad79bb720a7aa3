//! The procedures that write, run as a writing step on the statement's
//! write transaction: Neo4j's `db.create.setNodeVectorProperty` /
//! `setRelationshipVectorProperty`, and the APOC ones that knowledge-graph
//! writers call (`apoc.create.addLabels` / `setLabels`, `apoc.merge.node`
//! / `relationship`). The merges are `MERGE` with the labels, type and
//! properties given at run time: the same matching (indexes included),
//! the same creation.

use std::collections::BTreeMap;

use super::graph::Graph;
use super::procs::map_argument;
use super::write::{create, eval, merge};
use crate::GraphRead;
use crate::graph::sealed::Sealed;
use crate::query::error::{QResult, QueryError, argument_error, type_error};
use crate::query::plan::clause::{CallPlan, MergePlan, SetItem};
use crate::query::plan::expr::Expr;
use crate::query::plan::pattern::{Chain, Dir, NodePat, Pattern, RelPat};
use crate::query::plan::procs::Procedure;
use crate::query::value::{CypherValue as V, CypherValue, NodeValue, Params};
use crate::txn::WriteTxn;
use crate::{NodeId, Value};

type Row = Vec<CypherValue>;

/// Runs a writing procedure over `rows`: each row once per row the
/// procedure yields, its output columns after it (once, unchanged, for a
/// procedure that yields nothing), kept when `YIELD ... WHERE` holds.
pub(crate) fn call(
    c: &CallPlan,
    rows: Vec<Row>,
    params: &Params,
    w: &mut WriteTxn<'_>,
) -> QResult<Vec<Row>> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let args = c
            .args
            .iter()
            .map(|a| eval(w, a, &row, params))
            .collect::<QResult<Vec<_>>>()?;
        match run(c.procedure, &args, w)? {
            Some(produced) => {
                let g = Graph::new(w.reader());
                super::yielded(c, &row, produced, params, Some(&g), &mut out)?;
            }
            None => out.push(row),
        }
    }
    Ok(out)
}

/// One call: the rows it yields, or `None` for a procedure that yields
/// nothing.
#[allow(clippy::too_many_lines, reason = "one arm per procedure")]
fn run(p: Procedure, args: &[CypherValue], w: &mut WriteTxn<'_>) -> QResult<Option<Vec<Row>>> {
    use Procedure as P;
    let arg = |i: usize| args.get(i).cloned().unwrap_or(V::Null);
    match p {
        P::SetNodeVectorProperty | P::SetRelationshipVectorProperty => {
            let name = if p == P::SetNodeVectorProperty {
                "db.create.setNodeVectorProperty"
            } else {
                "db.create.setRelationshipVectorProperty"
            };
            let key = match arg(1) {
                V::String(k) => k,
                other => {
                    return Err(type_error(format!(
                        "{name}: the key is a string, not {}",
                        other.type_name()
                    )));
                }
            };
            let vector = vector(name, &arg(2))?;
            match (p, arg(0)) {
                (_, V::Null) => {}
                (P::SetNodeVectorProperty, V::Node(n)) => {
                    w.set_node_property(n.id, &key, vector)?;
                }
                (P::SetRelationshipVectorProperty, V::Relationship(r)) => {
                    w.set_edge_property(r.id, &key, vector)?;
                }
                (_, other) => {
                    return Err(type_error(format!(
                        "{name}: the first argument is a {}, not {}",
                        if p == P::SetNodeVectorProperty {
                            "node"
                        } else {
                            "relationship"
                        },
                        other.type_name()
                    )));
                }
            }
            Ok(None)
        }
        P::AddLabels | P::SetLabels => {
            let name = if p == P::AddLabels {
                "apoc.create.addLabels"
            } else {
                "apoc.create.setLabels"
            };
            let labels = names(name, &arg(1))?;
            let mut out = Vec::new();
            for id in nodes(name, &arg(0))? {
                if p == P::SetLabels {
                    let current = w.reader().node(id)?.map(|n| n.labels).unwrap_or_default();
                    for old in current.iter().filter(|l| !labels.contains(l)) {
                        w.remove_label(id, old)?;
                    }
                }
                for label in &labels {
                    w.add_label(id, label)?;
                }
                out.push(vec![V::Node(Box::new(NodeValue::bare(id)))]);
            }
            Ok(Some(out))
        }
        P::CreateIndex | P::CreateUniqueKey => {
            create_schema(p == P::CreateUniqueKey, args, w)?;
            Ok(None)
        }
        P::CreateExistence => {
            create_existence(args, w)?;
            Ok(None)
        }
        P::DropSchema => {
            drop_schema(args, w)?;
            Ok(None)
        }
        P::CreateVectorIndex => {
            super::vector_index::create(args, w)?;
            Ok(None)
        }
        P::CreateNodeVectorIndex => {
            super::vector_index::create_node_index(args, w)?;
            Ok(None)
        }
        P::CreateFulltextIndex => {
            super::fulltext::create(args, w)?;
            Ok(None)
        }
        P::CreateFulltextNodeIndex | P::CreateFulltextRelationshipIndex => {
            super::fulltext::create_by_procedure(p == P::CreateFulltextRelationshipIndex, args, w)?;
            Ok(None)
        }
        P::MergeNode => merge_node(args, w),
        P::MergeRelationship => merge_relationship(args, w),
        P::CreateNode => create_node(args, w),
        P::CreateRelationship => create_relationship(args, w),
        P::MergeNodes => super::merge_nodes::merge_nodes(args, w).map(Some),
        _ => Err(QueryError::runtime(
            crate::query::error::ErrorKind::SemanticError,
            "NotAWriteProcedure",
            "this procedure does not write",
        )),
    }
}

/// The error of a schema rule (index or constraint) that exists already
/// under the name or over the same thing (Neo4j's
/// `EquivalentSchemaRuleAlreadyExists`).
pub(super) fn already_exists(what: String) -> QueryError {
    QueryError::runtime(
        crate::query::error::ErrorKind::SemanticError,
        "EquivalentSchemaRuleAlreadyExists",
        what,
    )
}

/// `CREATE INDEX` / `CREATE CONSTRAINT ... IS UNIQUE` (`args`: name or
/// null, label, key, `IF NOT EXISTS`). An equivalent one (an index, or a
/// unique key, on the pair; for an index a unique key's counts) or one
/// with the name is a no-op with `IF NOT EXISTS`, else an error, as in
/// Neo4j; a unique key over nodes that already share a value fails with
/// their ids.
fn create_schema(unique: bool, args: &[CypherValue], w: &mut WriteTxn<'_>) -> QResult<()> {
    let text = |i: usize| match args.get(i) {
        Some(V::String(s)) => Some(s.clone()),
        _ => None,
    };
    let (name, label, key) = (
        text(0),
        text(1).unwrap_or_default(),
        text(2).unwrap_or_default(),
    );
    let if_not_exists = matches!(args.get(3), Some(V::Bool(true)));
    let relationship = matches!(args.get(4), Some(V::Bool(true)));
    if relationship || matches!(args.get(2), Some(V::List(_))) {
        let keys = match args.get(2) {
            Some(V::List(keys)) => keys
                .iter()
                .filter_map(|k| match k {
                    V::String(s) => Some(s.clone()),
                    _ => None,
                })
                .collect(),
            _ => vec![key],
        };
        return create_declared_index(name, label, keys, relationship, if_not_exists, w);
    }
    let existing = w.reader().indexes()?;
    let exists = already_exists;
    if let Some(n) = &name
        && w.reader()
            .declared_indexes()?
            .indexes
            .iter()
            .any(|i| &i.name == n)
    {
        if if_not_exists {
            return Ok(());
        }
        return Err(exists(format!(
            "there is already an index, constraint or collection called {n}"
        )));
    }
    if let Some(n) = &name
        && let Some(other) = existing.iter().find(|i| &i.name == n)
    {
        if if_not_exists {
            return Ok(());
        }
        return Err(exists(format!(
            "there is already an index or constraint called {n} (on :{}({}))",
            other.label, other.key
        )));
    }
    if let Some(n) = &name
        && let Some(other) = w
            .existence_constraints()?
            .into_iter()
            .find(|c| &c.name == n)
    {
        if if_not_exists {
            return Ok(());
        }
        return Err(exists(format!(
            "there is already a constraint called {n} (existence of {}({}))",
            other.owner, other.key
        )));
    }
    if let Some(same) = existing
        .iter()
        .find(|i| i.label == label && i.key == key && (i.unique || !unique))
    {
        if if_not_exists {
            return Ok(());
        }
        return Err(exists(format!(
            "an equivalent {} already exists on :{label}({key}): {}",
            if same.unique {
                "uniqueness constraint"
            } else {
                "index"
            },
            same.name
        )));
    }
    if unique {
        w.create_unique_key(&label, &key)?;
    } else {
        w.create_index(&label, &key)?;
    }
    if let Some(n) = name {
        w.name_index(&label, &key, &n)?;
    }
    Ok(())
}

/// Whether an index, constraint or vector collection of any kind is
/// called `name` (all share one namespace, as in Neo4j).
pub(super) fn name_taken(w: &WriteTxn<'_>, name: &str) -> QResult<bool> {
    let r = w.reader();
    Ok(r.indexes()?.iter().any(|i| i.name == name)
        || r.declared_indexes()?.indexes.iter().any(|i| i.name == name)
        || w.fulltext_indexes()?.iter().any(|i| i.name == name)
        || w.collections()?.iter().any(|c| c.name == name)
        || w.existence_constraints()?.iter().any(|c| c.name == name))
}

/// `CREATE [RANGE] INDEX [name] [IF NOT EXISTS] FOR ()-[r:T]-() ON (r.p,
/// …)` or `FOR (n:L) ON (n.a, n.b, …)`: recorded, not materialised (see
/// `DeclaredIndexes`). Unnamed, it is named `index_` and a hash. An index
/// on the same label or type and properties, or anything of the name, is
/// a no-op with `IF NOT EXISTS`, else an error.
fn create_declared_index(
    name: Option<String>,
    owner: String,
    keys: Vec<String>,
    relationship: bool,
    if_not_exists: bool,
    w: &mut WriteTxn<'_>,
) -> QResult<()> {
    let name = name.unwrap_or_else(|| {
        let kind = if relationship { "rel" } else { "node" };
        crate::graph::records::default_index_name(
            &format!("{owner}\u{0}{kind}"),
            &keys.join("\u{0}"),
            false,
        )
    });
    let declared = w.reader().declared_indexes()?.indexes;
    let clash = if let Some(same) = declared
        .iter()
        .find(|i| i.relationship == relationship && i.owner == owner && i.keys == keys)
    {
        Some(format!(
            "an equivalent index already exists on {}({}): {}",
            if relationship {
                format!("[:{owner}]")
            } else {
                format!(":{owner}")
            },
            keys.join(", "),
            same.name
        ))
    } else if name_taken(w, &name)? {
        Some(format!(
            "there is already an index, constraint or collection called {name}"
        ))
    } else {
        None
    };
    match clash {
        Some(_) if if_not_exists => Ok(()),
        Some(what) => Err(already_exists(what)),
        None => Ok(w.declare_index(crate::graph::records::DeclaredIndex {
            name,
            relationship,
            owner,
            keys,
        })?),
    }
}

/// `CREATE CONSTRAINT [name] [IF NOT EXISTS] FOR (n:L) REQUIRE n.p IS NOT
/// NULL` and the same `FOR ()-[r:T]-()` (`args`: name or null, label or
/// type, key, `IF NOT EXISTS`, on relationships). Unnamed, it is named
/// `constraint_` and a hash, as Neo4j names them. The same constraint, or
/// any index or constraint of the name, is a no-op with `IF NOT EXISTS`,
/// else an error; existing nodes (relationships) without the property
/// fail it with `ConstraintVerificationFailed`.
fn create_existence(args: &[CypherValue], w: &mut WriteTxn<'_>) -> QResult<()> {
    let text = |i: usize| match args.get(i) {
        Some(V::String(s)) => s.clone(),
        _ => String::new(),
    };
    let (owner, key) = (text(1), text(2));
    let if_not_exists = matches!(args.get(3), Some(V::Bool(true)));
    let relationship = matches!(args.get(4), Some(V::Bool(true)));
    let name = match args.first() {
        Some(V::String(s)) => s.clone(),
        _ => crate::graph::records::default_index_name(
            &format!("{owner}\u{0}{}", if relationship { "rel" } else { "node" }),
            &format!("{key}\u{0}exists"),
            true,
        ),
    };
    let exists = already_exists;
    let same = w.existence_constraints()?.into_iter().find(|c| {
        c.name == name || (c.relationship == relationship && c.owner == owner && c.key == key)
    });
    if let Some(other) = same {
        if if_not_exists {
            return Ok(());
        }
        return Err(exists(format!(
            "an existence constraint {} already exists on {}({})",
            other.name, other.owner, other.key
        )));
    }
    if w.reader()
        .declared_indexes()?
        .indexes
        .iter()
        .any(|i| i.name == name)
    {
        if if_not_exists {
            return Ok(());
        }
        return Err(exists(format!(
            "there is already an index, constraint or collection called {name}"
        )));
    }
    if let Some(other) = w.reader().indexes()?.into_iter().find(|i| i.name == name) {
        if if_not_exists {
            return Ok(());
        }
        return Err(exists(format!(
            "there is already an index or constraint called {name} (on :{}({}))",
            other.label, other.key
        )));
    }
    w.create_existence_constraint(&name, &owner, &key, relationship)?;
    Ok(())
}

/// `DROP INDEX | CONSTRAINT name [IF EXISTS]` (`args`: name, `IF EXISTS`,
/// constraint).
fn drop_schema(args: &[CypherValue], w: &mut WriteTxn<'_>) -> QResult<()> {
    let name = match args.first() {
        Some(V::String(s)) => s.clone(),
        _ => String::new(),
    };
    let if_exists = matches!(args.get(1), Some(V::Bool(true)));
    let constraint = matches!(args.get(2), Some(V::Bool(true)));
    let what = if constraint { "constraint" } else { "index" };
    let found = w
        .reader()
        .indexes()?
        .into_iter()
        .find(|i| i.name == name && i.unique == constraint);
    if found.is_none()
        && !constraint
        && w.collections()?
            .iter()
            .any(|c| c.name == name && c.config.source.is_some())
    {
        w.drop_collection(&name)?;
        w.count().indexes_removed += 1;
        return Ok(());
    }
    if found.is_none() && !constraint && w.drop_fulltext_index(&name)? {
        return Ok(());
    }
    if found.is_none() && !constraint && w.drop_declared_index(&name)? {
        return Ok(());
    }
    match found {
        Some(i) => {
            w.drop_index(&i.label, &i.key)?;
            Ok(())
        }
        None if constraint && w.drop_existence_constraint(&name)? => Ok(()),
        None if if_exists => Ok(()),
        None => Err(QueryError::runtime(
            crate::query::error::ErrorKind::SemanticError,
            "SchemaRuleNotFound",
            format!(
                "there is no {what} called {name}; SHOW INDEXES and SHOW CONSTRAINTS list them"
            ),
        )),
    }
}

/// `apoc.merge.node(labels, identProps [, onCreateProps [, onMatchProps]])`.
fn merge_node(args: &[CypherValue], w: &mut WriteTxn<'_>) -> QResult<Option<Vec<Row>>> {
    let arg = |i: usize| args.get(i).cloned().unwrap_or(V::Null);
    let pattern = node_pattern("apoc.merge.node", "identProps", &arg(0), &arg(1))?;
    merged(w, pattern, Vec::new(), 0, (arg(2), arg(3)))
}

/// `apoc.create.node(labels, props)`: `CREATE` with labels and
/// properties given at run time (a `null` property is left out).
fn create_node(args: &[CypherValue], w: &mut WriteTxn<'_>) -> QResult<Option<Vec<Row>>> {
    let arg = |i: usize| args.get(i).cloned().unwrap_or(V::Null);
    let pattern = node_pattern("apoc.create.node", "props", &arg(0), &arg(1))?;
    let mut row = vec![V::Null];
    create(w, &pattern, &mut row, &Params::new())?;
    Ok(Some(vec![row]))
}

/// A pattern of one new node with `labels` and the properties of map
/// `props` (argument `what` of procedure `name`).
fn node_pattern(
    name: &str,
    what: &str,
    labels: &CypherValue,
    props: &CypherValue,
) -> QResult<Pattern> {
    let node = NodePat {
        slot: 0,
        earlier: false,
        labels: names(name, labels)?,
        props: map(name, what, props)?
            .into_iter()
            .map(|(k, v)| (k, Expr::Const(v)))
            .collect(),
        map: None,
        seek: None,
    };
    Ok(Pattern {
        chains: vec![Chain {
            nodes: vec![node],
            rels: Vec::new(),
            path: None,
            shortest: None,
            start: 0,
        }],
        filter: None,
        width: 1,
        count_tail: false,
        prune_ends: false,
        early: Vec::new(),
        residual: None,
    })
}

/// `apoc.merge.relationship(start, type, identProps, onCreateProps, end
/// [, onMatchProps])`.
fn merge_relationship(args: &[CypherValue], w: &mut WriteTxn<'_>) -> QResult<Option<Vec<Row>>> {
    let arg = |i: usize| args.get(i).cloned().unwrap_or(V::Null);
    let (pattern, ends) = rel_pattern(
        "apoc.merge.relationship",
        "identProps",
        [arg(0), arg(4)],
        &arg(1),
        &arg(2),
    )?;
    merged(w, pattern, ends, 2, (arg(3), arg(5)))
}

/// `apoc.create.relationship(start, type, props, end)`: `CREATE` of a
/// relationship with a type and properties given at run time.
fn create_relationship(args: &[CypherValue], w: &mut WriteTxn<'_>) -> QResult<Option<Vec<Row>>> {
    let arg = |i: usize| args.get(i).cloned().unwrap_or(V::Null);
    let (pattern, mut row) = rel_pattern(
        "apoc.create.relationship",
        "props",
        [arg(0), arg(3)],
        &arg(1),
        &arg(2),
    )?;
    row.push(V::Null);
    create(w, &pattern, &mut row, &Params::new())?;
    Ok(Some(vec![vec![row.swap_remove(2)]]))
}

/// A pattern of a new relationship of type `rel_type` with the properties
/// of map `props` from `ends[0]` to `ends[1]` (which must be nodes), and
/// the row of its two ends.
fn rel_pattern(
    name: &str,
    what: &str,
    ends: [CypherValue; 2],
    rel_type: &CypherValue,
    props: &CypherValue,
) -> QResult<(Pattern, Row)> {
    let mut row = Vec::new();
    for (v, which) in ends.into_iter().zip(["start", "end"]) {
        match v {
            V::Node(n) => row.push(V::Node(n)),
            other => {
                return Err(type_error(format!(
                    "{name}: the {which} node is a node, not {}",
                    other.type_name()
                )));
            }
        }
    }
    let rel_type = match rel_type {
        V::String(t) if !t.is_empty() => t.clone(),
        other => {
            return Err(argument_error(
                "InvalidArgumentValue",
                format!("{name}: the relationship type is a non-empty string, not {other}"),
            ));
        }
    };
    let bound = |slot| NodePat {
        slot,
        earlier: true,
        labels: Vec::new(),
        props: Vec::new(),
        map: None,
        seek: None,
    };
    let rel = RelPat {
        slot: 2,
        earlier: false,
        types: vec![rel_type],
        dir: Dir::Right,
        props: map(name, what, props)?
            .into_iter()
            .map(|(k, v)| (k, Expr::Const(v)))
            .collect(),
        map: None,
        range: None,
    };
    let pattern = Pattern {
        chains: vec![Chain {
            nodes: vec![bound(0), bound(1)],
            rels: vec![rel],
            path: None,
            shortest: None,
            start: 0,
        }],
        filter: None,
        width: 3,
        count_tail: false,
        prune_ends: false,
        early: Vec::new(),
        residual: None,
    };
    Ok((pattern, row))
}

/// `MERGE` of `pattern` from `row`, then `+=` of the on-create or
/// on-match map: the element at `slot` of each row it ends with.
fn merged(
    w: &mut WriteTxn<'_>,
    pattern: Pattern,
    row: Row,
    slot: usize,
    (on_create, on_match): (CypherValue, CypherValue),
) -> QResult<Option<Vec<Row>>> {
    let set = |v: CypherValue| -> QResult<Vec<SetItem>> {
        Ok(match v {
            V::Null => Vec::new(),
            V::Map(m) if m.is_empty() => Vec::new(),
            V::Map(m) => vec![SetItem::Properties {
                target: Expr::Slot(slot),
                value: Expr::Const(V::Map(m)),
                merge: true,
            }],
            other => {
                return Err(type_error(format!(
                    "properties to set are a map, not {}",
                    other.type_name()
                )));
            }
        })
    };
    let plan = MergePlan {
        pattern,
        on_create: set(on_create)?,
        on_match: set(on_match)?,
    };
    let mut out = Vec::new();
    merge(w, &plan, row, &Params::new(), &mut out)?;
    Ok(Some(
        out.into_iter()
            .map(|mut r| vec![r.swap_remove(slot)])
            .collect(),
    ))
}

/// A vector argument: a list of numbers, stored as floats.
fn vector(name: &str, v: &CypherValue) -> QResult<Value> {
    let V::List(items) = v else {
        return Err(type_error(format!(
            "{name}: the vector is a list of numbers, not {}",
            v.type_name()
        )));
    };
    items
        .iter()
        .map(|x| match x {
            V::Float(f) if f.is_finite() => Ok(Value::Float(*f)),
            V::Int(i) => Ok(Value::Float(*i as f64)),
            V::Float(f) => Err(argument_error(
                "InvalidArgumentValue",
                format!("{name}: the vector holds {f}, not a finite number"),
            )),
            other => Err(type_error(format!(
                "{name}: the vector holds numbers, not {}",
                other.type_name()
            ))),
        })
        .collect::<QResult<Vec<_>>>()
        .map(Value::List)
}

/// A label list argument (a single string is one label).
fn names(name: &str, v: &CypherValue) -> QResult<Vec<String>> {
    let one = |x: &CypherValue| match x {
        V::String(s) if !s.is_empty() => Ok(s.clone()),
        other => Err(argument_error(
            "InvalidArgumentValue",
            format!("{name}: a label is a non-empty string, not {other}"),
        )),
    };
    match v {
        V::Null => Ok(Vec::new()),
        V::List(items) => items.iter().map(one).collect(),
        single => Ok(vec![one(single)?]),
    }
}

/// A node, or a list of nodes, argument (`null`s skipped).
fn nodes(name: &str, v: &CypherValue) -> QResult<Vec<NodeId>> {
    let one = |x: &CypherValue| match x {
        V::Node(n) => Ok(Some(n.id)),
        V::Null => Ok(None),
        other => Err(type_error(format!(
            "{name}: expected nodes, not {}",
            other.type_name()
        ))),
    };
    match v {
        V::List(items) => Ok(items
            .iter()
            .map(one)
            .collect::<QResult<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect()),
        single => Ok(one(single)?.into_iter().collect()),
    }
}

/// A map argument (`null` is empty).
fn map(name: &str, what: &str, v: &CypherValue) -> QResult<BTreeMap<String, CypherValue>> {
    Ok(map_argument(name, what, v)?.cloned().unwrap_or_default())
}
