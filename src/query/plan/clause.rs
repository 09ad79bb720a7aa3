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
    /// The registered procedure, when `procedure` is `User`.
    pub user: Option<std::sync::Arc<super::user::UserProcedure>>,
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
    /// `IN TRANSACTIONS`: the rows in batches, each committed.
    pub batches: Option<Batches>,
}

/// `IN TRANSACTIONS [OF rows ROWS] [ON ERROR ...] [REPORT STATUS AS s]`.
#[derive(Clone, Debug)]
pub(crate) struct Batches {
    /// Rows per batch (1,000 when not given).
    pub rows: Option<Expr>,
    pub on_error: OnError,
    /// `REPORT STATUS AS s`: a last column with each batch's status.
    pub report: bool,
}

/// What a failed batch of `IN TRANSACTIONS` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OnError {
    /// The statement fails (batches committed before stay committed).
    Fail,
    /// The batch is rolled back; the next batches run.
    Continue,
    /// The batch is rolled back; no later batch runs.
    Break,
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
    /// `target:A:B`, and `target:$(expr)`: `dynamic` labels computed per
    /// row (a string or a list of strings).
    Labels {
        target: Expr,
        labels: Vec<String>,
        dynamic: Vec<Expr>,
    },
}

/// `REMOVE` items.
#[derive(Clone, Debug)]
pub(crate) enum RemoveItem {
    Property {
        target: Expr,
        key: String,
    },
    /// As [`SetItem::Labels`].
    Labels {
        target: Expr,
        labels: Vec<String>,
        dynamic: Vec<Expr>,
    },
}

/// `MERGE`: the pattern to find, else create, and the actions.
#[derive(Clone, Debug)]
pub(crate) struct MergePlan {
    pub pattern: Pattern,
    pub on_match: Vec<SetItem>,
    pub on_create: Vec<SetItem>,
}
