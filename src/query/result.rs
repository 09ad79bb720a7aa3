//! What a statement gives back: its columns and rows, and with `EXPLAIN`
//! or `PROFILE` its plan's steps.

use super::value::CypherValue;
use crate::UpdateCounts;
pub use crate::storage::Reads as StorageReads;

/// The result of a statement: its column names and rows.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryResult {
    pub(crate) columns: Vec<String>,
    pub(crate) rows: Vec<Vec<CypherValue>>,
    pub(crate) plan: Option<Vec<PlanStep>>,
    /// What the statement's writes did.
    pub(crate) updates: UpdateCounts,
}

impl QueryResult {
    /// The column names, in order.
    #[must_use]
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The rows, each with one value per column.
    #[must_use]
    pub fn rows(&self) -> &[Vec<CypherValue>] {
        &self.rows
    }

    /// The plan's steps, for a statement that began with `EXPLAIN` (not
    /// run: no rows) or `PROFILE` (run: each step with the rows it
    /// produced and its time).
    #[must_use]
    pub fn plan(&self) -> Option<&[PlanStep]> {
        self.plan.as_deref()
    }

    /// What the statement's writes did: nodes created, properties set,
    /// ... (all zero for a statement that does not write).
    #[must_use]
    pub fn updates(&self) -> &UpdateCounts {
        &self.updates
    }

    /// The rows, owned.
    #[must_use]
    pub fn into_rows(self) -> Vec<Vec<CypherValue>> {
        self.rows
    }
}

/// One step of a plan.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct PlanStep {
    /// The `UNION` branch it belongs to (0 for the first; inside a `CALL`
    /// subquery, the subquery's branch).
    pub branch: usize,
    /// How many `CALL { }` subqueries the step is inside: 0 for the
    /// statement's own steps; a subquery's steps follow its
    /// `CallSubquery` step, one deeper. `PROFILE` measures the steps at
    /// depth 0 (a subquery's time and rows are its `CallSubquery` step's).
    pub depth: usize,
    /// What the step does: `Match`, `OptionalMatch`, `Unwind`, `Project`,
    /// `Aggregate`, `Create`, `Merge`, `Set`, `Remove`, `Delete`,
    /// `Call`, `CallSubquery`, `OptionalCallSubquery`.
    pub operator: String,
    /// How: the patterns and how each is started, the procedure, ...
    pub details: String,
    /// Rows the step produced (`PROFILE` only).
    pub rows: Option<u64>,
    /// Milliseconds the step took (`PROFILE` only).
    pub elapsed_ms: Option<f64>,
    /// The storage reads the step made on the statement's thread
    /// (`PROFILE` only): point lookups, seeks and entries scanned.
    pub reads: Option<StorageReads>,
}
