//! The plans of the clauses that call and write: `CALL` (a procedure or
//! a subquery), `SET`, `REMOVE`, `MERGE`.

use std::sync::Arc;

use super::Plan;
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

/// `[OPTIONAL] CALL [(scope)] { subquery }`: the subquery runs once per
/// row, from the variables it imports.
#[derive(Clone, Debug)]
pub(crate) struct SubqueryPlan {
    /// The subquery (its branches, when it has `UNION`s); its rows start
    /// with the imported variables, in `imports` order.
    pub plan: Arc<Plan>,
    /// The slots of the imported variables in the row around it.
    pub imports: Vec<usize>,
    /// `OPTIONAL CALL`: a row the subquery gives no rows for is kept, the
    /// subquery's columns `null`.
    pub optional: bool,
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
