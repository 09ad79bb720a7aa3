//! The plans of the clauses that call and write: `CALL`, `SET`, `REMOVE`,
//! `MERGE`.

use super::expr::Expr;
use super::pattern::Pattern;
use super::procs::Procedure;

/// `CALL proc(args) YIELD ...`.
#[derive(Clone, Debug)]
pub(crate) struct CallPlan {
    pub procedure: Procedure,
    pub args: Vec<Expr>,
    /// The procedure's output columns bound, in order of their new slots.
    pub outputs: Vec<usize>,
    /// `YIELD ... WHERE`.
    pub filter: Option<Expr>,
}

/// `SET` items.
#[derive(Clone, Debug)]
pub(crate) enum SetItem {
    /// `target.key = value`.
    Property {
        target: Expr,
        key: String,
        value: Expr,
    },
    /// `target = map` (or `+=` when `merge`).
    Properties {
        target: Expr,
        value: Expr,
        merge: bool,
    },
    /// `target:A:B`.
    Labels { target: Expr, labels: Vec<String> },
}

/// `REMOVE` items.
#[derive(Clone, Debug)]
pub(crate) enum RemoveItem {
    Property { target: Expr, key: String },
    Labels { target: Expr, labels: Vec<String> },
}

/// `MERGE`: the pattern to find, else create, and the actions.
#[derive(Clone, Debug)]
pub(crate) struct MergePlan {
    pub pattern: Pattern,
    pub on_match: Vec<SetItem>,
    pub on_create: Vec<SetItem>,
}
