//! Plans: what the compiler makes of a statement and the optimiser
//! rewrites, with no behaviour of their own. A statement is one or more
//! branches joined by `UNION`; a branch is a list of steps over rows of
//! slots; the steps hold compiled patterns ([`pattern`]) and expressions
//! ([`expr`]).

pub(crate) mod clause;
pub(crate) mod columnar;
pub(crate) mod expr;
pub(crate) mod func;
pub(crate) mod pattern;
pub(crate) mod procs;
pub(crate) mod user;

use clause::{CallPlan, MergePlan, RemoveItem, SetItem, SubqueryPlan};
use columnar::{Shape, TopK};
use expr::Expr;
use func::Aggregate;
use pattern::Pattern;

use crate::query::error::{ErrorKind, QResult, QueryError};
use crate::query::value::CypherValue as V;

/// A compiled statement: one or more single queries joined by `UNION`.
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    pub columns: Vec<String>,
    pub branches: Vec<Vec<Step>>,
    /// `UNION ALL` (keep duplicates) rather than `UNION`.
    pub union_all: bool,
}

impl Plan {
    /// Whether any step writes to the graph.
    pub fn writes(&self) -> bool {
        self.branches.iter().flatten().any(Step::writes)
    }
}

/// One step of a single query, over rows of slots.
#[derive(Clone, Debug)]
pub(crate) enum Step {
    /// Each row once per element of the list, in a new last slot.
    Unwind(Expr),
    /// `WITH` or `RETURN`.
    Project(ProjectItems),
    /// `MATCH`: every row once per match (`OPTIONAL`: a row without a
    /// match is kept, its new variables `null`).
    Match {
        pattern: Pattern,
        optional: bool,
        /// The pattern could end in a counted hop (`Pattern::count_tail`,
        /// set by the optimiser's `CountedHop` when an aggregation
        /// follows).
        free_tail: bool,
        /// This match with the projection after it, lowered by the
        /// optimiser's `ColumnarAggregate`.
        aggregate: Option<Box<Shape>>,
        /// This match with the `ORDER BY ... LIMIT` after it, lowered by
        /// the optimiser's `ColumnarTopK`.
        top: Option<Box<TopK>>,
        /// This match and the `SET` / `REMOVE` of constant properties
        /// after it, the whole branch, run as one pass over the label's
        /// records without rows (the optimiser's `LabelWrite`).
        label_write: bool,
    },
    /// `CREATE`: the pattern's new nodes and relationships, per row.
    Create(Pattern),
    /// `MERGE`.
    Merge(Box<MergePlan>),
    /// `SET`.
    Set(Vec<SetItem>),
    /// `REMOVE`.
    Remove(Vec<RemoveItem>),
    /// `DELETE` (`detach`: with the nodes' relationships).
    Delete { exprs: Vec<Expr>, detach: bool },
    /// `CALL` a procedure: each row once per output row.
    Call(Box<CallPlan>),
    /// `CALL { subquery }`: each row once per row of the subquery run
    /// from it (once, unchanged, when the subquery returns nothing).
    Subquery(Box<SubqueryPlan>),
}

impl Step {
    /// Whether the step writes to the graph.
    pub fn writes(&self) -> bool {
        match self {
            Step::Create(_)
            | Step::Merge(_)
            | Step::Set(_)
            | Step::Remove(_)
            | Step::Delete { .. } => true,
            Step::Subquery(s) => s.plan.writes() || s.batches.is_some(),
            Step::Call(c) => c.procedure.writes(),
            Step::Unwind(_) | Step::Project(_) | Step::Match { .. } => false,
        }
    }
}

/// One property write of a `SET` or `REMOVE`: `target.key = value`, or
/// `REMOVE target.key` (no value).
pub(crate) type PropertyWrite<'a> = (&'a Expr, &'a str, Option<&'a Expr>);

impl Step {
    /// The writes of a `SET` whose items all set one property or a
    /// `REMOVE` whose items all remove one, in order; `None` for any
    /// other step or item.
    pub fn property_writes(&self) -> Option<Vec<PropertyWrite<'_>>> {
        match self {
            Step::Set(items) => items
                .iter()
                .map(|item| match item {
                    SetItem::Property { target, key, value } => {
                        Some((target, key.as_str(), Some(value)))
                    }
                    _ => None,
                })
                .collect(),
            Step::Remove(items) => items
                .iter()
                .map(|item| match item {
                    RemoveItem::Property { target, key } => Some((target, key.as_str(), None)),
                    RemoveItem::Labels { .. } => None,
                })
                .collect(),
            _ => None,
        }
    }
}

/// An aggregate of a projection.
#[derive(Clone, Debug)]
pub(crate) struct AggregateSpec {
    pub function: Aggregate,
    pub distinct: bool,
    /// Its argument (none for `count(*)`), over the input row.
    pub argument: Option<Expr>,
    /// A percentile's second argument.
    pub second: Option<Expr>,
}

/// `WITH` / `RETURN`.
#[derive(Clone, Debug)]
pub(crate) struct ProjectItems {
    /// One expression per output column, over the input row (an
    /// aggregating item reads its aggregates with `Expr::Aggregate`).
    pub items: Vec<Expr>,
    /// Which items hold no aggregate (the grouping keys), when any item
    /// aggregates.
    pub grouping: Option<Vec<bool>>,
    pub aggregates: Vec<AggregateSpec>,
    pub distinct: bool,
    /// Sort keys over the output row, followed by the input row when
    /// `order_sees_input`; `true` means descending.
    pub order: Vec<(Expr, bool)>,
    pub order_sees_input: bool,
    pub skip: Option<Expr>,
    pub limit: Option<Expr>,
    /// `WITH ... WHERE`, over the rows `order` reads, after paging.
    pub filter: Option<Expr>,
}

impl ProjectItems {
    /// The keys of the properties the projection reads (`x.key`), in its
    /// items, aggregates, sort keys and `WHERE`.
    pub fn property_keys(&self, out: &mut Vec<String>) {
        let aggregates = self
            .aggregates
            .iter()
            .flat_map(|a| a.argument.iter().chain(&a.second));
        let order = self.order.iter().map(|(e, _)| e);
        for e in self
            .items
            .iter()
            .chain(aggregates)
            .chain(order)
            .chain(&self.filter)
        {
            e.property_keys(out);
        }
    }
}

/// A `SKIP` / `LIMIT` value: a non-negative integer.
pub(crate) fn check_count(v: &V, clause: &str) -> QResult<usize> {
    match v {
        V::Int(i) if *i >= 0 => Ok(*i as usize),
        V::Int(_) => Err(QueryError::runtime(
            ErrorKind::SyntaxError,
            "NegativeIntegerArgument",
            format!("{clause} needs a non-negative integer"),
        )),
        other => Err(QueryError::runtime(
            ErrorKind::SyntaxError,
            "InvalidArgumentType",
            format!("{clause} needs an integer, not {}", other.type_name()),
        )),
    }
}
