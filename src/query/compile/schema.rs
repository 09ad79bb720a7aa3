//! Index and constraint commands to plans: each is one call of an
//! internal procedure (`exec::write_procs` creates and drops,
//! `exec::meta` shows), so it runs, explains and profiles as any
//! statement does.
//!
//! What the graph keeps maps onto Neo4j's schema like this: a range index
//! on one property of one label is a property index; a uniqueness
//! constraint on one property of one label is a unique key (with its own
//! index, as in Neo4j); a vector index on one property of one label or
//! relationship type is a vector collection that property feeds; a
//! full-text index is one of `crate::fulltext`'s; a range index on a
//! relationship type's properties or on several properties of a label is
//! recorded but not materialised (a lookup scans the type's relationships
//! or the label's nodes; `SHOW INDEXES` gives its provider as
//! `relationship-scan` / `label-scan`). Other kinds — text, point and
//! lookup indexes, composite keys of constraints, uniqueness on
//! relationships, key and type constraints — are refused as
//! `Unsupported`. A name may be a parameter.

use super::{Compiler, Scope};
use crate::query::error::{QResult, unsupported};
use crate::query::parse::ast;
use crate::query::parse::{
    SHOW_CONSTRAINTS, SHOW_INDEXES, SHOWN_CONSTRAINT_COLUMNS, SHOWN_INDEX_COLUMNS,
};
use crate::query::plan::clause::CallPlan;
use crate::query::plan::expr::Expr;
use crate::query::plan::procs::Procedure;
use crate::query::plan::{Plan, Step};
use crate::query::value::CypherValue as V;

