//! Index and constraint commands to plans: each is one call of an
//! internal procedure (`exec::write_procs` creates and drops,
//! `exec::meta` shows), so it runs, explains and profiles as any
//! statement does.
//!
//! What the graph keeps maps onto Neo4j's schema like this: a range index
//! on one property of one label is a property index; a uniqueness
//! constraint on one property of one label is a unique key (with its own
//! index, as in Neo4j). Other kinds — text, point, vector, full-text and
//! lookup indexes, composite keys, relationship indexes, existence, key
//! and type constraints — are refused as `Unsupported`.

use crate::query::error::{QResult, unsupported};
use crate::query::parse::ast;
use crate::query::plan::clause::CallPlan;
use crate::query::plan::expr::Expr;
use crate::query::plan::procs::Procedure;
use crate::query::plan::{Plan, Step};
use crate::query::value::CypherValue as V;

/// The plan of a schema command.
pub(super) fn compile(text: &str, command: &ast::Node<ast::SchemaCommand>) -> QResult<Plan> {
    let at = |e: crate::query::error::QueryError| e.at(text, command.span.start);
    let string = |n: &ast::Name| Expr::Const(V::String(n.kind.text.clone()));
    let (procedure, args, columns): (Procedure, Vec<Expr>, &[&str]) = match &command.kind {
        ast::SchemaCommand::CreateIndex(d) => {
            if let Some(kind) = d
                .kind
                .as_ref()
                .filter(|k| !k.kind.text.eq_ignore_ascii_case("RANGE"))
            {
                return Err(at(unsupported(format!(
                    "a {} index (range indexes on one node property are)",
                    kind.kind.text.to_ascii_uppercase()
                ))));
            }
            let args = create_args(d.name.as_ref(), &d.target, &d.properties, d.if_not_exists)
                .map_err(at)?;
            (Procedure::CreateIndex, args, &[])
        }
        ast::SchemaCommand::CreateConstraint(d) => {
            if d.requirement != ast::ConstraintRequirement::Unique {
                return Err(at(unsupported(
                    "this kind of constraint (uniqueness constraints on one node property are)",
                )));
            }
            let args = create_args(d.name.as_ref(), &d.target, &d.properties, d.if_not_exists)
                .map_err(at)?;
            (Procedure::CreateUniqueKey, args, &[])
        }
        ast::SchemaCommand::Drop {
            constraint,
            name,
            if_exists,
        } => {
            let args = vec![
                string(name),
                Expr::Const(V::Bool(*if_exists)),
                Expr::Const(V::Bool(*constraint)),
            ];
            (Procedure::DropSchema, args, &[])
        }
        ast::SchemaCommand::Show { constraints, kind } => {
            let kind = Expr::Const(
                kind.as_ref()
                    .map_or(V::Null, |k| V::String(k.kind.text.to_ascii_uppercase())),
            );
            if *constraints {
                (Procedure::ShowConstraints, vec![kind], SHOW_CONSTRAINTS)
            } else {
                (Procedure::ShowIndexes, vec![kind], SHOW_INDEXES)
            }
        }
        _ => return Err(at(unsupported("this schema command"))),
    };
    let call = CallPlan {
        procedure,
        args,
        outputs: (0..columns.len()).collect(),
        filter: None,
    };
    Ok(Plan {
        columns: columns.iter().map(|c| (*c).to_owned()).collect(),
        branches: vec![vec![Step::Call(Box::new(call))]],
        union_all: false,
    })
}

/// The columns of `SHOW INDEXES`, as Neo4j 5 names them.
pub(crate) const SHOW_INDEXES: &[&str] = &[
    "id",
    "name",
    "state",
    "populationPercent",
    "type",
    "entityType",
    "labelsOrTypes",
    "properties",
    "indexProvider",
    "owningConstraint",
    "lastRead",
    "readCount",
];

/// The columns of `SHOW CONSTRAINTS`.
pub(crate) const SHOW_CONSTRAINTS: &[&str] = &[
    "id",
    "name",
    "type",
    "entityType",
    "labelsOrTypes",
    "properties",
    "ownedIndex",
    "propertyType",
];

/// The arguments of the procedures that create: name (or null), label,
/// key, `IF NOT EXISTS`.
fn create_args(
    name: Option<&ast::Name>,
    target: &ast::SchemaTarget,
    properties: &[ast::Name],
    if_not_exists: bool,
) -> QResult<Vec<Expr>> {
    let (label, key) = one_pair(target, properties)?;
    let string = |n: &ast::Name| Expr::Const(V::String(n.kind.text.clone()));
    Ok(vec![
        Expr::Const(name.map_or(V::Null, |n| V::String(n.kind.text.clone()))),
        string(label),
        string(key),
        Expr::Const(V::Bool(if_not_exists)),
    ])
}

/// The one label and one key a supported index or constraint covers.
fn one_pair<'a>(
    target: &'a ast::SchemaTarget,
    properties: &'a [ast::Name],
) -> QResult<(&'a ast::Name, &'a ast::Name)> {
    if target.relationship {
        return Err(unsupported("an index or constraint on relationships"));
    }
    match (target.labels.as_slice(), properties) {
        ([label], [key]) => Ok((label, key)),
        ([_], _) => Err(unsupported("an index or constraint on several properties")),
        _ => Err(unsupported("an index or constraint on several labels")),
    }
}
