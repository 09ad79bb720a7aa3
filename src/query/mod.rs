//! Cypher statements.
//!
//! A statement passes five stages, each a module that names only the
//! ones before it (checked by `tests/layers.rs`):
//!
//! ```text
//! text ─ parse ─> syntax tree ─ compile ─> plan ─ optimise ─> plan' ─ exec ─> rows
//!        (prefixes,            (names to slots,   (named rules      (snapshot,
//!         open-cypher)          Cypher's checks)   annotate steps)   batches)
//! ```
//!
//! * [`parse`]: `EXPLAIN` / `PROFILE` and `CYPHER 25 …` prefixes read
//!   off, the text parsed by the `open-cypher` crate (a lossless lexer and
//!   a LALRPOP parser of the openCypher 2024.3 grammar: a typed, spanned
//!   syntax tree with diagnostics that point at the spot) — the only file
//!   that names it.
//! * [`plan`]: the plan types and nothing else: branches of steps over
//!   rows of slots, compiled patterns and expressions.
//! * [`compile`]: syntax tree to plan; variables resolved to slots, the
//!   language's rules checked.
//! * [`optimise`]: rewrite rules (`CountedHop`, `ColumnarAggregate`) and
//!   the cost-based choice of where a chain starts.
//! * [`exec`]: runs a plan on a snapshot, a write transaction or nothing;
//!   [`explain`] describes it and [`cache`] keeps compiled plans per
//!   database.
//!
//! A statement runs on a read transaction ([`ReadTxn::query`]: a
//! snapshot; a write clause is an error), on a write transaction
//! ([`WriteTxn::query`]: its writes join the transaction's, and a statement
//! that fails leaves the transaction as it was), or in a transaction of its
//! own ([`Database::execute`]). [`run`] runs a statement of expressions
//! alone, with no database.
//!
//! What runs: `MATCH` / `OPTIONAL MATCH` (labels, `:A|B` types,
//! directions, inline properties, variable length, named paths,
//! `shortestPath` / `allShortestPaths`), `WHERE`, `CREATE`, `MERGE` (with
//! `ON MATCH` / `ON CREATE SET`), `SET`, `REMOVE`, `DELETE` / `DETACH
//! DELETE`, `UNWIND`, `WITH`, `RETURN`, `DISTINCT`, `ORDER BY`, `SKIP`,
//! `LIMIT`, aggregation, `UNION [ALL]`, `CALL` of the procedures of
//! `plan::procs`, `EXPLAIN` / `PROFILE` ([`explain`]), and the
//! expressions of `plan::expr` with the functions of `plan::func`. What
//! is not supported fails
//! with an [`ErrorKind::Unsupported`] error: docs/QUERY.md lists it.

#![allow(
    clippy::cast_possible_wrap,
    reason = "lengths of in-memory lists and strings fit in an i64"
)]

// The stages, in the order a statement passes them; a stage names only
// the ones above it (checked by tests/layers.rs).
mod error;
mod result;
mod value;

mod parse;

mod plan;

mod compile;

mod optimise;

pub(crate) mod exec;

pub(crate) mod cache;
mod explain;

pub use cache::{PLAN_CACHE_CAPACITY, PLAN_CACHE_MAX_TEXT};
pub use error::{ErrorKind, Interrupt, Phase, QueryError, status};
pub use exec::stream::QueryRows;
pub use parse::{CYPHER_VERSIONS, MAX_NESTING, split_statements};
pub use plan::user::{ArgType, ProcedureResult, UserProcedure};
pub use result::{PlanStep, QueryResult, StorageReads};
pub use value::{CypherValue, NodeValue, Params, PathValue, RelValue, format_float};

use std::sync::Arc;
use std::time::Duration;

use crate::txn::{Database, ReadTxn, WriteTxn};
use error::{Deadline, Running};
use exec::graph::Access;
use exec::stream::On;
use parse::Mode;
use plan::Plan;