/// The plan of a schema command.
#[allow(clippy::too_many_lines, reason = "one arm per command")]
pub(super) fn compile(c: &Compiler<'_>, command: &ast::Node<ast::SchemaCommand>) -> QResult<Plan> {
    let text = c.text;
    let at = |e: crate::query::error::QueryError| e.at(text, command.span.start);
    let string = |n: &ast::Name| Expr::Const(V::String(n.kind.text.clone()));
    let (procedure, args, columns): (Procedure, Vec<Expr>, &[&str]) = match &command.kind {
        ast::SchemaCommand::CreateIndex(d) => {
            let kind = d.kind.as_ref().map(|k| k.kind.text.to_ascii_uppercase());
            let name = schema_name(c, d.name.as_ref(), d.name_is_parameter).map_err(at)?;
            match kind.as_deref() {
                None | Some("RANGE") => {
                    let args = create_args(name, &d.target, &d.properties, d.if_not_exists, true)
                        .map_err(at)?;
                    (Procedure::CreateIndex, args, &[])
                }
                Some("VECTOR") => {
                    let args = vector_args(c, name, d).map_err(at)?;
                    (Procedure::CreateVectorIndex, args, &[])
                }
                Some("FULLTEXT") => {
                    let args = fulltext_args(c, name, d).map_err(at)?;
                    (Procedure::CreateFulltextIndex, args, &[])
                }
                Some(other) => {
                    return Err(at(unsupported(format!(
                        "a {other} index (range indexes on one node property, vector and full-text indexes are)"
                    ))));
                }
            }
        }
        ast::SchemaCommand::CreateConstraint(d)
            if d.requirement == ast::ConstraintRequirement::NotNull =>
        {
            // Existence: over a label's nodes or a type's relationships.
            let name = schema_name(c, d.name.as_ref(), d.name_is_parameter).map_err(at)?;
            let (owner, key) = one_pair(&d.target, &d.properties).map_err(at)?;
            let args = vec![
                name.unwrap_or(Expr::Const(V::Null)),
                string(owner),
                string(key),
                Expr::Const(V::Bool(d.if_not_exists)),
                Expr::Const(V::Bool(d.target.relationship)),
            ];
            (Procedure::CreateExistence, args, &[])
        }
        ast::SchemaCommand::CreateConstraint(d) => {
            if d.requirement != ast::ConstraintRequirement::Unique {
                return Err(at(unsupported(
                    "this kind of constraint (uniqueness constraints on one node property, and existence constraints, are)",
                )));
            }
            let name = schema_name(c, d.name.as_ref(), d.name_is_parameter).map_err(at)?;
            let args =
                create_args(name, &d.target, &d.properties, d.if_not_exists, false).map_err(at)?;
            (Procedure::CreateUniqueKey, args, &[])
        }
        ast::SchemaCommand::Drop {
            constraint,
            name,
            name_is_parameter,
            if_exists,
        } => {
            let name = match schema_name(c, Some(name), *name_is_parameter).map_err(at)? {
                Some(name) => name,
                None => string(name),
            };
            let args = vec![
                name,
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
                (
                    Procedure::ShowConstraints,
                    vec![kind],
                    &SHOW_CONSTRAINTS[..SHOWN_CONSTRAINT_COLUMNS],
                )
            } else {
                (
                    Procedure::ShowIndexes,
                    vec![kind],
                    &SHOW_INDEXES[..SHOWN_INDEX_COLUMNS],
                )
            }
        }
        _ => return Err(at(unsupported("this schema command"))),
    };
    let call = CallPlan {
        procedure,
        user: None,
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

/// A command's name: written out, a parameter's value, or none.
fn schema_name(
    c: &Compiler<'_>,
    name: Option<&ast::Name>,
    parameter: bool,
) -> QResult<Option<Expr>> {
    let Some(name) = name else {
        return Ok(None);
    };
    if !parameter {
        return Ok(Some(Expr::Const(V::String(name.kind.text.clone()))));
    }
    let e = ast::Expr::new(
        ast::ExprKind::Parameter(ast::Parameter {
            name: ast::ParameterName::Named(name.kind.text.clone()),
        }),
        name.span,
    );
    c.expr(&e, &Scope::default(), None).map(Some)
}

/// The arguments of the procedures that create: name (or null), label
/// (or type), key (a list of keys for a range index over several),
/// `IF NOT EXISTS`, on relationships (only a range index, `relationships`
/// true, may be over relationships or several keys).
fn create_args(
    name: Option<Expr>,
    target: &ast::SchemaTarget,
    properties: &[ast::Name],
    if_not_exists: bool,
    relationships: bool,
) -> QResult<Vec<Expr>> {
    if target.relationship && !relationships {
        return Err(unsupported("a uniqueness constraint on relationships"));
    }
    let string = |n: &ast::Name| Expr::Const(V::String(n.kind.text.clone()));
    let (label, key) = match (target.labels.as_slice(), properties) {
        // An index over several properties: declared, not materialised.
        ([label], [_, _, ..]) if relationships => (
            label,
            Expr::Const(V::List(
                properties
                    .iter()
                    .map(|p| V::String(p.kind.text.clone()))
                    .collect(),
            )),
        ),
        _ => {
            let (label, key) = one_pair(target, properties)?;
            (label, string(key))
        }
    };
    Ok(vec![
        name.unwrap_or(Expr::Const(V::Null)),
        string(label),
        key,
        Expr::Const(V::Bool(if_not_exists)),
        Expr::Const(V::Bool(target.relationship)),
    ])
}

/// The arguments of `CREATE VECTOR INDEX`: name (or null), label or type,
/// key, on relationships, `IF NOT EXISTS`, the `OPTIONS` map (or null).
fn vector_args(
    c: &Compiler<'_>,
    name: Option<Expr>,
    d: &ast::IndexDefinition,
) -> QResult<Vec<Expr>> {
    let (label, key) = one_pair(&d.target, &d.properties)?;
    let string = |n: &ast::Name| Expr::Const(V::String(n.kind.text.clone()));
    let options = match &d.options {
        Some(e) => c.expr(e, &Scope::default(), None)?,
        None => Expr::Const(V::Null),
    };
    Ok(vec![
        name.unwrap_or(Expr::Const(V::Null)),
        string(label),
        string(key),
        Expr::Const(V::Bool(d.target.relationship)),
        Expr::Const(V::Bool(d.if_not_exists)),
        options,
    ])
}

/// The arguments of `CREATE FULLTEXT INDEX`: name (or null), labels or
/// types, keys (lists of strings), on relationships, `IF NOT EXISTS`, the
/// `OPTIONS` map (or null).
fn fulltext_args(
    c: &Compiler<'_>,
    name: Option<Expr>,
    d: &ast::IndexDefinition,
) -> QResult<Vec<Expr>> {
    let strings = |names: &[ast::Name]| {
        Expr::Const(V::List(
            names
                .iter()
                .map(|n| V::String(n.kind.text.clone()))
                .collect(),
        ))
    };
    let options = match &d.options {
        Some(e) => c.expr(e, &Scope::default(), None)?,
        None => Expr::Const(V::Null),
    };
    Ok(vec![
        name.unwrap_or(Expr::Const(V::Null)),
        strings(&d.target.labels),
        strings(&d.properties),
        Expr::Const(V::Bool(d.target.relationship)),
        Expr::Const(V::Bool(d.if_not_exists)),
        options,
    ])
}

/// The one label (or type) and one key a supported index or constraint
/// covers.
fn one_pair<'a>(
    target: &'a ast::SchemaTarget,
    properties: &'a [ast::Name],
) -> QResult<(&'a ast::Name, &'a ast::Name)> {
    match (target.labels.as_slice(), properties) {
        ([label], [key]) => Ok((label, key)),
        ([_], _) => Err(unsupported("an index or constraint on several properties")),
        _ => Err(unsupported("an index or constraint on several labels")),
    }
}