/// How one statement runs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct QueryOptions {
    /// The statement's time limit, from when it starts: past it, the
    /// statement stops with an [`ErrorKind::Timeout`] error (a write
    /// statement's writes are then undone). The clock is read between
    /// batches of rows and every 1,024 hops of a pattern walk; a
    /// procedure call (`CALL algo.*`) runs to its end before it is read.
    /// `None`: no limit.
    pub timeout: Option<Duration>,
    /// Runs the plan as compiled, without the rules that choose faster
    /// physical forms (`ColumnarAggregate`, the counted last hop, columns
    /// for whole-label reads): the same rows, slower. For checking the
    /// rules against the plain row-at-a-time path. Default `false`.
    pub naive: bool,
    /// Stops the statement from another thread when triggered (see
    /// [`Interrupt`]). Default none.
    pub interrupt: Option<Interrupt>,
}

impl QueryOptions {
    /// Options with a time limit.
    #[must_use]
    pub fn timeout(limit: Duration) -> QueryOptions {
        QueryOptions {
            timeout: Some(limit),
            ..QueryOptions::default()
        }
    }

    /// These options without the optimiser's rules (see
    /// [`QueryOptions::naive`]).
    #[must_use]
    pub fn without_rules(self) -> QueryOptions {
        QueryOptions {
            naive: true,
            ..self
        }
    }

    /// These options, stopped by `interrupt` when it is triggered.
    #[must_use]
    pub fn with_interrupt(self, interrupt: Interrupt) -> QueryOptions {
        QueryOptions {
            interrupt: Some(interrupt),
            ..self
        }
    }

    /// How the statement's steps run, its clock started now.
    fn running(&self) -> Running {
        Running {
            deadline: Deadline::new(self.timeout, self.interrupt.as_ref()),
            naive: self.naive,
            clock: crate::temporal::clock_now(),
            implicit: false,
        }
    }
}

/// Parses, checks and runs `text` with `params`, with no database: a
/// statement that reads or writes the graph fails.
///
/// A statement that is not valid Cypher fails with a
/// [`ErrorKind::SyntaxError`] naming the line and column; one that breaks
/// the language's rules with a [`ErrorKind::SyntaxError`] carrying the
/// rule's detail code (both at [`Phase::Compile`], before anything runs);
/// a value of the wrong type met while running with a
/// [`ErrorKind::TypeError`] at [`Phase::Runtime`].
pub fn run(text: &str, params: &Params) -> Result<QueryResult, QueryError> {
    let (plan, mode) = prepare(text, params, &plan::user::UserProcedures::default())?;
    execute(
        &Arc::new(plan),
        mode,
        params,
        &mut Access::Detached,
        &QueryOptions::default().running(),
    )
}

/// The database's estimates in an `EXPLAIN` / `PROFILE` plan (none with
/// no database).
fn estimate(
    plan: &Plan,
    steps: &mut [PlanStep],
    access: &Access<'_, '_>,
) -> Result<(), QueryError> {
    use crate::GraphRead as _;
    let (nodes, edges) = match access {
        Access::Detached => return Ok(()),
        Access::Read(r) => (r.node_count(), r.edge_count()),
        Access::Write(w) => (w.node_count(), w.edge_count()),
        Access::View(w) => (w.node_count(), w.edge_count()),
    };
    let Some(reader) = access.reader() else {
        return Ok(());
    };
    explain::estimate(plan, steps, reader, nodes?, edges?)
}

/// A read-only statement's rows on `on` (of `db`), as they are read; an
/// `EXPLAIN` / `PROFILE` runs now. A statement that writes gets
/// `refused()`.
fn stream_on<'t>(
    on: On<'t>,
    db: &Database,
    text: &str,
    params: &Params,
    options: &QueryOptions,
    refused: impl FnOnce() -> QueryError,
) -> Result<QueryRows<'t>, QueryError> {
    let (plan, mode) = prepare_on(db, text, params)?;
    if plan.writes() && mode != Mode::Explain {
        return Err(refused());
    }
    let run = options.running();
    if mode != Mode::Run {
        let result = execute(&plan, mode, params, &mut on.access(), &run)?;
        return Ok(QueryRows::ready(result));
    }
    Ok(QueryRows::stream(plan, params, on, run))
}

/// Whether `text` writes when run (an `EXPLAIN` does not): for a server
/// that picks a read or a write transaction before it runs a statement.
/// The plan is cached, so running the statement next does not compile
/// it again.
pub(crate) fn writes(db: &Database, text: &str, params: &Params) -> Result<bool, QueryError> {
    let (plan, mode) = prepare_on(db, text, params)?;
    Ok(plan.writes() && mode != Mode::Explain)
}

/// [`prepare`], through `db`'s plan cache.
fn prepare_on(db: &Database, text: &str, params: &Params) -> Result<(Arc<Plan>, Mode), QueryError> {
    let procedures = db.extension::<cache::PlanCache>().procedures();
    cache::prepared(db, text, params, || prepare(text, params, &procedures))
}

/// Parses and compiles `text` (after a leading `EXPLAIN` or `PROFILE`),
/// calling the registered `procedures` where it names them.
fn prepare(
    text: &str,
    params: &Params,
    procedures: &plan::user::UserProcedures,
) -> Result<(Plan, Mode), QueryError> {
    let parsed = parse::parse(text)?;
    let mut plan = compile::compile(&parsed.text, &parsed.body, params, procedures)?;
    optimise::optimise(&mut plan);
    Ok((plan, parsed.mode))
}

fn execute(
    plan: &Arc<Plan>,
    mode: Mode,
    params: &Params,
    access: &mut Access<'_, '_>,
    run: &Running,
) -> Result<QueryResult, QueryError> {
    if mode == Mode::Explain {
        let mut steps = explain::describe(plan);
        estimate(plan, &mut steps, access)?;
        return Ok(QueryResult {
            columns: plan.columns.clone(),
            rows: Vec::new(),
            plan: Some(steps),
            updates: crate::UpdateCounts::default(),
        });
    }
    let mut stats = Vec::new();
    let profiling = mode == Mode::Profile;
    let rows = exec::run(plan, params, access, profiling.then_some(&mut stats), run)?;
    let steps = if profiling {
        let mut steps = explain::describe(plan);
        let own = steps.iter_mut().filter(|s| s.depth == 0);
        for (step, (produced, ms, reads)) in own.zip(stats) {
            step.rows = Some(produced);
            step.elapsed_ms = Some(ms);
            step.reads = Some(reads);
        }
        estimate(plan, &mut steps, access)?;
        Some(steps)
    } else {
        None
    };
    Ok(QueryResult {
        columns: plan.columns.clone(),
        rows,
        plan: steps,
        updates: crate::UpdateCounts::default(),
    })
}

/// The error of a write statement on a read transaction.
fn read_only() -> QueryError {
    QueryError::compile(
        ErrorKind::SemanticError,
        "ReadOnlyTransaction",
        "a read transaction cannot run a statement that writes; use WriteTxn::query or Database::execute",
    )
}

impl ReadTxn<'_> {
    /// Runs a read-only Cypher statement on this snapshot and collects
    /// its rows. A statement with a write clause fails
    /// ([`ErrorKind::SemanticError`]) before it reads anything.
    ///
    /// ```
    /// # use quiverdb::{Database, props, query::Params};
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let db = Database::open(dir.path()).unwrap();
    /// # let mut w = db.begin_write().unwrap();
    /// # let a = w.add_node(&["Package"], props! {"name" => "curl"}).unwrap();
    /// # let b = w.add_node(&["Package"], props! {"name" => "libssl3"}).unwrap();
    /// # w.add_edge(a, b, "DEPENDS", props! {}).unwrap();
    /// # w.commit().unwrap();
    /// let r = db.begin_read()?;
    /// let result = r.query(
    ///     "MATCH (p:Package {name: $name})-[:DEPENDS]->(d) RETURN d.name AS dep",
    ///     &Params::from([("name".to_owned(), "curl".into())]),
    /// )?;
    /// assert_eq!(result.columns(), ["dep"]);
    /// assert_eq!(result.rows()[0][0], "libssl3".into());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn query(&self, text: &str, params: &Params) -> Result<QueryResult, QueryError> {
        self.query_with(text, params, &QueryOptions::default())
    }

    /// [`ReadTxn::query`] with options (a time limit).
    pub fn query_with(
        &self,
        text: &str,
        params: &Params,
        options: &QueryOptions,
    ) -> Result<QueryResult, QueryError> {
        self.stream(text, params, options)?.collect_result()
    }

    /// Runs a read-only statement on this snapshot, producing its rows as
    /// they are pulled from the iterator: `MATCH (n) RETURN n` holds a
    /// batch of rows at a time, not the graph, and stops reading when the
    /// iterator is dropped. Steps that need all their input (aggregation,
    /// `ORDER BY`, `DISTINCT`) hold it (an aggregation only its groups).
    /// The time limit counts from this call, the time the consumer takes
    /// between rows included.
    ///
    /// ```
    /// # use quiverdb::{Database, props, query::{Params, QueryOptions}};
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let db = Database::open(dir.path()).unwrap();
    /// # let mut w = db.begin_write().unwrap();
    /// # for i in 0..3000 { w.add_node(&["Item"], props! {"i" => i}).unwrap(); }
    /// # w.commit().unwrap();
    /// let r = db.begin_read()?;
    /// let mut rows = r.stream("MATCH (n:Item) RETURN n.i AS i", &Params::new(), &QueryOptions::default())?;
    /// assert_eq!(rows.columns(), ["i"]);
    /// let first = rows.next().unwrap()?;
    /// assert_eq!(first.len(), 1);
    /// assert_eq!(rows.count(), 2999);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stream<'t>(
        &'t self,
        text: &str,
        params: &Params,
        options: &QueryOptions,
    ) -> Result<QueryRows<'t>, QueryError> {
        stream_on(
            On::Snapshot(self),
            self.db(),
            text,
            params,
            options,
            read_only,
        )
    }
}

impl WriteTxn<'_> {
    /// Runs a read-only Cypher statement on this transaction's view (its
    /// own writes included) and returns its rows as they are read, like
    /// [`ReadTxn::stream`]; a statement that writes is refused (run it
    /// with [`WriteTxn::query`]). The transaction cannot write while the
    /// rows are borrowed.
    pub fn stream<'t>(
        &'t self,
        text: &str,
        params: &Params,
        options: &QueryOptions,
    ) -> Result<QueryRows<'t>, QueryError> {
        stream_on(On::View(self), self.db(), text, params, options, || {
            QueryError::runtime(
                ErrorKind::SemanticError,
                "ReadOnlyStream",
                "WriteTxn::stream runs read-only statements; run one that writes with WriteTxn::query",
            )
        })
    }

    /// Runs a Cypher statement in this transaction: it reads the
    /// transaction's own view, and its writes commit (or not) with the
    /// rest of the transaction. A statement that fails leaves the
    /// transaction as it was before the statement.
    pub fn query(&mut self, text: &str, params: &Params) -> Result<QueryResult, QueryError> {
        self.query_with(text, params, &QueryOptions::default())
    }

    /// [`WriteTxn::query`] with options: a statement stopped by its time
    /// limit leaves the transaction as it was before the statement.
    pub fn query_with(
        &mut self,
        text: &str,
        params: &Params,
        options: &QueryOptions,
    ) -> Result<QueryResult, QueryError> {
        let (plan, mode) = prepare_on(self.db(), text, params)?;
        let run = options.running();
        if !plan.writes() && mode == Mode::Run {
            // Read-only: streamed on the view, collected.
            return QueryRows::stream(plan, params, On::View(self), run).collect_result();
        }
        if !plan.writes() || mode == Mode::Explain {
            return execute(&plan, mode, params, &mut Access::Write(self), &run);
        }
        let savepoint = self.savepoint();
        let before = self.updates();
        match execute(&plan, mode, params, &mut Access::Write(self), &run) {
            Ok(mut result) => {
                result.updates = self.updates().since(&before);
                Ok(result)
            }
            Err(e) => {
                self.rollback_to(savepoint);
                Err(e)
            }
        }
    }
}

impl Database {
    /// Runs one Cypher statement in a transaction of its own: a snapshot
    /// for a read-only statement, else a write transaction committed when
    /// the statement succeeds (and discarded when it fails).
    pub fn execute(&self, text: &str, params: &Params) -> Result<QueryResult, QueryError> {
        self.execute_with(text, params, &QueryOptions::default())
    }

    /// [`Database::execute`] with options (a time limit: a write
    /// statement stopped by it commits nothing).
    pub fn execute_with(
        &self,
        text: &str,
        params: &Params,
        options: &QueryOptions,
    ) -> Result<QueryResult, QueryError> {
        let (plan, mode) = prepare_on(self, text, params)?;
        let run = Running {
            implicit: true,
            ..options.running()
        };
        if plan.writes() && mode != Mode::Explain {
            let mut w = self.begin_write()?;
            let mut result = execute(&plan, mode, params, &mut Access::Write(&mut w), &run)?;
            result.updates = w.updates();
            w.commit()?;
            Ok(result)
        } else {
            let r = self.begin_read()?;
            if mode != Mode::Run {
                return execute(&plan, mode, params, &mut Access::Read(&r), &run);
            }
            QueryRows::stream(plan, params, On::Snapshot(&r), run).collect_result()
        }
    }

    /// Adds procedure `p` to Cypher's `CALL` on this database, for this
    /// open handle (registrations are not stored: register again after
    /// opening). One of the same name is replaced. Refused with a
    /// `SyntaxError`: a name that is not dotted identifiers, the name of
    /// a built-in procedure, an empty or repeated input or output name.
    pub fn register_procedure(&self, p: UserProcedure) -> Result<(), QueryError> {
        let bad =
            |why: String| QueryError::compile(ErrorKind::SyntaxError, "InvalidProcedure", why);
        let identifier = |s: &str| {
            s.chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_')
                && s.chars().all(|c| c.is_alphanumeric() || c == '_')
        };
        if !p.name.split('.').all(identifier) {
            return Err(bad(format!(
                "a procedure's name is dotted identifiers (my.lib.proc), not {:?}",
                p.name
            )));
        }
        if plan::procs::Procedure::lookup(&p.name).is_some() {
            return Err(bad(format!("{} is a built-in procedure", p.name)));
        }
        let mut names: Vec<&str> = p.inputs.iter().map(|(n, _)| n.as_str()).collect();
        names.sort_unstable();
        let mut outputs: Vec<&str> = p.outputs.iter().map(String::as_str).collect();
        outputs.sort_unstable();
        for list in [&names, &outputs] {
            if list.iter().any(|n| n.is_empty()) || list.windows(2).any(|w| w[0] == w[1]) {
                return Err(bad(format!(
                    "{}: input and output names must be non-empty and distinct",
                    p.name
                )));
            }
        }
        self.extension::<cache::PlanCache>().register(p);
        Ok(())
    }

    /// How many statements run on this database found their plan
    /// compiled already (in the plan cache).
    #[must_use]
    pub fn plan_cache_hits(&self) -> u64 {
        self.extension::<cache::PlanCache>().hits()
    }
}

#[cfg(test)]
mod tests;
